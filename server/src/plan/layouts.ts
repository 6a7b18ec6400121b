/**
 * The starting layout of each table, by memory and allowed kinds:
 * - pinned: whole on its GPU;
 * - table-wise when allowed and it fits one GPU (a table that allows only
 *   column or table_column sharding gets one full-width column shard: still
 *   whole);
 * - otherwise (too big, or table-wise not allowed) the first of these that
 *   fits: table_row over one host (several hosts), row over every rank,
 *   column / table_column shards (fewest parts), grid, data-parallel.
 * Tables below TINY_TABLE_BYTES are never split unless their allowed kinds
 * force it. Data-parallel candidates also get their replica layout here (the
 * choice is made once the cost model is prepared: dataParallel.ts).
 */
import type { ShardingKind } from '../config/types';
import { tableMemoryBytes } from '../cost/memory';
import { validColumnParts, type Catalog, type Layout } from './catalog';
import type { PlanControl } from './control';
import { allowedKinds } from './evaluate';
import { formatBytes } from '../config/byteUnits';

/** Tables smaller than this (weights + optimizer state) are never split unless forced: 1 MiB. */
export const TINY_TABLE_BYTES = 2 ** 20;
/**
 * Tables up to this size get a data-parallel candidate layout: replicating a
 * bigger one costs more all-reduce than any all-to-all it saves (256 MiB).
 */
export const DP_CANDIDATE_BYTES = 256 * 2 ** 20;
// A split shard should leave room for other tables on its GPU: aim for at most
// this fraction of the space for shards before accepting fuller ones.
const TARGET_FILL = 0.5;

export interface InitialLayouts {
  layouts: (Layout | undefined)[];
  reasons: string[];
}

/** Bytes of the table's weights + optimizer state (the size rules compare this). */
export function tableBytes(cat: Catalog, t: number): number {
  return tableMemoryBytes(cat.tables[t], cat.config.optimizer);
}

/** Ranks per host of the cluster's full hosts (the size table_row and grid layouts are cut for). */
export function hostRanksPer(cat: Catalog): number {
  return cat.hostRanks(0).length;
}

/** Fewest valid column parts (2..limit) whose shards fit within `bytes`, or 0. */
function columnParts(cat: Catalog, t: number, kind: 'column' | 'table_column', bytes: number, most: number): number {
  const dim = cat.tables[t].dim;
  for (let p = 2; p <= most; p++) if (validColumnParts(dim, p) && cat.shardBytes(t, kind, p) <= bytes) return p;
  return 0;
}

/** The split layout of `kind` that fits within `bytes` per shard, if any. */
function splitLayout(cat: Catalog, t: number, kind: ShardingKind, bytes: number): Layout | undefined {
  const p = hostRanksPer(cat);
  switch (kind) {
    case 'table_row':
      return p >= 2 && cat.shardBytes(t, 'table_row', 1, p) <= bytes && cat.shardHostBytes(t, 'table_row', 1, p) <= cat.hostCapacity ? cat.layout(t, 'table_row', 1, p) : undefined;
    case 'row':
      return cat.gpus >= 2 && cat.shardBytes(t, 'row') <= bytes && cat.shardHostBytes(t, 'row') <= cat.hostCapacity ? cat.layout(t, 'row') : undefined;
    case 'column':
    case 'table_column': {
      const parts = columnParts(cat, t, kind, bytes, kind === 'column' ? cat.gpus : p);
      return parts ? cat.layout(t, kind, parts) : undefined;
    }
    case 'grid': {
      for (let c = 2; c <= cat.hosts; c++) {
        if (validColumnParts(cat.tables[t].dim, c) && p >= 1 && cat.shardBytes(t, 'grid', c, p) <= bytes) return cat.layout(t, 'grid', c, p);
      }
      return undefined;
    }
    case 'data_parallel':
      return cat.shardBytes(t, 'data_parallel') <= bytes && cat.shardHostBytes(t, 'data_parallel') <= cat.hostCapacity ? cat.layout(t, 'data_parallel') : undefined;
    default:
      return undefined;
  }
}

/** Split kinds in the order tried: inside a host first when there are several hosts. */
function splitOrder(cat: Catalog): ShardingKind[] {
  return cat.hosts > 1 ? ['table_row', 'row', 'column', 'table_column', 'grid', 'data_parallel'] : ['row', 'table_row', 'column', 'table_column', 'data_parallel'];
}

