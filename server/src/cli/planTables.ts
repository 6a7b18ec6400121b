/**
 * The parts of `shardlens plan`'s text that say where tables went and what
 * each costs: the placement, one line per GPU (`placementTable`), and with
 * `--tables` one row per table (`tablesTable`, from engine/placedTables.ts).
 *
 * Per GPU rather than per table: at 856 tables on 64 GPUs that is 64 lines
 * instead of 856, each next to the GPU's row in the cost table above it (the
 * question a plan raises is "what is on the busy GPU"); the per-table view is
 * `--tables`. Tables on every GPU (data-parallel, row-wise over all) are named
 * once, on an "all" line, rather than on every GPU's.
 */
import { entryRanks } from '../config/placementRanks';
import type { Placement, PlacementEntry, ShardConfig, ShardingKind } from '../config/types';
import { formatBytes } from '../config/byteUnits';
import { kindLabel } from '../config/shardingKinds';
import { formatGpus, msCell } from '../engine/format';
import type { PlacedTableCost } from '../engine/placedTables';
import { columnsOf, renderTable } from './textTable';

/** Short words for a shard of a split kind, e.g. "row 2/8". */
const SHARD_WORD: Record<ShardingKind, string> = {
  data_parallel: 'dp',
  table: '',
  column: 'col',
  table_column: 'col',
  row: 'row',
  table_row: 'row',
  grid: 'grid',
};

/** On every GPU of the cluster: a replica or a row block each. */
function everywhere(entry: PlacementEntry, count: number): boolean {
  return entry.kind === 'data_parallel' || (entry.kind === 'row' && entry.gpus.length === count && count > 1);
}

/**
 * One row per GPU with its tables in config order (a split table with its
 * kind and shard, `big (row 2/8)`), then `all` for the tables on every GPU.
 */
export function placementTable(config: ShardConfig, placement: Placement): string {
  const n = config.devices.count;
  const perGpu: string[][] = Array.from({ length: n }, () => []);
  const all: string[] = [];
  for (const t of config.tables) {
    const entry = placement.get(t.name);
    if (!entry) continue;
    if (everywhere(entry, n)) {
      all.push(`${t.name} (${SHARD_WORD[entry.kind]})`);
      continue;
    }
    const ranks = entryRanks(entry, config.devices);
    ranks.forEach((g, k) => {
      if (g < 0 || g >= n) return;
      perGpu[g].push(entry.kind === 'table' ? t.name : `${t.name} (${SHARD_WORD[entry.kind]} ${k + 1}/${ranks.length})`);
    });
  }
  const rows = perGpu.map((names, g) => [String(g), names.length ? names.join(', ') : '\u2013']);
  if (all.length) rows.push(['all', all.join(', ')]);
  return renderTable(
    [
      { header: 'GPU', align: 'right' },
      { header: 'tables (a split table: its kind and shard)', align: 'left' },
    ],
    rows,
  );
}

/** `--tables`: one row per placed table, in config order. */
export function tablesTable(rows: readonly PlacedTableCost[]): string {
  const withError = rows.some((r) => r.uncertaintyMs !== undefined);
  const headers = ['table', 'kind', 'GPUs', 'fwd ms', 'bwd ms', ...(withError ? ['\u00b1 ms'] : []), 'memory', 'kernel', 'model'];
  const columns = columnsOf(headers, 3);
  // kernel and model are words: left.
  columns[headers.length - 2].align = 'left';
  columns[headers.length - 1].align = 'left';
  return renderTable(
    columns,
    rows.map((r) => [
      r.name,
      kindLabel(r.kind),
      r.shards > 1 ? `${formatGpus(r.gpus)} (${r.shards} shards)` : formatGpus(r.gpus),
      msCell(r.fwdMs),
      msCell(r.bwdMs),
      ...(withError ? [r.uncertaintyMs !== undefined ? `\u00b1${msCell(r.uncertaintyMs)}` : '\u2013'] : []),
      formatBytes(r.memoryBytes),
      r.kernel,
      r.model,
    ]),
  );
}
