/** At most this many `jti`s are remembered; the oldest go first. A test never comes near it. */
const MAX_REMEMBERED = 10_000;

/** The `jti`s of accepted proofs, each remembered until its proof's window is over. */
export class DpopReplayCache {
  private readonly expiresAtMsByJti = new Map<string, number>();

  /**
   * Remembers `jti` until `expiresAtMs` (epoch ms). Returns `false` when it was already seen and
   * still remembered: a replay.
   */
  accept(jti: string, expiresAtMs: number): boolean {
    const now = Date.now();
    for (const [seen, expiresAt] of this.expiresAtMsByJti) {
      if (expiresAt > now && this.expiresAtMsByJti.size < MAX_REMEMBERED) break;
      this.expiresAtMsByJti.delete(seen);
    }
    if (this.expiresAtMsByJti.has(jti)) return false;
    this.expiresAtMsByJti.set(jti, expiresAtMs);
    return true;
  }
}
