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
 *       read and written, optimizer state m read and written (sgd 0,
 *       rowwise_adagrad 2·4 B, adam 2·2·4·D B); U_t from Che's pass
 *       (indexStats.cacheProfile ≈ expectedUnique). The per-lookup rate r_bwd
 *       covers what is not bandwidth: sorting the indices, building offsets,
 *       the segment scan (fitting it replaced an assumed sort-byte count and
 *       a bandwidth multiplier, with a better fit).
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
import { cacheProfile, hottestRowShare } from './indexStats';
import { histogramStats } from './features';
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
  /** Optimizer state bytes read + written per unique row. */
  stateBytesPerRow: number;
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

/** Constant-free traffic of one shard (the expensive part: index statistics). */
export function shardTraffic(shard: Shard, env: CostEnv, k: Readonly<AnalyticConstants> = ANALYTIC_CONSTANTS): ShardTraffic {
  const rows = Math.max(1, num(shard.rows, 1));
  const dim = Math.max(1, num(shard.dim, 1));
  const w = shard.dtypeBytes === 2 ? 2 : 4;
  // A data-parallel replica serves its local batch (Shard.bags); others the global batch.
  const bags = num(shard.bags ?? env.batchSize);
  const lookups = bags * num(shard.pooling);
  const alpha = num(shard.zipf);
  const rowBytes = 32 * Math.ceil((dim * w) / 32);
  const cacheRows = (k.l2Share * num(env.device?.l2Bytes)) / rowBytes;
  const profile = cacheProfile(rows, lookups, alpha, cacheRows);
  const hitRate = profile.hitRate;
  let unique = profile.unique;
  let hottest = lookups * hottestRowShare(rows, alpha);
  const hist = shard.histogram;
  if (hist && hist.length === 17 && hist.every((v) => Number.isFinite(v) && v >= 0) && hist.some((v) => v > 0) && lookups > 0) {
    // A measured reuse histogram overrides the power-law guess (the L2 hit
    // rate keeps the zipf estimate: the histogram has no rank order).
    ({ unique, hottest } = histogramStats(hist, rows, lookups));
  }
  const stateBytesPerRow = env.optimizer === 'rowwise_adagrad' ? 2 * 4 : env.optimizer === 'adam' ? 2 * 2 * 4 * dim : 0;
  return {
    dim, lookups, bags, chunks: Math.ceil(dim / 32), rowBytes, hitRate, unique, hottest,
    outBytesPerBag: dim * w, stateBytesPerRow,
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
  const { lookups: n, bags: b, rowBytes: rb, hitRate: h } = t;
  const fwdHbmBytes = n * (1 - h) * rb + n * 8 + (b + 1) * 8 + b * t.outBytesPerBag;
  const bwdBytes = 2 * n * rb + t.unique * (3 * rb + t.stateBytesPerRow);
  return {
    dim: t.dim,
    issueMs: (((n + k.bagOverhead * b) * t.chunks) / issueRate) * 1e3,
    hbmMs: perSec(fwdHbmBytes, hbm),
    l2Ms: perSec(n * h * rb, l2),
    streamMs: perSec(bwdBytes, hbm) + (n / (k.bwdLookupRatePerSm * 1e6 * sms)) * 1e3,
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

  constructor(private readonly terms: readonly ShardTerms[], private readonly k: Readonly<AnalyticConstants>) {
    const ids = new Map<number, number>();
    this.group = Int32Array.from(terms, (t) => {
      let g = ids.get(t.dim);
      if (g === undefined) { g = ids.size; ids.set(t.dim, g); }
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
      if (this.serial[g] < 0) { this.serial[g] = 0; this.touched[nTouched++] = g; }
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
      this.issue[g] = 0; this.hbm[g] = 0; this.l2[g] = 0; this.stream[g] = 0; this.serial[g] = -1;
    }
    return { fwdMs, bwdMs };
  }
}

/** Scorer over precomputed traffic: what the fit script calls with trial constants. */
export function scorerFromTraffic(traffic: readonly ShardTraffic[], env: CostEnv, k: Readonly<AnalyticConstants> = ANALYTIC_CONSTANTS): SetScorer {
  return new AnalyticScorer(traffic.map((t) => shardTerms(t, env, k)), k);
}

/** Bound on memoised shard traffics per model (~200 B each). */
const TRAFFIC_CACHE_LIMIT = 100_000;

export class AnalyticCostModel implements CostModel {
  readonly source = 'analytic' as const;
  private lastType?: string;
  /** Index statistics cost ~0.1–0.3 ms per shard; editing one table re-derives only it. */
  private readonly traffic = new Map<string, ShardTraffic>();

  /** `deviceType` names the model ("analytic: H100-80GB"); otherwise the last env's device type is used. */
  constructor(private readonly deviceType?: string, private readonly constants: Readonly<AnalyticConstants> = ANALYTIC_CONSTANTS) {}

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
      const key = `${envKey}|${s.rows}|${s.dim}|${s.pooling}|${s.zipf}|${s.dtypeBytes}|${s.bags ?? ''}|${s.histogram?.join(',') ?? ''}`;
      let t = this.traffic.get(key);
      if (!t) {
        if (this.traffic.size >= TRAFFIC_CACHE_LIMIT) this.traffic.clear();
        t = shardTraffic(s, env, this.constants);
        this.traffic.set(key, t);
      }
      return t;
    });
    return scorerFromTraffic(traffic, env, this.constants);
  }
}
