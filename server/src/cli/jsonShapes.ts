/**
 * The machine-readable shapes of `--format json` (docs/cli.md "JSON output contracts"):
 * snake_case keys, ms and bytes, 0-based LSP ranges. One function per shape so
 * tests and scripts have one definition to rely on.
 */
import type { Diagnostic } from '../config/diagnostics';
import type { Placement, PlacementEntry } from '../config/types';
import { isEveryGpu } from '../config/placementText';
import type { PlanDiff } from '../engine/planDiff';
import type { SweepResult, SweepRow } from '../engine/sweep';
import type { GateVerdict } from '../engine/worseGate';
import { costModelsJson, type CostModelJson } from '../engine/pricingText';
import type { KernelPricing } from '../cost/kernelDispatch';
import type { MoveBudgetResult } from '../plan/moveBudget';
import type { PlanResult } from '../plan/types';
import type { TableExplanation } from '../engine/explainTable';
import type { PlacedTableCost } from '../engine/placedTables';

export interface DiagnosticJson {
  file: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  severity: Diagnostic['severity'];
  code: string;
  message: string;
}

export function diagnosticJson(d: Diagnostic, displayFile: (f: string) => string): DiagnosticJson {
  return {
    file: displayFile(d.file),
    range: {
      start: { line: d.range.start.line, character: d.range.start.character },
      end: { line: d.range.end.line, character: d.range.end.character },
    },
    severity: d.severity,
    code: d.code,
    message: d.message,
  };
}

/** The placement as written in YAML: `name: gpu`, `name: "dp"`, `name: {column: [..]}`, `name: {row: "all"}`, `name: {table_row: {host: h}}`, … */
export type PlacementEntryJson =
  number | 'dp' | { column: number[] } | { row: number[] | 'all' } | { table_column: number[] } | { table_row: { host: number } } | { grid: { hosts: number[] } };
export type PlacementJson = Record<string, PlacementEntryJson>;

/** One entry; a row entry over every GPU of a `world`-GPU cluster, in order, is `{row: "all"}` as the writer puts it. */
export function placementEntryJson(entry: PlacementEntry, world?: number): PlacementEntryJson {
  switch (entry.kind) {
    case 'table':
      return entry.gpu;
    case 'data_parallel':
      return 'dp';
    case 'column':
      return { column: [...entry.gpus] };
    case 'row':
      return { row: isEveryGpu(entry.gpus, world) ? 'all' : [...entry.gpus] };
    case 'table_column':
      return { table_column: [...entry.gpus] };
    case 'table_row':
      return { table_row: { host: entry.host } };
    case 'grid':
      return { grid: { hosts: [...entry.hosts] } };
  }
}

export function placementJson(placement: Placement, world?: number): PlacementJson {
  const out: PlacementJson = {};
  for (const [name, entry] of placement) out[name] = placementEntryJson(entry, world);
  return out;
}

export interface GpuJson {
  gpu: number;
  tables: string[];
  fwd_ms: number;
  bwd_ms: number;
  comm_ms: number;
  total_ms: number;
  memory_bytes: number;
  capacity_bytes: number;
  /** The cost model's ± of fwd + bwd, ms (about 68% of measured sets within); absent when unknown. */
  uncertainty_ms?: number;
  /** This GPU's ms per phase of the step (input_dist, forward, output_dist, grad_dist, backward, dp_sync). */
  phases?: Record<string, number>;
  /** Host bytes of UVM-cached shards, when any. */
  host_memory_bytes?: number;
}

export interface PhaseJson {
  name: string;
  /** The slowest GPU's ms in this phase. */
  max_ms: number;
  gpu: number;
}

