/**
 * The waits of slowed answers on one server, so closing it can drop them all: a wait still pending
 * at close never resolves, and no answer is written after close.
 */
export class PendingDelays {
  private readonly pending = new Set<NodeJS.Timeout>();

  /** Resolves after `ms` milliseconds (at once for `ms <= 0`), unless {@link clear} comes first. */
  wait(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        resolve();
      }, ms);
      this.pending.add(timer);
    });
  }

  /** Cancels every pending wait; they never resolve. */
  clear(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}
