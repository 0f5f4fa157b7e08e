import { clock } from '../internal/clock.js';
import { randomBytes } from 'node:crypto';
import { DpopNonceRequiredError } from '../errors.js';
import { CacheStore } from '../store/cache-store.js';

/** How long to wait for the peer that is making a window's nonce, in ms. */
const PEER_WAIT_MS = 1_000;

const isNonce = (value: unknown): value is string => typeof value === 'string' && /^[A-Za-z0-9_-]{22}$/.test(value);

/**
 * Server nonces of one issuer (RFC 9449 §9): time is cut into windows of `rotation` ms (by the
 * clock, `clock.now()` of internal/clock), each with its own random nonce; a proof must carry the nonce of the
 * current window or of the one before, so a client that just got a nonce is not refused because
 * it rotated meanwhile. With a shared store every instance uses the same nonce per window: the
 * first to need it makes it under the fleet lock and stores it, the others read it.
 */
export class DpopNonces {
  private readonly windows = new Map<number, Promise<string>>();

  constructor(
    private readonly store: CacheStore,
    private readonly issuer: string,
    private readonly rotation: number,
  ) {}

  /** The nonce to send in `DPoP-Nonce` now. */
  current(): Promise<string> {
    return this.nonceOf(this.windowAt(clock.now()));
  }

  /** Resolves when `nonce` is the current or the previous nonce. @throws {DpopNonceRequiredError} with the current one. */
  async check(nonce: unknown): Promise<void> {
    const window = this.windowAt(clock.now());
    const current = await this.nonceOf(window);
    if (nonce === current) return;
    if (typeof nonce === 'string' && nonce === (await this.nonceOf(window - 1))) return;
    throw new DpopNonceRequiredError(
      nonce === undefined
        ? 'DPoP proof refused: the resource server requires a nonce'
        : 'DPoP proof refused: its nonce is not current',
      current,
    );
  }

  private windowAt(now: number): number {
    return Math.floor(now / this.rotation);
  }

  /** One load per window on this instance (the promise is kept), older windows forgotten. */
  private nonceOf(window: number): Promise<string> {
    let nonce = this.windows.get(window);
    if (nonce === undefined) {
      nonce = this.load(window);
      this.windows.set(window, nonce);
      for (const known of this.windows.keys()) if (known < window - 1 || known > window + 1) this.windows.delete(known);
    }
    return nonce;
  }

  private async load(window: number): Promise<string> {
    const key = CacheStore.key('dpop-nonce', this.issuer, String(window));
    if (!this.store.shares(key)) return fresh();
    const stored = await this.store.get(key, { validate: isNonce });
    if (stored !== undefined) return stored;
    // Kept while a proof may still carry it: its own window and the next.
    const ttl = 2 * this.rotation;
    const made = await this.store.withLock(key, async () => {
      const raced = await this.store.get(key, { skipL1: true, validate: isNonce });
      if (raced !== undefined) return raced;
      const nonce = fresh();
      await this.store.set(key, nonce, ttl);
      return nonce;
    });
    if (made.acquired) return made.result;
    // A peer is making it; without its answer in time this instance uses its own (clients retry once).
    return (await this.store.waitFor<string>(key, { timeout: PEER_WAIT_MS, until: isNonce })) ?? fresh();
  }
}

function fresh(): string {
  return randomBytes(16).toString('base64url');
}