export interface PlanJson {
  strategy: string;
  elapsed_ms: number;
  /** The step's embedding time: the critical path, Σ over phases of the slowest GPU's ms. */
  max_ms: number;
  mean_ms: number;
  /** The busiest GPU's total (Σ of its phases). */
  max_gpu_ms: number;
  phases: PhaseJson[];
  feasible: boolean;
  gpus: GpuJson[];
  placement: PlacementJson;
  /** Added fields (optional for consumers): why infeasible, the model that scored it. */
  reasons: string[];
  cost_model: string;
  /** Per kernel the tables run: the model that priced it, learned or analytic, and what was added to it. */
  cost_models: CostModelJson[];
  /** ± of max_ms (the step): the slowest ranks' forward and backward model error, ms; absent when the model reports none. */
  max_uncertainty_ms?: number;
  /** How the plan was made, when it matters (e.g. "stopped at the time budget after …"); absent when none. */
  notes?: string[];
}

/** `pricing`: the analysis's per-kernel models (Analysis.costModel.kernels). */
export function planJson(plan: PlanResult, pricing?: readonly KernelPricing[]): PlanJson {
  return {
    strategy: plan.strategy,
    elapsed_ms: plan.elapsedMs,
    max_ms: plan.maxMs,
    mean_ms: plan.meanMs,
    max_gpu_ms: plan.maxGpuMs,
    phases: plan.phases.map((p) => ({ name: p.name, max_ms: p.maxMs, gpu: p.gpu })),
    feasible: plan.feasible,
    gpus: plan.gpus.map((g) => {
      const row: GpuJson = {
        gpu: g.gpu,
        tables: g.tables,
        fwd_ms: g.fwdMs,
        bwd_ms: g.bwdMs,
        comm_ms: g.commMs,
        total_ms: g.totalMs,
        memory_bytes: g.memoryBytes,
        capacity_bytes: g.capacityBytes,
      };
      if (g.uncertaintyMs !== undefined) row.uncertainty_ms = g.uncertaintyMs;
      if (g.phaseMs) row.phases = { ...g.phaseMs };
      if (g.hostMemoryBytes !== undefined) row.host_memory_bytes = g.hostMemoryBytes;
      return row;
    }),
    placement: placementJson(plan.placement, plan.gpus.length || undefined),
    reasons: plan.reasons,
    cost_model: plan.costModel,
    cost_models: costModelsJson(pricing),
    ...(plan.maxUncertaintyMs !== undefined ? { max_uncertainty_ms: plan.maxUncertaintyMs } : {}),
    ...(plan.notes && plan.notes.length > 0 ? { notes: plan.notes } : {}),
  };
}

/** One row of `plan --tables --format json` (engine/placedTables.ts). */
export interface PlacedTableJson {
  table: string;
  kind: string;
  gpus: number[];
  shards: number;
  /** The slowest shard alone on its GPU (slowest_gpu), ms. */
  fwd_ms: number;
  bwd_ms: number;
  slowest_gpu: number;
  uncertainty_ms?: number;
  memory_bytes: number;
  kernel: string;
  model: string;
}

export function placedTableJson(r: PlacedTableCost): PlacedTableJson {
  const out: PlacedTableJson = {
    table: r.name,
    kind: r.kind,
    gpus: [...r.gpus],
    shards: r.shards,
    fwd_ms: r.fwdMs,
    bwd_ms: r.bwdMs,
    slowest_gpu: r.slowestGpu,
    memory_bytes: r.memoryBytes,
    kernel: r.kernel,
    model: r.model,
  };
  if (r.uncertaintyMs !== undefined) out.uncertainty_ms = r.uncertaintyMs;
  return out;
}

/** `shardlens explain FILE TABLE --format json` (docs/cli.md "JSON output contracts"). */
export interface ExplainJson {
  file: string;
  table: { name: string; rows: number; dim: number; dtype: string; pooling: number; zipf: number; ids: string; kernel: string; cache_load_factor?: number };
  optimizer: string;
  batch_size: number;
  device: string;
  placement: { entry: PlacementEntryJson; kind: string; torchrec: string; placed: boolean };
  cost_model: CostModelJson;
  counted_by: string;
  shards: ExplainShardJson[];
  range_notes: { input: string; value: number | string; range: string; message: string; level: 'warning' | 'info' }[];
}

