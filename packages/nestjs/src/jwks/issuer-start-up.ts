import type { Logger } from '@nestjs/common';
import type { JwksCacheError } from '../errors.js';
import type { IssuerDirectory } from './issuer-directory.js';
import type { IssuerKeyState } from './issuer-key-state.js';

/**
 * Warm-up: fetches the keys of every configured issuer with `jwks.warmUp`, in parallel. A failure
 * is logged; the first failure of an issuer with `jwks.failOnStartup` is thrown once all settled.
 */
export async function warmUpIssuers(directory: IssuerDirectory, logger: Logger): Promise<void> {
  const warming = directory.configuredIssuers().filter((settings) => settings.jwks.warmUp);
  const outcomes = await Promise.allSettled(
    warming.map((settings) => directory.found(settings.issuer).state.warmUp(!settings.jwks.failOnStartup)),
  );
  let fatal: JwksCacheError | undefined;
  outcomes.forEach((outcome, index) => {
    if (outcome.status === 'fulfilled') return;
    const settings = warming[index];
    const error = outcome.reason as JwksCacheError;
    logger.warn(`Fetching the keys of issuer ${settings.issuer} at start-up failed: ${error.code} ${error.message}`);
    if (settings.jwks.failOnStartup) fatal ??= error;
  });
  if (fatal !== undefined) throw fatal;
}

/** `issuers[i].seed`: a bad one is logged (never its content) and ignored, not fatal. */
export function applyConfiguredSeed(state: IssuerKeyState, issuer: string, seed: unknown, logger: Logger): void {
  state.seed(seed).then(
    (outcome) => {
      if (outcome === 'refused')
        logger.warn(
          `The configured key-set seed of issuer ${issuer} was refused (no usable public key, or fetchedAt in the future); fetching instead`,
        );
    },
    () =>
      logger.warn(`The configured key-set seed of issuer ${issuer} is not { jwks, fetchedAt, freshUntil }; ignored`),
  );
}
