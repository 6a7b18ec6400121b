/**
 * Analytic cost model: memory traffic and issue rate of the embedding-bag
 * kernels, with an L2 hit-rate term, per table shard; summed per GPU the way
 * a table-batched kernel fuses tables. Needs no measurements of the user's
 * GPU: every hardware number comes from the device preset, and the handful of
 * constants in ANALYTIC_CONSTANTS were fitted once on the H100 campaign
 * (test/bench/fit-analytic.ts). Units: bytes, GB/s (1e9 B/s), ms.
 *
 * FORWARD (tables of equal dim share one kernel call, as in the data's
 * method and FBGEMM's table-batched embedding; dim groups run back to back and
 * their launches overlap the previous group's work, so the fixed time is paid
 * once per GPU, not per group: charging it per group overestimated fused
 * sets by ~25%):
 *   fwd = t0_fwd + Σ_g max(issue_g, hbm_g, l2_g)
 *   issue_g = Σ_t (n_t + k_bag·B) · ⌈D/32⌉ / (r_sm · SMs)
 *       PyTorch's sum kernel gives each bag ⌈D/32⌉ 32-lane chunks over the
 *       features (aten/src/ATen/native/cuda/EmbeddingBag.cu), so dims ≤ 32 cost
 *       as much issue as D = 32: this is the small-dim penalty, derived from the
 *       kernel instead of Lin et al.'s ×1.1/×1.55 or TorchRec's ×1.15/×1.75
 *       (which it reproduces in spirit: per-byte cost grows as D shrinks).
 *   hbm_g = Σ_t [n_t(1−h_t)·rb + n_t·8 + (B+1)·8 + B·D·w] / (η·HBM)
 *   l2_g  = Σ_t n_t·h_t·rb / (L2_BW_RATIO·HBM)
 *   n = B·pooling lookups, rb = 32·⌈D·w/32⌉ bytes per row read (32-B sectors,
 *   Lin et al. HiPC'22), indices and offsets int64, output B·D·w.
 *   h_t = l2HitRate(E, n, alpha, C) (indexStats.ts: Che's approximation with
 *   cold misses) with C = L2_SHARE·L2 / rb rows. Each table gets the whole
 *   share: bags run in order, and Lin et al.'s tables-in-flight
 *   ⌈SMs·warps/SM / B⌉ is 1–2 for B ≥ 8192.
 *
 * BACKWARD + OPTIMIZER of one dim group (the data's backward is PyTorch's
 * sparse path: gather output gradients per lookup, sort, coalesce duplicates,
 * index_add_ into the weight; FBGEMM's fused backward is cheaper):
 *   bwd = Σ_g (t0_bwd + stream_g + serial_g)
 *       (the serial coalesce tail adds to the streaming kernels rather than
 *       overlapping them: the sum fits the data better than the max)
 *   stream_g = Σ_t [ (2·n_t·rb + U_t·(3·rb + m)) / (η·HBM) + n_t / (r_bwd·SMs) ]
 *       bytes per lookup: the gathered gradient row written, then re-read by
 *       the coalesce; per unique row: coalesced gradient written, weight row
 *       read and written (the SGD step the data measured), and m, the extra
 *       bytes of a stateful optimizer (OPTIMIZER_PASSES below); U_t from
 *       Che's pass (indexStats.cacheProfile ≈ expectedUnique). The per-lookup
 *       rate r_bwd covers what is not bandwidth: sorting the indices, building
 *       offsets, the segment scan (fitting it replaced an assumed sort-byte
 *       count and a bandwidth multiplier, with a better fit).
 *       Stateful optimizers also pay a fixed time per extra eager op, per
 *       table: torch.optim steps each parameter on its own (no foreach or
 *       fused path for sparse gradients) and nn.EmbeddingBag is one parameter
 *       per table.
 *   serial_g = c_dup · max_t hottest_t
 *       PyTorch's coalesce reduces each unique index's duplicates in one
 *       thread loop (coalesceValuesKernel, aten/src/ATen/native/cuda/
 *       SparseCUDAApplyUtils.cuh), so the hottest row's lookup count
 *       (n·p_0, indexStats.hottestRowShare) serialises:
 *       this is why backward/forward reaches several hundred on skewed data.
 *
 * OTHER GPUs: bandwidth terms scale with the preset's HBM GB/s, issue with its
 * SM count, the L2 term with its L2 size; t0 and c_dup (launch overhead and a
 * dependent-load latency) are kept.
 */
