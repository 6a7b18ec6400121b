/**
 * Where a table is in a PlanState (its "spot": layout plus the GPU of each
 * free shard, or the hosts of a group layout), how to put it somewhere else
 * and back, and the ledger that counts moves against a budget. A move is a
 * table whose spot differs from the one it was written at: the same thing
 * `shardlens diff` counts on the placement entries (same kind, same GPUs or
 * hosts in the same order).
 */
import { isFree, type Layout } from './catalog';
import type { StartLayout } from './repair';
import type { PlanState } from './state';

/** A table's place: the same shape as a start placement's usable entry. */
export type Spot = StartLayout;

/** Table t's spot in `state`, or undefined when it is not (fully) placed. */
export function spotOf(state: PlanState, t: number): Spot | undefined {
  const layout = state.layoutOf[t];
  if (!layout) return undefined;
  if (isFree(layout.kind)) {
    const gpus = layout.shards.map((s) => state.gpuOfShard(s));
    return gpus.some((g) => g < 0) ? undefined : { layout, gpus };
  }
  const hosts = state.hostsOf[t];
  return hosts ? { layout, gpus: [], hosts: hosts.slice() } : undefined;
}

function sameList(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * Whether two spots are the same place. Layouts come from one catalog, so the
 * same cut is the same object. Row and data-parallel layouts have one place
 * (every rank), so their hosts do not matter.
 */
export function sameSpot(a: Spot | undefined, b: Spot | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.layout !== b.layout) return false;
  if (isFree(a.layout.kind)) return sameList(a.gpus, b.gpus);
  if (a.layout.kind === 'row' || a.layout.kind === 'data_parallel') return true;
  return sameList(a.hosts, b.hosts);
}

/** Whether `spot` can take table t's shards as `state` is now (t's own shards counted out). */
function placeOn(state: PlanState, t: number, spot: Spot): boolean {
  const layout: Layout = spot.layout;
  state.setLayout(t, layout);
  if (!isFree(layout.kind)) return state.placeGroup(t, spot.hosts ?? [], true);
  for (let i = 0; i < layout.shards.length; i++) {
    const s = layout.shards[i];
    const g = spot.gpus[i];
    if (g === undefined || g < 0 || g >= state.n || !state.canHost(g, s)) return false;
    state.place(s, g);
  }
  return true;
}

/**
 * Moves table t to `spot` (exact rescoring). When it does not fit (memory,
 * pins, a sibling shard, table_column host), t goes back to where it was and
 * the answer is false. A table that was not placed stays unplaced then.
 */
export function putTable(state: PlanState, t: number, spot: Spot): boolean {
  const before = spotOf(state, t);
  const beforeLayout = state.layoutOf[t];
  if (placeOn(state, t, spot)) return true;
  if (before) placeOn(state, t, before);
  else state.setLayout(t, beforeLayout);
  return false;
}

/**
 * The step and Σ total² if table t went to `spot`, nothing changed after
 * (undefined when it does not fit). A whole table moving between GPUs is
 * priced without moving it (two model calls); anything else is applied and
 * undone.
 */
export function stepIfPut(state: PlanState, t: number, spot: Spot): { step: number; sq: number } | undefined {
  const layout = state.layoutOf[t];
  if (layout && layout === spot.layout && layout.kind === 'table' && layout.shards.length === 1) {
    const s = layout.shards[0];
    const b = spot.gpus[0];
    const a = state.gpuOfShard(s);
    if (a < 0 || b === undefined || b < 0 || b >= state.n) return undefined;
    if (a === b) return { step: state.step(), sq: state.spread() };
    if (!state.canHost(b, s)) return undefined;
    const step = state.exchangeStep(s, b, -1, true);
    return { step, sq: state.whatSq };
  }
  const before = spotOf(state, t);
  if (!before) return undefined;
  if (!putTable(state, t, spot)) return undefined;
  const out = { step: state.step(), sq: state.spread() };
  putTable(state, t, before);
  return out;
}

/**
 * Counts moves against a budget: a table counts once its spot differs from
 * the one it was written at (`written`), however often it moves after that;
 * moving it back un-counts it. Tables the written placement could not keep
 * (`required`: missing, invalid or evicted for memory) always count.
 */
export class MoveLedger {
  private readonly changed: Uint8Array;
  private used = 0;

  constructor(
    readonly written: readonly (Spot | undefined)[],
    readonly required: ReadonlySet<number>,
    readonly limit: number,
    state: PlanState,
  ) {
    this.changed = new Uint8Array(written.length);
    for (let t = 0; t < written.length; t++) this.update(state, t);
  }

  /** Moves counted now. */
  get count(): number {
    return this.used;
  }

  /** Moves still allowed. */
  get left(): number {
    return this.limit - this.used;
  }

  isChanged(t: number): boolean {
    return this.changed[t] === 1;
  }

  /** Change in moves if table t went to `spot` (−1, 0 or +1). */
  costIf(t: number, spot: Spot | undefined): number {
    if (this.required.has(t)) return 0;
    const after = sameSpot(spot, this.written[t]) ? 0 : 1;
    return after - this.changed[t];
  }

  /** Change in moves if free shard s of table t went to GPU g. */
  costIfShard(state: PlanState, t: number, s: number, g: number): number {
    if (this.required.has(t)) return 0;
    const w = this.written[t];
    const layout = state.layoutOf[t];
    if (!w || !layout || w.layout !== layout) return 1 - this.changed[t];
    let same = true;
    for (let i = 0; i < layout.shards.length && same; i++) {
      const x = layout.shards[i];
      same = (x === s ? g : state.gpuOfShard(x)) === w.gpus[i];
    }
    return (same ? 0 : 1) - this.changed[t];
  }

  /** Re-reads table t's spot after it moved. */
  update(state: PlanState, t: number): void {
    const now = this.required.has(t) || !sameSpot(spotOf(state, t), this.written[t]) ? 1 : 0;
    this.used += now - this.changed[t];
    this.changed[t] = now;
  }
}
