import { InvalidResponseError, KeySetShapeError } from '../errors.js';
import { fetchJson } from '../internal/fetch-json.js';
import type { IssuerSettings } from './issuer-settings.js';
import { MAX_KEYS_PER_SET, parseKeySet, type KeySet } from './key-set.js';

/**
 * GETs an issuer's JWKS (a bounded JSON fetch) and parses it into its usable keys. A set that
 * fails validation is an {@link InvalidResponseError} naming the URL and the reason; every other
 * failure is the fetch's typed `FetchError`.
 * @returns the key set and the response's `Cache-Control: max-age` in ms (unclamped), if any.
 */
export async function fetchKeySet(
  uri: string,
  settings: Pick<IssuerSettings, 'issuer' | 'allowSymmetric' | 'jwks'>,
): Promise<{ keySet: KeySet; maxAge: number | undefined }> {
  const { body, maxAge } = await fetchJson(uri, settings.jwks);
  try {
    return {
      keySet: await parseKeySet(body, { allowSymmetric: settings.allowSymmetric, maxKeys: MAX_KEYS_PER_SET }),
      maxAge,
    };
  } catch (error) {
    const reason = error instanceof KeySetShapeError ? error.message : 'invalid key set';
    throw new InvalidResponseError(`Key set of ${settings.issuer} at ${uri} is invalid: ${reason}`, uri);
  }
}
