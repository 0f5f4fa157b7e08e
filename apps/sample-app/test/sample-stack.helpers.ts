import { fakeClock, restoreClock } from '../../../test/support/fake-clock.js';
import { startSampleStack, type SampleStack } from '../src/bootstrap.js';
import type { EmbeddedIdentityProvider } from '../src/identity-provider/embedded-identity-provider.js';
import type { SampleEnvironment } from '../src/sample-environment.js';

/** The sample stack on free ports, quiet, with the embedded provider, and settings added. */
export async function startQuietStack(
  environment: SampleEnvironment = {},
): Promise<SampleStack & { idp: EmbeddedIdentityProvider }> {
  const stack = await startSampleStack({ environment, logger: false });
  if (stack.idp === undefined) throw new Error('the sample stack started without its embedded provider');
  return { ...stack, idp: stack.idp };
}

/** GET on the stack's API, with a bearer token when given. */
export function get(stack: SampleStack, path: string, token?: string): Promise<Response> {
  return fetch(new URL(path, stack.apiUrl), {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
}

/**
 * Moves `Date.now()` forward by `ms`, leaving real timers, ticks and performance alone so that
 * network I/O keeps working; `restoreClock()` undoes it.
 */
export function moveClockForward(ms: number): void {
  fakeClock(Date.now() + ms);
}

export { restoreClock };