import { bandOf, type ErrorBands } from './errorBands';
import { cacheProfile, hottestRowShare } from './indexStats';
import { histogramStats } from './features';
import { blockCacheProfile, rowBlockStats } from './rowBlocks';
import { shardCostKey } from './shardKey';
import type { ComputeCost, CostEnv, CostModel, SetScorer, Shard } from './types';

/** Every number the model uses that is not a device spec. */
export interface AnalyticConstants {
  /** Fitted: fixed time of one forward kernel call (launch + tail), ms. */
  t0FwdMs: number;
  /** Fitted: 32-lane chunk-lookups issued per µs per SM. */
  chunkRatePerSm: number;
  /** Fitted: per-bag work (offsets, output write) in lookup equivalents. */
  bagOverhead: number;
  /** Fitted: fixed time of the backward chain of one call (≈ 10 kernels), ms. */
  t0BwdMs: number;
  /** Fitted: lookups per µs per SM through the backward's sort/scan work. */
  bwdLookupRatePerSm: number;
  /** Fitted: µs per duplicate of the hottest row in the serial coalesce loop. */
  dupUs: number;
  /** Achievable fraction of spec HBM bandwidth: 89–91% measured by Lin et al. (ml_perf_model, A100/V100). */
  hbmEfficiency: number;
  /** L2 bandwidth / HBM bandwidth: 2,271/1,391 GB/s measured on A100 by Lin et al. (ml_perf_model). */
  l2BandwidthRatio: number;
  /**
   * Share of L2 that holds embedding rows. Lin et al. give 0.9·L2 to the
   * tables in flight; half is kept here because indices, offsets and outputs
   * stream through the same cache [assumption, not fitted].
   */
  l2Share: number;
}

/**
 * The six fitted numbers come from the training split of
 * models/data/h100/embedding-costs.jsonl (the learned model's split: held out
 * when int(sha256(id)[:8], 16) % 100 < 20; training singles included),
 * minimising the squared log error of fwd and bwd separately:
 *   node --import tsx test/bench/fit-analytic.ts
 * Held-out accuracy (316 sets): fwd geometric-mean error factor ×1.22, MAPE
 * 19.4%; bwd ×1.22, 19.4%; fwd+bwd ×1.21, 18.9%. (TorchRec-style estimate on
 * the same data: ×2.2 fwd, ×11 bwd, data README.)
 */
export const ANALYTIC_CONSTANTS: Readonly<AnalyticConstants> = {
  t0FwdMs: 0.03896,
  chunkRatePerSm: 107,
  bagOverhead: 2.961,
  t0BwdMs: 0.376,
  bwdLookupRatePerSm: 9.229,
  dupUs: 0.2328,
  hbmEfficiency: 0.9,
  l2BandwidthRatio: 1.6,
  l2Share: 0.5,
};

/**
 * What PyTorch's sparse optimizers add to the SGD step the H100 data measured,
 * per distinct row of a step, counted from their eager code (each op reads and
 * writes its operands once; w = the weight's bytes per element, as the state
 * tensors are `zeros_like(param)`):
 * - adagrad (torch/optim/adagrad.py, sparse branch of _single_tensor_adagrad):
 *   grad²; index-add into the sum; sparse_mask of the sum; sqrt_; add_(eps);
 *   grad / std: 14 element reads+writes per element, 6 ops.
 * - adam (torch.optim.SparseAdam, torch/optim/_functional.py sparse_adam): two
 *   sparse_masks, the two moment updates (sub, mul_, index-add; pow, sub_,
 *   mul_, index-add), numer/denom adds, sqrt_, add_(eps), the step scale and
 *   div_: 37 element reads+writes, 15 ops.
 * - rowwise_adagrad (FBGEMM's optimizer; PyTorch has none, so this prices the
 *   same ops written with one fp32 per row): grad² and its row mean (3
 *   element reads+writes), the scale of the gradient (2), ~10 fp32 of row
 *   state work; 7 ops.
 * The fixed time per op is the fitted backward chain's per kernel (t0_bwd over
 * its ≈ 10 kernels): an assumption, as the data has no stateful optimizer.
 */
