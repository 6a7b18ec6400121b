/**
 * The cost-model interface. Both the analytic model (analytic.ts) and the
 * learned ONNX model implement `CostModel`; planners, the LSP layer and the CLI
 * only see this interface. Units: milliseconds per training step.
 */
import type { DeviceSpec, IdOrder, Kernel, Optimizer } from '../config/types';
import type { CommConstants } from './comm';

/** Where a row block sits in its table: rows [offset, offset + rows) of `tableRows`. */
export interface RowBlock {
  offset: number;
  tableRows: number;
  ids: IdOrder;
}

/**
 * The work one GPU does for one table or one shard of it. A column shard has a
 * smaller `dim`; a row shard has fewer `rows` and the share of the lookups its
 * rows receive (pooling is scaled by the caller; rowBlocks.ts). A shard is an
 * immutable value: models memoise costs by the object and by its numbers.
 */
export interface Shard {
  /** Table name (shards of one table share it). */
  table: string;
  rows: number;
  dim: number;
  /** Mean lookups per bag that land on this shard. */
  pooling: number;
  /** Power-law exponent of the index distribution; 0 = uniform. */
  zipf: number;
  /** Optional 17-bin reuse histogram from the config. */
  histogram?: number[];
  dtypeBytes: 2 | 4;
  /** The kernel that runs it; each kernel is a separate launch sequence on the GPU. */
  kernel: Kernel;
  /** fbgemm_tbe_uvm_caching: HBM cache rows as a fraction of the table's rows. */
  cacheLoadFactor?: number;
  /**
   * Bags per step this shard looks up: absent for model-parallel shards (the
   * global batch, env.batchSize); batch / N for a data-parallel replica.
   */
  bags?: number;
  /** Present for a row block (row, table_row, grid shards): where its rows sit in the table. */
  block?: RowBlock;
}

/** Everything about the run that is not a property of one shard. */
export interface CostEnv {
  /** Bags per table per step, global (the config's batch_size). */
  batchSize: number;
  optimizer: Optimizer;
  device: DeviceSpec;
  /**
   * Communication constants fitted on measured collectives (cost/commFit.ts);
   * absent: the preset constants (cost/comm.ts PRESET_COMM).
   */
  comm?: CommConstants;
}

/** Compute time of the shards fused on one GPU. */
export interface ComputeCost {
  fwdMs: number;
  bwdMs: number;
  /**
   * Relative ± of fwdMs + bwdMs (0.1 = ±10%): about 68% of measured sets fall
   * within (1 ± uncertainty) × the prediction, from the model's held-out errors
   * (and, for the learned model, its ensemble's spread). Absent: not known.
   */
  uncertainty?: number;
}

/** An input outside what a cost model was fitted on, and how it was priced instead (trainingRanges.ts). */
export interface RangeNote {
  input: 'rows' | 'dim' | 'pooling' | 'zipf' | 'batch_size' | 'dtype' | 'optimizer' | 'kernel' | 'tables_per_gpu';
  value: number | string;
  /** The measured range in words, e.g. "1,002–49,890,859 rows". */
  range: string;
  /** One sentence for users: the input, the range, how it was priced. */
  message: string;
  /**
   * 'info': inside the measured range but not itself measured (a dim between
   * two measured dims), priced from the nearest measured point with no fade
   * to the analytic model: shown in hover, not a warning. Absent: a warning
   * (SL110), the input is outside what the model was measured on.
   */
  level?: 'info';
}

/** Synchronous scorer over a fixed list of shards, for planners' inner loops. */
export interface SetScorer {
  /** Compute cost of the shards `members` (indices into the prepared list) fused on one GPU. */
  score(members: readonly number[]): ComputeCost;
}

export interface CostModel {
  /** Shown to users: e.g. "learned: h100-cost-v1" or "analytic: H100-80GB". */
  readonly name: string;
  readonly source: 'learned' | 'analytic';
  /** Batched: one call scores every set (a set = the shards on one GPU). */
  predict(sets: readonly (readonly Shard[])[], env: CostEnv): Promise<ComputeCost[]>;
  /** Synchronous scorer with the same numbers as `predict`, for search. */
  prepare(shards: readonly Shard[], env: CostEnv): SetScorer;
  /**
   * What a user should know about how this model prices `env` beyond its
   * name, e.g. "optimizer term (adam) from the analytic model". Optional:
   * plain models have nothing to add; wrappers (corrections, guards,
   * calibration) say what they changed.
   */
  notes?(env: CostEnv): string[];
  /** Inputs of one table (a whole-table shard) outside what the model was fitted on (guard.ts); `dtype` as written. */
  rangeNotes?(shard: Shard, env: CostEnv, dtype?: string): RangeNote[];
  /**
   * A note when one GPU running `tables` tables (of `kernel`, for a model
   * that prices several kernels) is outside what the model was fitted on.
   */
  setSizeNote?(tables: number, kernel?: Kernel): RangeNote | undefined;
}
