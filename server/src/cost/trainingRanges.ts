/**
 * What a learned cost model was measured on (its sidecar's `training_ranges`,
 * written by models/shardlens_cost/export.py from the training split), and
 * where a shard or a set falls outside it. guard.ts prices inputs outside the
 * ranges from the nearest measured point scaled by the analytic model; the
 * engine turns the notes into located warnings (SL110).
 */
import type { CostEnv, RangeNote, Shard } from './types';

export interface TrainingRanges {
  /** Tables in one measured set (one GPU): [min, max]. */
  tablesPerSet: [number, number];
  rows: [number, number];
  /** [min, max] of the embedding dims, and every dim measured. */
  dim: [number, number];
  dims: number[];
  pooling: [number, number];
  /** Bags per table per step. */
  batch: [number, number];
  /** Power-law exponent of the indices. */
  alpha: [number, number];
  dtypes: string[];
  optimizers: string[];
  kernels: string[];
}

/**
 * How far outside a range an input must be before the prediction is the
 * analytic model's alone: 4× for multiplicative inputs (rows, dim, pooling,
 * batch, tables per set), 0.5 for the power-law exponent. In between, the
 * learned correction fades linearly in log distance (guard.ts).
 */
export const FULL_FALLBACK_FACTOR = 4;
export const FULL_FALLBACK_ALPHA = 0.5;

function isPair(v: unknown): v is [number, number] {
  return Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && Number.isFinite(x)) && v[0] <= v[1];
}
function isStrings(v: unknown): v is string[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string');
}

/** The sidecar's `training_ranges` (snake_case JSON) → TrainingRanges, or a message saying what is wrong. */
export function parseTrainingRanges(raw: unknown): { ok: true; ranges: TrainingRanges } | { ok: false; error: string } {
  const r = raw as Record<string, unknown> | null;
  if (!r || typeof r !== 'object') return { ok: false, error: 'training_ranges is not an object' };
  const pairs = ['tables_per_set', 'rows', 'dim', 'pooling', 'batch', 'alpha'] as const;
  for (const k of pairs) if (!isPair(r[k])) return { ok: false, error: `training_ranges.${k} must be [min, max] finite numbers` };
  for (const k of ['dtypes', 'optimizers', 'kernels'] as const) if (!isStrings(r[k])) return { ok: false, error: `training_ranges.${k} must be a list of words` };
  const dims = r.dims;
  if (!Array.isArray(dims) || dims.length === 0 || !dims.every((d) => typeof d === 'number' && d > 0)) {
    return { ok: false, error: 'training_ranges.dims must list the measured dims' };
  }
  const p = (k: (typeof pairs)[number]) => r[k] as [number, number];
  return {
    ok: true,
    ranges: {
      tablesPerSet: p('tables_per_set'),
      rows: p('rows'),
      dim: p('dim'),
      dims: [...(dims as number[])].sort((a, b) => a - b),
      pooling: p('pooling'),
      batch: p('batch'),
      alpha: p('alpha'),
      dtypes: r.dtypes as string[],
      optimizers: r.optimizers as string[],
      kernels: r.kernels as string[],
    },
  };
}

const fmt = (x: number) => (Number.isInteger(x) ? x.toLocaleString('en-US') : String(Number(x.toPrecision(4))));
const span = ([a, b]: [number, number]) => `${fmt(a)}\u2013${fmt(b)}`;

/** Natural-log distance of x outside [lo, hi] (0 inside). */
export function logOutside(x: number, [lo, hi]: [number, number]): number {
  if (!(x > 0) || !(lo > 0)) return x < lo ? Infinity : 0;
  if (x < lo) return Math.log(lo / x);
  if (x > hi) return Math.log(x / hi);
  return 0;
}

function clamp(x: number, [lo, hi]: [number, number]): number {
  return Math.min(hi, Math.max(lo, x));
}

