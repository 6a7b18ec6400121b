/**
 * Analytic cost model of FBGEMM's table-batched embedding (TBE), the kernel
 * TorchRec runs as its `fused` compute kernel, and of its UVM-caching variant.
 * FBGEMM cannot be installed on the project's machines, so the model follows
 * how the kernel works (FBGEMM fbgemm_gpu/codegen/training/{forward,backward}
 * templates; docs/research/torchrec-planner.md §6, perf-models.md §3.2–3.4)
 * and prices the bytes each step moves against the device preset's HBM
 * bandwidth, L2 size and SM count. Units: bytes, GB/s (1e9 B/s), ms.
 *
 * FORWARD (one launch for every table of the GPU). A warp (or a thread group of
 * it) walks one bag: it loads the bag's indices, then each row with vector
 * loads, and writes the pooled row once.
 *   - A row costs its 32-byte sectors, rb = 32·⌈D·w/32⌉, and at least
 *     `minRowBytes`: a row narrower than a cache line leaves lanes idle and
 *     still pays a full DRAM transaction.
 *   - Rows that hit in L2 (Che's LRU approximation, cost/indexStats.ts
 *     `cacheProfile`, on `l2Share` of the L2) move at `l2BandwidthRatio` × HBM.
 *   - Indices (int64) and offsets are read once; the pooled output B·D is
 *     written once (nobag lookups write every row).
 *   - A warp walks its bag's rows one after another, about one memory latency
 *     per row (Little's law): the forward takes at least the longest bag's
 *     chain, and all chains spread over sms × `residentWarpsPerSm` warps. With
 *     few bags (a data-parallel replica, a small batch) this bound, not the
 *     bytes, sets the time. The shards of one GPU run in one launch, so the
 *     scorer adds their bytes and warp-time and takes the longest chain.
 * BACKWARD + FUSED OPTIMIZER (embedding_backward_split_template.cu):
 *   1. linearize (table, row) ids and radix-sort them with their positions:
 *      ⌈log2(rows)/8⌉ passes of 8-bit digits over 8-byte keys + 4-byte values;
 *   2. run-length encode into U distinct rows;
 *   3. accumulate each distinct row's gradients from the output gradient of
 *      every bag that used it. Runs of 32+ go to the CTA-per-row kernel
 *      (max_segment_length_per_warp = 32, embedding_backward_split_host_template.cpp)
 *      and runs of 1,024+ are split across CTAs (max_segment_length_per_cta,
 *      embedding_backward_split_template.cu), so a hot row is not serialised:
 *      skew only shrinks U;
 *   4. update each distinct row once: read + write the row and its optimizer
 *      state (sgd 0, rowwise_adagrad one fp32, adagrad D fp32, adam 2·D fp32,
 *      each read and written), plus stochastic rounding for fp16/bf16 rows.
 *   Output-gradient rows are reused by the L lookups of their bag and stay in
 *   L2 when B·D·4 bytes fit in it.
 * UVM CACHING (fbgemm_tbe_uvm_caching): the rows live in host memory behind an
 * HBM cache of cache_load_factor × rows; the step's distinct rows that miss it
 * (cost/uvmCache.ts, persistent LRU) come over the host link, and as many
 * evicted, updated rows go back; every distinct id probes a 32-way cache set.
 * The kernels then read and update the cached rows in HBM as above.
 * FIXED TIMES: one forward and one backward launch chain per GPU (`t0FwdMs`,
 * `t0BwdMs`), counted once per GPU by the scorer; `fbgemmShardMs` excludes them.
 *
 * Constants: each has its source or is marked as an assumption. They were not
 * refitted: `npm run fit:fbgemm` (test/bench/fit-fbgemm.ts) fits them on the
 * training part of models/data/fbgemm-published.jsonl only when that part
 * holds enough records to identify them, and it does not yet (see
 * models/data/fbgemm-published.md).
 */
import { DEFAULT_CACHE_LOAD_FACTOR } from '../config/keys';
import type { Optimizer } from '../config/types';
import { cacheProfile } from './indexStats';
import { blockCacheProfile, rowBlockStats } from './rowBlocks';
import type { ComputeCost, CostEnv, CostModel, SetScorer, Shard } from './types';
import { blockUvmCacheMisses, uvmCacheMisses } from './uvmCache';

