/**
 * TorchRec's sharding types under the short words the config uses, with
 * TorchRec's own names (the values of `ShardingType` in
 * torchrec/distributed/types.py), the written placement form of each, and a
 * one-line description for hover, completion and messages. One table so the
 * validator, the writer, the editor and the export never disagree.
 */
import type { ShardingKind } from './types';

export interface ShardingKindInfo {
  kind: ShardingKind;
  /** TorchRec's `ShardingType` value (`ShardingType.ROW_WISE.value` = "row_wise"). */
  torchrec: 'data_parallel' | 'table_wise' | 'column_wise' | 'row_wise' | 'table_row_wise' | 'table_column_wise' | 'grid_shard';
  /** Words for messages: "row-wise". */
  label: string;
  /** The placement form, e.g. `{row: all}`. */
  form: string;
  /** What the kind does, one sentence. */
  doc: string;
}

export const SHARDING_KIND_INFO: Readonly<Record<ShardingKind, ShardingKindInfo>> = {
  data_parallel: {
    kind: 'data_parallel',
    torchrec: 'data_parallel',
    label: 'data-parallel',
    form: 'dp',
    doc: 'a full replica on every GPU; each GPU looks up its own share of the batch, and the gradients are all-reduced (dense) every step.',
  },
  table: {
    kind: 'table',
    torchrec: 'table_wise',
    label: 'table-wise',
    form: '3',
    doc: 'the whole table on one GPU, which serves every lookup of the global batch.',
  },
  column: {
    kind: 'column',
    torchrec: 'column_wise',
    label: 'column-wise',
    form: '{column: [0, 1]}',
    doc: 'dim split into equal widths (multiples of 4), one shard per listed GPU in order; every shard sees every lookup and returns its slice of the pooled vector.',
  },
  row: {
    kind: 'row',
    torchrec: 'row_wise',
    label: 'row-wise',
    form: '{row: all}',
    doc: 'rows split into blocks over every GPU (block i on GPU i); each GPU looks up the ids in its block and the partial sums are reduce-scattered.',
  },
  table_row: {
    kind: 'table_row',
    torchrec: 'table_row_wise',
    label: 'table-row-wise',
    form: '{table_row: {host: 1}}',
    doc: 'rows split into blocks over the GPUs of one host (block i on its i-th GPU); the partial sums are reduced inside the host over NVLink.',
  },
  table_column: {
    kind: 'table_column',
    torchrec: 'table_column_wise',
    label: 'table-column-wise',
    form: '{table_column: [8, 9]}',
    doc: 'dim split into equal widths over GPUs of one host; the column shards are gathered inside the host first.',
  },
  grid: {
    kind: 'grid',
    torchrec: 'grid_shard',
    label: 'grid',
    form: '{grid: {hosts: [0, 1]}}',
    doc: "dim split into one column block per listed host, each block row-split over that host's GPUs (column-wise across hosts, table-row-wise inside each).",
  },
};

/** Every kind, in the order the docs list them. */
export const ALL_SHARDING_KINDS: readonly ShardingKind[] = ['data_parallel', 'table', 'column', 'row', 'table_row', 'table_column', 'grid'];

/**
 * Words accepted in `sharding:` besides the short ones: TorchRec's
 * ShardingType values (so `sharding_types` lists copied from a TorchRec
 * `ParameterConstraints` work as written) and `dp`. They mean exactly the kind
 * they map to.
 */
export const SHARDING_KIND_ALIASES: Readonly<Record<string, ShardingKind>> = Object.fromEntries([
  ...ALL_SHARDING_KINDS.filter((k) => SHARDING_KIND_INFO[k].torchrec !== k).map((k) => [SHARDING_KIND_INFO[k].torchrec, k] as const),
  ['dp', 'data_parallel'] as const,
]);

/** "row-wise", "data-parallel", … */
export function kindLabel(kind: ShardingKind): string {
  return SHARDING_KIND_INFO[kind]?.label ?? kind;
}
