/**
 * Analytic cost model of FBGEMM's table-batched embedding (TBE), the kernel
 * TorchRec runs as its `fused` compute kernel, and of its UVM-caching variant.
 * FBGEMM cannot be installed on the project's machines, so the model follows
 * how the kernel works (docs/research/torchrec-planner.md §6,
 * docs/research/perf-models.md §3.2–3.3) rather than measurements of it.
 * Units: bytes, GB/s (1e9 B/s), ms.
 *
 * FORWARD: one launch for every table of the GPU; each bag's rows are gathered
 * and summed, so the time is the bytes moved over the achievable bandwidth:
 *   fwd = t0_f + Σ_t [n(1−h)·rb + n·h·rb·(HBM/L2) + 8n + 8(B+1) + B·D·w] / (η_f·HBM)
 * BACKWARD + FUSED OPTIMIZER: sort the (table, row) ids, run-length encode,
 * accumulate each distinct row's gradients (hot rows are split across warps /
 * a CTA, not serialised), update each distinct row and its state once:
 *   bwd = t0_b + Σ_t [n·S + B·D·g + U·(2·rb + m)] / (η_b·HBM)
 *   S sort bytes per id, g gradient bytes per element (fp32), m optimizer state
 *   bytes read + written per distinct row (sgd 0, rowwise_adagrad 8,
 *   adagrad 8·D, adam 16·D).
 * UVM CACHING (fbgemm_tbe_uvm_caching): a cache of cache_load_factor × rows in
 * HBM; the distinct rows that miss it come over the host link in forward and
 * the evicted rows go back after the update:
 *   + misses·rb / host link, both directions.
 *
 * The constants below are first estimates from public figures (sources at
 * each); `FBGEMM_CONSTANTS` is what a fit against published FBGEMM/TorchRec
 * benchmark results replaces.
 */
import { cacheProfile } from './indexStats';
import { blockCacheProfile, rowBlockStats } from './rowBlocks';
import type { ComputeCost, CostEnv, CostModel, SetScorer, Shard } from './types';

export interface FbgemmConstants {
  /** Fixed time of the forward launch (bounds check + kernel), ms. */
  t0FwdMs: number;
  /** Fixed time of the backward chain (sort, encode, kernels), ms. */
  t0BwdMs: number;
  /** Achieved fraction of HBM bandwidth in forward: 2.5–2.8 TB/s of 3.35 on H100 (FBGEMM PR #3993). */
  fwdEfficiency: number;
  /** Achieved fraction in backward: 1.04 of ≈3.9 TB/s (TorchRec PR #4757, 26.5%). */
  bwdEfficiency: number;
  /** Bytes moved per id by the radix sort and run-length encode (key + value, read + write, passes). */
  sortBytesPerId: number;
  /** L2 bandwidth / HBM bandwidth (Lin et al., A100: 2,271 / 1,391 GB/s). */
  l2BandwidthRatio: number;
  /** Share of L2 holding embedding rows [assumption, as in analytic.ts]. */
  l2Share: number;
  /** Host link for UVM misses, GB/s: TorchRec's HBM_TO_DDR_MEM_BW, 32 GiB/s. */
  hostLinkGBps: number;
}

export const FBGEMM_CONSTANTS: Readonly<FbgemmConstants> = {
  t0FwdMs: 0.02,
  t0BwdMs: 0.06,
  fwdEfficiency: 0.78,
  bwdEfficiency: 0.3,
  sortBytesPerId: 48,
  l2BandwidthRatio: 1.6,
  l2Share: 0.5,
  hostLinkGBps: 32 * 1.073741824,
};

/** TBE's default cache_load_factor (FBGEMM SplitTableBatchedEmbeddingBagsCodegen). */
export const DEFAULT_CACHE_LOAD_FACTOR = 0.2;

function stateBytesPerRow(optimizer: CostEnv['optimizer'], dim: number): number {
  switch (optimizer) {
    case 'sgd': return 0;
    case 'rowwise_adagrad': return 2 * 4;
    case 'adagrad': return 2 * 4 * dim;
    case 'adam': return 2 * 8 * dim;
  }
}

function finite(x: number, fallback = 0): number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : fallback;
}

/** Forward and backward ms of one shard, before the per-launch fixed times. */
export function fbgemmShardMs(shard: Shard, env: CostEnv, k: Readonly<FbgemmConstants> = FBGEMM_CONSTANTS): ComputeCost {
  const rows = Math.max(1, finite(shard.rows, 1));
  const dim = Math.max(1, finite(shard.dim, 1));
  const w = shard.dtypeBytes === 2 ? 2 : 4;
  const bags = finite(shard.bags ?? env.batchSize);
  const n = bags * finite(shard.pooling);
  const alpha = finite(shard.zipf);
  const rb = 32 * Math.ceil((dim * w) / 32);
  const hbm = finite(env.device?.hbmGBps) * 1e9;
  if (hbm <= 0 || n <= 0) return { fwdMs: 0, bwdMs: 0 };
  const cacheRows = (k.l2Share * finite(env.device?.l2Bytes)) / rb;
  // A row block: its own rows' distinct count and hit rate (rowBlocks.ts).
  const block = rowBlockStats(shard, bags);
  const { unique, hitRate } = block ? blockCacheProfile(block, cacheRows) : cacheProfile(rows, n, alpha, cacheRows);
  const fwdBytes = n * (1 - hitRate) * rb + (n * hitRate * rb) / k.l2BandwidthRatio + 8 * n + 8 * (bags + 1) + bags * dim * w;
  const bwdBytes = n * k.sortBytesPerId + bags * dim * 4 + unique * (2 * rb + stateBytesPerRow(env.optimizer, dim));
  let fwdMs = (fwdBytes / (k.fwdEfficiency * hbm)) * 1e3;
  let bwdMs = (bwdBytes / (k.bwdEfficiency * hbm)) * 1e3;
  if (shard.kernel === 'fbgemm_tbe_uvm_caching') {
    const lf = Math.min(1, Math.max(1e-6, shard.cacheLoadFactor ?? DEFAULT_CACHE_LOAD_FACTOR));
    const misses = unique * (1 - (block ? blockCacheProfile(block, lf * rows) : cacheProfile(rows, n, alpha, lf * rows)).hitRate);
    const linkMs = ((misses * rb) / (k.hostLinkGBps * 1e9)) * 1e3;
    fwdMs += linkMs;
    bwdMs += linkMs;
  }
  return { fwdMs, bwdMs };
}

class FbgemmScorer implements SetScorer {
  constructor(private readonly costs: readonly ComputeCost[], private readonly k: Readonly<FbgemmConstants>) {}

  score(members: readonly number[]): ComputeCost {
    let fwdMs = 0;
    let bwdMs = 0;
    let any = false;
    for (const i of members) {
      const c = this.costs[i];
      if (!c) continue;
      any = true;
      fwdMs += c.fwdMs;
      bwdMs += c.bwdMs;
    }
    // One TBE launch per GPU: the fixed times once; an empty GPU launches nothing.
    return any ? { fwdMs: fwdMs + this.k.t0FwdMs, bwdMs: bwdMs + this.k.t0BwdMs } : { fwdMs: 0, bwdMs: 0 };
  }
}

export class FbgemmCostModel implements CostModel {
  readonly source = 'analytic' as const;
  private lastType?: string;

  constructor(private readonly deviceType?: string, private readonly constants: Readonly<FbgemmConstants> = FBGEMM_CONSTANTS) {}

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
    return new FbgemmScorer(shards.map((s) => fbgemmShardMs(s, env, this.constants)), this.constants);
  }
}