export interface FbgemmConstants {
  /** Fixed time of the forward launch (bounds check + kernel) per GPU, ms [assumption: a few µs of launch plus the small-kernel tail; fit target]. */
  t0FwdMs: number;
  /** Fixed time of the backward chain per GPU (linearize, radix sort, run-length encode, warp and CTA kernels), ms [assumption: ~6 kernels; fit target]. */
  t0BwdMs: number;
  /** Achieved fraction of HBM bandwidth for the forward gather: 2.5–2.8 TB/s of 3.35 on H100 for FBGEMM gather ops (FBGEMM PR #3993). */
  fwdEfficiency: number;
  /** Achieved fraction for the backward chain's bytes [assumption: scattered row updates and sort passes; TorchRec PR #4757 reports 26.5% of peak under a coarser byte count; fit target]. */
  bwdEfficiency: number;
  /** L2 bandwidth / HBM bandwidth (Lin et al., A100: 2,271 / 1,391 GB/s measured). */
  l2BandwidthRatio: number;
  /** Share of L2 holding embedding rows [assumption, as in analytic.ts]. */
  l2Share: number;
  /** Smallest effective transaction per row fetch, bytes: one 128-byte line [assumption; TorchRec's planner charges rows below 32 elements as 32 (shard_estimators.py)]. */
  minRowBytes: number;
  /** Bytes per id per radix-sort pass: 8-byte key + 4-byte value, read and written. */
  sortPassBytesPerId: number;
  /** Bits sorted per radix pass (CUB's 8-bit digits). */
  sortDigitBits: number;
  /** Extra traffic-equivalent bytes per element for stochastic rounding of fp16/bf16 rows [assumption: Philox draws per element]. */
  stochasticRoundingBytesPerElem: number;
  /** Bytes read per distinct id to probe its cache set: 32 ways × 8-byte tag (DEFAULT_ASSOC = 32, fbgemm_gpu/split_table_batched_embeddings_ops_training.py). */
  cacheProbeBytesPerId: number;
  /** Host link for UVM misses, GB/s: TorchRec's HBM_TO_DDR_MEM_BW, 32 GiB/s (torchrec/distributed/planner/constants.py). */
  hostLinkGBps: number;
  /** DRAM load latency for Little's law, µs [assumption: ~0.6 µs, order of published GPU microbenchmarks]. */
  memoryLatencyUs: number;
  /** Independent row loads in flight per SM: one per resident warp, 64 warps per SM on sm_80/sm_90 (CUDA occupancy limits). */
  residentWarpsPerSm: number;
}

export const FBGEMM_CONSTANTS: Readonly<FbgemmConstants> = {
  t0FwdMs: 0.02,
  t0BwdMs: 0.08,
  fwdEfficiency: 0.78,
  bwdEfficiency: 0.45,
  l2BandwidthRatio: 1.6,
  l2Share: 0.5,
  minRowBytes: 128,
  sortPassBytesPerId: 24,
  sortDigitBits: 8,
  stochasticRoundingBytesPerElem: 2,
  cacheProbeBytesPerId: 32 * 8,
  hostLinkGBps: 32 * 1.073741824,
  memoryLatencyUs: 0.6,
  residentWarpsPerSm: 64,
};

/** Optimizer state bytes read + written per distinct row (FBGEMM keeps momentum in fp32). */
export function stateBytesPerRow(optimizer: Optimizer, dim: number): number {
  switch (optimizer) {
    case 'sgd':
      return 0;
    case 'rowwise_adagrad':
      return 2 * 4;
    case 'adagrad':
      return 2 * 4 * dim;
    case 'adam':
      return 2 * 2 * 4 * dim;
  }
}

/** How the rows' gradients are applied. */
export type GradientMode =
  /** TBE training: the optimizer update is fused into backward (the default). */
  | 'fused'
  /** TBE codegen without an optimizer (batch_index_select_dim0): distinct rows' gradients are written into a zero-filled dense gradient of the whole table. */
  | 'dense';

export interface TrafficOptions {
  /** false: nobag lookups (sequence embeddings, index select), one output row per lookup. Default true. */
  pooled?: boolean;
  gradient?: GradientMode;
  /** Output / output-gradient element bytes; default the weights' bytes. */
  outputBytes?: number;
}

