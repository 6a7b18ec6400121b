/**
 * How numbers read to people, shared by code lenses, hovers, diagnostics and the
 * CLI so the editor and the terminal agree. ms per step; bytes go through
 * config/byteUnits.ts (binary GiB/MiB/KiB), which the validator uses too.
 */

/** "0.42 ms", "12.3 ms", "1234 ms": 3 significant digits below 100 ms. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return `${ms} ms`;
  const abs = Math.abs(ms);
  if (abs >= 100) return `${ms.toFixed(0)} ms`;
  if (abs >= 10) return `${ms.toFixed(1)} ms`;
  if (abs >= 0.01 || abs === 0) return `${ms.toFixed(2)} ms`;
  return `${ms.toPrecision(2)} ms`;
}

/** Bare number of ms for tables: fixed 3 decimals. */
export function msCell(ms: number): string {
  return Number.isFinite(ms) ? ms.toFixed(3) : String(ms);
}

/** "74%"; one decimal under 10%. */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '–';
  const pct = fraction * 100;
  return pct < 10 ? `${pct.toFixed(1)}%` : `${pct.toFixed(0)}%`;
}

/** "−28%" / "+3%" change from `before` to `after` (typographic minus). */
export function formatChange(before: number, after: number): string {
  if (!(before > 0) || !Number.isFinite(after)) return '';
  const pct = ((after - before) / before) * 100;
  const rounded = Math.round(pct);
  if (rounded === 0) return '±0%';
  return rounded < 0 ? `\u2212${-rounded}%` : `+${rounded}%`;
}

/** "1.42×". */
export function formatRatio(ratio: number): string {
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}\u00d7` : '–';
}

/** "GPU 3", "GPUs 0,1", "GPUs 0–7". */
export function formatGpus(gpus: readonly number[]): string {
  if (gpus.length === 0) return 'unplaced';
  if (gpus.length === 1) return `GPU ${gpus[0]}`;
  const sorted = [...gpus].sort((a, b) => a - b);
  const contiguous = sorted.every((g, i) => i === 0 || g === sorted[i - 1] + 1);
  if (contiguous && sorted.length > 2) return `GPUs ${sorted[0]}\u2013${sorted[sorted.length - 1]}`;
  return `GPUs ${gpus.join(',')}`;
}

/** A change in ms with its sign: "+3.1 ms", "−0.42 ms" (typographic minus), "±0 ms" below 0.005 ms. */
export function formatSignedMs(ms: number): string {
  if (!Number.isFinite(ms)) return `${ms} ms`;
  if (Math.abs(ms) < 0.005) return '\u00b10 ms';
  return `${ms > 0 ? '+' : '\u2212'}${formatMs(Math.abs(ms))}`;
}

/**
 * ± of a difference of two predictions whose own ± are `a` and `b` (ms), their
 * errors taken as independent: √(a² + b²). Undefined when neither is known.
 */
export function combinedUncertainty(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined && b === undefined) return undefined;
  return Math.hypot(a ?? 0, b ?? 0);
}

/** "±1.20 ms". */
export function formatPlusMinus(ms: number): string {
  return `\u00b1${formatMs(ms)}`;
}

/**
 * A change from `before` to `after` (ms) as people should read it: the
 * percentage ("−28%") when the gain is larger than the combined model error
 * `errorMs` ("−28%, ±2.30 ms"), else "within model error ±2.30 ms": the model cannot
 * tell the two apart. No error known: the percentage alone.
 */
export function formatGain(before: number, after: number, errorMs: number | undefined): string {
  const change = formatChange(before, after);
  if (errorMs === undefined || !Number.isFinite(errorMs) || !change) return change;
  if (Math.abs(before - after) <= errorMs) return `within model error ${formatPlusMinus(errorMs)}`;
  return `${change}, ${formatPlusMinus(errorMs)}`;
}

/** A plan's critical path, phase by phase: "input dist 0.12 ms (GPU 3) + forward 2.10 ms (GPU 1) + …"; phases at 0 left out. */
export function formatPhases(phases: readonly { name: string; maxMs: number; gpu: number }[], titles: Readonly<Record<string, string>>): string {
  const parts = phases.filter((p) => p.maxMs > 0).map((p) => `${titles[p.name] ?? p.name} ${formatMs(p.maxMs)} (GPU ${p.gpu})`);
  return parts.length ? parts.join(' + ') : 'nothing to run';
}
