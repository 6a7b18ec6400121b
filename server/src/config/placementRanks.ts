/**
 * The GPUs (ranks) a placement entry puts shards on, in shard order, for every
 * sharding kind. GPUs k·per_host … (k+1)·per_host − 1 form host k, as in
 * TorchRec's topology (rank = host · local_world_size + local rank).
 */
import type { PlacementEntry } from './types';

/** The cluster shape the ranks depend on. */
export interface RankShape {
  count: number;
  perHost: number;
}

/** GPUs of host `h`, in order (empty when the host does not exist). */
export function hostRanks(h: number, shape: RankShape): number[] {
  const per = Math.max(1, Math.floor(shape.perHost) || 1);
  const first = h * per;
  if (!Number.isInteger(h) || h < 0 || first >= shape.count) return [];
  return Array.from({ length: Math.min(per, shape.count - first) }, (_, i) => first + i);
}

/** Host of GPU `g`. */
export function hostOf(g: number, shape: RankShape): number {
  return Math.floor(g / Math.max(1, Math.floor(shape.perHost) || 1));
}

/** Number of hosts in the cluster. */
export function hostCount(shape: RankShape): number {
  return Math.ceil(shape.count / Math.max(1, Math.floor(shape.perHost) || 1));
}

/** GPUs on each host, host 0 first: every host full but the last when count is not a multiple of per_host (12 at 8 → [8, 4]). */
export function hostSizes(shape: RankShape): number[] {
  return Array.from({ length: hostCount(shape) }, (_, h) => hostRanks(h, shape).length);
}

/**
 * Every GPU of the entry in shard order: data_parallel every GPU (one replica
 * each); table its GPU; column/row/table_column the listed GPUs; table_row the
 * host's GPUs; grid host by host, each host's GPUs in order (column block c is
 * the c-th host's run of GPUs).
 */
export function entryRanks(entry: PlacementEntry, shape: RankShape): number[] {
  switch (entry.kind) {
    case 'data_parallel':
      return Array.from({ length: Math.max(0, shape.count) }, (_, g) => g);
    case 'table':
      return [entry.gpu];
    case 'column':
    case 'row':
    case 'table_column':
      return [...entry.gpus];
    case 'table_row':
      return hostRanks(entry.host, shape);
    case 'grid':
      return entry.hosts.flatMap((h) => hostRanks(h, shape));
  }
}