/** Bytes one shard moves per step, by where they move; no constants of time. */
export interface FbgemmTraffic {
  /** Lookups per step (bags × pooling). */
  lookups: number;
  /** Expected distinct rows touched per step. */
  unique: number;
  /** Expected share of row fetches served by L2. */
  hitRate: number;
  /** Forward bytes served from HBM: fwdReadBytes + fwdWrittenBytes. */
  fwdHbmBytes: number;
  /** Of those, read: row fetches that miss L2, ids, offsets (and for UVM the cache probes, slot reads and evicted rows). */
  fwdReadBytes: number;
  /** Of those, written: the output (and for UVM the slot writes and rows fetched into the cache). */
  fwdWrittenBytes: number;
  /** Forward bytes served from L2. */
  fwdL2Bytes: number;
  /** Forward units of work: one warp (thread group) per bag, or per lookup without pooling. */
  fwdWarps: number;
  /** Rows each forward warp loads one after another (the bag's pooling; 1 without pooling). */
  fwdChainRows: number;
  /** Backward bytes read + written (sort, gradients, update), all priced at the backward rate. */
  bwdBytes: number;
  /** Of bwdBytes, the optimizer state's (read + written per distinct row; 0 for sgd and dense gradients). */
  stateBytes: number;
  /** Bytes over the host link per step (UVM misses in, evicted rows out). */
  hostBytes: number;
}

function finite(x: number | undefined, fallback = 0): number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : fallback;
}

/**
 * The single place that turns a shard into bytes: everything `fbgemmShardMs`,
 * the scorer and the published-figure pricing charge comes from here.
 */
export function fbgemmShardTraffic(shard: Shard, env: CostEnv, k: Readonly<FbgemmConstants> = FBGEMM_CONSTANTS, opts: TrafficOptions = {}): FbgemmTraffic {
  const zero: FbgemmTraffic = {
    lookups: 0,
    unique: 0,
    hitRate: 0,
    fwdHbmBytes: 0,
    fwdReadBytes: 0,
    fwdWrittenBytes: 0,
    fwdL2Bytes: 0,
    fwdWarps: 0,
    fwdChainRows: 0,
    bwdBytes: 0,
    stateBytes: 0,
    hostBytes: 0,
  };
  const rows = Math.max(1, finite(shard.rows, 1));
  const dim = Math.max(1, finite(shard.dim, 1));
  const w = shard.dtypeBytes === 2 ? 2 : 4;
  const o = opts.outputBytes && opts.outputBytes > 0 ? opts.outputBytes : w;
  const pooled = opts.pooled !== false;
  const bags = finite(shard.bags ?? env?.batchSize);
  const n = bags * finite(shard.pooling);
  const alpha = finite(shard.zipf);
  if (n <= 0) return zero;

  const rb = 32 * Math.ceil((dim * w) / 32);
  const rowEff = Math.max(rb, k.minRowBytes);
  const cacheRows = (k.l2Share * finite(env?.device?.l2Bytes)) / rb;
  // A row block: its own rows' distinct count and hit rate (rowBlocks.ts), not
  // a rows / tableRows share of the whole table's.
  const block = rowBlockStats(shard, bags);
  const { unique, hitRate } = block ? blockCacheProfile(block, cacheRows) : cacheProfile(rows, n, alpha, cacheRows);
  const outRows = pooled ? bags : n;

  // Forward: row gathers (misses from HBM, hits from L2), indices, offsets read; output written.
  let fwdReadBytes = n * (1 - hitRate) * rowEff + 8 * n + 8 * (bags + 1);
  let fwdWrittenBytes = outRows * dim * o;
  const fwdL2Bytes = n * hitRate * rowEff;
  // One bag per warp walking its rows in turn; a nobag lookup is its own unit of work.
  const fwdWarps = pooled ? bags : n;
  const fwdChainRows = pooled ? finite(shard.pooling) : 1;

  // Backward: linearize, radix sort, run-length encode.
  const keyBits = Math.max(1, Math.ceil(Math.log2(rows + 1)));
  const passes = Math.ceil(keyBits / k.sortDigitBits);
  const sortBytes = n * (8 + passes * k.sortPassBytesPerId + 8) + unique * 12;
  // Output gradients: each bag's row is read once per lookup; re-reads hit L2
  // while the B·D gradient fits in the embedding share of L2.
  const gradRowBytes = dim * o;
  const gradOnce = outRows * gradRowBytes;
  const gradReuse = Math.max(0, n - outRows) * gradRowBytes;
  const gradFit = gradOnce > 0 ? Math.min(1, (k.l2Share * finite(env?.device?.l2Bytes)) / gradOnce) : 1;
  const gradBytes = gradOnce + gradReuse * (1 - gradFit) + (gradReuse * gradFit) / k.l2BandwidthRatio;
  let updateBytes: number;
  let stateBytes = 0;
  if ((opts.gradient ?? 'fused') === 'dense') {
    // Zero-fill the whole dense gradient, then write each distinct row's sum.
    updateBytes = rows * dim * w + unique * rowEff;
  } else {
    stateBytes = unique * stateBytesPerRow(env?.optimizer ?? 'sgd', dim);
    updateBytes = unique * 2 * rowEff + stateBytes;
    if (w === 2) updateBytes += unique * dim * k.stochasticRoundingBytesPerElem;
  }
  const bwdBytes = sortBytes + gradBytes + updateBytes;

  let hostBytes = 0;
  if (shard.kernel === 'fbgemm_tbe_uvm_caching') {
    const lf = Math.min(1, Math.max(0, shard.cacheLoadFactor ?? DEFAULT_CACHE_LOAD_FACTOR));
    const misses = block ? blockUvmCacheMisses(block, lf * rows) : uvmCacheMisses(rows, n, alpha, lf * rows);
    // Misses come in; as many evicted rows (updated, so dirty) go back out.
    hostBytes = 2 * misses * rb;
    // Probe the cache set of every distinct id; write and read the per-lookup
    // cache slot (int32 each way); fetched rows written into the cache, evicted ones read out.
    fwdReadBytes += unique * k.cacheProbeBytesPerId + 4 * n + misses * rb;
    fwdWrittenBytes += 4 * n + misses * rb;
  }
  return {
    lookups: n,
    unique,
    hitRate,
    fwdHbmBytes: fwdReadBytes + fwdWrittenBytes,
    fwdReadBytes,
    fwdWrittenBytes,
    fwdL2Bytes,
    fwdWarps,
    fwdChainRows,
    bwdBytes,
    stateBytes,
    hostBytes,
  };
}

