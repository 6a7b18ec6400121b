/**
 * Writing placements back as YAML text: the `placement:` section Replan
 * produces, and the single edit that replaces only that section (or appends
 * one), so every other byte of the user's file survives.
 */
import type { TextEdit } from './diagnostics';
import type { LoadedConfig } from './loaded';
import type { Placement, PlacementEntry } from './types';

/** Plain scalars that YAML 1.1/1.2 would read as something other than a string. */
const RESERVED_WORDS = /^(?:true|false|yes|no|on|off|y|n|null|~|\.nan|\.inf|-\.inf|\+\.inf)$/i;
const PLAIN_SAFE = /^[A-Za-z_][A-Za-z0-9_.\-/]*$/;

/** A table name as a YAML key: plain when safe, else double-quoted (JSON escapes are valid YAML). */
export function renderName(name: string): string {
  return PLAIN_SAFE.test(name) && !RESERVED_WORDS.test(name) ? name : JSON.stringify(name);
}

/** Whether a row entry covers every GPU of a `world`-GPU cluster in order (written `{row: all}`). */
export function isEveryGpu(gpus: readonly number[], world: number | undefined): boolean {
  return world !== undefined && world > 0 && gpus.length === world && gpus.every((g, i) => g === i);
}

/**
 * `3`, `dp`, `{column: [0, 1]}`, `{row: all}` (a row entry over every GPU of
 * a `world`-GPU cluster, in order) or `{row: [0, 1, 2]}`, `{table_row: {host: 1}}`,
 * `{table_column: [8, 9]}`, `{grid: {hosts: [0, 1]}}`.
 */
export function renderEntry(entry: PlacementEntry, world?: number): string {
  switch (entry.kind) {
    case 'table':
      return String(entry.gpu);
    case 'data_parallel':
      return 'dp';
    case 'row':
      return isEveryGpu(entry.gpus, world) ? '{row: all}' : `{row: [${entry.gpus.join(', ')}]}`;
    case 'column':
    case 'table_column':
      return `{${entry.kind}: [${entry.gpus.join(', ')}]}`;
    case 'table_row':
      return `{table_row: {host: ${entry.host}}}`;
    case 'grid':
      return `{grid: {hosts: [${entry.hosts.join(', ')}]}}`;
  }
}

/**
 * Whether two entries put a table in exactly the same place: the same text
 * (same kind, same GPUs or hosts in the same order); both absent counts as
 * the same. What `shardlens diff` and the move budget count as a move.
 */
export function sameEntry(a: PlacementEntry | undefined, b: PlacementEntry | undefined): boolean {
  if (!a || !b) return a === b;
  return renderEntry(a) === renderEntry(b);
}

/** The entry in JSON syntax (also valid YAML), for flow-style mappings. */
export function renderEntryJson(entry: PlacementEntry, world?: number): string {
  switch (entry.kind) {
    case 'table':
      return String(entry.gpu);
    case 'data_parallel':
      return '"dp"';
    case 'row':
      return isEveryGpu(entry.gpus, world) ? '{"row": "all"}' : `{"row": [${entry.gpus.join(', ')}]}`;
    case 'column':
    case 'table_column':
      return `{"${entry.kind}": [${entry.gpus.join(', ')}]}`;
    case 'table_row':
      return `{"table_row": {"host": ${entry.host}}}`;
    case 'grid':
      return `{"grid": {"hosts": [${entry.hosts.join(', ')}]}}`;
  }
}

/** Entries in table order (then any others in the order written). */
function ordered(placement: Placement, tableOrder: readonly string[]): [string, PlacementEntry][] {
  const result: [string, PlacementEntry][] = [];
  for (const name of tableOrder) {
    const e = placement.get(name);
    if (e) result.push([name, e]);
  }
  if (result.length < placement.size) {
    const listed = new Set(tableOrder);
    for (const [name, e] of placement) if (!listed.has(name)) result.push([name, e]);
  }
  return result;
}

/** The YAML text of a `placement:` section, ending with a newline (`world`: GPU count, for `{row: all}`). */
export function renderPlacement(placement: Placement, tableOrder: readonly string[], newline = '\n', world?: number): string {
  const items = ordered(placement, tableOrder);
  if (items.length === 0) return `placement: {}${newline}`;
  const lines = ['placement:'];
  for (const [name, e] of items) lines.push(`  ${renderName(name)}: ${renderEntry(e, world)}`);
  return lines.join(newline) + newline;
}

/** The section in flow (JSON) style, for `{…}` documents: `"placement": {…}`. */
function renderPlacementFlow(placement: Placement, tableOrder: readonly string[], world?: number): string {
  const items = ordered(placement, tableOrder).map(([name, e]) => `${JSON.stringify(name)}: ${renderEntryJson(e, world)}`);
  return `"placement": {${items.join(', ')}}`;
}

/**
 * The edit that writes `placement` into the main file: it replaces only the
 * existing `placement:` section (key to end of value), or inserts a new section
 * at the end of the file (before the closing brace of a JSON-style document).
 */
export function placementEdit(loaded: LoadedConfig, placement: Placement): { file: string; edit: TextEdit } {
  const source = loaded.source;
  const order = [...source.tables.keys()];
  const write = source.placementWrite ?? { style: 'block' as const, insertAt: source.top.end, insertPrefix: '\n', newline: '\n' };
  const world = loaded.config?.devices.count;
  const text = write.style === 'flow' ? renderPlacementFlow(placement, order, world) : renderPlacement(placement, order, write.newline, world);
  if (source.placementSection) {
    const body = write.style === 'flow' ? text : text.slice(0, text.length - write.newline.length);
    return { file: source.file, edit: { range: source.placementSection, newText: body } };
  }
  return { file: source.file, edit: { range: { start: write.insertAt, end: write.insertAt }, newText: write.insertPrefix + text } };
}