export const OPTIMIZER_PASSES: Readonly<Record<CostEnv['optimizer'], { elementTransfers: number; rowBytes: number; ops: number }>> = {
  sgd: { elementTransfers: 0, rowBytes: 0, ops: 0 },
  adagrad: { elementTransfers: 14, rowBytes: 0, ops: 6 },
  rowwise_adagrad: { elementTransfers: 5, rowBytes: 10 * 4, ops: 7 },
  adam: { elementTransfers: 37, rowBytes: 0, ops: 15 },
};
/** Kernels in the measured SGD backward chain, for the per-op fixed time above. */
const BWD_CHAIN_KERNELS = 10;

/**
 * The model's ± (errorBands.ts): 68% of the held-out split's sets (316, the
 * learned model's split of models/data/h100) were within these relative
 * errors of fwd + bwd, by predicted size: < 1 ms ±30% (126 sets), 1–10 ms
 * ±23% (114), ≥ 10 ms ±23% (76). Recomputed by `npm run fit:analytic`.
 */
export const ANALYTIC_ERROR: ErrorBands = {
  quantile: 0.68,
  bins_ms: [1, 10],
  rel: [0.299, 0.226, 0.226],
  n: [126, 114, 76],
  source: 'held-out split of the H100 campaign (models/data/h100-split.json), npm run fit:analytic',
};

/** Constant-free quantities of one shard under one environment (bytes, counts). */
export interface ShardTraffic {
  dim: number;
  /** Lookups per step, n = B·pooling. */
  lookups: number;
  /** Bags per step. */
  bags: number;
  /** 32-lane chunks per bag: ⌈D/32⌉. */
  chunks: number;
  /** Bytes read per row, rounded up to 32-B sectors. */
  rowBytes: number;
  /** Expected share of lookups hitting L2. */
  hitRate: number;
  /** Expected distinct rows. */
  unique: number;
  /** Expected lookups of the hottest row. */
  hottest: number;
  /** Output bytes per bag: D·w. */
  outBytesPerBag: number;
  /** Bytes a stateful optimizer adds per unique row (0 for sgd). */
  stateBytesPerRow: number;
  /** Eager ops a stateful optimizer adds per shard (0 for sgd). */
  optimizerOps: number;
}

/** Per-shard times before the group max: the prepared scorer sums these. */
interface ShardTerms {
  dim: number;
  issueMs: number;
  hbmMs: number;
  l2Ms: number;
  streamMs: number;
  serialMs: number;
}

function num(x: number, fallback = 0): number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : fallback;
}

/**
 * Optimizer state bytes read + written per updated row: rowwise_adagrad one
 * fp32 per row, adagrad one fp32 per element (PyTorch's `state_sum`), adam two
 * fp32 per element (exp_avg, exp_avg_sq); each read and written once.
 */
export function optimizerStateBytes(optimizer: CostEnv['optimizer'], dim: number): number {
  switch (optimizer) {
    case 'rowwise_adagrad':
      return 2 * 4;
    case 'adagrad':
      return 2 * 4 * dim;
    case 'adam':
      return 2 * 2 * 4 * dim;
    default:
      return 0;
  }
}

/** Constant-free traffic of one shard (the expensive part: index statistics). */
export function shardTraffic(shard: Shard, env: CostEnv, k: Readonly<AnalyticConstants> = ANALYTIC_CONSTANTS): ShardTraffic {
  const rows = Math.max(1, num(shard.rows, 1));
  const dim = Math.max(1, num(shard.dim, 1));
  const w = shard.dtypeBytes === 2 ? 2 : 4;
  // A data-parallel replica serves its local bags; every other shard the global batch.
  const bags = num(shard.bags ?? env.batchSize);
  const lookups = bags * num(shard.pooling);
  const alpha = num(shard.zipf);
  const rowBytes = 32 * Math.ceil((dim * w) / 32);
  const cacheRows = (k.l2Share * num(env.device?.l2Bytes)) / rowBytes;
  // A row block is priced from its own rows' statistics (rowBlocks.ts): the
  // block holding the hot rows gets their lookups, repeats and serial tail.
  const block = rowBlockStats(shard, bags);
  const profile = block ? blockCacheProfile(block, cacheRows) : cacheProfile(rows, lookups, alpha, cacheRows);
  const hitRate = profile.hitRate;
  let unique = profile.unique;
  let hottest = block ? block.hottestLookups : lookups * hottestRowShare(rows, alpha);
  const hist = shard.histogram;
  if (hist && hist.length === 17 && hist.every((v) => Number.isFinite(v) && v >= 0) && hist.some((v) => v > 0) && lookups > 0) {
    // A measured reuse histogram overrides the power-law guess (the L2 hit
    // rate keeps the zipf estimate: the histogram has no rank order).
    ({ unique, hottest } = histogramStats(hist, rows, lookups));
  }
  const opt = OPTIMIZER_PASSES[env.optimizer] ?? OPTIMIZER_PASSES.sgd;
  return {
    dim,
    lookups,
    bags,
    chunks: Math.ceil(dim / 32),
    rowBytes,
    hitRate,
    unique,
    hottest,
    outBytesPerBag: dim * w,
    stateBytesPerRow: opt.elementTransfers * dim * w + opt.rowBytes,
    optimizerOps: lookups > 0 ? opt.ops : 0,
  };
}

