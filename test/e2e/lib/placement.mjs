// Splits a config's text into its `placement:` section and everything else, so a test can
// check that Replan rewrote only the placement (docs/design.md: "placement: written by Replan").

/**
 * @param {string} text  a *.shard.yaml document
 * @returns {{ placement: string, rest: string }}  placement: the header line through the last
 *   indented/blank/comment line before the next top-level key ('' when absent); rest: the other lines.
 */
export function splitPlacement(text) {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^placement\s*:/.test(l));
  if (start < 0) return { placement: '', rest: text.trimEnd() };
  let end = start + 1;
  while (end < lines.length && (/^[\s#]/.test(lines[end]) || lines[end] === '')) end++;
  return {
    placement: lines.slice(start, end).join('\n').trimEnd(),
    rest: [...lines.slice(0, start), ...lines.slice(end)].join('\n').trimEnd(),
  };
}

/**
 * Reads the two numbers of the top "Replan — step A ms → B ms" lens title (not the
 * "Replan ≤ N moves — …" lens next to it).
 * @param {string[]} titles  code lens texts
 * @returns {{ title: string, before: number, after: number } | undefined}
 */
export function replanLens(titles) {
  for (const t of titles) {
    const m = t.match(/Replan(?! ≤)[^\n|]*?step\s*([\d.,]+)\s*(?:ms)?\s*→\s*([\d.,]+)/);
    if (m) return { title: t, before: Number(m[1].replace(/,/g, '')), after: Number(m[2].replace(/,/g, '')) };
  }
  return undefined;
}

/**
 * The top lens when it says planning is impossible ("Replan [best] — cannot plan: …"),
 * so a test can fail at once with the reason instead of waiting for numbers.
 * @param {string[]} titles @returns {string | undefined}
 */
export function planFailureLens(titles) {
  return titles.find((t) => /^(Replan|Plan placement)\b.*\bcannot plan\b/.test(t));
}

/**
 * Reads the move-budget lens: "Replan ≤ N moves — step A ms → B ms (…, K moves)".
 * @param {string[]} titles  code lens texts
 * @returns {{ title: string, maxMoves: number, before: number, after: number, moves: number } | undefined}
 */
export function movesLens(titles) {
  const num = (x) => Number(x.replace(/,/g, ''));
  for (const t of titles) {
    const m = t.match(/Replan ≤ (\d+) moves? — step ([\d.,]+) ms → ([\d.,]+) ms \((?:[^)|]*?, )?(\d+) moves?\)/);
    if (m) return { title: m[0], maxMoves: Number(m[1]), before: num(m[2]), after: num(m[3]), moves: Number(m[4]) };
  }
  return undefined;
}

/**
 * The placement entries of a config text, name → value as written (spaces removed), for
 * counting the entries a Replan changed on disk. Block-style entries, one per line.
 * @param {string} text @returns {Map<string, string>}
 */
export function placementEntries(text) {
  const out = new Map();
  for (const line of splitPlacement(text).placement.split('\n').slice(1)) {
    const m = line.match(/^\s+("[^"]+"|[^\s#:][^:#]*?)\s*:\s*([^#]+?)\s*(?:#.*)?$/);
    if (m) out.set(m[1].replace(/^"|"$/g, ''), m[2].replace(/\s+/g, ''));
  }
  return out;
}

/**
 * Names whose entry differs between two placements (missing on one side counts).
 * @param {Map<string, string>} a @param {Map<string, string>} b @returns {string[]}
 */
export function changedEntries(a, b) {
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
}
