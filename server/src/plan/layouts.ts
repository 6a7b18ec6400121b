/**
 * The starting layout of each table: table-wise when allowed and it fits one
 * GPU; otherwise split by rows (the fewest parts whose shards leave room for
 * other tables), else by columns; otherwise a reason the plan cannot hold it.
 * Pinned tables stay whole on their GPU.
 */
import type { ShardingKind } from '../config/types';
import { validColumnParts, type Catalog, type Layout } from './catalog';
import { gib } from './units';

// A row shard should leave room for other tables on its GPU: aim for at most
// this fraction of the usable memory per shard before accepting fuller ones.
const ROW_SHARD_TARGET_FILL = 0.5;

export interface InitialLayouts {
  layouts: (Layout | undefined)[];
  reasons: string[];
}

function allows(kinds: readonly ShardingKind[], k: ShardingKind): boolean {
  return kinds.length === 0 || kinds.includes(k);
}

/** Fewest row parts (2..gpus) whose biggest shard is within `limit` bytes, or 0. */
function rowParts(cat: Catalog, t: number, limit: number): number {
  for (let p = 2; p <= cat.gpus; p++) if (cat.shardBytes(t, 'row', p) <= limit) return p;
  return 0;
}

/** Fewest valid column parts (2..gpus) whose shards fit within `limit` bytes, or 0. */
function columnParts(cat: Catalog, t: number, limit: number): number {
  const dim = cat.tables[t].dim;
  for (let p = 2; p <= cat.gpus; p++) if (validColumnParts(dim, p) && cat.shardBytes(t, 'column', p) <= limit) return p;
  return 0;
}

export function initialLayouts(cat: Catalog): InitialLayouts {
  const reasons: string[] = [];
  const layouts = cat.tables.map((table, t): Layout | undefined => {
    const kinds = table.sharding ?? [];
    const cap = cat.capacity;
    if (cat.tableIndex.get(table.name) !== t) {
      reasons.push(`table ${table.name} is defined more than once; only the first is planned`);
      return undefined;
    }
    if (cat.gpus <= 0) return undefined;
    const whole = cat.shardBytes(t, 'table', 1);
    if (table.pin !== undefined) {
      if (!Number.isInteger(table.pin) || table.pin < 0 || table.pin >= cat.gpus) {
        reasons.push(`table ${table.name} is pinned to GPU ${table.pin}, but the cluster has GPUs 0–${cat.gpus - 1}`);
        return undefined;
      }
      if (!allows(kinds, 'table')) {
        reasons.push(`table ${table.name} is pinned to GPU ${table.pin} but table-wise sharding is not in its allowed kinds`);
        return undefined;
      }
      if (whole > cap) {
        reasons.push(`table ${table.name} (${gib(whole)} GiB) is pinned to GPU ${table.pin} but only ${gib(cap)} GiB is usable there`);
        return undefined;
      }
      return cat.layout(t, 'table', 1);
    }
    if (allows(kinds, 'table') && whole <= cap) return cat.layout(t, 'table', 1);
    if (allows(kinds, 'row') && cat.gpus >= 2) {
      const p = rowParts(cat, t, cap * ROW_SHARD_TARGET_FILL) || rowParts(cat, t, cap);
      if (p) return cat.layout(t, 'row', p);
    }
    if (allows(kinds, 'column') && cat.gpus >= 2) {
      const p = columnParts(cat, t, cap * ROW_SHARD_TARGET_FILL) || columnParts(cat, t, cap);
      if (p) return cat.layout(t, 'column', p);
    }
    const allowed = kinds.length ? kinds.join(', ') : 'table, column, row';
    if (whole <= cap) {
      reasons.push(`table ${table.name} allows only ${allowed} sharding, and no valid split exists on ${cat.gpus} GPU(s) (column shards must be multiples of 4 wide)`);
    } else {
      reasons.push(`table ${table.name} needs ${gib(whole)} GiB but a GPU holds ${gib(cap)} GiB usable, and no allowed split (${allowed}) across ${cat.gpus} GPU(s) fits; allow row sharding or add GPUs`);
    }
    return undefined;
  });
  return { layouts, reasons };
}