/** The measured dim nearest to `dim` in log distance (ties to the larger). */
export function nearestDim(dim: number, dims: readonly number[]): number {
  let best = dims[0];
  for (const d of dims) if (Math.abs(Math.log(dim / d)) <= Math.abs(Math.log(dim / best))) best = d;
  return best;
}

/** Blend weight (0 = learned, 1 = analytic alone) of a log distance. */
export function weightOfLog(d: number): number {
  return Math.min(1, d / Math.log(FULL_FALLBACK_FACTOR));
}

/** A shard moved into the ranges, and how far it had to move. */
export interface ClampedShard {
  shard: Shard;
  /** True when any input was outside (the shard was changed). */
  moved: boolean;
  /** Blend weight towards the analytic model, 0..1. */
  weight: number;
}

/**
 * The nearest in-range shard to `s` under env batch `batch`: rows, pooling,
 * alpha and bags clamped to their ranges, the dim snapped to the nearest
 * measured dim. A row block moved this way becomes a plain table of the block's
 * clamped rows and lookups (the analytic ratio carries the block's own
 * statistics). Bags are always written explicitly when clamped.
 */
export function clampShard(s: Shard, batch: number, r: TrainingRanges): ClampedShard {
  const bags = s.bags ?? batch;
  const rows = clamp(s.rows, r.rows);
  const pooling = clamp(s.pooling, r.pooling);
  const alpha = clamp(s.zipf, r.alpha);
  const cBags = clamp(bags, r.batch);
  const dim = r.dims.includes(s.dim) ? s.dim : nearestDim(s.dim, r.dims);
  const moved = rows !== s.rows || pooling !== s.pooling || alpha !== s.zipf || cBags !== bags || dim !== s.dim;
  if (!moved) return { shard: s, moved: false, weight: 0 };
  const weight = Math.max(
    weightOfLog(logOutside(s.rows, r.rows)),
    weightOfLog(logOutside(s.pooling, r.pooling)),
    weightOfLog(logOutside(bags, r.batch)),
    weightOfLog(logOutside(s.dim, r.dim)),
    Math.min(1, Math.max(r.alpha[0] - s.zipf, s.zipf - r.alpha[1], 0) / FULL_FALLBACK_ALPHA),
  );
  const shard: Shard = { ...s, rows, pooling, zipf: alpha, dim, bags: cBags };
  if (rows !== s.rows || pooling !== s.pooling) delete shard.block;
  return { shard, moved: true, weight: Number.isFinite(weight) ? weight : 1 };
}

/** Blend weight of a set of `n` tables (0 inside the measured set sizes). */
export function setSizeWeight(n: number, r: TrainingRanges): number {
  return n > r.tablesPerSet[1] ? weightOfLog(Math.log(n / r.tablesPerSet[1])) : 0;
}

/** The optimizer the model was measured with, for an env outside its optimizers. */
export function clampEnv(env: CostEnv, r: TrainingRanges): { env: CostEnv; moved: boolean } {
  if (r.optimizers.includes(env.optimizer)) return { env, moved: false };
  return { env: { ...env, optimizer: r.optimizers[0] as CostEnv['optimizer'] }, moved: true };
}

function how(weight: number, fallback: string, pricedAs: string): string {
  if (weight >= 1) return `priced by ${fallback} alone`;
  if (weight > 0) return `priced as ${pricedAs}, scaled by ${fallback} and blended towards it (${Math.round(weight * 100)}%)`;
  return `priced as ${pricedAs}, scaled by ${fallback}`;
}

/**
 * Notes for one table (as a whole-table shard) under `env`: each input outside
 * the ranges, with the range and how the guard prices it. `model` and
 * `fallback` are the names shown to users.
 */
