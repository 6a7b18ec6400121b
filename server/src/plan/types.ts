/**
 * What a planner produces and what `shardlens plan --format json` prints
 * (docs/cli.md "JSON output contracts"). Times in ms per step, memory in bytes.
 */
import type { Placement } from '../config/types';
import type { PhaseName, PhaseSummary, PhaseTimes } from '../cost/stepCost';

export const STRATEGIES = ['random', 'round-robin', 'size', 'dim', 'lookup', 'size-lookup', 'greedy', 'search', 'column', 'policy', 'torchrec', 'best'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export type { PhaseName, PhaseSummary, PhaseTimes };

export interface GpuReport {
  gpu: number;
  /** Names of tables (or tables with a shard or replica) on this GPU. */
  tables: string[];
  fwdMs: number;
  bwdMs: number;
  /** This GPU's communication: input dist + output dist + gradient dist + DP all-reduce. */
  commMs: number;
  /** Σ of this GPU's phases (its busy time; the step waits for the slowest rank of each phase). */
  totalMs: number;
  /** HBM: shards' weights, optimizer state, caches and I/O buffers (not the dense or KJT reservations). */
  memoryBytes: number;
  /** HBM for shards: HBM × (1 − reserve) − dense_bytes − the KJT reservation. */
  capacityBytes: number;
  /**
   * ± of fwdMs + bwdMs, ms: the cost model's relative uncertainty
   * (ComputeCost.uncertainty, ~68% of measured sets within) times the compute.
   * Communication is not included. Absent when the model reports none.
   */
  uncertaintyMs?: number;
  /** This GPU's ms per phase of the step (cost/stepCost.ts). */
  phaseMs?: PhaseTimes;
  /** Host (DDR) bytes of UVM-cached shards, when any. */
  hostMemoryBytes?: number;
}

export interface PlanResult {
  strategy: Strategy;
  /** Wall time the planner took, ms. */
  elapsedMs: number;
  /**
   * The step's embedding time: the critical path, Σ over phases of the
   * slowest rank's ms in that phase. What planners minimise.
   */
  maxMs: number;
  /** Mean over GPUs of totalMs. */
  meanMs: number;
  /** Max over GPUs of totalMs (the busiest rank; maxGpuMs / meanMs is the imbalance). */
  maxGpuMs: number;
  /** Per phase: the slowest rank and its ms (Σ maxMs = maxMs). */
  phases: PhaseSummary[];
  /** All memory, pin and sharding-kind constraints hold. */
  feasible: boolean;
  /** Why the plan is infeasible or which tables could not be placed. */
  reasons: string[];
  /**
   * What the user should know about how the plan was made, without making it
   * infeasible: e.g. "stopped at the time budget after 27.1 s in local
   * search …: this is the best plan found by then". Absent when none.
   */
  notes?: string[];
  gpus: GpuReport[];
  placement: Placement;
  /** Name of the cost model that scored it. */
  costModel: string;
  /**
   * ± of the step (maxMs), ms: the slowest ranks' compute error in the forward
   * and backward phases (cost/stepCost.ts stepUncertaintyMs); absent when the
   * model reports none.
   */
  maxUncertaintyMs?: number;
}
