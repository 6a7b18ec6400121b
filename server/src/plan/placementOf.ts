/** A PlanState as the config's `placement:` mapping (tables in config order; unplaced tables left out). */
import type { Placement } from '../config/types';
import type { PlanState } from './state';

export function placementOf(state: PlanState): Placement {
  const placement: Placement = new Map();
  state.cat.tables.forEach((table, t) => {
    const layout = state.layoutOf[t];
    if (!layout) return;
    const gpus = layout.shards.map((s) => state.gpuOfShard(s));
    if (gpus.some((g) => g < 0)) return;
    if (layout.kind === 'table') placement.set(table.name, { kind: 'table', gpu: gpus[0] });
    else if (layout.kind === 'column' || layout.kind === 'row') placement.set(table.name, { kind: layout.kind, gpus });
    else throw new Error(`planner layouts of kind ${layout.kind} are not supported yet`);
  });
  return placement;
}

/** Shards of the current layouts that are not on a GPU. */
export function unplacedShards(state: PlanState): number[] {
  const out: number[] = [];
  for (const layout of state.layoutOf) {
    if (!layout) continue;
    for (const s of layout.shards) if (state.gpuOfShard(s) < 0) out.push(s);
  }
  return out;
}

/** All shards of the current layouts. */
export function activeShards(state: PlanState): number[] {
  const out: number[] = [];
  for (const layout of state.layoutOf) if (layout) out.push(...layout.shards);
  return out;
}