export function rangeNotes(s: Shard, env: CostEnv, r: TrainingRanges, model: string, fallback: string, dtype?: string): RangeNote[] {
  const notes: RangeNote[] = [];
  const bags = s.bags ?? env.batchSize;
  const add = (input: RangeNote['input'], value: number | string, range: string, weight: number, pricedAs: string) => {
    notes.push({
      input,
      value,
      range,
      message: `${input} ${typeof value === 'number' ? fmt(value) : value} is outside what ${model} was measured on (${range}): ${how(weight, fallback, pricedAs)}.`,
    });
  };
  if (logOutside(s.rows, r.rows) > 0) add('rows', s.rows, `${span(r.rows)} rows`, weightOfLog(logOutside(s.rows, r.rows)), `${fmt(clamp(s.rows, r.rows))} rows`);
  if (!r.dims.includes(s.dim)) {
    const w = weightOfLog(logOutside(s.dim, r.dim));
    const note: RangeNote = {
      input: 'dim',
      value: s.dim,
      range: `dims ${r.dims.join(', ')}`,
      message: `dim ${s.dim} was never measured by ${model} (dims ${r.dims.join(', ')}): ${how(w, fallback, `dim ${nearestDim(s.dim, r.dims)}`)}.`,
    };
    // Inside [min, max] dim the learned number is kept (no fade), only moved
    // to the neighbouring measured dim by the analytic model's ratio: a note
    // for hover, not a warning on every such table.
    if (logOutside(s.dim, r.dim) === 0) note.level = 'info';
    notes.push(note);
  }
  if (logOutside(s.pooling, r.pooling) > 0)
    add('pooling', s.pooling, `pooling ${span(r.pooling)}`, weightOfLog(logOutside(s.pooling, r.pooling)), `pooling ${fmt(clamp(s.pooling, r.pooling))}`);
  if (s.zipf < r.alpha[0] || s.zipf > r.alpha[1]) {
    const w = Math.min(1, Math.max(r.alpha[0] - s.zipf, s.zipf - r.alpha[1]) / FULL_FALLBACK_ALPHA);
    add('zipf', s.zipf, `zipf ${span(r.alpha)}`, w, `zipf ${fmt(clamp(s.zipf, r.alpha))}`);
  }
  if (logOutside(bags, r.batch) > 0) add('batch_size', bags, `batch ${span(r.batch)}`, weightOfLog(logOutside(bags, r.batch)), `batch ${fmt(clamp(bags, r.batch))}`);
  if (dtype && !r.dtypes.includes(dtype)) {
    notes.push({
      input: 'dtype',
      value: dtype,
      range: r.dtypes.join(', '),
      message: `dtype ${dtype} was never measured by ${model} (${r.dtypes.join(', ')}): priced by its bytes per element (${s.dtypeBytes}).`,
    });
  }
  if (!r.optimizers.includes(env.optimizer)) {
    notes.push({
      input: 'optimizer',
      value: env.optimizer,
      range: r.optimizers.join(', '),
      message: `optimizer ${env.optimizer} was never measured by ${model} (${r.optimizers.join(', ')}): priced with ${r.optimizers[0]}, plus the optimizer's extra work (state traffic and eager ops) from ${fallback}.`,
    });
  }
  return notes;
}

/** A note for a GPU running `n` tables, when that is more than any measured set. */
export function setSizeNote(n: number, r: TrainingRanges, model: string, fallback: string): RangeNote | undefined {
  if (n <= r.tablesPerSet[1]) return undefined;
  const w = setSizeWeight(n, r);
  return {
    input: 'tables_per_gpu',
    value: n,
    range: `${span(r.tablesPerSet)} tables per GPU`,
    message:
      `${n} tables on one GPU is more than ${model} was measured on (${span(r.tablesPerSet)} per set): ` +
      (w >= 1
        ? `priced by ${fallback} alone.`
        : `priced in groups of at most ${r.tablesPerSet[1]} tables, scaled to the whole set by ${fallback}${w > 0 ? ` and blended towards it (${Math.round(w * 100)}%)` : ''}.`),
  };
}