export interface ExplainShardJson {
  gpu: number;
  host: number;
  /** [first, count]. */
  rows: [number, number];
  columns: [number, number];
  bags: number;
  lookups: number;
  distinct_rows: number;
  hit_rate: number;
  block?: { lookup_share: number; hot_rows_share: number; hottest_row_lookups: number };
  bytes: { fwd_read: number; fwd_written: number; fwd_l2: number; bwd: number; optimizer_state: number; host_link: number };
  fwd_ms: number;
  bwd_ms: number;
  uncertainty_ms?: number;
  comm_ms: { input_dist: number; output_dist: number; grad_dist: number; dp_sync: number; total: number };
  memory: { hbm_bytes: number; hbm_tensor_bytes: number; io_bytes: number; host_bytes: number; weights_bytes: number; optimizer_state_bytes: number };
}

export function explainJson(x: TableExplanation, file: string, world: number): ExplainJson {
  const t = x.table;
  return {
    file,
    table: {
      name: t.name,
      rows: t.rows,
      dim: t.dim,
      dtype: t.dtype,
      pooling: t.pooling,
      zipf: t.zipf,
      ids: t.ids,
      kernel: t.kernel,
      ...(t.cacheLoadFactor !== undefined ? { cache_load_factor: t.cacheLoadFactor } : {}),
    },
    optimizer: x.optimizer,
    batch_size: x.batchSize,
    device: x.deviceType,
    placement: { entry: placementEntryJson(x.entry, world), kind: x.entry.kind, torchrec: x.torchrecKind, placed: x.placed },
    cost_model: costModelsJson([x.pricing])[0],
    counted_by: x.shards[0]?.traffic.countedBy ?? '',
    shards: x.shards.map((s) => {
      const tr = s.traffic;
      const out: ExplainShardJson = {
        gpu: s.gpu,
        host: s.host,
        rows: [s.rowStart, s.rows],
        columns: [s.colStart, s.cols],
        bags: s.bags,
        lookups: tr.lookups,
        distinct_rows: tr.distinctRows,
        hit_rate: tr.hitRate,
        bytes: { fwd_read: tr.fwdReadBytes, fwd_written: tr.fwdWrittenBytes, fwd_l2: tr.fwdL2Bytes, bwd: tr.bwdBytes, optimizer_state: tr.stateBytes, host_link: tr.hostLinkBytes },
        fwd_ms: s.fwdMs,
        bwd_ms: s.bwdMs,
        comm_ms: { input_dist: s.commMs.inputDist, output_dist: s.commMs.outputDist, grad_dist: s.commMs.gradDist, dp_sync: s.commMs.dpSync, total: s.commMs.total },
        memory: {
          hbm_bytes: s.memory.hbmBytes,
          hbm_tensor_bytes: s.memory.hbmTensorBytes,
          io_bytes: s.memory.ioBytes,
          host_bytes: s.memory.hostBytes,
          weights_bytes: s.memory.weightsBytes,
          optimizer_state_bytes: s.memory.stateBytes,
        },
      };
      if (tr.block) out.block = { lookup_share: tr.block.lookupShare, hot_rows_share: tr.block.hotRowsShare, hottest_row_lookups: tr.block.hottestRowLookups };
      if (s.uncertaintyMs !== undefined) out.uncertainty_ms = s.uncertaintyMs;
      return out;
    }),
    range_notes: x.rangeNotes.map((n) => ({ input: n.input, value: n.value, range: n.range, message: n.message, level: n.level ?? 'warning' })),
  };
}

