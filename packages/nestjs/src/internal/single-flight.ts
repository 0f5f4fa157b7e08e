/**
 * In-process single-flight: while a run for a key is under way, every caller for that key gets
 * the same promise; once it settles, the next call starts a new run. `work` is called
 * synchronously (nothing awaits before it starts), so a caller may rely on what it does before its
 * first `await` having happened when `run` returns.
 */
export class SingleFlight<K, V> {
  private readonly running = new Map<K, Promise<V>>();

  /** The run under way for `key`, or `undefined`. */
  current(key: K): Promise<V> | undefined {
    return this.running.get(key);
  }

  /** Joins the run under way for `key`, or starts `work()` and shares it until it settles. */
  run(key: K, work: () => Promise<V>): Promise<V> {
    const running = this.running.get(key);
    if (running !== undefined) return running;
    let started: Promise<V>;
    try {
      started = work();
    } catch (error) {
      started = Promise.reject(error as Error);
    }
    const shared: Promise<V> = started.finally(() => {
      // After `forget`, a newer run of the same key may be under way: leave it.
      if (this.running.get(key) === shared) this.running.delete(key);
    });
    this.running.set(key, shared);
    return shared;
  }

  /** Forgets every run under way: their callers keep their promises, the next call starts afresh. */
  forget(): void {
    this.running.clear();
  }

  /** How many runs are under way. */
  get size(): number {
    return this.running.size;
  }
}
