/** A PlanState as the config's `placement:` mapping (tables in config order; unplaced tables left out). */
import type { Placement, PlacementEntry } from '../config/types';
import { isFree } from './catalog';
import type { PlanState } from './state';

/** The placement entry of table t, or undefined when (part of) it is not placed. */
export function entryOf(state: PlanState, t: number): PlacementEntry | undefined {
  const layout = state.layoutOf[t];
  if (!layout) return undefined;
  if (isFree(layout.kind)) {
    const gpus = layout.shards.map((s) => state.gpuOfShard(s));
    if (gpus.some((g) => g < 0)) return undefined;
    if (layout.kind === 'table') return { kind: 'table', gpu: gpus[0] };
    return { kind: layout.kind as 'column' | 'table_column', gpus };
  }
  const hosts = state.hostsOf[t];
  if (!hosts) return undefined;
  switch (layout.kind) {
    case 'data_parallel':
      return { kind: 'data_parallel' };
    case 'row':
      return { kind: 'row', gpus: Array.from({ length: state.n }, (_, g) => g) };
    case 'table_row':
      return { kind: 'table_row', host: hosts[0] };
    case 'grid':
      return { kind: 'grid', hosts: hosts.slice() };
    default:
      return undefined;
  }
}

export function placementOf(state: PlanState): Placement {
  const placement: Placement = new Map();
  state.cat.tables.forEach((table, t) => {
    const e = entryOf(state, t);
    if (e) placement.set(table.name, e);
  });
  return placement;
}

/** Tables whose layout is not (fully) placed. */
export function unplacedTables(state: PlanState): number[] {
  const out: number[] = [];
  state.layoutOf.forEach((layout, t) => {
    if (layout && !entryOf(state, t)) out.push(t);
  });
  return out;
}

/** Free shards of the current layouts that are not on a GPU. */
export function unplacedFree(state: PlanState): number[] {
  const out: number[] = [];
  for (const layout of state.layoutOf) {
    if (!layout || !isFree(layout.kind)) continue;
    for (const s of layout.shards) if (state.gpuOfShard(s) < 0) out.push(s);
  }
  return out;
}

/** Shards not placed: free shards off any GPU, and every shard of an unplaced group layout. */
export function unplacedShards(state: PlanState): number[] {
  const out = unplacedFree(state);
  state.layoutOf.forEach((layout, t) => {
    if (layout && !isFree(layout.kind) && !state.hostsOf[t]) out.push(...layout.shards);
  });
  return out;
}

/** Free shards of the current layouts. */
export function activeShards(state: PlanState): number[] {
  const out: number[] = [];
  for (const layout of state.layoutOf) if (layout && isFree(layout.kind)) out.push(...layout.shards);
  return out;
}
