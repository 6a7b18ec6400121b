/**
 * The machine-readable shapes of `--format json` (docs/design.md "Command line"):
 * snake_case keys, ms and bytes, 0-based LSP ranges. One function per shape so
 * tests and scripts have one definition to rely on.
 */
import type { Diagnostic } from '../config/diagnostics';
import type { Placement, PlacementEntry } from '../config/types';
import type { PlanResult } from '../plan/types';

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

/** The placement as written in YAML: `name: gpu`, `name: "dp"`, `name: {column: [..]}`, `name: {table_row: {host: h}}`, … */
export type PlacementEntryJson =
  | number | 'dp' | { column: number[] } | { row: number[] } | { table_column: number[] }
  | { table_row: { host: number } } | { grid: { hosts: number[] } };
export type PlacementJson = Record<string, PlacementEntryJson>;

export function placementEntryJson(entry: PlacementEntry): PlacementEntryJson {
  switch (entry.kind) {
    case 'table': return entry.gpu;
    case 'data_parallel': return 'dp';
    case 'column': return { column: [...entry.gpus] };
    case 'row': return { row: [...entry.gpus] };
    case 'table_column': return { table_column: [...entry.gpus] };
    case 'table_row': return { table_row: { host: entry.host } };
    case 'grid': return { grid: { hosts: [...entry.hosts] } };
  }
}

export function placementJson(placement: Placement): PlacementJson {
  const out: PlacementJson = {};
  for (const [name, entry] of placement) out[name] = placementEntryJson(entry);
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
}

export function planJson(plan: PlanResult): PlanJson {
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
        gpu: g.gpu, tables: g.tables, fwd_ms: g.fwdMs, bwd_ms: g.bwdMs, comm_ms: g.commMs,
        total_ms: g.totalMs, memory_bytes: g.memoryBytes, capacity_bytes: g.capacityBytes,
      };
      if (g.phaseMs) row.phases = { ...g.phaseMs };
      if (g.hostMemoryBytes !== undefined) row.host_memory_bytes = g.hostMemoryBytes;
      return row;
    }),
    placement: placementJson(plan.placement),
    reasons: plan.reasons,
    cost_model: plan.costModel,
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
  /** Set when the strategy could not run at all. */
  error?: string;
}
