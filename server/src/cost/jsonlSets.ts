/**
 * Reads the measured-sets JSONL format (models/data/h100/README.md; the
 * collector in models/ writes the same) into cost-model inputs, for
 * `shardlens predict --sets FILE.jsonl` and the accuracy benchmark.
 * One line = one set of tables on one GPU; measured fields (`fwd_ms`,
 * `bwd_ms`, `singles`, per-table `n_idx`/`unique`/`top1pct_share`) are optional.
 * Bad lines become located errors ("line 7: tables[2].dim must be ..."), never
 * exceptions; good lines are still returned.
 */
import { excerpt } from '../config/excerpt';
import { describeRange, inRange, keyInfo, type KeyInfo } from '../config/keys';
import { DTYPE_BYTES, KERNELS, type DeviceSpec, type Dtype, type Kernel, type Optimizer } from '../config/types';
import type { ComputeCost, CostEnv, CostModel, Shard } from './types';

export interface JsonlSet {
  id: string;
  /** 1-based line number in the file. */
  line: number;
  shards: Shard[];
  env: CostEnv;
  /** Present when the line holds measured `fwd_ms` and `bwd_ms`. */
  measured?: ComputeCost;
  /** Each table measured alone, in order, when the line has `singles`. */
  singles?: ComputeCost[];
  /** The line's `device_type` (set-spec lines from `shardlens measure` carry it). */
  deviceType?: string;
}

export interface JsonlError {
  /** 1-based line number. */
  line: number;
  message: string;
}

export interface JsonlSetsResult {
  sets: JsonlSet[];
  errors: JsonlError[];
}

export interface JsonlOptions {
  /** Device the sets are scored for (the measurements' GPU). */
  device: DeviceSpec;
  /** The data's backward includes a plain SGD update (models/data/h100/README.md); default 'sgd'. */
  optimizer?: Optimizer;
  /**
   * The kernel every set runs (`predict --kernel`). Default: each line's
   * `kernel` field, else torch_embedding_bag (what the collector measures
   * unless told otherwise).
   */
  kernel?: Kernel;
}

/** Kernel of a line whose `kernel` field is absent. */
export const JSONL_DEFAULT_KERNEL: Kernel = 'torch_embedding_bag';

const HIST_BINS = 17;
const OPTIMIZERS: readonly Optimizer[] = ['sgd', 'adagrad', 'rowwise_adagrad', 'adam'];

