import { clock } from '../internal/clock.js';
/**
 * At most `perSecond` admissions in any 1-second window, read from the library's clock (`internal/clock.ts`): no
 * timer, and a fixed memory of `perSecond` timestamps. A sliding log rather than a token bucket,
 * so even a burst straddling two seconds admits no more than `perSecond` within 1 000 ms.
 */
export class AdmissionWindow {
  /** The epoch ms of the last `perSecond` admissions, oldest at `next`. */
  private readonly admittedAt: Float64Array;
  private next = 0;

  /** @param perSecond admissions per 1 000 ms at most, ≥ 1. */
  constructor(perSecond: number) {
    this.admittedAt = new Float64Array(perSecond).fill(Number.NEGATIVE_INFINITY);
  }

  /** Admits (and records) one more when fewer than `perSecond` were admitted in the last 1 000 ms. */
  tryAdmit(now: number = clock.now()): boolean {
    if (now - this.admittedAt[this.next] < 1_000) return false;
    this.admittedAt[this.next] = now;
    this.next = (this.next + 1) % this.admittedAt.length;
    return true;
  }
}
