/**
 * What a planner produces and what `shardlens plan --format json` prints
 * (docs/design.md "Command line"). Times in ms per step, memory in bytes.
 */
import type { Placement } from '../config/types';

export const STRATEGIES = [
  'random', 'round-robin', 'size', 'dim', 'lookup', 'size-lookup',
  'greedy', 'search', 'column', 'policy', 'best',
] as const;
export type Strategy = (typeof STRATEGIES)[number];

export interface GpuReport {
  gpu: number;
  /** Names of tables (or tables with a shard) on this GPU. */
  tables: string[];
  fwdMs: number;
  bwdMs: number;
  commMs: number;
  totalMs: number;
  memoryBytes: number;
  /** Usable bytes after `reserve`. */
  capacityBytes: number;
  /**
   * ± of fwdMs + bwdMs, ms: the cost model's relative uncertainty
   * (ComputeCost.uncertainty, ~68% of measured sets within) times the compute.
   * Communication is not included. Absent when the model reports none.
   */
  uncertaintyMs?: number;
}

export interface PlanResult {
  strategy: Strategy;
  /** Wall time the planner took, ms. */
  elapsedMs: number;
  /** Predicted max over GPUs of totalMs. */
  maxMs: number;
  meanMs: number;
  /** All memory, pin and sharding-kind constraints hold. */
  feasible: boolean;
  /** Why the plan is infeasible or which tables could not be placed. */
  reasons: string[];
  gpus: GpuReport[];
  placement: Placement;
  /** Name of the cost model that scored it. */
  costModel: string;
  /** ± of the slowest GPU's total (its uncertaintyMs), ms; absent when the model reports none. */
  maxUncertaintyMs?: number;
}