/** The bytes one shard moves per step, by where and which way; what its times are priced from. */
export interface AnalyticShardBytes {
  /** Forward bytes read from HBM: L2-missing row reads (32-B sectors), ids (int64) and offsets. */
  fwdReadBytes: number;
  /** Forward bytes written to HBM: the pooled output, D·w per bag. */
  fwdWrittenBytes: number;
  /** Forward row reads served by L2. */
  fwdL2Bytes: number;
  /** Backward bytes read + written: the gradient scatter (2 row transfers per lookup), then per distinct row the update's 3 and the optimizer state's. */
  bwdBytes: number;
  /** Of bwdBytes, the optimizer state's (0 for sgd). */
  stateBytes: number;
}

/** A shard's bytes from its traffic (the model's one byte count: shardTerms prices exactly these). */
export function analyticShardBytes(t: ShardTraffic): AnalyticShardBytes {
  const { lookups: n, bags: b, rowBytes: rb, hitRate: h } = t;
  const stateBytes = t.unique * t.stateBytesPerRow;
  return {
    fwdReadBytes: n * (1 - h) * rb + n * 8 + (b + 1) * 8,
    fwdWrittenBytes: b * t.outBytesPerBag,
    fwdL2Bytes: n * h * rb,
    bwdBytes: 2 * n * rb + t.unique * 3 * rb + stateBytes,
    stateBytes,
  };
}

/** Per-shard times (ms) from its traffic, the device and the constants. */
function shardTerms(t: ShardTraffic, env: CostEnv, k: Readonly<AnalyticConstants>): ShardTerms {
  const hbm = num(env.device?.hbmGBps) * 1e9 * k.hbmEfficiency; // B/s
  const l2 = hbm > 0 ? (hbm / k.hbmEfficiency) * k.l2BandwidthRatio : 0;
  const sms = Math.max(1, num(env.device?.sms, 1));
  const issueRate = k.chunkRatePerSm * 1e6 * sms; // chunk-lookups/s
  // A device without a bandwidth is a config error reported elsewhere; keep
  // the numbers finite (JSON output, sorting) rather than Infinity.
  const perSec = (bytes: number, bw: number) => (bytes > 0 && bw > 0 ? (bytes / bw) * 1e3 : 0);
  const { lookups: n, bags: b } = t;
  const bytes = analyticShardBytes(t);
  return {
    dim: t.dim,
    issueMs: (((n + k.bagOverhead * b) * t.chunks) / issueRate) * 1e3,
    hbmMs: perSec(bytes.fwdReadBytes + bytes.fwdWrittenBytes, hbm),
    l2Ms: perSec(bytes.fwdL2Bytes, l2),
    streamMs: perSec(bytes.bwdBytes, hbm) + (n / (k.bwdLookupRatePerSm * 1e6 * sms)) * 1e3 + t.optimizerOps * (k.t0BwdMs / BWD_CHAIN_KERNELS),
    serialMs: k.dupUs * 1e-3 * t.hottest,
  };
}

/**
 * Sums per-shard terms per dim group and applies each group's max and fixed
 * cost. O(members); the group accumulators are reused between calls.
 */
class AnalyticScorer implements SetScorer {
  private readonly group: Int32Array;
  private readonly issue: Float64Array;
  private readonly hbm: Float64Array;
  private readonly l2: Float64Array;
  private readonly stream: Float64Array;
  private readonly serial: Float64Array;
  private readonly touched: Int32Array;

