/**
 * The ShardLens config model: what a `*.shard.yaml` file means once parsed and
 * validated. Pure data; no editor or LSP types. Source positions live beside it
 * (see `SourceRange`) so the LSP layer, the CLI and the tests share one model.
 */

export type Dtype = 'fp32' | 'fp16' | 'bf16';
export type Optimizer = 'sgd' | 'adagrad' | 'rowwise_adagrad' | 'adam';

/**
 * The embedding kernel that runs a table, which is what a cost model prices:
 * - fbgemm_tbe: FBGEMM's table-batched embedding with the optimizer fused into
 *   the backward (TorchRec's `fused` compute kernel; the default);
 * - fbgemm_tbe_uvm_caching: the same kernel with the weights in host memory
 *   (UVM) behind an HBM cache of `cache_load_factor` × rows (TorchRec's
 *   `fused_uvm_caching`);
 * - torch_embedding_bag: PyTorch's `nn.EmbeddingBag(sparse=True)` + a sparse
 *   optimizer step, as in the DLRM reference implementation (what the H100
 *   campaign in models/data/h100 measured).
 */
export type Kernel = 'fbgemm_tbe' | 'fbgemm_tbe_uvm_caching' | 'torch_embedding_bag';
export const KERNELS: readonly Kernel[] = ['fbgemm_tbe', 'fbgemm_tbe_uvm_caching', 'torch_embedding_bag'];
export const DEFAULT_KERNEL: Kernel = 'fbgemm_tbe';

/**
 * How a table's ids map hot values to rows, which decides where the hot rows
 * of a row-split table land: `hashed` (ids hashed over the rows, the default:
 * the hottest rows are scattered, one block holds the hottest) or `sorted`
 * (ids assigned by frequency: the first block holds the head).
 */
export type IdOrder = 'hashed' | 'sorted';

/**
 * TorchRec's sharding types, by the short words the config uses:
 * data_parallel (DP: a replica on every GPU), table (TW), column (CW), row (RW:
 * row blocks over every GPU), table_row (TWRW: row blocks over one host's
 * GPUs), table_column (TWCW: column shards inside one host), grid (GS: column
 * blocks, one per host, each row-split over that host's GPUs).
 */
export type ShardingKind = 'data_parallel' | 'table' | 'column' | 'row' | 'table_row' | 'table_column' | 'grid';

export const DTYPE_BYTES: Readonly<Record<Dtype, 2 | 4>> = { fp32: 4, fp16: 2, bf16: 2 };

/** 0-based line/character position, the same shape as an LSP Position. */
export interface Position {
  line: number;
  character: number;
}
/** 0-based, end-exclusive range, the same shape as an LSP Range. */
export interface Range {
  start: Position;
  end: Position;
}
/** A range in a named file (absolute path or URI string, whatever the caller gave). */
export interface SourceRange {
  file: string;
  range: Range;
}

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
  /** Host (DDR) memory per GPU for UVM-held weights, bytes. */
  hostMemoryBytes: number;
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
  /** Kernel that runs this table (the top-level `kernel:` unless overridden). */
  kernel: Kernel;
  /** fbgemm_tbe_uvm_caching only: HBM cache rows as a fraction of `rows` (0..1]. */
  cacheLoadFactor?: number;
  /** Where hot ids land among the rows (for row blocks); default hashed. */
  ids: IdOrder;
  /** Allowed sharding kinds (default: every kind). */
  sharding: ShardingKind[];
  /** GPU this table must live on, if pinned. */
  pin?: number;
}

/**
 * Where one table lives, one variant per sharding kind (written forms in
 * docs/config-format.md). Lists of GPUs are in shard order; `entryRanks`
 * (config/placementRanks.ts) gives every kind's GPUs in shard order.
 */
export type PlacementEntry =
  /** `name: dp`: a full replica on every GPU; each serves its local batch. */
  | { kind: 'data_parallel' }
  /** `name: 3`: the whole table on one GPU. */
  | { kind: 'table'; gpu: number }
  /** `{column: [0, 1]}`: dim split into equal widths, one shard per listed GPU. */
  | { kind: 'column'; gpus: number[] }
  /** `{row: all}` (every GPU, TorchRec's row_wise) or `{row: [0, 1]}`: row blocks in order. */
  | { kind: 'row'; gpus: number[] }
  /** `{table_row: {host: 1}}`: row blocks over the GPUs of one host. */
  | { kind: 'table_row'; host: number }
  /** `{table_column: [8, 9]}`: column shards on GPUs of one host. */
  | { kind: 'table_column'; gpus: number[] }
  /** `{grid: {hosts: [0, 1]}}`: column block c on host hosts[c], row-split over that host's GPUs. */
  | { kind: 'grid'; hosts: number[] };

/** Table name → placement, in the order written. */
export type Placement = Map<string, PlacementEntry>;

export interface ShardConfig {
  version: 1;
  /** Bags per table per step, global. */
  batchSize: number;
  dtype: Dtype;
  optimizer: Optimizer;
  /** Default kernel of the tables (`kernel:`). */
  kernel: Kernel;
  /** Dense model + its optimizer state + DDP buffers on every GPU, bytes (`dense_bytes`, default 0). */
  denseBytes: number;
  devices: DeviceSpec;
  tables: TableSpec[];
  /** Absent when the file has no `placement:` section. */
  placement?: Placement;
}
