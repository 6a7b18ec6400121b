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
 * Reads the two numbers of the top "Replan — step A ms → B ms" lens title.
 * @param {string[]} titles  code lens texts
 * @returns {{ title: string, before: number, after: number } | undefined}
 */
export function replanLens(titles) {
  for (const t of titles) {
    const m = t.match(/Replan[^\n|]*?step\s*([\d.,]+)\s*(?:ms)?\s*→\s*([\d.,]+)/);
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
