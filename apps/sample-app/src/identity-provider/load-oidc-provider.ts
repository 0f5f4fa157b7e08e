import type ProviderClass from 'oidc-provider';
import type { Configuration, errors } from 'oidc-provider';

/**
 * `oidc-provider` notices that are safe to hide for this embedded, development-only provider:
 * - the runtime notice: oidc-provider 9 asks for Node 22 LTS, this workspace runs on Node 20.19+,
 *   and the flows used here (discovery, JWKS, client credentials with resource indicators) are
 *   exercised by the sample app's end-to-end tests on it;
 * - the in-memory adapter notice: losing the provider's state on restart is intended here (the
 *   keys are regenerated at every start anyway, and JWT access tokens need no server state).
 * Every other notice still goes through.
 */
const SILENCED_NOTICES = ['Unsupported runtime', 'development-only in-memory adapter'];

type OidcProviderModule = typeof import('oidc-provider');

/** The OAuth error classes of `oidc-provider`, for configuration callbacks that reject a request. */
export type OidcProviderErrors = typeof errors;

let loadedModule: Promise<OidcProviderModule> | undefined;

/**
 * Creates an `oidc-provider` instance without its two known-harmless development notices.
 * The module is imported lazily so that its import-time notice can be filtered too.
 */
export async function createOidcProvider(
  issuer: string,
  configuration: (providerErrors: OidcProviderErrors) => Configuration,
): Promise<ProviderClass> {
  const module = await withoutSilencedNotices(() => (loadedModule ??= import('oidc-provider')));
  return withoutSilencedNotices(() => new module.default(issuer, configuration(module.errors)));
}

let silencing = 0;
let originalWarn: typeof console.warn = console.warn;

/** Filters `console.warn` while `action` runs; overlapping calls share one filter. */
async function withoutSilencedNotices<T>(action: () => T | Promise<T>): Promise<T> {
  if (silencing++ === 0) {
    originalWarn = console.warn;
    const warn = originalWarn;
    console.warn = (...args: unknown[]) => {
      const message = String(args[0]);
      if (!SILENCED_NOTICES.some((notice) => message.includes(notice))) warn(...args);
    };
  }
  try {
    return await action();
  } finally {
    if (--silencing === 0) console.warn = originalWarn;
  }
}
