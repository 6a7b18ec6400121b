/**
 * The published-measurement format of models/data/fbgemm-published.jsonl
 * (fields described in models/data/fbgemm-published.md): FBGEMM TBE / TorchRec
 * timings copied from public pull requests, issues and papers, each with its
 * URL, the quoted lines the numbers come from, the GPU, the shape, precision
 * and optimizer. This module parses the JSONL (bad lines become located
 * errors, never exceptions) and turns a record into cost-model inputs: the
 * shards of one GPU, the env, and the options the FBGEMM model needs for
 * non-training variants (nobag index select, int8 output).
 */
import type { DeviceSpec, Optimizer } from '../config/types';
import { GPU_PRESETS } from '../config/presets';
import type { TrafficOptions } from './fbgemm';
import type { CostEnv, Shard } from './types';

/** Which FBGEMM operator the figure times. */
export type PublishedOp =
  /** SplitTableBatchedEmbeddingBagsCodegen: training forward and fused backward + optimizer. */
  | 'tbe_training'
  /** IntNBitTableBatchedEmbeddingBagsCodegen: inference forward only. */
  | 'tbe_inference_nbit'
  /** batch_index_select_dim0: the TBE codegen in nobag mode, gradient into a dense tensor, no optimizer (FBGEMM PR #1897). */
  | 'tbe_index_select';

export type PublishedPrecision = 'fp32' | 'fp16' | 'bf16' | 'int8';

export interface PublishedSource {
  url: string;
  title: string;
  /** ISO date of the post the numbers come from, when the stored copy shows it. */
  date?: string;
  /** Further URLs that hold the same figures or the GPU statement. */
  alsoUrls?: string[];
  /** The lines the numbers (and the GPU, shape) come from, verbatim. */
  quote: string[];
}

export interface PublishedGpuSpec {
  /** Preset whose numbers are used unless overridden below. */
  preset?: string;
  hbmGBps: number;
  l2Bytes: number;
  sms: number;
  /** Where these numbers come from. */
  source: string;
}

export interface PublishedShape {
  tables: number;
  /** Bags per table (indices per table without pooling). */
  batch: number;
  /** Lookups per bag (1 without pooling). */
  pooling: number;
  dim: number;
  rows: number;
  pooled: boolean;
  /** Index distribution: uniform, or a power law with exponent alpha. */
  distribution: { kind: 'uniform' } | { kind: 'powerlaw'; alpha: number; note?: string };
  cacheLoadFactor?: number;
}

export interface PublishedMeasured {
  fwdMs?: number;
  bwdMs?: number;
  fwdBwdMs?: number;
  /** How the figure was aggregated (mean of N iterations, P50, ...). */
  statistic: string;
}

export interface PublishedRecord {
  id: string;
  /** 1-based line in the file. */
  line: number;
  source: PublishedSource;
  /** The GPU as the source names it (or as inferred, see gpuEvidence). */
  gpu: string;
  /** How the GPU is known: "stated" or a sentence on how it was inferred. */
  gpuEvidence: string;
  gpuSpec: PublishedGpuSpec;
  benchmark: string;
  op: PublishedOp;
  kernel: 'fbgemm_tbe' | 'fbgemm_tbe_uvm_caching';
  shape: PublishedShape;
  weights: PublishedPrecision;
  output: PublishedPrecision;
  optimizer: Optimizer | 'none';
  measured: PublishedMeasured;
  conversion?: { from: string; formula: string; formulaSource: string };
  defaults?: { field: string; value: unknown; source: string }[];
  notes?: string;
}

export interface PublishedError {
  line: number;
  message: string;
}

const OPS: readonly PublishedOp[] = ['tbe_training', 'tbe_inference_nbit', 'tbe_index_select'];
const PRECISIONS: readonly PublishedPrecision[] = ['fp32', 'fp16', 'bf16', 'int8'];
const OPTIMIZERS: readonly (Optimizer | 'none')[] = ['sgd', 'rowwise_adagrad', 'adagrad', 'adam', 'none'];

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function pos(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0;
}
function int(v: unknown): v is number {
  return pos(v) && Number.isInteger(v);
}
function str(v: unknown): v is string {
  return typeof v === 'string' && v.trim().length > 0;
}

