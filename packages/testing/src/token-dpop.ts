import type { DpopNonces } from './dpop-nonces.js';
import { checkDpopProof } from './dpop-proof-check.js';
import { DpopReplayCache } from './dpop-replay.js';
import type { TokenDpopOptions } from './types.js';

/** The thumbprint of the proof's key (`undefined` without a proof), or why the request is refused. */
export type TokenDpopOutcome =
  | { jkt: string | undefined }
  | { error: 'invalid_dpop_proof' | 'use_dpop_nonce'; description: string; headers: Record<string, string> };

/** DPoP at one token endpoint (RFC 9449 §5): its proof checks, nonce and replay cache. */
export class TokenDpop {
  private readonly replays = new DpopReplayCache();

  /**
   * @param options the resolved `dpop` options of the issuer.
   * @param nonces the endpoint's server nonce.
   * @param tokenEndpoint the endpoint's URL, which `htu` must match.
   */
  constructor(
    private readonly options: Required<TokenDpopOptions>,
    private readonly nonces: DpopNonces,
    private readonly tokenEndpoint: string,
  ) {}

  /**
   * Checks the values of a token request's `DPoP` headers: none (refused in mode `'required'`) or
   * exactly one valid proof. In mode `'off'` they are ignored.
   */
  async check(proofs: readonly string[]): Promise<TokenDpopOutcome> {
    if (this.options.mode === 'off') return { jkt: undefined };
    if (proofs.length === 0) {
      return this.options.mode === 'required'
        ? this.refuse('invalid_dpop_proof', 'a DPoP proof is required')
        : { jkt: undefined };
    }
    if (proofs.length > 1) return this.refuse('invalid_dpop_proof', 'exactly one DPoP header is allowed');
    const checked = await checkDpopProof(proofs[0], {
      method: 'POST',
      url: this.tokenEndpoint,
      maxProofAge: this.options.maxProofAge,
      nonce: this.options.nonce ? this.nonces.current : undefined,
      replays: this.replays,
    });
    return 'error' in checked ? this.refuse(checked.error, checked.description) : checked;
  }

  /** The headers of a DPoP-bound token answer: the current nonce, when nonces are on. */
  answerHeaders(): Record<string, string> {
    return this.options.nonce ? { 'DPoP-Nonce': this.nonces.current } : {};
  }

  private refuse(error: 'invalid_dpop_proof' | 'use_dpop_nonce', description: string): TokenDpopOutcome {
    return { error, description, headers: error === 'use_dpop_nonce' ? this.answerHeaders() : {} };
  }
}