export function initialLayouts(cat: Catalog): InitialLayouts {
  const reasons: string[] = [];
  return { layouts: cat.tables.map((_, t) => startingLayout(cat, t, reasons)), reasons };
}

/**
 * `initialLayouts` in slices, yielding to `ctl` between them (cancellation,
 * the event loop): 100,000 tables take about a second.
 */
export async function initialLayoutsPolled(cat: Catalog, ctl: PlanControl): Promise<InitialLayouts> {
  const reasons: string[] = [];
  const layouts: (Layout | undefined)[] = [];
  for (let t = 0; t < cat.tables.length; t++) {
    if ((t & 1023) === 1023) await ctl.tick();
    layouts.push(startingLayout(cat, t, reasons));
  }
  return { layouts, reasons };
}

/** Table t's starting layout (see the file comment); why not, in `reasons`. */
function startingLayout(cat: Catalog, t: number, reasons: string[]): Layout | undefined {
  const cap = cat.capacity;
  const table = cat.tables[t];
  const kinds = allowedKinds(table);
  if (cat.tableIndex.get(table.name) !== t) {
    reasons.push(`table ${table.name} is defined more than once; only the first is planned`);
    return undefined;
  }
  if (cat.gpus <= 0) return undefined;
  const whole = cat.shardBytes(t, 'table');
  const wholeHost = cat.shardHostBytes(t, 'table');
  const fitsWhole = whole <= cap && wholeHost <= cat.hostCapacity;
  if (table.pin !== undefined) {
    if (!Number.isInteger(table.pin) || table.pin < 0 || table.pin >= cat.gpus) {
      reasons.push(`table ${table.name} is pinned to GPU ${table.pin}, but the cluster has GPUs 0–${cat.gpus - 1}`);
      return undefined;
    }
    if (!kinds.includes('table')) {
      reasons.push(`table ${table.name} is pinned to GPU ${table.pin} but table-wise sharding is not in its allowed kinds`);
      return undefined;
    }
    if (!fitsWhole) {
      reasons.push(`table ${table.name} (${formatBytes(whole)}) is pinned to GPU ${table.pin} but only ${formatBytes(Math.max(0, cap))} is there for shards`);
      return undefined;
    }
    return cat.layout(t, 'table');
  }
  if (kinds.includes('data_parallel') && tableBytes(cat, t) <= DP_CANDIDATE_BYTES) cat.layout(t, 'data_parallel'); // a candidate (dataParallel.ts decides)
  if (fitsWhole) {
    if (kinds.includes('table')) return cat.layout(t, 'table');
    if (kinds.includes('column')) return cat.layout(t, 'column', 1);
    if (kinds.includes('table_column')) return cat.layout(t, 'table_column', 1);
    if (kinds.includes('data_parallel') && splitLayout(cat, t, 'data_parallel', cap)) return cat.layout(t, 'data_parallel');
  }
  for (const fill of [TARGET_FILL, 1]) {
    for (const kind of splitOrder(cat)) {
      if (!kinds.includes(kind)) continue;
      const l = splitLayout(cat, t, kind, cap * fill);
      if (l) return l;
    }
  }
  // One rank to split over (row on a 1-GPU cluster, table_row with one GPU per
  // host): the split is one block, the whole table, as TorchRec's row_wise over
  // a world of one; the validator counts it so.
  if (fitsWhole && cat.gpus === 1 && kinds.includes('row')) return cat.layout(t, 'row');
  if (fitsWhole && hostRanksPer(cat) === 1 && kinds.includes('table_row')) return cat.layout(t, 'table_row', 1, 1);
  const allowed = kinds.join(', ');
  if (fitsWhole) {
    reasons.push(`table ${table.name} allows only ${allowed} sharding, and no valid split exists on ${cat.gpus} GPU(s) (column shards must be multiples of 4 wide)`);
  } else {
    reasons.push(
      `table ${table.name} needs ${formatBytes(whole)} but a GPU has ${formatBytes(Math.max(0, cap))} for shards, and no allowed split (${allowed}) across ${cat.gpus} GPU(s) fits; allow row sharding or add GPUs`,
    );
  }
  return undefined;
}
