/**
 * What a "what if" sweep is asked for, as people type it: GPU counts
 * (`16,32,64,128`) and GPU types (`H100-80GB,A100-80GB`). Shared by the CLI
 * (`shardlens sweep --gpus … --type …`), the language server (the sweep
 * request's params) and the editor's input boxes, so all three accept and
 * reject the same words with the same messages. Pure; no I/O.
 */
import { excerpt } from '../config/excerpt';
import { suggestPresets } from '../config/presetSuggestions';
import { GPU_PRESETS } from '../config/presets';

/**
 * Largest GPU count a sweep plans: past this a single plan takes minutes and
 * the per-GPU report alone is megabytes. TorchRec's largest published runs use
 * a few thousand GPUs, so 16,384 covers every real cluster with room to spare.
 */
export const MAX_SWEEP_GPUS = 16_384;
/** At most this many (type, count) clusters per sweep: each one is a full plan. */
export const MAX_SWEEP_CLUSTERS = 32;

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * Counts around the config's own: a quarter, a half, the same and double
 * (64 → 16, 32, 64, 128), keeping whole counts of at least 1.
 */
export function defaultSweepCounts(count: number): number[] {
  const n = Number.isInteger(count) && count > 0 ? count : 1;
  const candidates = [n / 4, n / 2, n, n * 2].filter((c) => Number.isInteger(c) && c >= 1 && c <= MAX_SWEEP_GPUS);
  return [...new Set(candidates)].sort((a, b) => a - b);
}

/** `16,32, 64 128` → [16, 32, 64, 128] (sorted, without repeats). Commas or spaces separate. */
export function parseGpuCounts(text: string): Parsed<number[]> {
  const words = text.split(/[\s,]+/).filter((w) => w.length > 0);
  if (words.length === 0) return { ok: false, error: 'give at least one GPU count, e.g. 16,32,64' };
  const counts: number[] = [];
  for (const w of words) {
    const n = /^\d+$/.test(w) ? Number(w) : NaN;
    if (!Number.isInteger(n) || n < 1) return { ok: false, error: `'${w}' is not a GPU count (a whole number of at least 1)` };
    if (n > MAX_SWEEP_GPUS) return { ok: false, error: `${w} GPUs is more than a sweep plans (at most ${MAX_SWEEP_GPUS})` };
    counts.push(n);
  }
  return { ok: true, value: [...new Set(counts)].sort((a, b) => a - b) };
}

/**
 * `H100-80GB, A100-80GB` → the types, in the order given, without repeats.
 * A type must be a preset, or the config's own type (which may be a custom one
 * described in full under `devices:`).
 */
export function parseGpuTypes(text: string, configType: string): Parsed<string[]> {
  const words = text.split(/[\s,]+/).filter((w) => w.length > 0);
  if (words.length === 0) return { ok: true, value: [configType] };
  return checkGpuTypes(words, configType);
}

/** The same check for a list that is already split (protocol params). */
export function checkGpuTypes(types: readonly string[], configType: string): Parsed<string[]> {
  const known = [...new Set([configType, ...Object.keys(GPU_PRESETS)])];
  const out: string[] = [];
  for (const t of types) {
    if (typeof t !== 'string' || !known.includes(t)) {
      const near = typeof t === 'string' ? suggestPresets(t, known) : [];
      return { ok: false, error: `unknown GPU type '${excerpt(String(t))}'${near.length ? ` (did you mean ${near.join(' or ')}?)` : ''}; types: ${known.join(', ')}` };
    }
    if (!out.includes(t)) out.push(t);
  }
  return { ok: true, value: out };
}

/** Checks a list of counts that is already split (protocol params): the same rules as parseGpuCounts. */
export function checkGpuCounts(counts: readonly unknown[]): Parsed<number[]> {
  if (!Array.isArray(counts)) return { ok: false, error: 'counts must be a list of GPU counts' };
  return parseGpuCounts(counts.map((c) => (typeof c === 'number' ? String(c) : `'${String(c)}'`)).join(','));
}

/** Whether a sweep of these many clusters is within MAX_SWEEP_CLUSTERS; the message says what to cut. */
export function clusterCountProblem(counts: number, types: number): string | undefined {
  const n = counts * types;
  return n > MAX_SWEEP_CLUSTERS
    ? `${counts} counts × ${types} types = ${n} clusters, more than one sweep plans (at most ${MAX_SWEEP_CLUSTERS}); give fewer counts or types`
    : undefined;
}
