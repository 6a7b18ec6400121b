/**
 * How a table's columns and rows can be cut, as TorchRec cuts them
 * (`calculate_shard_sizes_and_offsets` in torchrec/distributed/sharding_plan.py;
 * docs/research/torchrec-planner.md §2). Plain arithmetic on a table's shape:
 * the validator checks a written placement with it and cost/shards.ts builds
 * the shards from it, so both agree on what a split is.
 */

/** Column widths stay multiples of this (docs/config-format.md: dim is a multiple of 4). */
export const COLUMN_ALIGN = 4;

/** True when `dim` splits into `parts` equal widths that are multiples of 4. */
export function canSplitColumns(dim: number, parts: number): boolean {
  return Number.isInteger(parts) && parts >= 1 && Number.isInteger(dim) && dim % parts === 0 && (dim / parts) % COLUMN_ALIGN === 0;
}

/**
 * Rows per block when `rows` are cut into `parts` row blocks as TorchRec cuts
 * them (`_calculate_rw_shard_sizes_and_offsets`): ⌈rows/parts⌉ each, the last
 * non-empty block the remainder, trailing blocks empty. [] for bad input.
 */
export function rowBlockSizes(rows: number, parts: number): number[] {
  if (!Number.isInteger(parts) || parts < 1 || !Number.isInteger(rows) || rows < 0) return [];
  const block = Math.ceil(rows / parts);
  if (block === 0) return new Array<number>(parts).fill(0);
  const last = Math.floor(rows / block);
  return Array.from({ length: parts }, (_, i) => (i < last ? block : i === last ? rows - block * last : 0));
}
