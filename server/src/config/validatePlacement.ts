/**
 * The `placement:` section: `name: 3`, `name: {column: [0, 1]}`,
 * `name: {row: [0, 1, 2]}` → a Placement, checked against the tables (unknown
 * names, allowed kinds, pins, column widths) and the GPU count; and the tables
 * it leaves out.
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { closest } from './didYouMean';
import { checkKnownKeys, checkNumber, numberOf } from './fields';
import type { Fix, TextEdit } from './diagnostics';
import { renderEntry, renderEntryJson, renderName, renderPlacement } from './placementText';
import type { DeviceSpec, Placement, PlacementEntry, Range, ShardingKind, TableSpec } from './types';
import { DIM_MULTIPLE, type TableRead } from './validateTables';
import { describeNode, endOffset, entriesOf, nodeRange, offsetsRange, pairRange, report, type Entry, type Sink, type SourceFile } from './yamlSource';

/** Did-you-mean lookups scan every table name; past this many unknown names, stop suggesting (keeps 10k-table files fast). */
const MAX_SUGGESTIONS = 50;

export interface PlacementEntryRead {
  /** Key to end of value. */
  range: Range;
  /** The value (computed on demand). */
  valueRange(): Range;
  /** The i-th GPU index written (computed on demand). */
  gpuRange(i: number): Range | undefined;
}

export interface PlacementRead {
  placement: Placement;
  entries: Map<string, PlacementEntryRead>;
  /** Tables that have an entry, valid or not (an invalid one is reported there, not as unplaced). */
  written: Set<string>;
  /** The section, key included. */
  section: Range;
  /** How to add one more entry without touching the rest. */
  insert: (name: string, entry: PlacementEntry) => TextEdit;
}

export function readPlacement(src: SourceFile, entry: Entry, tables: readonly TableRead[], unusable: ReadonlySet<string>, device: DeviceSpec | undefined, out: Sink): PlacementRead | undefined {
  const section = pairRange(src, entry.pair);
  const node = entry.value;
  const placement: Placement = new Map();
  const entries = new Map<string, PlacementEntryRead>();
  const read: PlacementRead = { placement, entries, written: new Set(), section, insert: insertion(src, entry, placement, tables) };
  if (node === null || (isScalar(node) && node.value === null)) return read;
  if (!isMap(node)) {
    report(out, src, nodeRange(src, node, entry.keyRange), 'SL005', `'placement' must be a mapping of table name to GPU (name: 3) or split (name: {column: [0, 1]}), not ${describeNode(node)}.`);
    return undefined;
  }
  const byName = new Map(tables.map((t) => [t.spec.name, t.spec]));
  let suggestions = 0;
  for (const e of entriesOf(src, node, out, 'placement').values()) {
    const table = byName.get(e.name);
    if (!table) {
      if (unusable.has(e.name)) continue;
      const guess = suggestions++ < MAX_SUGGESTIONS ? closest(e.name, byName.keys()) : undefined;
      report(out, src, e.keyRange, 'SL040', `placement names '${e.name}', which is not a table.${guess ? ` Did you mean '${guess}'?` : ' Remove the entry or add the table.'}`, 'error',
        guess ? [{ title: `Rename to '${guess}'`, file: src.file, edits: [{ range: e.keyRange, newText: renderName(guess) }], preferred: true }] : undefined);
      continue;
    }
    read.written.add(e.name);
    const parsed = readEntry(src, e, table, device, out);
    if (!parsed) continue;
    placement.set(e.name, parsed.entry);
    const gpuNodes = parsed.gpus;
    entries.set(e.name, {
      range: pairRange(src, e.pair),
      valueRange: () => nodeRange(src, e.value, e.keyRange),
      gpuRange: (i) => (i >= 0 && i < gpuNodes.length ? nodeRange(src, gpuNodes[i], e.keyRange) : undefined),
    });
  }
  return read;
}

