/**
 * Which written placements TorchRec can express exactly, and why not when it
 * cannot. The validator warns with it (SL050) and the TorchRec export refuses
 * with the same words, so the editor says in advance what export will say.
 *
 * Facts from TorchRec's torchrec/distributed/sharding_plan.py (meta-pytorch/
 * torchrec at 13c7f287c2a29211ca03d3c2ff818e50b3723d01):
 * - `row_wise()` puts row block i on rank i for every rank of the world;
 * - `table_row_wise(host_index)` uses ranks host_index·local_size … + local_size − 1;
 * - `grid_shard(host_indexes)` cuts dim into blocks of `_find_base_dim(MIN_CW_DIM, dim)`
 *   columns (the smallest multiple of 4 in [128, dim) that divides dim, else dim;
 *   MIN_CW_DIM = 128 in torchrec/distributed/constants.py) and gives block c to
 *   host_indexes[c], so it needs exactly one host per block.
 */
import { hostCount, hostRanks, type RankShape } from './placementRanks';
import type { PlacementEntry, TableSpec } from './types';

/** TorchRec's MIN_CW_DIM (torchrec/distributed/constants.py), in columns. */
export const TORCHREC_MIN_CW_DIM = 128;

/** The column block width TorchRec uses when no shard dim is given: the smallest multiple of 4 ≥ lower that divides dim, else dim. */
export function torchrecBlockWidth(dim: number, lower = TORCHREC_MIN_CW_DIM): number {
  for (let w = lower; w < dim; w++) if (dim % w === 0 && w % 4 === 0) return w;
  return dim;
}

/** Column blocks (hence hosts) TorchRec's grid_shard makes of a table of this dim. */
export function torchrecGridBlocks(dim: number): number {
  return Math.round(dim / torchrecBlockWidth(dim));
}

export interface TorchRecGap {
  /** Why TorchRec cannot express the entry, one sentence. */
  message: string;
  /** The nearest entry it can express, when there is an obvious one. */
  suggestion?: PlacementEntry;
}

function everyGpu(count: number): number[] {
  return Array.from({ length: Math.max(0, count) }, (_, g) => g);
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A host whose GPUs are exactly `gpus`, in order (a full host). */
function hostOfList(gpus: readonly number[], shape: RankShape): number | undefined {
  if (gpus.length === 0) return undefined;
  const per = Math.max(1, Math.floor(shape.perHost) || 1);
  const h = Math.floor(gpus[0] / per);
  const ranks = hostRanks(h, shape);
  return ranks.length === per && sameList(ranks, gpus) ? h : undefined;
}

/**
 * Why TorchRec cannot express `entry` for `table` on `shape` (undefined: it
 * can). Only the sharding itself: GPU ranges, widths and kernels are checked
 * elsewhere.
 */
export function torchrecGap(table: Pick<TableSpec, 'dim'>, entry: PlacementEntry, shape: RankShape): TorchRecGap | undefined {
  const per = Math.max(1, Math.floor(shape.perHost) || 1);
  switch (entry.kind) {
    case 'row': {
      if (sameList(entry.gpus, everyGpu(shape.count))) return undefined;
      const host = hostOfList(entry.gpus, shape);
      const what = `TorchRec's row_wise puts row block i on rank i of all ${shape.count} ranks, so it cannot split rows over [${entry.gpus.join(', ')}]`;
      return host !== undefined
        ? { message: `${what}; these are host ${host}'s GPUs in order, which is table_row.`, suggestion: { kind: 'table_row', host } }
        : { message: `${what}; use {row: all}${shape.count > per ? ' or {table_row: {host: H}}' : ''}.`, suggestion: { kind: 'row', gpus: everyGpu(shape.count) } };
    }
    case 'table_row': {
      const ranks = hostRanks(entry.host, shape);
      if (ranks.length === 0 || ranks.length === per) return undefined;
      return {
        message: `TorchRec's table_row_wise uses ${per} ranks from host ${entry.host}'s first GPU, but host ${entry.host} has only ${ranks.length} GPU${ranks.length === 1 ? '' : 's'} (count is not a multiple of per_host).`,
      };
    }
    case 'grid': {
      const partial = entry.hosts.find((h) => {
        const n = hostRanks(h, shape).length;
        return n > 0 && n < per;
      });
      if (partial !== undefined)
        return {
          message: `TorchRec's grid_shard row-splits each block over ${per} ranks, but host ${partial} has only ${hostRanks(partial, shape).length} (count is not a multiple of per_host).`,
        };
      const blocks = torchrecGridBlocks(table.dim);
      if (entry.hosts.length === blocks) return undefined;
      const width = torchrecBlockWidth(table.dim);
      const message = `TorchRec's grid_shard cuts dim ${table.dim} into ${blocks} block${blocks === 1 ? '' : 's'} of ${width} columns (the smallest multiple of 4 ≥ ${TORCHREC_MIN_CW_DIM} that divides dim), one per host, so it needs ${blocks} host${blocks === 1 ? '' : 's'}, not ${entry.hosts.length}.`;
      const available = hostCount(shape);
      if (blocks > available) return { message };
      const hosts = [...entry.hosts.slice(0, blocks)];
      for (let h = 0; hosts.length < blocks && h < available; h++) if (!hosts.includes(h)) hosts.push(h);
      return { message, suggestion: { kind: 'grid', hosts } };
    }
    default:
      return undefined;
  }
}

/**
 * The torchrec/distributed/sharding_plan.py generator that builds the entry,
 * with its keyword arguments as Python text (no compute kernel): e.g.
 * `{fn: 'table_row_wise', args: ['host_index=1']}`. table_column has no
 * generator of its own: it is column_wise's shards with sharding type
 * TABLE_COLUMN_WISE (both cut columns with `_calculate_cw_shard_sizes_and_offsets`).
 */
export function torchrecGenerator(entry: PlacementEntry): { fn: 'data_parallel' | 'table_wise' | 'column_wise' | 'row_wise' | 'table_row_wise' | 'grid_shard'; args: string[] } {
  switch (entry.kind) {
    case 'data_parallel':
      return { fn: 'data_parallel', args: [] };
    case 'table':
      return { fn: 'table_wise', args: [`rank=${entry.gpu}`] };
    case 'column':
    case 'table_column':
      return { fn: 'column_wise', args: [`ranks=[${entry.gpus.join(', ')}]`] };
    case 'row':
      return { fn: 'row_wise', args: [] };
    case 'table_row':
      return { fn: 'table_row_wise', args: [`host_index=${entry.host}`] };
    case 'grid':
      return { fn: 'grid_shard', args: [`host_indexes=[${entry.hosts.join(', ')}]`] };
  }
}
