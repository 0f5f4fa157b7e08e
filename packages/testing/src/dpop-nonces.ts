import { randomBytes } from 'node:crypto';

/** A token endpoint's DPoP server nonce (RFC 9449 §8): one current value, replaced on demand. */
export class DpopNonces {
  private value = DpopNonces.fresh();

  /** The nonce proofs must carry now. */
  get current(): string {
    return this.value;
  }

  /** Replaces the nonce (the old one is stale from now on) and returns the new one. */
  rotate(): string {
    this.value = DpopNonces.fresh();
    return this.value;
  }

  private static fresh(): string {
    return randomBytes(16).toString('base64url');
  }
}
