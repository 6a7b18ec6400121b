/**
 * NeuroShard-style beam search over splits (Zha et al., MLSys 2023; shared
 * notes sharding-anchors.md §6.4: beam width 3, depth ≤ 10, candidates from
 * the most expensive tables). Starting from a table-wise plan, an action cuts
 * a table on the most loaded GPU into twice as many column shards (each a
 * multiple of 4 wide) or, where allowed, row shards (for a table that
 * dominates its GPU: rows and lookups split, partial sums reduce-scattered).
 * The new shards are re-placed greedily and refined by a short local search;
 * the best plan seen is returned, so the result is never worse than the start.
 */
import type { ShardingKind } from '../config/types';
import type { CostModel } from '../cost/types';
import { validColumnParts, type Catalog, type Layout } from './catalog';
import type { PlanControl } from './control';
import { soloCosts } from './greedy';
import { bestGpuFor } from './insert';
import { localSearch } from './localSearch';
import { makeRoom } from './makeRoom';
import { better, scoreOf, type Scored } from './search';
import type { PlanState } from './state';

export const BEAM_WIDTH = 3;
export const BEAM_DEPTH = 10;
// Tables whose split layouts are prepared up front (the most expensive ones,
// at least half as many as GPUs, and everything on the start's max GPU);
// actions per beam state; local-search steps and model-scored candidates
// after each action.
const CANDIDATE_TABLES = 24;
/** Actions tried per descent step (after the beam). */
const DESCENT_ACTIONS = 2;
const ACTIONS_PER_STATE = 4;
const REFINE_STEPS = 4;
const REFINE_EXACT = 4;
const MAX_PARTS = 8;

interface Action { table: number; kind: ShardingKind; parts: number }

function allows(kinds: readonly ShardingKind[], k: ShardingKind): boolean {
  return kinds.length === 0 || kinds.includes(k);
}

/** Layouts a table may move to from its current one: doubling the parts (only layouts the model was prepared for). */
function nextActions(state: PlanState, t: number, prepared: number): Action[] {
  return possibleActions(state, t).filter((a) => state.cat.hasLayout(a.table, a.kind, a.parts, prepared));
}

function possibleActions(state: PlanState, t: number): Action[] {
  return actionsFrom(state.cat, t, state.layoutOf[t], state.n);
}

function actionsFrom(cat: Catalog, t: number, cur: Layout | undefined, gpus: number): Action[] {
  const table = cat.tables[t];
  if (!cur || table.pin !== undefined) return [];
  const kinds = table.sharding ?? [];
  const out: Action[] = [];
  const parts = cur.kind === 'table' ? 2 : cur.parts * 2;
  if (parts > Math.min(MAX_PARTS, gpus)) return out;
  if ((cur.kind === 'table' || cur.kind === 'column') && allows(kinds, 'column') && validColumnParts(table.dim, parts)) {
    out.push({ table: t, kind: 'column', parts });
  }
  if ((cur.kind === 'table' || cur.kind === 'row') && allows(kinds, 'row') && table.rows >= parts) {
    out.push({ table: t, kind: 'row', parts });
  }
  return out;
}

/** Tables on GPU g by their shards' solo cost, most expensive first. */
function tablesOn(state: PlanState, g: number, solo: ArrayLike<number>): number[] {
  const byTable = new Map<number, number>();
  for (const s of state.members[g]) {
    const t = state.cat.tableOf[s];
    byTable.set(t, Math.max(byTable.get(t) ?? 0, solo[s]));
  }
  return [...byTable.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([t]) => t);
}

async function apply(parent: PlanState, a: Action, solo: ArrayLike<number>, ctl: PlanControl): Promise<PlanState | undefined> {
  const child = parent.clone();
  child.syncComm();
  const layout = child.cat.layout(a.table, a.kind, a.parts);
  child.setLayout(a.table, layout);
  const order = layout.shards.slice().sort((x, y) => child.cat.mem[y] - child.cat.mem[x] || x - y);
  for (const s of order) {
    const c = bestGpuFor(child, s);
    if (c.gpu >= 0) child.place(s, c.gpu, c.cost);
  }
  if ((await makeRoom(child, solo, ctl)) > 0) return undefined;
  await localSearch(child, ctl, { solo, maxSteps: REFINE_STEPS, exact: REFINE_EXACT });
  return child;
}

