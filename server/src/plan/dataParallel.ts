/**
 * Which tables go data-parallel: a replica on every rank serving the local
 * batch costs an all-reduce of the table's gradient and its element-wise
 * optimizer every step, but no ids or pooled all-to-all. A table pays for
 * replication when that is cheaper than its share of the all-to-alls and
 * compute as a table-wise shard, both priced with the step model's own
 * functions (cost/comm.ts, cost/stepCost.ts) and the cost model's marginal
 * compute (the score of the shard twice minus once: a GPU's fixed launch
 * costs are paid anyway). Under a balanced plan a table-wise shard adds about
 * 1/N of its cost to each phase's maximum; a replica adds all of its own to
 * every rank. Tables up to DP_ALWAYS_BYTES always go data-parallel when
 * allowed (there is nothing to balance in them).
 */
import { allReduceMs, allToAllMs, linksOf } from '../cost/comm';
import { DP_OPTIMIZER_BYTE_PASSES } from '../cost/stepCost';
import type { SetScorer } from '../cost/types';
import type { Catalog, Layout } from './catalog';
import { tableBytes } from './layouts';

/** Tables this small (weights + optimizer state) go data-parallel whenever allowed: 64 KiB. */
export const DP_ALWAYS_BYTES = 64 * 2 ** 10;

function marginal(scorer: SetScorer, s: number): number {
  const one = scorer.score([s]);
  const two = scorer.score([s, s]);
  return Math.max(0, two.fwdMs + two.bwdMs - one.fwdMs - one.bwdMs);
}

/** Estimated step ms a table adds as a replica (dp) and as a table-wise shard (tw). */
export function replicationCost(cat: Catalog, scorer: SetScorer, dp: Layout, tw: Layout): { dp: number; tw: number } {
  const l = linksOf(cat.env, cat.gpus);
  const n = Math.max(1, cat.gpus);
  const size = Math.min(l.perHost, n);
  const s = tw.shards[0];
  const share = (x: number) => {
    if (n <= 1 || !(x > 0)) return 0;
    const t = allToAllMs(l, x, x, x, size) - (n > size ? l.k.interLatencyMs : l.k.intraLatencyMs);
    return Math.max(0, t) / n;
  };
  const twMs = marginal(scorer, s) / n + share(cat.ids[s]) + 2 * share(cat.pooled[s]);
  const hbm = (cat.env.device?.hbmGBps ?? 0) * 1e6;
  const bytes = dp.dpBytes;
  const reduce = n > 1 ? allReduceMs(l, bytes) - Math.max(1, Math.ceil(bytes / l.k.ddpBucketBytes)) * (l.hosts > 1 ? l.k.interLatencyMs : l.k.intraLatencyMs) : 0;
  const dpMs = marginal(scorer, dp.shards[0]) + Math.max(0, reduce) + (hbm > 0 ? (DP_OPTIMIZER_BYTE_PASSES * bytes) / hbm : 0);
  return { dp: dpMs, tw: twMs };
}

/**
 * For each table whose current layout is table-wise and that has a
 * data-parallel candidate layout in the catalog, whether replicating it pays.
 */
export function replicatedTables(cat: Catalog, scorer: SetScorer, layouts: readonly (Layout | undefined)[]): Set<number> {
  const out = new Set<number>();
  layouts.forEach((l, t) => {
    if (!l || l.kind !== 'table' || cat.tables[t].pin !== undefined || !cat.hasLayout(t, 'data_parallel')) return;
    const dp = cat.layout(t, 'data_parallel')!;
    if (dp.shards.some((s) => cat.mem[s] > cat.capacity)) return;
    if (tableBytes(cat, t) <= DP_ALWAYS_BYTES) { out.add(t); return; }
    const c = replicationCost(cat, scorer, dp, l);
    if (c.dp <= c.tw) out.add(t);
  });
  return out;
}
