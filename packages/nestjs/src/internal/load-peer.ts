import { MissingPeerDependencyError } from '../errors.js';

const loaded = new Map<string, Promise<unknown>>();

function isNotFound(error: unknown, packageName: string): boolean {
  // Not `instanceof Error`: a loader's error may come from another realm (a vm context).
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    message.includes(packageName)
  );
}

/**
 * Imports an optional peer once (a dynamic ESM `import()`, so the app's own copy of the package is
 * the one used, and `instanceof` checks in Nest and the GraphQL servers hold) and keeps the promise.
 * An HTTP-only app never calls it, so it needs none of the transport packages.
 * @param importer `() => import('<packageName>')`, written by the caller so bundlers see the name.
 * @param feature what needs it, for the message, e.g. `JwtGuard on a GraphQL resolver`.
 * @throws MissingPeerDependencyError when the package is not installed; other load errors as they are.
 */
export function loadPeer<T>(packageName: string, feature: string, importer: () => Promise<T>): Promise<T> {
  let pending = loaded.get(packageName) as Promise<T> | undefined;
  if (pending === undefined) {
    pending = importer().catch((error: unknown) => {
      loaded.delete(packageName);
      throw isNotFound(error, packageName)
        ? new MissingPeerDependencyError(packageName, feature, { cause: error })
        : error;
    });
    loaded.set(packageName, pending);
  }
  return pending;
}
