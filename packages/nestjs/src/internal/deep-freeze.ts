/**
 * Freezes `value` and every plain object and array it holds, so a shared default can be handed
 * out by reference without anyone changing it for everyone. Class instances (a Keyv store, a user's
 * adapter), functions and typed arrays are left as they are: they are not ours to freeze.
 */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (!Array.isArray(value) && prototype !== Object.prototype && prototype !== null) return value;
  Object.freeze(value);
  for (const member of Object.values(value as object)) deepFreeze(member);
  return value;
}
