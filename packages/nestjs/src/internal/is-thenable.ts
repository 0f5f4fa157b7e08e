/** Whether `value` is a promise or another thenable (what a user hook may return instead of a value). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
