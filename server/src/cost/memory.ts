/**
 * Memory a table (or a shard of it) takes on a GPU, in bytes.
 *
 * Weights: rows × dim × dtype bytes. Optimizer state, as FBGEMM/TorchRec keep it:
 * - sgd: none;
 * - adagrad: one fp32 accumulator per element (4 B per element);
 * - rowwise_adagrad: one fp32 accumulator per row (4 B/row);
 * - adam: two fp32 moments per element (8 B per element).
 * Source: TorchRec `calculate_shard_storages` / FBGEMM TBE optimizer state
 * (shared notes torchrec-planner.md §4).
 */
import { DTYPE_BYTES, type DeviceSpec, type Optimizer, type TableSpec } from '../config/types';

export function shardMemoryBytes(rows: number, dim: number, dtypeBytes: number, optimizer: Optimizer): number {
  const weights = rows * dim * dtypeBytes;
  switch (optimizer) {
    case 'sgd': return weights;
    case 'adagrad': return weights + rows * dim * 4;
    case 'rowwise_adagrad': return weights + rows * 4;
    case 'adam': return weights + rows * dim * 8;
  }
}

export function tableMemoryBytes(table: TableSpec, optimizer: Optimizer): number {
  return shardMemoryBytes(table.rows, table.dim, DTYPE_BYTES[table.dtype], optimizer);
}

/** Bytes usable for embedding tables on one GPU after the reserve. */
export function usableMemoryBytes(device: DeviceSpec): number {
  return Math.floor(device.memoryBytes * (1 - device.reserve));
}
