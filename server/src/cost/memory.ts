/**
 * Memory a shard takes, and what a GPU has for shards, in bytes, as TorchRec's
 * planner accounts for them (torchrec/distributed/planner/shard_estimators.py
 * `calculate_shard_storages` and storage_reservations.py
 * `HeuristicalStorageReservation`; docs/research/torchrec-planner.md §1.5, §4).
 * The validator (config/validateMemory.ts), evaluatePlacement and every
 * planner use these functions, so a plan fits exactly when `check` says so.
 *
 * Per shard:
 * - weights rows × dim × dtype bytes, plus optimizer state as FBGEMM keeps it
 *   (fp32 whatever the weight dtype: sgd none; adagrad 4 B per element;
 *   rowwise_adagrad 4 B per row; adam 8 B per element). TorchRec scales the
 *   state by the weight dtype instead, which undercounts fp16 tables.
 * - fbgemm_tbe_uvm_caching: weights and state live in host memory (UVM); HBM
 *   holds the cache, cache_load_factor × (weights + state), and its metadata,
 *   ⌈rows × (4 + 16 × cache_load_factor)⌉ bytes (index map int32, cache state
 *   and LRU timestamps int64 per slot).
 * - input and output buffers of the step (TorchRec's pipeline type NONE
 *   counts both), with L = pooling, b = local bags, B = global bags, W ranks,
 *   w ranks per host, ids int64, outputs in the table dtype:
 *     data_parallel      input 8·L·b        output b·D·e
 *     table/column/tc    input 8·L·B        output B·d·e
 *     row                input 8·L·b        output B·D·e
 *     table_row, grid    input 8·L·B/w      output B·d·e
 *   an empty row block (0 rows) has none.
 * Per GPU, the space for shards is HBM × (1 − reserve) − dense_bytes − the
 * KJT reservation 20 × ⌈8 × Σ_tables L × b⌉ (two pipelined batches × ten
 * copies of the ids, per TorchRec).
 */
import { DEFAULT_CACHE_LOAD_FACTOR } from '../config/keys';
import { DTYPE_BYTES, type DeviceSpec, type Optimizer, type ShardConfig, type ShardingKind, type TableSpec } from '../config/types';
import { tableShard } from './shards';
import type { Shard } from './types';

/** Bytes per id in TorchRec's storage estimates (BIGINT_DTYPE). */
const ID_BYTES = 8;
/** TorchRec's KJT reservation: 2 pipelined batches × 10 internal copies. */
export const KJT_COPIES = 20;

/** Weights + optimizer state, bytes. */
export function shardMemoryBytes(rows: number, dim: number, dtypeBytes: number, optimizer: Optimizer): number {
  const weights = rows * dim * dtypeBytes;
  switch (optimizer) {
    case 'sgd':
      return weights;
    case 'adagrad':
      return weights + rows * dim * 4;
    case 'rowwise_adagrad':
      return weights + rows * 4;
    case 'adam':
      return weights + rows * dim * 8;
  }
}

/** Weights alone of a whole table, bytes (also what a data-parallel table's gradient all-reduce moves). */
export function tableWeightBytes(table: Pick<TableSpec, 'rows' | 'dim' | 'dtype'>): number {
  return shardMemoryBytes(table.rows, table.dim, DTYPE_BYTES[table.dtype] ?? 4, 'sgd');
}

/** Weights + optimizer state of a whole table, bytes. */
export function tableMemoryBytes(table: TableSpec, optimizer: Optimizer): number {
  return shardMemoryBytes(table.rows, table.dim, DTYPE_BYTES[table.dtype], optimizer);
}

/** Bytes of one GPU after the `reserve` fraction (before dense and KJT reservations). */
export function usableMemoryBytes(device: Pick<DeviceSpec, 'memoryBytes' | 'reserve'>): number {
  return Math.floor(device.memoryBytes * (1 - device.reserve));
}

/** HBM and host (UVM) bytes of one shard. */
export interface Storage {
  hbm: number;
  host: number;
}

/** What the I/O buffers of a shard depend on. */
export interface StorageContext {
  optimizer: Optimizer;
  /** Global bags per step. */
  batchSize: number;
  /** Ranks and ranks per host. */
  count: number;
  perHost: number;
}

