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
import type { PlanControl } from './control';
import { tableBytes } from './layouts';

/** Tables this small (weights + optimizer state) go data-parallel whenever allowed: 64 KiB. */
export const DP_ALWAYS_BYTES = 64 * 2 ** 10;

function marginal(scorer: SetScorer, s: number): number {
  const one = scorer.score([s]);
  const two = scorer.score([s, s]);
  return Math.max(0, two.fwdMs + two.bwdMs - one.fwdMs - one.bwdMs);
}

/** Estimated step ms a table adds as a replica (dp) and as a table-wise shard (tw); undefined when replication clearly loses. */
export function replicationCost(cat: Catalog, scorer: SetScorer, dp: Layout, tw: Layout, bound = true): { dp: number; tw: number; dpComm: number } | undefined {
  const l = linksOf(cat.env, cat.gpus);
  const n = Math.max(1, cat.gpus);
  const size = Math.min(l.perHost, n);
  const s = tw.shards[0];
  const share = (x: number) => {
    if (n <= 1 || !(x > 0)) return 0;
    const t = allToAllMs(l, x, x, x, size) - (n > size ? l.k.interLatencyMs : l.k.intraLatencyMs);
    return Math.max(0, t) / n;
  };
  const twComm = share(cat.ids[s]) + 2 * share(cat.pooled[s]);
  const hbm = (cat.env.device?.hbmGBps ?? 0) * 1e6;
  const bytes = dp.dpBytes;
  const reduce = n > 1 ? allReduceMs(l, bytes) - Math.max(1, Math.ceil(bytes / l.k.ddpBucketBytes)) * (l.hosts > 1 ? l.k.interLatencyMs : l.k.intraLatencyMs) : 0;
  const dpComm = Math.max(0, reduce) + (hbm > 0 ? (DP_OPTIMIZER_BYTE_PASSES * bytes) / hbm : 0);
  // The table-wise compute share is at most its solo cost / N: when the
  // replica's communication alone exceeds that bound, skip the model calls.
  const solo = scorer.score([s]);
  if (bound && dpComm > twComm + (solo.fwdMs + solo.bwdMs) / n) return undefined;
  return { dp: marginal(scorer, dp.shards[0]) + dpComm, tw: marginal(scorer, s) / n + twComm, dpComm };
}
/**
 * For each table whose current layout is whole on one GPU and that has a
 * data-parallel candidate layout in the catalog, whether replicating it pays.
 * Tables are ranked by their own estimate (what replication saves); then,
 * since every rank runs all replicas together, the number replicated is the
 * prefix of that ranking whose replicas priced together on one rank (one
 * model call per tried size, on top of a typical table-wise shard so the
 * launch costs are already paid) plus their all-reduce, plus the table-wise
 * shares of the rest, is lowest. Tables up to DP_ALWAYS_BYTES lead the
 * ranking (nothing to balance in them): with a cost model that prices
 * replicas sanely they are all replicated; a model that prices many
 * replicas together above their table-wise cost (e.g. a learned model far
 * outside the batch sizes it was trained on) keeps some table-wise. A
 * table-wise share is 1/N of its compute only up to what the ranks' loads
 * absorb, and keeping any table-wise when all could be replicated costs the
 * all-to-alls' latency (both below).
 */