function readEntry(src: SourceFile, e: Entry, table: TableSpec, device: DeviceSpec | undefined, out: Sink): { entry: PlacementEntry; gpus: (Node | null)[] } | undefined {
  const valueRange = () => nodeRange(src, e.value, e.keyRange);
  let kind: ShardingKind;
  let gpuNodes: (Node | null)[];
  if (isMap(e.value)) {
    const inner = entriesOf(src, e.value, out, `the placement of '${e.name}'`);
    checkKnownKeys(src, inner, 'placement', `the placement of '${e.name}'`, out);
    const known = [...inner.values()].filter((x) => x.name === 'table' || x.name === 'column' || x.name === 'row');
    if (known.length !== 1) {
      if (known.length > 1 || inner.size === 0) report(out, src, valueRange(), 'SL042', `The placement of '${e.name}' must have exactly one of table, column, row (e.g. {column: [0, 1]}).`);
      return undefined;
    }
    kind = known[0].name as ShardingKind;
    if (kind === 'table') gpuNodes = [known[0].value];
    else if (isSeq(known[0].value) && known[0].value.items.length > 0) gpuNodes = known[0].value.items as (Node | null)[];
    else {
      report(out, src, nodeRange(src, known[0].value, known[0].keyRange), 'SL042', `'${kind}' needs a non-empty list of GPU indices, e.g. {${kind}: [0, 1]}.`);
      return undefined;
    }
  } else if (numberOf(e.value) !== undefined) {
    kind = 'table';
    gpuNodes = [e.value];
  } else {
    report(out, src, valueRange(), 'SL042', `The placement of '${e.name}' must be a GPU index (${e.name}: 3) or a split ({column: [0, 1]} or {row: [0, 1]}), not ${describeNode(e.value)}.`);
    return undefined;
  }

  const gpus: number[] = [];
  const written: (Node | null)[] = [];
  let ok = true;
  for (const g of gpuNodes) {
    const r = () => nodeRange(src, g, valueRange());
    const n = numberOf(g);
    if (n === undefined) {
      report(out, src, r(), 'SL005', `A GPU index must be a whole number, not ${describeNode(g)}.`);
      ok = false;
      continue;
    }
    const idx = checkNumber(src, g, n, { kind: 'integer', min: 0 }, 'A GPU index', out);
    if (idx === undefined) { ok = false; continue; }
    if (device && idx >= device.count) {
      report(out, src, r(), 'SL041', `GPU ${idx} does not exist: the cluster has ${device.count} GPU${device.count === 1 ? '' : 's'} (0 … ${device.count - 1}).`);
      ok = false;
      continue;
    }
    if (gpus.includes(idx)) report(out, src, r(), 'SL048', `GPU ${idx} is listed twice in the split of '${e.name}': both shards would share one GPU. List each GPU once.`, 'warning');
    gpus.push(idx);
    written.push(g);
  }
  if (!ok) return undefined;

  if (!table.sharding.includes(kind)) {
    report(out, src, valueRange(), 'SL044', `'${e.name}' allows sharding [${table.sharding.join(', ')}], so it cannot be placed ${kind === 'table' ? 'whole' : `by ${kind}s`}. Change the placement or the table's sharding.`);
  }
  if (table.pin !== undefined && (kind !== 'table' || gpus[0] !== table.pin)) {
    const fix: Fix = { title: `Place '${e.name}' on GPU ${table.pin}`, file: src.file, edits: [{ range: valueRange(), newText: String(table.pin) }], preferred: true };
    report(out, src, valueRange(), 'SL045', `'${e.name}' is pinned to GPU ${table.pin} but placed ${kind === 'table' ? `on GPU ${gpus[0]}` : `as a ${kind} split`}. Place it whole on GPU ${table.pin} or remove the pin.`, 'error', [fix]);
  }
  if (kind === 'column') {
    const k = gpus.length;
    if (table.dim % k !== 0 || (table.dim / k) % DIM_MULTIPLE !== 0) {
      const width = table.dim / k;
      report(out, src, valueRange(), 'SL046', `Splitting dim ${table.dim} of '${e.name}' over ${k} GPUs gives width ${Number.isInteger(width) ? width : width.toFixed(2)}, not a multiple of ${DIM_MULTIPLE}. Use a GPU count that divides dim/${DIM_MULTIPLE} = ${table.dim / DIM_MULTIPLE}.`);
    }
  }
  const entry: PlacementEntry = kind === 'table' ? { kind, gpu: gpus[0] } : { kind: kind as 'column' | 'row', gpus };
  return { entry, gpus: written };
}

