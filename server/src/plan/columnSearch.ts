/**
 * Layout search: NeuroShard-style beam search over how tables are cut (Zha et
 * al., MLSys 2023; docs/research/sharding-anchors.md §6.4: beam width 3,
 * depth ≤ 10, candidates from the most expensive tables), over every
 * TorchRec sharding kind. From a plan, an action re-cuts one table on a
 * critical rank (one that sets a phase's maximum):
 *   table / column k  → column 2k (dim halves again, widths multiples of 4),
 *                       table_column 2k (inside one host), row (every rank),
 *                       table_row (one host);
 *   table_row         → row, grid over 2 hosts;   row → table_row;
 *   grid over C hosts → grid over 2C;   table ⇄ data_parallel.
 * The new shards are placed (free ones greedily, groups on the least busy
 * hosts that hold them), memory repaired, and refined by a short local
 * search; a child is kept only when the step's critical path says so, so a
 * split must pay for the communication it adds. Tables below
 * TINY_TABLE_BYTES are never split. The best plan seen is returned, so the
 * result is never worse than the start.
 */
import type { ShardingKind } from '../config/types';
import type { CostModel } from '../cost/types';
import { isFree, validColumnParts, type Catalog, type Layout } from './catalog';
import type { PlanControl } from './control';
import { allowedKinds } from './evaluate';
import { soloCosts } from './greedy';
import { DP_ALWAYS_BYTES } from './dataParallel';
import { bestGpuFor } from './insert';
import { hostRanksPer, tableBytes, TINY_TABLE_BYTES } from './layouts';
import { localSearch } from './localSearch';
import { makeRoom } from './makeRoom';
import { better, scoreOf, type Scored } from './search';
import type { PlanState } from './state';

export const BEAM_WIDTH = 3;
export const BEAM_DEPTH = 10;
/**
 * Above this many GPUs one try (re-cut, re-place, refine) costs a few ms and
 * the heavy-table pass below already made the big cuts: the beam narrows to
 * one state, BEAM_DEPTH_LARGE deep, so 856 tables on 128 GPUs plan in under
 * a second (bench:plan).
 */
export const LARGE_CLUSTER = 32;
const BEAM_DEPTH_LARGE = 6;
// Tables whose other layouts are prepared up front (the most expensive ones,
// at least half as many as GPUs, and everything on the start's critical
// ranks); actions per beam state; local-search steps and model-scored
// candidates after each action.
const CANDIDATE_TABLES = 24;
/** Actions tried per descent step (after the beam). */
const DESCENT_ACTIONS = 2;
const ACTIONS_PER_STATE = 4;
const REFINE_STEPS = 4;
/** Local-search steps after each try of the heavy-table pass (the beam refines further). */
const HEAVY_REFINE_STEPS = 4;
const REFINE_EXACT = 4;
/**
 * Bound on the shards the layout enumeration adds to the catalog: this many,
 * or CATALOG_GROWTH_FACTOR × the catalog's size when larger (memory stays
 * linear in the problem's shards; ~0.5 kB a shard with its prepared terms).
 */
const MIN_CATALOG_GROWTH = 250_000;
const CATALOG_GROWTH_FACTOR = 2;
const MAX_PARTS = 8;

interface Action {
  table: number;
  kind: ShardingKind;
  parts: number;
  rowsPer: number;
}

function key(a: Action): string {
  return `${a.kind}:${a.parts}:${a.rowsPer}`;
}

/** Layouts a table may move to from `cur`. */
export function actionsFrom(cat: Catalog, t: number, cur: Layout | undefined): Action[] {
  const table = cat.tables[t];
  if (!cur || table.pin !== undefined) return [];
  const kinds = allowedKinds(table);
  const allows = (k: ShardingKind) => kinds.includes(k);
  const n = cat.gpus;
  const p = hostRanksPer(cat);
  const out: Action[] = [];
  const add = (kind: ShardingKind, parts = 1, rowsPer = 1) => out.push({ table: t, kind, parts, rowsPer });
  if (cur.kind === 'data_parallel') {
    // Tables this small always stay replicated (dataParallel.ts DP_ALWAYS_BYTES).
    if (allows('table') && tableBytes(cat, t) > DP_ALWAYS_BYTES) add('table');
    return out;
  }
  if (cur.kind === 'table' && allows('data_parallel') && cat.hasLayout(t, 'data_parallel')) add('data_parallel');
  // Tiny tables are never split (their allowed kinds already forced any split they have).
  if (tableBytes(cat, t) < TINY_TABLE_BYTES) return out;
  if (isFree(cur.kind)) {
    const next = cur.kind === 'table' ? 2 : cur.parts * 2;
    if (next <= Math.min(MAX_PARTS, n) && validColumnParts(table.dim, next)) {
      if ((cur.kind === 'table' || cur.kind === 'column') && allows('column')) add('column', next);
      if ((cur.kind === 'table' || cur.kind === 'table_column') && allows('table_column') && next <= p && !allows('column')) add('table_column', next);
    }
    if (allows('row') && n >= 2) add('row');
    if (allows('table_row') && p >= 2 && (cat.hosts > 1 || !allows('row'))) add('table_row', 1, p);
  } else if (cur.kind === 'table_row') {
    if (allows('row') && cat.hosts > 1) add('row');
    if (allows('grid') && cat.hosts >= 2 && validColumnParts(table.dim, 2)) add('grid', 2, p);
  } else if (cur.kind === 'row') {
    if (allows('table_row') && p >= 2 && cat.hosts > 1) add('table_row', 1, p);
  } else if (cur.kind === 'grid') {
    const c = cur.parts * 2;
    if (c <= cat.hosts && validColumnParts(table.dim, c)) add('grid', c, p);
  }
  return out;
}

