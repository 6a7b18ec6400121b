/**
 * The last word on replicas, as unsplitPass (columnSearch.ts) is on splits: a
 * data-parallel table runs on every rank, the critical ones included, so its
 * replica must pay there for the all-to-alls it saves. Replication is decided
 * before placement (dataParallel.ts) on the assumption that a table-wise
 * shard adds about 1/N of its cost to the step; when one rank is far busier
 * than the rest (a table too hot to balance, which no split helps), the
 * others' table-wise shards land in its slack for free while every replica
 * adds its whole cost to that rank. So, once the plan is made, each
 * replicated table above DP_ALWAYS_BYTES that may be whole (table-wise
 * allowed, fits one GPU) is tried whole on every GPU with room (the best by
 * the exact step, then refined: columnSearch.ts wholeOnBestGpu), costliest
 * replica first, and stays whole unless the replicated plan gives a strictly
 * lower step. Tables up to DP_ALWAYS_BYTES
 * stay replicated (there is nothing to balance in them). Never raises the
 * step of the plan it is given.
 */
import type { PlanControl } from './control';
import { wholeOnBestGpu } from './columnSearch';
import { DP_ALWAYS_BYTES } from './dataParallel';
import { allowedKinds } from './evaluate';
import { tableBytes } from './layouts';
import { scoreOf } from './search';
import type { PlanState } from './state';

export async function unreplicatePass(state: PlanState, ctl: PlanControl): Promise<PlanState> {
  const cat = state.cat;
  let cur = state;
  cur.settle();
  const replicas = cat.tables
    .map((_, t) => t)
    .filter((t) => {
      const l = cur.layoutOf[t];
      return (
        l?.kind === 'data_parallel' &&
        cur.hostsOf[t] !== undefined &&
        cat.tables[t].pin === undefined &&
        allowedKinds(cat.tables[t]).includes('table') &&
        tableBytes(cat, t) > DP_ALWAYS_BYTES &&
        cat.hasLayout(t, 'table', 1, 1, cur.solo.length)
      );
    });
  const cost = (t: number) => cur.solo[cur.layoutOf[t]!.shards[0]] ?? 0;
  replicas.sort((a, b) => cost(b) - cost(a) || a - b);
  for (const t of replicas) {
    if (ctl.outOfTime()) break;
    await ctl.tick();
    const child = await wholeOnBestGpu(cur, t, ctl);
    if (!child) continue;
    // Whole wins ties: a replica must give a strictly lower step to stay.
    const a = scoreOf(cur);
    const b = scoreOf(child);
    if (b.unplaced <= a.unplaced && b.max <= a.max + 1e-9 * Math.max(1, a.max)) cur = child;
  }
  return cur;
}