/** One row of `plan --compare --format json`. */
export interface CompareRowJson {
  strategy: string;
  elapsed_ms: number;
  max_ms: number | null;
  mean_ms: number | null;
  max_over_mean: number | null;
  feasible: boolean;
  reasons: string[];
  /** ± of max_ms (the step: the cost model's error of the slowest ranks' compute), ms; absent when unknown. */
  max_uncertainty_ms?: number;
  /** Set when the strategy could not run at all. */
  error?: string;
  /** As PlanJson.notes (e.g. the time budget cut the strategy short). */
  notes?: string[];
}

/** One cluster of `sweep --format json`; the step-time fields are null when no feasible plan was found. */
export interface SweepRowJson {
  type: string;
  gpus: number;
  /** The plan's step time (PlanResult.maxMs), ms. */
  max_ms: number | null;
  mean_ms: number | null;
  /** Used (or, when not every table could be placed, needed) over usable HBM of all GPUs. */
  memory_fraction: number | null;
  feasible: boolean;
  /** max_ms / 1000 × gpus. */
  gpu_seconds_per_step: number | null;
  /** Present when infeasible: why. */
  reason?: string;
  /** Added fields: the model that scored the plan, planner wall time, pins ignored on this cluster. */
  cost_model: string;
  elapsed_ms: number;
  dropped_pins?: string[];
}

export interface SweepJson {
  file: string;
  strategy: string;
  /** Soft limit per plan, ms; null = none. */
  plan_budget_ms: number | null;
  elapsed_ms: number;
  rows: SweepRowJson[];
}

const orNull = (x: number | undefined): number | null => (x !== undefined && Number.isFinite(x) ? x : null);

export function sweepRowJson(r: SweepRow): SweepRowJson {
  const row: SweepRowJson = {
    type: r.type,
    gpus: r.gpus,
    max_ms: orNull(r.maxMs),
    mean_ms: orNull(r.meanMs),
    memory_fraction: orNull(r.memoryFraction),
    feasible: r.feasible,
    gpu_seconds_per_step: orNull(r.gpuSecondsPerStep),
    cost_model: r.costModel,
    elapsed_ms: r.elapsedMs,
  };
  if (!r.feasible) row.reason = r.reason ?? 'no feasible plan found';
  if (r.droppedPins) row.dropped_pins = r.droppedPins;
  return row;
}

export function sweepJson(result: SweepResult, file: string): SweepJson {
  return {
    file,
    strategy: result.strategy,
    plan_budget_ms: result.planBudgetMs ?? null,
    elapsed_ms: result.elapsedMs,
    rows: result.rows.map(sweepRowJson),
  };
}

/** One side of `diff --format json`. */
export interface DiffSideJson {
  /** The file, or `REF:file` for a git revision. */
  name: string;
  max_ms: number;
  mean_ms: number;
  feasible: boolean;
  reasons: string[];
  cost_model: string;
}

export interface DiffJson {
  before: DiffSideJson;
  after: DiffSideJson;
  /** after.max_ms − before.max_ms. */
  step_ms_change: number;
  /** Both sides scored by one model. */
  same_model: boolean;
  /** e.g. "64 × H100-80GB → 128 × H100-80GB"; null when the cluster is unchanged. */
  devices_change: string | null;
  moved: number;
  added: number;
  removed: number;
  /** Every table whose entry differs; from/to in the YAML shape, null when not placed on that side. */
  moves: Array<{ table: string; from: PlacementEntryJson | null; to: PlacementEntryJson | null }>;
  /** Every GPU of either side; a side's fields are null where that GPU does not exist. */
  gpus: Array<{
    gpu: number;
    before_ms: number | null;
    after_ms: number | null;
    change_ms: number;
    before_memory_bytes: number | null;
    after_memory_bytes: number | null;
  }>;
}

function diffSideJson(name: string, p: PlanResult): DiffSideJson {
  return { name, max_ms: p.maxMs, mean_ms: p.meanMs, feasible: p.feasible, reasons: p.reasons, cost_model: p.costModel };
}