/** Actions whose layouts the model was prepared for. */
function nextActions(state: PlanState, t: number, prepared: number): Action[] {
  return actionsFrom(state.cat, t, state.layoutOf[t]).filter((a) => state.cat.hasLayout(a.table, a.kind, a.parts, a.rowsPer, prepared));
}

/** Cost of table t's heaviest shard (its solo cost), the key candidates are ranked by. */
function tableCost(state: PlanState, t: number, solo: ArrayLike<number>): number {
  const l = state.layoutOf[t];
  if (!l) return 0;
  let m = 0;
  for (const s of l.shards) if (solo[s] > m) m = solo[s];
  return m;
}

/** Tables with a shard on the critical ranks, most expensive first. */
function tablesOnCritical(state: PlanState, solo: ArrayLike<number>): number[] {
  const byTable = new Map<number, number>();
  for (const g of state.criticalRanks()) {
    for (const s of state.members[g]) {
      const t = state.cat.tableOf[s];
      byTable.set(t, Math.max(byTable.get(t) ?? 0, solo[s]));
    }
  }
  return [...byTable.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([t]) => t);
}

/** The hosts a group layout goes on: the least busy that hold it. */
export function chooseHosts(state: PlanState, layout: Layout): number[] | undefined {
  if (layout.kind === 'row' || layout.kind === 'data_parallel') return state.canPlaceGroup(layout, []) ? [] : undefined;
  const load = new Float64Array(state.hosts);
  const mem = new Float64Array(state.hosts);
  for (let g = 0; g < state.n; g++) {
    load[state.hostOfGpu(g)] += state.total[g];
    mem[state.hostOfGpu(g)] += state.mem[g];
  }
  const order = Array.from({ length: state.hosts }, (_, h) => h).sort((a, b) => load[a] - load[b] || mem[a] - mem[b] || a - b);
  if (layout.kind === 'table_row') {
    for (const h of order) if (state.canPlaceGroup(layout, [h])) return [h];
    return undefined;
  }
  // grid: the C least busy hosts whose ranks hold a column block each.
  const picked: number[] = [];
  for (const h of order) {
    if (picked.length === layout.parts) break;
    const ranks = state.cat.hostRanks(h);
    if (ranks.length !== layout.rowsPer) continue;
    const block = layout.shards.slice(0, layout.rowsPer);
    if (block.every((s, i) => state.mem[ranks[i]] + state.cat.mem[s] <= state.cat.capacity)) picked.push(h);
  }
  return picked.length === layout.parts && state.canPlaceGroup(layout, picked) ? picked.sort((a, b) => a - b) : undefined;
}

/** Puts table t's current (unplaced) layout on GPUs; false when it does not fit. */
export function placeLayout(state: PlanState, t: number): boolean {
  const layout = state.layoutOf[t];
  if (!layout) return false;
  if (isFree(layout.kind)) {
    const order = layout.shards.slice().sort((x, y) => state.cat.mem[y] - state.cat.mem[x] || x - y);
    let ok = true;
    for (const s of order) {
      const c = bestGpuFor(state, s);
      if (c.gpu >= 0) state.place(s, c.gpu);
      else ok = false;
    }
    return ok;
  }
  const hosts = chooseHosts(state, layout);
  return hosts !== undefined && state.placeGroup(t, hosts, 'estimate');
}

async function apply(parent: PlanState, a: Action, solo: ArrayLike<number>, ctl: PlanControl, refine = REFINE_STEPS): Promise<PlanState | undefined> {
  const child = parent.clone();
  const layout = child.cat.layout(a.table, a.kind, a.parts, a.rowsPer);
  if (!layout) return undefined;
  child.setLayout(a.table, layout);
  if (!placeLayout(child, a.table) && !isFree(layout.kind)) return undefined;
  if ((await makeRoom(child, solo, ctl)) > 0) return undefined;
  if (refine > 0) await localSearch(child, ctl, { solo, maxSteps: refine, exact: REFINE_EXACT });
  return child;
}

