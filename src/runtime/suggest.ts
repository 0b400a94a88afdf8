/**
 * "Did you mean …?" for every name a user types: task names (`tq call`, beat
 * entries), config keys and commands. A module of its own, with no imports, so
 * that config (below discovery in the import order) can use it too.
 */

/** Names close to `name` (small edit distance, a shared prefix, or a typo in a prefix), best first. */
export function suggestNames(name: string, known: readonly string[]): string[] {
  const typed = name.toLowerCase();
  return known
    .map((k) => ({ k, d: distance(typed, k.toLowerCase()) }))
    .filter(({ d }) => d !== undefined)
    .sort((a, b) => a.d! - b.d!)
    .slice(0, 3)
    .map(({ k }) => k);
}

/** How far `typed` is from `known`, or undefined when too far to suggest. */
function distance(typed: string, known: string): number | undefined {
  const whole = editDistance(typed, known);
  if (whole <= Math.max(2, Math.floor(typed.length / 3))) return whole;
  if (known.startsWith(typed) || typed.startsWith(known)) return whole;
  // 'brokr' for 'brokerUrl': one slip in the first word of a longer name.
  if (typed.length >= 4) {
    const head = Math.min(...[typed.length - 1, typed.length, typed.length + 1].map((n) => editDistance(typed, known.slice(0, n))));
    if (head <= 1) return whole;
  }
  return undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