export interface ColumnSearchOptions { seed?: number; width?: number; depth?: number }

export async function columnSearch(from: PlanState, model: CostModel, ctl: PlanControl, opts: ColumnSearchOptions = {}): Promise<PlanState> {
  const cat = from.cat;
  if (from.n < 2) return from;
  const width = opts.width ?? BEAM_WIDTH;
  const depth = opts.depth ?? BEAM_DEPTH;

  // Prepare the split layouts of the candidate tables once, then re-prepare the model over the grown catalog.
  // The catalog is shared by every state of one plan: an earlier column search may have grown it
  // beyond what `from`'s scorer was prepared on, so rank by the solo costs `from` already has.
  let solo = from.solo.length > 0 ? from.solo : soloCosts(from);
  const byCost = cat.tables.map((_, t) => t).filter((t) => from.layoutOf[t])
    .sort((a, b) => Math.max(...from.layoutOf[b]!.shards.map((s) => solo[s])) - Math.max(...from.layoutOf[a]!.shards.map((s) => solo[s])) || a - b);
  const candidates = new Set<number>([...tablesOn(from, from.argMax(), solo), ...byCost.slice(0, Math.max(CANDIDATE_TABLES, from.n / 2))]);
  for (const t of candidates) {
    // Every layout reachable by doubling from the current one, up to MAX_PARTS.
    let frontier = possibleActions(from, t);
    while (frontier.length > 0) {
      const next: Action[] = [];
      for (const a of frontier) {
        const layout = cat.layout(a.table, a.kind, a.parts);
        next.push(...actionsFrom(cat, t, layout, from.n).filter((x) => x.kind === a.kind));
      }
      frontier = next;
    }
  }
  const scorer = model.prepare(cat.shards, cat.env);
  const prepared = cat.shards.length;
  const start = from.clone();
  start.scorer = scorer;
  solo = soloCosts(start);

  let best: Scored = scoreOf(start);
  let beam: PlanState[] = [start];
  for (let step = 0; step < depth; step++) {
    if (ctl.outOfTime()) break;
    const children: Scored[] = [];
    for (const parent of beam) {
      const tables = tablesOn(parent, parent.argMax(), solo).filter((t) => candidates.has(t));
      let tried = 0;
      for (const t of tables) {
        for (const a of nextActions(parent, t, prepared)) {
          if (tried >= ACTIONS_PER_STATE) break;
          await ctl.tick();
          tried++;
          const child = await apply(parent, a, solo, ctl);
          if (child) children.push(scoreOf(child));
        }
        if (tried >= ACTIONS_PER_STATE) break;
      }
    }
    if (children.length === 0) break;
    children.sort((x, y) => (better(x, y) ? -1 : better(y, x) ? 1 : 0));
    const stepBest = children[0];
    if (!better(stepBest, best)) {
      // No child beats the best plan seen: deeper splits of these states rarely recover.
      break;
    }
    best = stepBest;
    beam = children.slice(0, width).map((c) => c.state);
  }

  // Descent: the beam's depth caps it at BEAM_DEPTH splits, but a large
  // cluster may have a heavy table on many GPUs. Keep splitting on the max
  // GPU of the best plan, one state wide, while that helps.
  for (let step = 0; step < 2 * from.n && !ctl.outOfTime(); step++) {
    const parent = best.state;
    let stepBest: Scored | undefined;
    let tried = 0;
    for (const t of tablesOn(parent, parent.argMax(), solo).filter((x) => candidates.has(x))) {
      for (const a of nextActions(parent, t, prepared)) {
        if (tried >= DESCENT_ACTIONS) break;
        await ctl.tick();
        tried++;
        const child = await apply(parent, a, solo, ctl);
        if (!child) continue;
        const sc = scoreOf(child);
        if (!stepBest || better(sc, stepBest)) stepBest = sc;
      }
      if (tried >= DESCENT_ACTIONS) break;
    }
    if (!stepBest || !better(stepBest, best)) break;
    best = stepBest;
  }
  return best.state;
}