export interface ColumnSearchOptions {
  seed?: number;
  width?: number;
  depth?: number;
}

export async function columnSearch(from: PlanState, model: CostModel, ctl: PlanControl, opts: ColumnSearchOptions = {}): Promise<PlanState> {
  const cat = from.cat;
  if (from.n < 2) return from;
  const large = from.n > LARGE_CLUSTER;
  const width = opts.width ?? (large ? 1 : BEAM_WIDTH);
  const depth = opts.depth ?? (large ? BEAM_DEPTH_LARGE : BEAM_DEPTH);

  // Prepare every layout reachable from the candidate tables' current ones, then
  // re-prepare the model over the grown catalog. The catalog is shared by every
  // state of one plan: an earlier search may have grown it beyond what `from`'s
  // scorer was prepared on, so rank by the solo costs `from` already has.
  let solo = from.solo.length > 0 ? from.solo : await soloCosts(from, ctl);
  const byCost = cat.tables
    .map((_, t) => t)
    .filter((t) => from.layoutOf[t])
    .sort((a, b) => tableCost(from, b, solo) - tableCost(from, a, solo) || a - b);
  const wanted = [...new Set<number>([...tablesOnCritical(from, solo), ...byCost.slice(0, Math.max(CANDIDATE_TABLES, from.n / 2))])];
  // Each candidate's reachable layouts join the catalog; a row layout alone is
  // a shard per GPU, so on thousands of GPUs `GPUs / 2` candidates would add
  // GPUs² / 2 shards (tens of millions, gigabytes, at 4,096 GPUs). Candidates
  // are taken in priority order until the catalog has grown by its bound.
  const growth = Math.max(MIN_CATALOG_GROWTH, CATALOG_GROWTH_FACTOR * cat.shards.length);
  const before = cat.shards.length;
  const candidates = new Set<number>();
  for (const t of wanted) {
    const added = cat.shards.length - before;
    if (added >= growth || added * ctl.newShardMs > ctl.remainingMs() / 4) break;
    candidates.add(t);
    const seen = new Set<string>();
    let frontier = actionsFrom(cat, t, from.layoutOf[t]);
    while (frontier.length > 0) {
      const next: Action[] = [];
      for (const a of frontier) {
        if (seen.has(key(a))) continue;
        seen.add(key(a));
        const layout = cat.layout(a.table, a.kind, a.parts, a.rowsPer);
        if (layout) next.push(...actionsFrom(cat, t, layout));
      }
      frontier = next;
    }
    await ctl.tick();
  }
  // Re-preparing costs about what the first preparation did per shard (and
  // the new shards their first scores); skip the search when that alone
  // would overrun the budget.
  if (ctl.cannotAfford(2 * (cat.shards.length * ctl.prepareMsPerShard + (cat.shards.length - before) * ctl.newShardMs), 'the layout search')) return from;
  const scorer = model.prepare(cat.shards, cat.env);
  const prepared = cat.shards.length;
  const start = from.clone();
  start.scorer = scorer;
  solo = await soloCosts(start, ctl);

  // Tables that set the step wherever they go (cost alone above a GPU's fair
  // share, Σ of the tables' costs alone / GPUs) are re-cut first, heaviest
  // first, each to its best action if that lowers the step: the beam below
  // only reaches tables on the critical ranks, a few per step.
  let best: Scored = scoreOf(start);
  {
    const solos = start.layoutOf.map((_, t) => (start.layoutOf[t] ? tableCost(start, t, solo) : 0));
    const fair = solos.reduce((a, b) => a + b, 0) / start.n;
    const heavy = solos
      .map((c, t) => (c > fair && candidates.has(t) ? t : -1))
      .filter((t) => t >= 0)
      .sort((a, b) => solos[b] - solos[a] || a - b);
    for (const t of heavy) {
      if (ctl.outOfTime('the layout search')) break;
      let stepBest: Scored | undefined;
      for (const a of nextActions(best.state, t, prepared)) {
        if (a.kind === 'table') continue; // heavy tables need cutting (or replicating), not merging
        await ctl.tick();
        const child = await apply(best.state, a, solo, ctl, HEAVY_REFINE_STEPS);
        if (!child) continue;
        const sc = scoreOf(child);
        if (!stepBest || better(sc, stepBest)) stepBest = sc;
      }
      if (stepBest && better(stepBest, best)) best = stepBest;
    }
  }
  let beam: PlanState[] = [best.state];
  for (let step = 0; step < depth; step++) {
    if (ctl.outOfTime('the layout search')) break;
    const children: Scored[] = [];
    for (const parent of beam) {
      const tables = tablesOnCritical(parent, solo).filter((t) => candidates.has(t));
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
    // No child beats the best plan seen: deeper re-cuts of these states rarely recover.
    if (!better(stepBest, best)) break;
    best = stepBest;
    beam = children.slice(0, width).map((c) => c.state);
  }
  // Descent: the beam's depth caps it at BEAM_DEPTH re-cuts, but a large
  // cluster may have many heavy tables. Keep re-cutting on the critical ranks
  // of the best plan, one state wide, while that helps.
  for (let step = 0; step < 2 * from.n && !ctl.outOfTime('the layout search'); step++) {
    const parent = best.state;
    let stepBest: Scored | undefined;
    let tried = 0;
    for (const t of tablesOnCritical(parent, solo).filter((x) => candidates.has(x))) {
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
  best.state.settle();
  return best.state;
}

/**
 * GPUs an unsplit tries exactly: every GPU with room on up to
 * UNSPLIT_EXACT_GPUS GPUs (so no single GPU is missed there), else the
 * UNSPLIT_EXACT_GPUS best by the call-free estimate.
 */
const UNSPLIT_EXACT_GPUS = 16;
export function unsplitCandidates(state: PlanState, s: number): number[] {
  const room: number[] = [];
  for (let g = 0; g < state.n; g++) if (state.canHost(g, s)) room.push(g);
  if (room.length <= UNSPLIT_EXACT_GPUS) return room;
  const est = new Map(room.map((g) => [g, state.insertStep(g, s)] as const));
  return room.sort((a, b) => est.get(a)! - est.get(b)! || a - b).slice(0, UNSPLIT_EXACT_GPUS);
}

/**
 * Local-search steps after a table is made whole again: the split (or
 * replicated) plan was refined around the split, so the whole one gets the
 * same chance to move the rank's other shards off before the two are compared.
 */
const WHOLE_REFINE_STEPS = 8;

/**
 * A copy of `state` with table t whole (its 'table' layout, prepared) on the
 * GPU with room that gives the lowest exact step, then refined by a short
 * local search; undefined when no GPU has room.
 */
export async function wholeOnBestGpu(state: PlanState, t: number, ctl: PlanControl): Promise<PlanState | undefined> {
  const whole = state.cat.layout(t, 'table');
  if (!whole) return undefined;
  const s = whole.shards[0];
  const child = state.clone();
  child.setLayout(t, whole);
  child.settle();
  let bestG = -1;
  let bestStep = Infinity;
  let bestSq = Infinity;
  for (const g of unsplitCandidates(child, s)) {
    const v = child.insertStepExact(g, s);
    const sq = child.whatSq;
    if (v < bestStep - 1e-12 * Math.max(1, v) || (v <= bestStep + 1e-12 * Math.max(1, v) && sq < bestSq)) {
      bestStep = v;
      bestSq = sq;
      bestG = g;
    }
  }
  if (bestG < 0) return undefined;
  child.place(s, bestG);
  await localSearch(child, ctl, { solo: child.solo, maxSteps: WHOLE_REFINE_STEPS, exact: REFINE_EXACT });
  return child;
}

/** Layouts that cut a table across GPUs. */
export function isSplit(l: Layout): boolean {
  return l.kind === 'row' || l.kind === 'table_row' || l.kind === 'grid' || ((l.kind === 'column' || l.kind === 'table_column') && l.parts > 1);
}

/**
 * The last word on splits: each split table that may be whole (table-wise
 * allowed, fits one GPU) is tried whole on every GPU with room, the best of
 * them refined by a short local search (wholeOnBestGpu), and stays whole
 * unless the split plan is strictly better; the pass repeats until no split
 * changes. So every split left in a plan pays for
 * the communication it adds, in the critical-path model the plan was made
 * with: no single GPU holding the table whole gives a lower step.
 */
export async function unsplitPass(state: PlanState, ctl: PlanControl): Promise<PlanState> {
  const cat = state.cat;
  let cur = state;
  cur.settle();
  for (let changed = true; changed;) {
    changed = false;
    for (let t = 0; t < cat.tables.length; t++) {
      const l = cur.layoutOf[t];
      if (!l || !isSplit(l) || cat.tables[t].pin !== undefined || !allowedKinds(cat.tables[t]).includes('table')) continue;
      if (!cat.hasLayout(t, 'table', 1, 1, cur.solo.length)) continue;
      if (ctl.outOfTime('the unsplit pass')) return cur;
      await ctl.tick();
      const child = await wholeOnBestGpu(cur, t, ctl);
      if (!child) continue;
      // Whole wins ties: a split must give a strictly lower step to stay.
      const a = scoreOf(cur);
      const b = scoreOf(child);
      if (b.unplaced <= a.unplaced && b.max <= a.max + 1e-9 * Math.max(1, a.max)) {
        cur = child;
        changed = true;
      }
    }
  }
  return cur;
}