/**
 * A shard's times split by what bounds them, so that the scorer can combine
 * the shards of one GPU (their bags run in one launch).
 */
export interface FbgemmTimes {
  /** Forward bytes at the achievable bandwidth, plus host-link time, ms. */
  fwdBytesMs: number;
  /** Forward warp-time: every warp's row chain at one memory latency per row, spread over all resident warps, ms. */
  fwdWarpMs: number;
  /** The longest single warp's chain (a bag's rows one after another), ms. */
  fwdChainMs: number;
  /** Backward bytes at the achievable bandwidth, ms. */
  bwdMs: number;
}

/** Times of `t` on `env.device`, without the per-GPU fixed times. */
export function fbgemmTrafficTimes(t: FbgemmTraffic, env: CostEnv, k: Readonly<FbgemmConstants> = FBGEMM_CONSTANTS): FbgemmTimes {
  const hbm = finite(env?.device?.hbmGBps) * 1e9;
  if (!(hbm > 0)) return { fwdBytesMs: 0, fwdWarpMs: 0, fwdChainMs: 0, bwdMs: 0 };
  const sms = Math.max(1, finite(env?.device?.sms, 1));
  const latencyMs = k.memoryLatencyUs * 1e-3;
  const linkMs = (t.hostBytes / (k.hostLinkGBps * 1e9)) * 1e3;
  const fwdBytesMs = ((t.fwdHbmBytes + t.fwdL2Bytes / k.l2BandwidthRatio) / (k.fwdEfficiency * hbm)) * 1e3 + linkMs;
  // Little's law: with one row load in flight per warp, a GPU keeps at most
  // sms × residentWarpsPerSm loads in flight; few bags or long bags leave
  // bandwidth unused however few bytes they move.
  const fwdWarpMs = (t.fwdWarps * t.fwdChainRows * latencyMs) / (sms * k.residentWarpsPerSm);
  const fwdChainMs = t.fwdWarps > 0 ? t.fwdChainRows * latencyMs : 0;
  const bwdMs = (t.bwdBytes / (k.bwdEfficiency * hbm)) * 1e3;
  return { fwdBytesMs: finite(fwdBytesMs), fwdWarpMs: finite(fwdWarpMs), fwdChainMs: finite(fwdChainMs), bwdMs: finite(bwdMs) };
}

/** Combine the times of the shards fused into one launch: bytes and warp-time add, the longest chain bounds. */
export function combineFbgemmTimes(parts: readonly FbgemmTimes[]): ComputeCost {
  let bytes = 0;
  let warp = 0;
  let chain = 0;
  let bwd = 0;
  for (const p of parts) {
    bytes += p.fwdBytesMs;
    warp += p.fwdWarpMs;
    chain = Math.max(chain, p.fwdChainMs);
    bwd += p.bwdMs;
  }
  return { fwdMs: Math.max(bytes, warp, chain), bwdMs: bwd };
}

/** Forward and backward ms of one shard, before the per-launch fixed times. */
export function fbgemmShardMs(shard: Shard, env: CostEnv, k: Readonly<FbgemmConstants> = FBGEMM_CONSTANTS): ComputeCost {
  return combineFbgemmTimes([fbgemmShardTimes(shard, env, k)]);
}