function isDtype(v: unknown): v is Dtype {
  return v === 'fp32' || v === 'fp16' || v === 'bf16';
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function positive(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0;
}

/*
 * The fields take the ranges of the config keys they stand for (keys.ts), so
 * `predict` refuses what `check` refuses: `batch: 1e300` is an integer to
 * JavaScript but no batch size (it used to predict null with exit 0), and
 * `alpha: 20` is outside the skew any model was fitted on.
 */
const RANGES = {
  batch: keyInfo('top', 'batch_size')!,
  rows: keyInfo('table', 'rows')!,
  dim: keyInfo('table', 'dim')!,
  pooling: keyInfo('table', 'pooling')!,
  alpha: keyInfo('table', 'zipf')!,
};

/** Why `v` is not a valid value of `info` (type, wholeness, range), or undefined if it is. */
function rangeProblem(v: unknown, info: KeyInfo, label: string, what: string): string | undefined {
  const shown = excerpt(JSON.stringify(v) ?? String(v));
  if (typeof v !== 'number' || !Number.isFinite(v)) return `${label} must be ${what}, not ${shown}`;
  if (info.kind === 'integer' && !Number.isSafeInteger(v)) return `${label} must be a whole number ${describeRange(info)}, not ${shown}`;
  if (!inRange(info, v)) return `${label} must be ${describeRange(info)}, not ${shown}`;
  return undefined;
}

function measuredPair(v: Record<string, unknown>): ComputeCost | undefined {
  return positive(v.fwd_ms) && positive(v.bwd_ms) ? { fwdMs: v.fwd_ms, bwdMs: v.bwd_ms } : undefined;
}

/** Parse one JSON value of a line; returns the set or an error message. */
function parseRecord(rec: unknown, line: number, opts: JsonlOptions): JsonlSet | string {
  if (!isObj(rec)) return 'expected a JSON object';
  const id = typeof rec.id === 'string' || typeof rec.id === 'number' ? String(rec.id) : `line-${line}`;
  const badBatch = rangeProblem(rec.batch, RANGES.batch, '"batch"', 'a whole number of bags per table per step');
  if (badBatch) return badBatch;
  const dtype = rec.dtype ?? 'fp32';
  if (!isDtype(dtype)) return `"dtype" must be "fp32", "fp16" or "bf16", got ${JSON.stringify(dtype)}`;
  const optimizer = rec.optimizer ?? opts.optimizer ?? 'sgd';
  if (!OPTIMIZERS.includes(optimizer as Optimizer)) return `"optimizer" must be one of ${OPTIMIZERS.join(', ')}`;
  if (!Array.isArray(rec.tables) || rec.tables.length === 0) return '"tables" must be a non-empty array';
  if (rec.kernel !== undefined && !(KERNELS as readonly unknown[]).includes(rec.kernel)) {
    return `"kernel" must be one of ${KERNELS.map((k) => `"${k}"`).join(', ')}, got ${JSON.stringify(rec.kernel).slice(0, 40)}`;
  }
  const kernel: Kernel = opts.kernel ?? (rec.kernel as Kernel | undefined) ?? JSONL_DEFAULT_KERNEL;
  const shards: Shard[] = [];
  for (let i = 0; i < rec.tables.length; i++) {
    const t = rec.tables[i];
    const at = `tables[${i}]`;
    if (!isObj(t)) return `${at} must be an object`;
    const bad =
      rangeProblem(t.rows, RANGES.rows, `${at}.rows`, 'a whole number of rows') ??
      rangeProblem(t.dim, RANGES.dim, `${at}.dim`, 'a whole number of elements per row') ??
      rangeProblem(t.pooling, RANGES.pooling, `${at}.pooling`, 'a number (mean lookups per bag)') ??
      rangeProblem(t.alpha ?? t.zipf ?? 0, RANGES.alpha, `${at}.alpha`, 'a number (0 = uniform)');
    if (bad) return bad;
    const alpha = (t.alpha ?? t.zipf ?? 0) as number;
    let histogram: number[] | undefined;
    if (t.histogram !== undefined) {
      const h = t.histogram;
      if (!Array.isArray(h) || h.length !== HIST_BINS || !h.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)) {
        return `${at}.histogram must be ${HIST_BINS} non-negative numbers`;
      }
      histogram = h as number[];
    }
    const tdtype = t.dtype ?? dtype;
    if (!isDtype(tdtype)) return `${at}.dtype must be "fp32", "fp16" or "bf16"`;
    // Set-spec lines (`shardlens measure`) say which kernel ran each shard;
    // `--kernel` overrides every line; else the line's kernel, else the campaign's.
    const tableKernel = opts.kernel ?? t.kernel ?? kernel;
    if (!(KERNELS as readonly string[]).includes(tableKernel as string)) return `${at}.kernel must be one of ${KERNELS.join(', ')}`;
    if (t.bags !== undefined && !(Number.isInteger(t.bags) && (t.bags as number) > 0)) return `${at}.bags must be a positive integer`;
    const block =
      isObj(t.block) && Number.isInteger(t.block.offset) && Number.isInteger(t.block.table_rows)
        ? { offset: t.block.offset as number, tableRows: t.block.table_rows as number, ids: t.block.ids === 'sorted' ? ('sorted' as const) : ('hashed' as const) }
        : undefined;
    shards.push({
      table: typeof t.name === 'string' ? t.name : `t${i}`,
      rows: t.rows as number,
      dim: t.dim as number,
      pooling: t.pooling as number,
      zipf: alpha,
      ...(histogram ? { histogram } : {}),
      dtypeBytes: DTYPE_BYTES[tdtype as Dtype],
      kernel: tableKernel as Kernel,
      ...(t.bags !== undefined ? { bags: t.bags as number } : {}),
      ...(block ? { block } : {}),
      ...(typeof t.cache_load_factor === 'number' ? { cacheLoadFactor: t.cache_load_factor } : {}),
    });
  }
  const set: JsonlSet = {
    id,
    line,
    shards,
    env: { batchSize: rec.batch as number, optimizer: optimizer as Optimizer, device: opts.device },
  };
  if (typeof rec.device_type === 'string' && rec.device_type) set.deviceType = rec.device_type;
  const m = measuredPair(rec);
  if (m) set.measured = m;
  if (Array.isArray(rec.singles) && rec.singles.length === shards.length) {
    const singles = rec.singles.map((s) => (isObj(s) ? measuredPair(s) : undefined));
    if (singles.every((s): s is ComputeCost => s !== undefined)) set.singles = singles;
  }
  return set;
}

/** Parse JSONL text; blank lines are skipped. */
export function parseJsonlSets(text: string, opts: JsonlOptions): JsonlSetsResult {
  const sets: JsonlSet[] = [];
  const errors: JsonlError[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const src = lines[i].trim();
    if (src === '') continue;
    const line = i + 1;
    let rec: unknown;
    try {
      rec = JSON.parse(src);
    } catch (e) {
      errors.push({ line, message: `line ${line}: invalid JSON` });
      continue;
    }
    const r = parseRecord(rec, line, opts);
    if (typeof r === 'string') errors.push({ line, message: `line ${line}: ${r}` });
    else sets.push(r);
  }
  return { sets, errors };
}

/**
 * Prices every set with `model`, in input order: predict() takes one
 * environment per call, so the sets go in one call per distinct batch size
 * and optimizer (`predict`, `calibrate` and `bench:cost` all price files so).
 */
export async function predictJsonlSets(model: CostModel, sets: readonly JsonlSet[]): Promise<ComputeCost[]> {
  const groups = new Map<string, number[]>();
  sets.forEach((s, i) => {
    const key = `${s.env.batchSize}|${s.env.optimizer}`;
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  });
  const out = new Array<ComputeCost>(sets.length);
  for (const idx of groups.values()) {
    const res = await model.predict(
      idx.map((i) => sets[i].shards),
      sets[idx[0]].env,
    );
    idx.forEach((i, k) => {
      out[i] = res[k];
    });
  }
  return out;
}
