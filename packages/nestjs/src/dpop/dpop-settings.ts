import { ASYMMETRIC_ALGORITHMS, DEFAULT_DPOP_OPTIONS, type DpopMode, type DpopOptions } from '../options.js';

/** One issuer's DPoP settings, defaults filled in, resolved once at start. */
export interface DpopSettings {
  mode: DpopMode;
  /** Algorithms a proof may use (asymmetric only), in configuration order (for the challenge's `algs`). */
  algorithms: readonly string[];
  algorithmSet: ReadonlySet<string>;
  /** Oldest accepted proof from its `iat`, in ms. */
  maxProofAge: number;
  /** Rotation period of server nonces in ms, or `undefined` when nonces are off. */
  nonceRotation: number | undefined;
}

/** `issuers[i].dpop` (a mode or the object form) with the defaults of {@link DEFAULT_DPOP_OPTIONS}. */
export function resolveDpopSettings(dpop: DpopMode | DpopOptions | undefined): DpopSettings {
  const options: DpopOptions = typeof dpop === 'string' ? { mode: dpop } : (dpop ?? {});
  const algorithms = [...(options.algorithms ?? ASYMMETRIC_ALGORITHMS)];
  const nonce = options.nonce;
  const nonceRotation = nonce === undefined || nonce === false
    ? undefined
    : nonce === true ? DEFAULT_DPOP_OPTIONS.nonceRotation : (nonce.rotation ?? DEFAULT_DPOP_OPTIONS.nonceRotation);
  return Object.freeze({
    mode: options.mode ?? DEFAULT_DPOP_OPTIONS.mode,
    algorithms: Object.freeze(algorithms),
    algorithmSet: new Set(algorithms),
    maxProofAge: options.maxProofAge ?? DEFAULT_DPOP_OPTIONS.maxProofAge,
    nonceRotation,
  });
}