/** A shard's times (see `FbgemmTimes`), for callers that combine shards themselves. */
export function fbgemmShardTimes(shard: Shard, env: CostEnv, k: Readonly<FbgemmConstants> = FBGEMM_CONSTANTS, opts: TrafficOptions = {}): FbgemmTimes {
  return fbgemmTrafficTimes(fbgemmShardTraffic(shard, env, k, opts), env, k);
}

/**
 * The shards of one GPU in one TBE launch, with the per-GPU fixed times: what
 * `FbgemmCostModel` returns for a set, with traffic options for non-training
 * variants (published figures of nobag index select, int8 output).
 */
export function fbgemmSetMs(shards: readonly Shard[], env: CostEnv, k: Readonly<FbgemmConstants> = FBGEMM_CONSTANTS, opts: TrafficOptions = {}): ComputeCost {
  if (shards.length === 0) return { fwdMs: 0, bwdMs: 0 };
  const c = combineFbgemmTimes(shards.map((s) => fbgemmShardTimes(s, env, k, opts)));
  return { fwdMs: c.fwdMs + k.t0FwdMs, bwdMs: c.bwdMs + k.t0BwdMs };
}

/**
 * A shard's times are computed on its first score, not at prepare: the index
 * statistics cost ~40 µs a shard (cost/indexStats.ts), so preparing 180,000
 * shards eagerly was a 7 s synchronous block nothing could cancel. The
 * planners' first scores come in loops that poll for cancellation and the
 * time budget. `known` carries times across preparations of the same Shard
 * objects (a planner re-prepares its grown catalog).
 */
class FbgemmScorer implements SetScorer {
  private readonly times: (FbgemmTimes | undefined)[];
  private readonly parts: FbgemmTimes[] = [];

  constructor(
    private readonly shards: readonly Shard[],
    private readonly env: CostEnv,
    private readonly k: Readonly<FbgemmConstants>,
    private readonly known: WeakMap<Shard, { env: CostEnv; k: Readonly<FbgemmConstants>; t: FbgemmTimes }>,
  ) {
    this.times = new Array<FbgemmTimes | undefined>(shards.length);
  }

  private timesOf(i: number): FbgemmTimes | undefined {
    let t = this.times[i];
    if (t) return t;
    const s = this.shards[i];
    if (!s) return undefined;
    const c = this.known.get(s);
    if (c && c.env === this.env && c.k === this.k) t = c.t;
    else {
      t = fbgemmShardTimes(s, this.env, this.k);
      this.known.set(s, { env: this.env, k: this.k, t });
    }
    this.times[i] = t;
    return t;
  }

  score(members: readonly number[]): ComputeCost {
    const parts = this.parts;
    parts.length = 0;
    for (const i of members) {
      const t = Number.isInteger(i) && i >= 0 && i < this.times.length ? this.timesOf(i) : undefined;
      if (t) parts.push(t);
    }
    // An empty GPU launches nothing.
    if (parts.length === 0) return { fwdMs: 0, bwdMs: 0 };
    const c = combineFbgemmTimes(parts);
    // One TBE launch chain per GPU: the fixed times once.
    return { fwdMs: c.fwdMs + this.k.t0FwdMs, bwdMs: c.bwdMs + this.k.t0BwdMs };
  }
}

export class FbgemmCostModel implements CostModel {
  readonly source = 'analytic' as const;
  private lastType?: string;
  /** Each Shard object's times under the env object it was priced in (re-preparations reuse them). */
  private readonly known = new WeakMap<Shard, { env: CostEnv; k: Readonly<FbgemmConstants>; t: FbgemmTimes }>();

  constructor(
    private readonly deviceType?: string,
    private readonly constants: Readonly<FbgemmConstants> = FBGEMM_CONSTANTS,
  ) {}

  get name(): string {
    return `fbgemm-tbe analytic: ${this.deviceType ?? this.lastType ?? 'GPU'}`;
  }

  async predict(sets: readonly (readonly Shard[])[], env: CostEnv): Promise<ComputeCost[]> {
    const scorer = this.prepare(sets.flat(), env);
    let next = 0;
    return sets.map((set) => scorer.score(set.map(() => next++)));
  }

  prepare(shards: readonly Shard[], env: CostEnv): SetScorer {
    if (env?.device?.type) this.lastType = env.device.type;
    return new FbgemmScorer(shards, env, this.constants, this.known);
  }
}
