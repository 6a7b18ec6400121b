/**
 * The ShardLens config model: what a `*.shard.yaml` file means once parsed and
 * validated. Pure data; no editor or LSP types. Source positions live beside it
 * (see `SourceRange`) so the LSP layer, the CLI and the tests share one model.
 */

export type Dtype = 'fp32' | 'fp16';
export type Optimizer = 'sgd' | 'rowwise_adagrad' | 'adam';
export type ShardingKind = 'table' | 'column' | 'row';

export const DTYPE_BYTES: Readonly<Record<Dtype, 2 | 4>> = { fp32: 4, fp16: 2 };

/** 0-based line/character position, the same shape as an LSP Position. */
export interface Position { line: number; character: number }
/** 0-based, end-exclusive range, the same shape as an LSP Range. */
export interface Range { start: Position; end: Position }
/** A range in a named file (absolute path or URI string, whatever the caller gave). */
export interface SourceRange { file: string; range: Range }

/** Hardware description of one GPU kind; every number can be overridden in `devices:`. */
export interface DeviceSpec {
  /** Preset name as written, e.g. "H100-80GB". */
  type: string;
  /** GPUs in the cluster. */
  count: number;
  /** GPUs per host; all-to-all beyond this crosses the network. */
  perHost: number;
  /** Fraction of HBM kept free for activations, dense params, workspace (0..0.9). */
  reserve: number;
  /** HBM capacity per GPU, bytes. */
  memoryBytes: number;
  /** Peak HBM bandwidth, GB/s (1e9 bytes/s). */
  hbmGBps: number;
  /** L2 cache size, bytes. */
  l2Bytes: number;
  /** Streaming multiprocessors. */
  sms: number;
  /** GPU-to-GPU bandwidth inside a host, GB/s per direction. */
  nvlinkGBps: number;
  /** Network bandwidth per GPU across hosts, GB/s per direction. */
  networkGBps: number;
}

export interface TableSpec {
  name: string;
  rows: number;
  /** Embedding dimension; a multiple of 4. */
  dim: number;
  /** Mean lookups per bag. */
  pooling: number;
  /** Power-law exponent of the index distribution; 0 = uniform. */
  zipf: number;
  /** Optional 17-bin reuse histogram (fraction of unique indices per log2 reuse bin). */
  histogram?: number[];
  dtype: Dtype;
  /** Allowed sharding kinds (default all three). */
  sharding: ShardingKind[];
  /** GPU this table must live on, if pinned. */
  pin?: number;
}

/** Where one table lives. Column/row shards list one GPU per shard, in order. */
export type PlacementEntry =
  | { kind: 'table'; gpu: number }
  | { kind: 'column'; gpus: number[] }
  | { kind: 'row'; gpus: number[] };

/** Table name → placement, in the order written. */
export type Placement = Map<string, PlacementEntry>;

export interface ShardConfig {
  version: 1;
  /** Bags per table per step, global. */
  batchSize: number;
  dtype: Dtype;
  optimizer: Optimizer;
  devices: DeviceSpec;
  tables: TableSpec[];
  /** Absent when the file has no `placement:` section. */
  placement?: Placement;
}
