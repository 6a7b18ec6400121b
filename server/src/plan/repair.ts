/**
 * Incremental replanning: keep the shards of a previous placement where they
 * still make sense (table still exists, entry valid for its kinds, pin and GPU
 * count, room left), then the caller places what is left (new or changed
 * tables, tables that no longer fit) and runs local search from there.
 */
import type { Placement } from '../config/types';
import type { Catalog, Layout } from './catalog';
import { entryProblems } from './evaluate';

export interface StartLayout {
  layout: Layout;
  gpus: number[];
}

/** Per table: the layout and GPUs the start placement gives it, when usable. */
export function startLayouts(cat: Catalog, start: Placement): (StartLayout | undefined)[] {
  return cat.tables.map((table, t) => {
    if (cat.tableIndex.get(table.name) !== t) return undefined;
    const entry = start.get(table.name);
    if (!entry || entryProblems(table, entry, cat.config.devices).length > 0) return undefined;
    if (entry.kind === 'table') return { layout: cat.layout(t, 'table', 1), gpus: [entry.gpu] };
    if (entry.kind !== 'column' && entry.kind !== 'row') return undefined;
    if (entry.gpus.length === 1) return { layout: cat.layout(t, 'table', 1), gpus: entry.gpus.slice() };
    return { layout: cat.layout(t, entry.kind, entry.gpus.length), gpus: entry.gpus.slice() };
  });
}