/** SL043 on each table the placement leaves out, with a fix that adds it to the least-loaded GPU (by memory). */
export function checkUnplaced(src: SourceFile, tables: readonly TableRead[], read: PlacementRead, loadsBytes: ArrayLike<number> | undefined, out: Sink): void {
  let least = -1;
  if (loadsBytes && loadsBytes.length > 0) {
    least = 0;
    for (let g = 1; g < loadsBytes.length; g++) if (loadsBytes[g] < loadsBytes[least]) least = g;
  }
  for (const t of tables) {
    if (read.written.has(t.spec.name)) continue;
    let fixes: Fix[] | undefined;
    const target = t.spec.pin ?? least;
    if (target >= 0 && (t.spec.sharding.includes('table') || t.spec.pin !== undefined)) {
      const edit = read.insert(t.spec.name, { kind: 'table', gpu: target });
      fixes = [{ title: `Add '${t.spec.name}' to placement on GPU ${target}${t.spec.pin === undefined ? ' (least memory used)' : ' (its pin)'}`, file: src.file, edits: [edit], preferred: true }];
    }
    report(out, src, t.name, 'SL043', `Table '${t.spec.name}' is not in placement, so the placement cannot be costed. Add it (or run Replan).`, 'error', fixes);
  }
}

/**
 * The edit that adds one entry: a new line after the last entry of a block
 * mapping (indented like the others); otherwise the section is rewritten.
 */
function insertion(src: SourceFile, section: Entry, placement: Placement, tables: readonly TableRead[]): (name: string, entry: PlacementEntry) => TextEdit {
  return (name, entry) => {
    const node = section.value;
    if (isMap(node) && !node.flow && node.items.length > 0) {
      const first = node.items[0].key as Node;
      const last = node.items[node.items.length - 1];
      const end = endOffset(last.value as Node | null) ?? (last.key as Node).range![1];
      const indent = first.range ? src.lines.linePos(first.range[0]).col - 1 : 2;
      // After the end of the last entry's line, so a trailing comment stays on its line.
      const eol = src.text.indexOf('\n', end);
      const at = eol < 0 ? src.text.length : src.text[eol - 1] === '\r' ? eol - 1 : eol;
      const pos = offsetsRange(src, at, at);
      const nl = src.text.includes('\r\n') ? '\r\n' : '\n';
      return { range: pos, newText: `${nl}${' '.repeat(indent)}${renderName(name)}: ${renderEntry(entry)}` };
    }
    if (isMap(node) && node.flow && node.range) {
      const close = src.text.lastIndexOf('}', node.range[1]);
      if (close >= 0) {
        const at = offsetsRange(src, close, close);
        // YAML allows a trailing comma in a flow map (`{a: 0,}`): do not add a second one.
        const last = node.items[node.items.length - 1];
        const lastEnd = last ? endOffset(last.value as Node | null) ?? (last.key as Node | null)?.range?.[1] : undefined;
        const trailingComma = lastEnd !== undefined && src.text.slice(lastEnd, close).replace(/#[^\n]*/g, '').includes(',');
        const prefix = node.items.length === 0 ? '' : trailingComma ? ' ' : ', ';
        return { range: at, newText: `${prefix}${JSON.stringify(name)}: ${renderEntryJson(entry)}` };
      }
    }
    const next: Placement = new Map(placement);
    next.set(name, entry);
    return { range: pairRange(src, section.pair), newText: renderPlacement(next, tables.map((t) => t.spec.name)).replace(/\n$/, '') };
  };
}
