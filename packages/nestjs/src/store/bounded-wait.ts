import { StoreTimeoutError } from '../errors.js';

/**
 * Resolves like `work`, or rejects with a {@link StoreTimeoutError} after `timeoutMs`. The timer
 * is unref'd, so a pending store call never keeps the process alive, and a late rejection of
 * `work` is swallowed (it has already been accounted for as a timeout).
 */
export function withinBound<T>(work: Promise<T>, timeoutMs: number, operation: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StoreTimeoutError(`Cache store ${operation} took longer than ${timeoutMs} ms`)),
      timeoutMs,
    );
    timer.unref();
  });
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** A promise for `ms` milliseconds that does not keep the process alive. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