export async function replicatedTables(cat: Catalog, scorer: SetScorer, layouts: readonly (Layout | undefined)[], ctl?: PlanControl): Promise<Set<number>> {
  const always: { t: number; dp: number; tw: number; comm: number }[] = [];
  const paying: { t: number; dp: number; tw: number; comm: number }[] = [];
  const tw: number[] = [];
  for (let t = 0; t < layouts.length; t++) {
    // A few model calls per table (their first scores): poll every 512 tables.
    if ((t & 511) === 511) await ctl?.tick();
    const l = layouts[t];
    const whole = l && (l.kind === 'table' || ((l.kind === 'column' || l.kind === 'table_column') && l.parts === 1));
    if (!l || !whole || cat.tables[t].pin !== undefined || !cat.hasLayout(t, 'data_parallel')) continue;
    const dp = cat.layout(t, 'data_parallel')!;
    if (dp.shards.some((s) => cat.mem[s] > cat.capacity)) continue;
    tw.push(l.shards[0]);
    const small = tableBytes(cat, t) <= DP_ALWAYS_BYTES;
    const c = replicationCost(cat, scorer, dp, l, !small);
    if (!c) continue;
    if (small) always.push({ t, dp: c.dp, tw: c.tw, comm: c.dpComm });
    else if (c.dp <= c.tw) paying.push({ t, dp: c.dp, tw: c.tw, comm: c.dpComm });
  }
  if (always.length + paying.length === 0 || tw.length === 0) return new Set([...always, ...paying].map((p) => p.t));
  // A typical table-wise shard under the replicas: the median by index.
  const ref = tw[Math.floor(tw.length / 2)];
  const base = scorer.score([ref]);
  // What keeping a table table-wise adds to the step, beyond 1/N of its
  // marginal compute (p.tw): (1) the part of its cost that does not add up
  // (a set costs more with it than its own marginal: FBGEMM's backward pays a
  // GPU's hottest row once, fbgemm.ts) lands whole on its rank, as a
  // replica's does on every rank; (2) a shard larger than the mean table-wise
  // load of a rank (LPT's bound: makespan ≤ mean + largest shard) raises the
  // rank it lands on by about its excess: few or hot tables on many GPUs.
  const n = Math.max(1, cat.gpus);
  const twMarginal = new Map(tw.map((x) => [x, marginal(scorer, x)]));
  let meanLoad = 0;
  for (const m of twMarginal.values()) meanLoad += m / n;
  const twShare = new Map(
    [...always, ...paying].map((p) => {
      const x = layouts[p.t]!.shards[0];
      const m = twMarginal.get(x) ?? 0;
      const c = scorer.score([ref, x]);
      const spill = Math.max(0, c.fwdMs + c.bwdMs - base.fwdMs - base.bwdMs - m);
      return [p.t, p.tw + spill + Math.max(0, m - meanLoad - m / n)];
    }),
  );
  // Tiny tables first, those replication saves most on first; then the paying ones.
  const gain = (p: { t: number; dp: number }) => (twShare.get(p.t) ?? 0) - p.dp;
  always.sort((a, b) => gain(b) - gain(a) || a.t - b.t);
  paying.sort((a, b) => b.tw - b.dp - (a.tw - a.dp) || a.t - b.t);
  const ranked = [...always, ...paying];
  const order = ranked.map((p) => p.t);
  const replicas = order.map((t) => cat.layout(t, 'data_parallel')!.shards[0]);
  const comm = new Map(ranked.map((p) => [p.t, p.comm]));
  // The shares above leave out the all-to-alls' latency (other tables pay it
  // anyway). When every table could be replicated, keeping any table-wise
  // brings back the ids all-to-all, the pooled all-to-all and its gradient
  // mirror: three collectives' latency on the critical path (stepCost.ts).
  const candidate = new Set(order);
  const everyTable = layouts.every((l, t) => !l || candidate.has(t));
  const l = linksOf(cat.env, cat.gpus);
  const a2aLatency = cat.gpus > 1 ? 3 * (cat.gpus > Math.min(l.perHost, cat.gpus) ? l.k.interLatencyMs : l.k.intraLatencyMs) : 0;
  const cost = (k: number) => {
    const c = scorer.score([ref, ...replicas.slice(0, k)]);
    let total = c.fwdMs + c.bwdMs - base.fwdMs - base.bwdMs;
    order.forEach((t, i) => {
      total += i < k ? (comm.get(t) ?? 0) : (twShare.get(t) ?? 0);
    });
    if (everyTable && k < order.length) total += a2aLatency;
    return total;
  };
  // The tiny tables are in unless the model says their replicas together
  // cost clearly (TINY_OUT_MARGIN) more than keeping some table-wise.
  let bestK = always.length;
  let bestCost = cost(bestK);
  const floor = bestCost;
  // Prefix sizes: powers of two, all, and the tiny tables less the last 1, 2, 4, … (their costliest replicas).
  const sizes = new Set<number>([order.length]);
  for (let k = 1; k < order.length; k *= 2) sizes.add(k);
  for (let d = 1; d <= always.length; d *= 2) sizes.add(always.length - d);
  sizes.add(0);
  for (const k of [...sizes].sort((a, b) => a - b)) {
    if (k === always.length) continue;
    const c = cost(k);
    if (k < always.length && c >= floor - Math.max(TINY_OUT_MARGIN * floor, TINY_OUT_MIN_MS)) continue;
    if (c < bestCost) {
      bestCost = c;
      bestK = k;
    }
  }
  // With FBGEMM's TBE every table of a GPU runs in one launch, so a tiny
  // replica costs next to nothing on any rank: tiny fbgemm_tbe tables are
  // replicated whatever the estimate above says (a step a few µs lower with
  // 4-row tables spread one per GPU is within any model's error, and no
  // engineer would keep them so). The escape above stays for PyTorch's
  // kernel, where a replica of a new dim costs every GPU its own launches.
  const chosen = new Set(order.slice(0, bestK));
  for (const p of always) if (cat.tables[p.t].kernel === 'fbgemm_tbe') chosen.add(p.t);
  return chosen;
}

/**
 * How much cheaper leaving tiny tables table-wise must price for the planner
 * to do it: 10% and 10 µs (differences of a few µs are within any model's noise).
 */
const TINY_OUT_MARGIN = 0.1;
const TINY_OUT_MIN_MS = 0.01;