  constructor(
    private readonly terms: readonly ShardTerms[],
    private readonly k: Readonly<AnalyticConstants>,
  ) {
    const ids = new Map<number, number>();
    this.group = Int32Array.from(terms, (t) => {
      let g = ids.get(t.dim);
      if (g === undefined) {
        g = ids.size;
        ids.set(t.dim, g);
      }
      return g;
    });
    const groups = ids.size;
    this.issue = new Float64Array(groups);
    this.hbm = new Float64Array(groups);
    this.l2 = new Float64Array(groups);
    this.stream = new Float64Array(groups);
    this.serial = new Float64Array(groups).fill(-1);
    this.touched = new Int32Array(groups);
  }

  score(members: readonly number[]): ComputeCost {
    let nTouched = 0;
    for (const i of members) {
      const t = this.terms[i];
      if (!t) continue;
      const g = this.group[i];
      if (this.serial[g] < 0) {
        this.serial[g] = 0;
        this.touched[nTouched++] = g;
      }
      this.issue[g] += t.issueMs;
      this.hbm[g] += t.hbmMs;
      this.l2[g] += t.l2Ms;
      this.stream[g] += t.streamMs;
      if (t.serialMs > this.serial[g]) this.serial[g] = t.serialMs;
    }
    // An empty GPU launches nothing: 0 ms.
    let fwdMs = nTouched > 0 ? this.k.t0FwdMs : 0;
    let bwdMs = 0;
    for (let j = 0; j < nTouched; j++) {
      const g = this.touched[j];
      fwdMs += Math.max(this.issue[g], this.hbm[g], this.l2[g]);
      bwdMs += this.k.t0BwdMs + this.stream[g] + this.serial[g];
      this.issue[g] = 0;
      this.hbm[g] = 0;
      this.l2[g] = 0;
      this.stream[g] = 0;
      this.serial[g] = -1;
    }
    return nTouched > 0 ? { fwdMs, bwdMs, uncertainty: bandOf(ANALYTIC_ERROR, fwdMs + bwdMs) } : { fwdMs, bwdMs };
  }
}

/** Scorer over precomputed traffic: what the fit script calls with trial constants. */
export function scorerFromTraffic(traffic: readonly ShardTraffic[], env: CostEnv, k: Readonly<AnalyticConstants> = ANALYTIC_CONSTANTS): SetScorer {
  return new AnalyticScorer(
    traffic.map((t) => shardTerms(t, env, k)),
    k,
  );
}

/** Bound on memoised shard traffics per model (~200 B each). */
const TRAFFIC_CACHE_LIMIT = 100_000;

export class AnalyticCostModel implements CostModel {
  readonly source = 'analytic' as const;
  private lastType?: string;
  /** Index statistics cost ~0.1–0.3 ms per shard; editing one table re-derives only it. */
  private readonly traffic = new Map<string, ShardTraffic>();
  /** The same by shard object: repeated calls over one plan's shards skip building keys. */
  private readonly trafficByShard = new WeakMap<Shard, { env: string; t: ShardTraffic }>();

  /** `deviceType` names the model ("analytic: H100-80GB"); otherwise the last env's device type is used. */
  constructor(
    private readonly deviceType?: string,
    private readonly constants: Readonly<AnalyticConstants> = ANALYTIC_CONSTANTS,
  ) {}

  get name(): string {
    return `analytic: ${this.deviceType ?? this.lastType ?? 'GPU'}`;
  }

  /** One scorer over every shard of every set: the same per-shard terms and sums as `prepare`. */
  async predict(sets: readonly (readonly Shard[])[], env: CostEnv): Promise<ComputeCost[]> {
    const scorer = this.prepare(sets.flat(), env);
    let next = 0;
    return sets.map((set) => scorer.score(set.map(() => next++)));
  }

  prepare(shards: readonly Shard[], env: CostEnv): SetScorer {
    if (env?.device?.type) this.lastType = env.device.type;
    const envKey = `${env?.batchSize}|${env?.optimizer}|${env?.device?.l2Bytes}`;
    const traffic = shards.map((s) => {
      const known = this.trafficByShard.get(s);
      if (known && known.env === envKey) return known.t;
      const key = `${envKey}|${shardCostKey(s)}`;
      let t = this.traffic.get(key);
      if (!t) {
        if (this.traffic.size >= TRAFFIC_CACHE_LIMIT) this.traffic.clear();
        t = shardTraffic(s, env, this.constants);
        this.traffic.set(key, t);
      }
      this.trafficByShard.set(s, { env: envKey, t });
      return t;
    });
    return scorerFromTraffic(traffic, env, this.constants);
  }
}
