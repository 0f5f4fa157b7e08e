/**
 * The name among `known` that `name` was most likely meant to be, or `undefined` when none is
 * close: the same name in another case, a prefix either way (`ttlMs` → `ttl`, `issuer` →
 * `issuers`), or at most one edit per three characters (Levenshtein, ignoring case and `_`).
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const wanted = normalize(name);
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = closeness(wanted, normalize(candidate));
    if (distance !== undefined && (best === undefined || distance < best.distance))
      best = { name: candidate, distance };
  }
  return best?.name;
}

function normalize(name: string): string {
  return name.toLowerCase().replace(/_/g, '');
}

/** A distance when `a` and `b` are close, else `undefined`. */
function closeness(a: string, b: string): number | undefined {
  const shorter = Math.min(a.length, b.length);
  if (shorter >= 3 && (a.startsWith(b) || b.startsWith(a))) return Math.abs(a.length - b.length);
  const distance = editDistance(a, b);
  return distance <= Math.max(1, Math.floor(shorter / 3)) ? distance : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
