/**
 * Incremental replanning: keep the shards of a previous placement where they
 * still make sense (table still exists, entry valid for its kinds, pin and GPU
 * count, a layout the planners make), then the caller places what is left
 * (new or changed tables, tables that no longer fit) and runs local search
 * from there.
 */
import { hostOf } from '../config/placementRanks';
import type { Placement } from '../config/types';
import type { Catalog, Layout } from './catalog';
import { allowedKinds, entryProblems } from './evaluate';
import { hostRanksPer } from './layouts';

export interface StartLayout {
  layout: Layout;
  /** Free layouts: the GPU of each shard. */
  gpus: number[];
  /** Group layouts: their hosts (row and data_parallel: []). */
  hosts?: number[];
}

/** Per table: the layout and GPUs (or hosts) the start placement gives it, when usable. */
export function startLayouts(cat: Catalog, start: Placement): (StartLayout | undefined)[] {
  const p = hostRanksPer(cat);
  // A layout with a shard no GPU can hold (a data-parallel replica larger
  // than a GPU, SL051) is not kept: the planner cuts the table afresh.
  const fits = (k: StartLayout | undefined) => (k && k.layout.shards.every((s) => cat.mem[s] <= cat.capacity) ? k : undefined);
  return cat.tables.map((table, t) => fits(startLayout(table, t)));
  function startLayout(table: (typeof cat.tables)[number], t: number): StartLayout | undefined {
    if (cat.tableIndex.get(table.name) !== t) return undefined;
    const entry = start.get(table.name);
    if (!entry || entryProblems(table, entry, cat.config.devices).length > 0) return undefined;
    const free = (l: Layout | undefined, gpus: number[]) => (l ? { layout: l, gpus } : undefined);
    switch (entry.kind) {
      case 'table':
        return free(cat.layout(t, 'table'), [entry.gpu]);
      case 'column':
      case 'table_column':
        if (entry.kind === 'table_column' && new Set(entry.gpus.map((g) => hostOf(g, cat.config.devices))).size > 1) return undefined;
        return free(cat.layout(t, entry.kind, entry.gpus.length), entry.gpus.slice());
      case 'row': {
        if (entry.gpus.length === 1) return allowedKinds(table).includes('table') ? free(cat.layout(t, 'table'), entry.gpus.slice()) : undefined;
        // Planners make row layouts over every rank in order (TorchRec's row_wise).
        if (entry.gpus.length !== cat.gpus || entry.gpus.some((g, i) => g !== i)) return undefined;
        const l = cat.layout(t, 'row');
        return l && { layout: l, gpus: [], hosts: [] };
      }
      case 'table_row': {
        if (cat.hostRanks(entry.host).length !== p) return undefined;
        const l = cat.layout(t, 'table_row', 1, p);
        return l && { layout: l, gpus: [], hosts: [entry.host] };
      }
      case 'grid': {
        if (entry.hosts.some((h) => cat.hostRanks(h).length !== p)) return undefined;
        const l = cat.layout(t, 'grid', entry.hosts.length, p);
        return l && { layout: l, gpus: [], hosts: entry.hosts.slice() };
      }
      case 'data_parallel': {
        const l = cat.layout(t, 'data_parallel');
        return l && { layout: l, gpus: [], hosts: [] };
      }
    }
  }
}
