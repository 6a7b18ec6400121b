/**
 * Plan diff: what changed between two placements of (mostly) the same tables:
 * which tables moved (from → to), each GPU's predicted time and memory before
 * and after, and the step-time change. Both sides are scored by the same cost
 * model whenever they describe the same GPU type, so the change is the
 * placement's, not a model's. Used by `shardlens diff` and by the editor's
 * "vs HEAD" lens. Pure over its inputs (analyses and models come from callers).
 */
import type { Placement, PlacementEntry, ShardConfig } from '../config/types';
import type { CostModel } from '../cost/types';
import { evaluatePlacement } from '../plan/evaluate';
import { sameEntry } from '../config/placementText';
import type { PlanResult } from '../plan/types';
import type { Analysis } from './analyze';

/** One table whose entry differs; `from` absent: newly placed; `to` absent: no longer placed. */
export interface TableMove {
  table: string;
  from?: PlacementEntry;
  to?: PlacementEntry;
}

export interface GpuChange {
  gpu: number;
  /** Predicted per-step time on this GPU, ms; absent when the GPU does not exist on that side. */
  beforeMs?: number;
  afterMs?: number;
  /** afterMs − beforeMs (a missing side counts as 0). */
  changeMs: number;
  beforeMemoryBytes?: number;
  afterMemoryBytes?: number;
}

export interface PlanDiff {
  before: PlanResult;
  after: PlanResult;
  /** after.maxMs − before.maxMs: the step-time change, ms. */
  stepChangeMs: number;
  /** Every table whose placement differs, in the after side's table order, then removed ones. */
  moves: TableMove[];
  /** Counts of `moves` by kind. */
  moved: number;
  added: number;
  removed: number;
  gpus: GpuChange[];
  /** Both sides were scored by one model instance. */
  sameModel: boolean;
  /** Set when the two sides describe different clusters, e.g. "64 × H100-80GB → 128 × H100-80GB". */
  devicesChange?: string;
}

export { sameEntry };

/** Tables whose entry differs between two placements (after's order first, then tables only before has). */
export function placementMoves(before: Placement, after: Placement): TableMove[] {
  const moves: TableMove[] = [];
  for (const [table, to] of after) {
    const from = before.get(table);
    if (!from) moves.push({ table, to });
    else if (!sameEntry(from, to)) moves.push({ table, from, to });
  }
  for (const [table, from] of before) if (!after.has(table)) moves.push({ table, from });
  return moves;
}

/** The diff of two scored placements (pure: no model calls). */
export function diffPlans(before: PlanResult, after: PlanResult, extra: { sameModel: boolean; devicesChange?: string }): PlanDiff {
  const moves = placementMoves(before.placement, after.placement);
  const n = Math.max(before.gpus.length, after.gpus.length);
  const gpus: GpuChange[] = [];
  for (let g = 0; g < n; g++) {
    const b = before.gpus[g];
    const a = after.gpus[g];
    gpus.push({
      gpu: g,
      beforeMs: b?.totalMs,
      afterMs: a?.totalMs,
      changeMs: (a?.totalMs ?? 0) - (b?.totalMs ?? 0),
      beforeMemoryBytes: b?.memoryBytes,
      afterMemoryBytes: a?.memoryBytes,
    });
  }
  return {
    before,
    after,
    stepChangeMs: after.maxMs - before.maxMs,
    moves,
    moved: moves.filter((m) => m.from && m.to).length,
    added: moves.filter((m) => !m.from).length,
    removed: moves.filter((m) => !m.to).length,
    gpus,
    sameModel: extra.sameModel,
    devicesChange: extra.devicesChange,
  };
}

/** Why two analyses cannot be compared, or the model each side is scored with. */
type Scoring = { problem: string } | { beforeModel: CostModel; afterModel: CostModel; before: ShardConfig; after: ShardConfig };

function scoring(before: Analysis, after: Analysis, beforeName: string): Scoring {
  const a = after.loaded.config;
  const b = before.loaded.config;
  if (!a) return { problem: `${after.file} does not load; fix its errors first` };
  if (!b) return { problem: `${beforeName} does not load, so its placement cannot be scored` };
  if (!after.model) return { problem: 'no cost model is available to score the placements' };
  // One GPU type: the current side's model scores both. Another type: each its own.
  const beforeModel = b.devices.type === a.devices.type ? after.model : before.model;
  if (!beforeModel) return { problem: `no cost model is available for ${b.devices.type}` };
  return { beforeModel, afterModel: after.model, before: b, after: a };
}

function score(analysis: Analysis, config: ShardConfig, model: CostModel): Promise<PlanResult> {
  // The analysis already scored a complete placement with this very model.
  if (analysis.current && analysis.model === model) return Promise.resolve(analysis.current);
  return evaluatePlacement(config, config.placement ?? new Map(), model);
}

/**
 * Compares the placement written in `before` (e.g. the file at HEAD) with the
 * one in `after` (the file now). `beforeName` names the before side in
 * messages (e.g. "HEAD:model.shard.yaml").
 */
export async function comparePlacements(before: Analysis, after: Analysis, beforeName: string): Promise<PlanDiff | { problem: string }> {
  const s = scoring(before, after, beforeName);
  if ('problem' in s) return s;
  const [b, a] = await Promise.all([score(before, s.before, s.beforeModel), score(after, s.after, s.afterModel)]);
  const describe = (c: ShardConfig) => `${c.devices.count} \u00d7 ${c.devices.type}`;
  const devicesChange = describe(s.before) !== describe(s.after) ? `${describe(s.before)} \u2192 ${describe(s.after)}` : undefined;
  return diffPlans(b, a, { sameModel: s.beforeModel === s.afterModel, devicesChange });
}