export function storageContext(config: ShardConfig): StorageContext {
  return { optimizer: config.optimizer, batchSize: config.batchSize, count: config.devices.count, perHost: config.devices.perHost };
}

function finite(x: number): number {
  return Number.isFinite(x) && x > 0 ? x : 0;
}

/** Input and output buffer bytes of one shard of `kind` (table pooling `pooling`). */
export function ioBytes(shard: Shard, kind: ShardingKind, pooling: number, ctx: StorageContext): number {
  if (shard.rows <= 0) return 0;
  const W = Math.max(1, ctx.count);
  const w = Math.max(1, Math.min(W, ctx.perHost || W));
  const B = finite(ctx.batchSize);
  const b = B / W;
  const L = finite(pooling);
  const out = shard.dim * shard.dtypeBytes;
  switch (kind) {
    case 'data_parallel':
      return Math.ceil(ID_BYTES * L * b) + Math.ceil(b * out);
    case 'row':
      return Math.ceil(ID_BYTES * L * b) + Math.ceil(B * out);
    case 'table_row':
    case 'grid':
      return Math.ceil((ID_BYTES * L * B) / w) + Math.ceil(B * out);
    case 'table':
    case 'column':
    case 'table_column':
      return Math.ceil(ID_BYTES * L * B) + Math.ceil(B * out);
  }
}

/** Weights + state where they live (HBM, or host memory behind an HBM cache), without I/O. */
export function tensorStorage(shard: Shard, optimizer: Optimizer): Storage {
  const tensor = shardMemoryBytes(shard.rows, shard.dim, shard.dtypeBytes, optimizer);
  if (shard.kernel !== 'fbgemm_tbe_uvm_caching') return { hbm: tensor, host: 0 };
  const clf = Math.min(1, Math.max(0, shard.cacheLoadFactor ?? DEFAULT_CACHE_LOAD_FACTOR));
  return { hbm: Math.round(tensor * clf) + Math.ceil(shard.rows * (4 + 16 * clf)), host: tensor };
}

/** A whole table's weights + state where they live (HBM, or host memory behind an HBM cache), without I/O. */
export function tableStorage(table: TableSpec, optimizer: Optimizer): Storage {
  return tensorStorage(tableShard(table), optimizer);
}

/** Everything one shard takes on its GPU: tensor storage plus its I/O buffers in HBM. */
export function shardStorage(shard: Shard, kind: ShardingKind, pooling: number, ctx: StorageContext): Storage {
  const t = tensorStorage(shard, ctx.optimizer);
  return { hbm: t.hbm + ioBytes(shard, kind, pooling, ctx), host: t.host };
}

/** Per-GPU memory budget for shards, and what was taken off before it. */
export interface MemoryBudget {
  /** HBM per GPU, bytes. */
  hbmBytes: number;
  /** Kept free by `reserve`. */
  reserveBytes: number;
  /** dense_bytes: dense model, its optimizer, DDP buffers. */
  denseBytes: number;
  /** The KJT (ids) reservation. */
  kjtBytes: number;
  /** What is left for shards (may be negative: nothing fits). */
  shardBytes: number;
  /** Host memory per GPU for UVM-held weights. */
  hostBytes: number;
}

/** The KJT reservation per GPU: 20 × ⌈8 × Σ pooling × local bags⌉. */
export function kjtReservationBytes(tables: readonly TableSpec[], batchSize: number, count: number): number {
  const b = finite(batchSize) / Math.max(1, count);
  let ids = 0;
  for (const t of tables) ids += finite(t.pooling) * b;
  return KJT_COPIES * Math.ceil(ID_BYTES * ids);
}

export function memoryBudget(config: Pick<ShardConfig, 'devices' | 'tables' | 'batchSize' | 'denseBytes'>): MemoryBudget {
  const d = config.devices;
  const usable = usableMemoryBytes(d);
  const denseBytes = finite(config.denseBytes ?? 0);
  const kjtBytes = kjtReservationBytes(config.tables ?? [], config.batchSize, d.count);
  return {
    hbmBytes: d.memoryBytes,
    reserveBytes: d.memoryBytes - usable,
    denseBytes,
    kjtBytes,
    shardBytes: usable - denseBytes - kjtBytes,
    hostBytes: finite(d.hostMemoryBytes ?? 0),
  };
}