export function planDiffJson(d: PlanDiff, beforeName: string, afterName: string): DiffJson {
  return {
    before: diffSideJson(beforeName, d.before),
    after: diffSideJson(afterName, d.after),
    step_ms_change: d.stepChangeMs,
    same_model: d.sameModel,
    devices_change: d.devicesChange ?? null,
    moved: d.moved,
    added: d.added,
    removed: d.removed,
    moves: d.moves.map((m) => ({ table: m.table, from: m.from ? placementEntryJson(m.from) : null, to: m.to ? placementEntryJson(m.to) : null })),
    gpus: d.gpus.map((g) => ({
      gpu: g.gpu,
      before_ms: g.beforeMs ?? null,
      after_ms: g.afterMs ?? null,
      change_ms: g.changeMs,
      before_memory_bytes: g.beforeMemoryBytes ?? null,
      after_memory_bytes: g.afterMemoryBytes ?? null,
    })),
  };
}

/** `gate` of `plan --fail-if-worse P% --format json`. */
export interface GateJson {
  passed: boolean;
  threshold_percent: number;
  /** Step time of the written placement, ms; null when it has none (or an incomplete one). */
  written_max_ms: number | null;
  planned_max_ms: number;
  /** (written / planned − 1) × 100; null when not comparable. */
  over_percent: number | null;
  /** GPUs of the written placement over the allowed step time, slowest first. */
  gpus: Array<{ gpu: number; total_ms: number }>;
  message: string;
}

export function gateJson(g: GateVerdict): GateJson {
  return {
    passed: g.passed,
    threshold_percent: g.thresholdPercent,
    written_max_ms: g.writtenMs ?? null,
    planned_max_ms: g.plannedMs,
    over_percent: g.overPercent ?? null,
    gpus: g.gpus.map((x) => ({ gpu: x.gpu, total_ms: x.ms })),
    message: g.message,
  };
}

/** `move_budget` of `plan --max-moves N --format json`. */
export interface MoveBudgetJson {
  max_moves: number;
  /** Tables whose entry changes (≤ max_moves), required ones included. */
  moves_used: number;
  /** Moves the written placement needs just to become feasible (missing, invalid or over-memory entries; entries of tables not in the config). */
  required_moves: number;
  /** max_moves < required_moves: the plan is the written placement, unchanged (and infeasible). */
  too_few_moves: boolean;
  /** Step time of the written placement, ms; null unless every table has an entry. */
  written_max_ms: number | null;
  /** The unconstrained plan the moves head toward, for comparison. */
  full_plan: { max_ms: number; moves: number; feasible: boolean };
  /** Which search found the plan: written, toward-plan, local-search or back-from-plan. */
  method: string;
  /** What the moves with a null gain_ms (and not required) took off together, ms. */
  joint_gain_ms: number;
  /**
   * Every table whose entry changes, config order; from/to in the YAML shape (null: no entry on that side).
   * gain_ms: how much the move lowered the step when the moves are replayed best first; null for
   * required moves and moves that only pay together (joint_gain_ms).
   */
  moves: Array<{ table: string; from: PlacementEntryJson | null; to: PlacementEntryJson | null; gain_ms: number | null; required: boolean }>;
}

export function moveBudgetJson(r: MoveBudgetResult): MoveBudgetJson {
  return {
    max_moves: r.maxMoves,
    moves_used: r.moves.length,
    required_moves: r.requiredMoves,
    too_few_moves: r.tooFewMoves,
    written_max_ms: r.written ? r.written.maxMs : null,
    full_plan: { max_ms: r.full.maxMs, moves: r.fullMoves, feasible: r.full.feasible },
    method: r.method,
    joint_gain_ms: r.jointGainMs,
    moves: r.moves.map((m) => ({
      table: m.table,
      from: m.from ? placementEntryJson(m.from) : null,
      to: m.to ? placementEntryJson(m.to) : null,
      gain_ms: m.gainMs ?? null,
      required: m.required,
    })),
  };
}