function parseOne(rec: unknown, line: number): PublishedRecord | string {
  if (!isObj(rec)) return 'expected a JSON object';
  if (!str(rec.id)) return 'id must be a non-empty string';
  const src = rec.source;
  if (!isObj(src)) return 'source must be an object';
  if (!str(src.url) || !/^https:\/\//.test(src.url)) return 'source.url must be an https URL';
  if (!str(src.title)) return 'source.title must be a string';
  if (src.date !== undefined && !(str(src.date) && /^\d{4}-\d{2}-\d{2}$/.test(src.date))) return 'source.date must be YYYY-MM-DD';
  if (!Array.isArray(src.quote) || src.quote.length === 0 || !src.quote.every(str)) return 'source.quote must be a non-empty list of strings';
  if (src.alsoUrls !== undefined && (!Array.isArray(src.alsoUrls) || !src.alsoUrls.every((u) => str(u) && /^https:\/\//.test(u)))) return 'source.alsoUrls must be https URLs';
  if (!str(rec.gpu)) return 'gpu must be a non-empty string';
  if (!str(rec.gpuEvidence)) return 'gpuEvidence must say "stated" or how the GPU was inferred';
  const g = rec.gpuSpec;
  if (!isObj(g)) return 'gpuSpec must be an object';
  if (!pos(g.hbmGBps) || !pos(g.l2Bytes) || !int(g.sms)) return 'gpuSpec needs positive hbmGBps, l2Bytes and integer sms';
  if (!str(g.source)) return 'gpuSpec.source must say where the numbers come from';
  if (g.preset !== undefined && !(typeof g.preset === 'string' && g.preset in GPU_PRESETS)) return `gpuSpec.preset must be one of ${Object.keys(GPU_PRESETS).join(', ')}`;
  if (!str(rec.benchmark)) return 'benchmark must be a string';
  if (!OPS.includes(rec.op as PublishedOp)) return `op must be one of ${OPS.join(', ')}`;
  if (rec.kernel !== 'fbgemm_tbe' && rec.kernel !== 'fbgemm_tbe_uvm_caching') return 'kernel must be fbgemm_tbe or fbgemm_tbe_uvm_caching';
  const s = rec.shape;
  if (!isObj(s)) return 'shape must be an object';
  for (const f of ['tables', 'batch', 'dim', 'rows'] as const) if (!int(s[f])) return `shape.${f} must be a positive integer`;
  if (!pos(s.pooling)) return 'shape.pooling must be positive';
  if (typeof s.pooled !== 'boolean') return 'shape.pooled must be true or false';
  const d = s.distribution;
  if (!isObj(d) || (d.kind !== 'uniform' && !(d.kind === 'powerlaw' && typeof d.alpha === 'number' && d.alpha >= 0)))
    return 'shape.distribution must be {kind: uniform} or {kind: powerlaw, alpha}';
  if (s.cacheLoadFactor !== undefined && !(pos(s.cacheLoadFactor) && s.cacheLoadFactor <= 1)) return 'shape.cacheLoadFactor must be in (0, 1]';
  // The cost models' rows are 2 or 4 bytes wide (Shard.dtypeBytes).
  if (rec.weights !== 'fp32' && rec.weights !== 'fp16' && rec.weights !== 'bf16') return 'weights must be fp32, fp16 or bf16';
  if (!PRECISIONS.includes(rec.output as PublishedPrecision)) return `output must be one of ${PRECISIONS.join(', ')}`;
  if (!OPTIMIZERS.includes(rec.optimizer as Optimizer)) return `optimizer must be one of ${OPTIMIZERS.join(', ')}`;
  const m = rec.measured;
  if (!isObj(m)) return 'measured must be an object';
  if (!pos(m.fwdMs) && !pos(m.bwdMs) && !pos(m.fwdBwdMs)) return 'measured needs at least one of fwdMs, bwdMs, fwdBwdMs (positive ms)';
  for (const f of ['fwdMs', 'bwdMs', 'fwdBwdMs'] as const) if (m[f] !== undefined && !pos(m[f])) return `measured.${f} must be positive`;
  if (!str(m.statistic)) return 'measured.statistic must say how the figure was aggregated';
  if (rec.op === 'tbe_inference_nbit' && (m.bwdMs !== undefined || m.fwdBwdMs !== undefined)) return 'an inference record has a forward time only';
  if (rec.op === 'tbe_training' && rec.optimizer === 'none') return 'a training record needs its optimizer';
  return { ...(rec as unknown as PublishedRecord), line };
}

/** Parse the JSONL text; blank lines and lines starting with // are skipped. */
export function parsePublishedRecords(text: string): { records: PublishedRecord[]; errors: PublishedError[] } {
  const records: PublishedRecord[] = [];
  const errors: PublishedError[] = [];
  const seen = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const t = raw.trim();
    if (!t || t.startsWith('//')) return;
    let json: unknown;
    try {
      json = JSON.parse(t);
    } catch (e) {
      errors.push({ line, message: `not JSON: ${e instanceof Error ? e.message : String(e)}` });
      return;
    }
    const r = parseOne(json, line);
    if (typeof r === 'string') errors.push({ line, message: r });
    else if (seen.has(r.id)) errors.push({ line, message: `duplicate id ${r.id}` });
    else {
      seen.add(r.id);
      records.push(r);
    }
  });
  return { records, errors };
}

const BYTES: Record<PublishedPrecision, number> = { fp32: 4, fp16: 2, bf16: 2, int8: 1 };

/** The device a record was measured on, as a DeviceSpec (one GPU). */
export function publishedDevice(r: PublishedRecord): DeviceSpec {
  const base = r.gpuSpec.preset ? GPU_PRESETS[r.gpuSpec.preset] : undefined;
  return {
    type: r.gpu,
    count: 1,
    perHost: 1,
    reserve: 0,
    memoryBytes: base?.memoryBytes ?? 0,
    nvlinkGBps: base?.nvlinkGBps ?? 0,
    networkGBps: base?.networkGBps ?? 0,
    hostMemoryBytes: base?.hostMemoryBytes ?? 0,
    hbmGBps: r.gpuSpec.hbmGBps,
    l2Bytes: r.gpuSpec.l2Bytes,
    sms: r.gpuSpec.sms,
  };
}

/** A record as cost-model inputs: one shard per table, all on one GPU. */
export interface PublishedInputs {
  shards: Shard[];
  env: CostEnv;
  /** Options the FBGEMM traffic needs for this op (nobag, dense gradient, output bytes). */
  traffic: TrafficOptions;
}

export function publishedInputs(r: PublishedRecord): PublishedInputs {
  const s = r.shape;
  const dtypeBytes: 2 | 4 = BYTES[r.weights] === 4 ? 4 : 2;
  const zipf = s.distribution.kind === 'uniform' ? 0 : s.distribution.alpha;
  const shard: Shard = {
    table: r.id,
    rows: s.rows,
    dim: s.dim,
    pooling: s.pooling,
    zipf,
    dtypeBytes,
    kernel: r.kernel,
    bags: s.batch,
    ...(s.cacheLoadFactor !== undefined ? { cacheLoadFactor: s.cacheLoadFactor } : {}),
  };
  const shards = Array.from({ length: s.tables }, (_, i) => ({ ...shard, table: `${r.id}/${i}` }));
  const optimizer: Optimizer = r.optimizer === 'none' ? 'sgd' : r.optimizer;
  return {
    shards,
    env: { batchSize: s.batch, optimizer, device: publishedDevice(r) },
    traffic: {
      pooled: s.pooled,
      gradient: r.op === 'tbe_index_select' ? 'dense' : 'fused',
      outputBytes: BYTES[r.output],
    },
  };
}

/** The record's measured figures as (forward, backward, forward+backward) ms, each when given. */
export function publishedTargets(r: PublishedRecord): { what: 'fwd' | 'bwd' | 'fwd+bwd'; ms: number }[] {
  const out: { what: 'fwd' | 'bwd' | 'fwd+bwd'; ms: number }[] = [];
  if (r.measured.fwdMs) out.push({ what: 'fwd', ms: r.measured.fwdMs });
  if (r.measured.bwdMs) out.push({ what: 'bwd', ms: r.measured.bwdMs });
  if (r.measured.fwdBwdMs) out.push({ what: 'fwd+bwd', ms: r.measured.fwdBwdMs });
  return out;
}
