/**
 * Tables → the shards a GPU runs (cost/types.ts `Shard`): a whole table, or
 * equal column or row splits of it. Pure and throw-free: a split that cannot
 * be made returns [] (the validator and the planners report why).
 */
import { DTYPE_BYTES, type TableSpec } from '../config/types';
import type { Shard } from './types';

/** Column widths stay multiples of this (docs/design.md: dim is a multiple of 4). */
export const COLUMN_ALIGN = 4;

/** The whole table on one GPU. */
export function tableShard(table: TableSpec): Shard {
  const shard: Shard = {
    table: table.name,
    rows: table.rows,
    dim: table.dim,
    pooling: table.pooling,
    zipf: table.zipf,
    dtypeBytes: DTYPE_BYTES[table.dtype] ?? 4,
  };
  if (table.histogram) shard.histogram = [...table.histogram];
  return shard;
}

/** True when `dim` splits into `parts` equal widths that are multiples of 4. */
export function canSplitColumns(dim: number, parts: number): boolean {
  return Number.isInteger(parts) && parts >= 1 && Number.isInteger(dim) && dim % parts === 0 && (dim / parts) % COLUMN_ALIGN === 0;
}

/**
 * `parts` column shards of equal width dim/parts (each a multiple of 4). Each
 * sees every lookup of the table (all rows, full pooling) but moves 1/parts of
 * the bytes. [] when the width cannot be split that way.
 */
export function columnShards(table: TableSpec, parts: number): Shard[] {
  if (!canSplitColumns(table.dim, parts)) return [];
  const base = tableShard(table);
  const width = table.dim / parts;
  return Array.from({ length: parts }, () => ({ ...base, dim: width, histogram: base.histogram && [...base.histogram] }))
    .map(dropUndefinedHistogram);
}

/**
 * `parts` row shards: rows split as equally as integers allow (the first
 * rows % parts shards get one more). The data generator (and production
 * hashing) scatters hot ranks uniformly over rows, so each shard sees its row
 * fraction of the lookups whatever the skew: pooling × rows_i / rows. A
 * uniform 1/parts subsample of power-law ranks is again a power law with the
 * same exponent, so `zipf` (and the reuse histogram's shape) carry over.
 * [] when parts is not a positive integer or exceeds the rows.
 */
export function rowShards(table: TableSpec, parts: number): Shard[] {
  if (!Number.isInteger(parts) || parts < 1 || !Number.isInteger(table.rows) || parts > table.rows) return [];
  const base = tableShard(table);
  const q = Math.floor(table.rows / parts);
  const extra = table.rows % parts;
  return Array.from({ length: parts }, (_, i) => {
    const rows = q + (i < extra ? 1 : 0);
    return dropUndefinedHistogram({
      ...base,
      rows,
      pooling: table.pooling * (rows / table.rows),
      histogram: base.histogram && [...base.histogram],
    });
  });
}

function dropUndefinedHistogram(s: Shard): Shard {
  if (s.histogram === undefined) delete s.histogram;
  return s;
}
