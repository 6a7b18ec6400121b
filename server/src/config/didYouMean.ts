/**
 * "Did you mean …" suggestions: the closest candidate by edit distance
 * (optimal string alignment: insert, delete, substitute, swap neighbours),
 * within a bound that grows with the word's length so that unrelated words are
 * not suggested. Bounded per pair, so a lookup over n candidates is O(n·k·len).
 */

/** Edit distance between a and b, or `limit + 1` as soon as it must exceed `limit`. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= n; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2] + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > limit) return limit + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n];
}

/** Largest distance still worth suggesting: 1 for short words, up to 3 for long ones. */
function maxDistanceFor(word: string): number {
  return Math.max(1, Math.min(3, Math.floor(word.length / 3)));
}

/** The closest candidate (case-insensitive comparison), or undefined if none is close. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  let limit = maxDistanceFor(word);
  let best: string | undefined;
  for (const c of candidates) {
    if (c === word) continue;
    const d = editDistance(lower, c.toLowerCase(), limit);
    if (d <= limit && (best === undefined || d < limit)) {
      best = c;
      limit = d;
      if (d === 0) break;
    }
  }
  return best;
}
