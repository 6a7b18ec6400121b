/**
 * What one shard does per step, in the words of the analytic model of its
 * kernel: lookups, distinct rows, L2 hit rate, bytes read and written forward
 * and backward, optimizer state traffic, host-link bytes, and for a row block
 * its own share of the lookups and hot rows. Nothing is derived here: each
 * figure comes from the model's own traffic function (fbgemm.ts
 * fbgemmShardTraffic for the FBGEMM kernels; analytic.ts shardTraffic and
 * analyticShardBytes for PyTorch's embedding_bag; rowBlocks.ts rowBlockStats),
 * so what `shardlens explain` prints is what those models price. A learned
 * model prices time without a byte count: its kernel's analytic count is shown.
 */
import { analyticShardBytes, shardTraffic } from './analytic';
import { fbgemmShardTraffic } from './fbgemm';
import { rowBlockStats } from './rowBlocks';
import type { CostEnv, Shard } from './types';

export interface RowBlockFigures {
  /** Share of the table's lookups that land in this block (0..1). */
  lookupShare: number;
  /** Share of the block's lookups on its hottest 1% of rows. */
  hotRowsShare: number;
  /** Expected lookups of the block's hottest row per step. */
  hottestRowLookups: number;
}

export interface TrafficBreakdown {
  /** Whose byte count this is, e.g. "fbgemm-tbe analytic". */
  countedBy: string;
  lookups: number;
  distinctRows: number;
  /** Share of row fetches served by L2 (0..1). */
  hitRate: number;
  /** Forward HBM bytes read and written. */
  fwdReadBytes: number;
  fwdWrittenBytes: number;
  /** Forward row bytes served by L2. */
  fwdL2Bytes: number;
  /** Backward bytes, read + written. */
  bwdBytes: number;
  /** Of bwdBytes, the optimizer state's. */
  stateBytes: number;
  /** Bytes over the host link per step (UVM caching misses in and evictions out); 0 otherwise. */
  hostLinkBytes: number;
  /** Present for a row block: its own statistics. */
  block?: RowBlockFigures;
}

export const FBGEMM_COUNT = 'fbgemm-tbe analytic';
export const EMBEDDING_BAG_COUNT = 'analytic (PyTorch embedding_bag)';

export function trafficBreakdown(shard: Shard, env: CostEnv): TrafficBreakdown {
  const bags = shard.bags ?? env.batchSize;
  const stats = rowBlockStats(shard, bags);
  const block = stats ? { lookupShare: stats.share, hotRowsShare: stats.hotShare, hottestRowLookups: stats.hottestLookups } : undefined;
  let out: TrafficBreakdown;
  if (shard.kernel === 'torch_embedding_bag') {
    const t = shardTraffic(shard, env);
    const b = analyticShardBytes(t);
    out = {
      countedBy: EMBEDDING_BAG_COUNT,
      lookups: t.lookups,
      distinctRows: t.unique,
      hitRate: t.hitRate,
      fwdReadBytes: b.fwdReadBytes,
      fwdWrittenBytes: b.fwdWrittenBytes,
      fwdL2Bytes: b.fwdL2Bytes,
      bwdBytes: b.bwdBytes,
      stateBytes: b.stateBytes,
      hostLinkBytes: 0,
    };
  } else {
    const t = fbgemmShardTraffic(shard, env);
    out = {
      countedBy: FBGEMM_COUNT,
      lookups: t.lookups,
      distinctRows: t.unique,
      hitRate: t.hitRate,
      fwdReadBytes: t.fwdReadBytes,
      fwdWrittenBytes: t.fwdWrittenBytes,
      fwdL2Bytes: t.fwdL2Bytes,
      bwdBytes: t.bwdBytes,
      stateBytes: t.stateBytes,
      hostLinkBytes: t.hostBytes,
    };
  }
  if (block) out.block = block;
  return out;
}
