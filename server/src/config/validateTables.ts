/**
 * The `tables:` list: each item → a TableSpec (types, ranges, dim multiple of
 * 4, histogram, sharding kinds), then duplicate names across the list.
 * A table missing a required number is left out of the config; what is known
 * of it is kept (PartialTable), so its pin, its placement entry and, when rows
 * and dim are known, its memory are still checked in the same pass, and
 * placement does not call it unknown.
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { checkKnownKeys, listItems, lossyInteger, numberOf, readEnum, readNumber, readString } from './fields';
import { canonicalValue, HISTOGRAM_BINS, keyInfo, SHARDING_KINDS } from './keys';
import type { Dtype, Range, ShardingKind, TableSpec } from './types';
import { DEFAULT_KERNEL_DEFAULTS, readTableKernelKeys, type KernelDefaults } from './validateKernel';
import { describeNode, entriesOf, nodeRange, report, type Entry, type Sink, type SourceFile } from './yamlSource';

/** One table as written: its spec and the ranges later rules point at. */
export interface TableRead {
  spec: TableSpec;
  item: Range;
  name: Range;
  /** The `pin` key, if written (its range is computed on demand; other keys are not kept, to keep 10k-table heaps small). */
  pinEntry?: Entry;
  /** The table's own `cache_load_factor`, if written (SL038 checks it). */
  cacheEntry?: Entry;
}

/** What is known of a table left out of the config because a required number (rows, dim, pooling) is missing or bad. */
export interface PartialSpec extends Pick<TableSpec, 'name' | 'dtype' | 'sharding'> {
  rows?: number;
  dim?: number;
  pin?: number;
}

export interface PartialTable {
  spec: PartialSpec;
  /** The name's range. */
  name: Range;
  pinEntry?: Entry;
}

export interface TablesRead {
  tables: TableRead[];
  /** Tables written but left out of the config (bad required values), by name; none shares a name with a usable table. */
  partial: Map<string, PartialTable>;
}

/** FBGEMM's embedding kernels work on dims that are multiples of 4 (TorchRec planner notes). */
export const DIM_MULTIPLE = 4;

export function readTables(src: SourceFile, entry: Entry, defaultDtype: Dtype, out: Sink, kernelDefaults: KernelDefaults = DEFAULT_KERNEL_DEFAULTS): TablesRead {
  const result: TablesRead = { tables: [], partial: new Map() };
  const items = listItems(src, entry, "'tables'", out);
  if (!items) return result;
  if (items.length === 0) {
    report(out, src, nodeRange(src, entry.value, entry.keyRange), 'SL030', "'tables' is empty: list at least one table (name, rows, dim, pooling).");
    return result;
  }
  const seen = new Map<string, number>();
  for (const item of items) {
    const read = readTable(src, item, defaultDtype, out, result.partial, kernelDefaults);
    if (!read) continue;
    const name = read.spec.name;
    if (seen.has(name)) {
      const fresh = freeName(name, seen);
      report(
        out,
        src,
        read.name,
        'SL032',
        `Duplicate table name '${name}' (first used on line ${seen.get(name)! + 1}): placement could not tell them apart. Rename one; this one is ignored until then.`,
        'error',
        [{ title: `Rename to '${fresh}'`, file: src.file, edits: [{ range: read.name, newText: fresh }], preferred: true }],
      );
      continue;
    }
    seen.set(name, read.name.start.line);
    result.tables.push(read);
  }
  for (const t of result.tables) result.partial.delete(t.spec.name);
  return result;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

function freeName(name: string, taken: Map<string, number>): string {
  for (let i = 2; ; i++) if (!taken.has(`${name}_${i}`)) return `${name}_${i}`;
}

function readTable(src: SourceFile, node: Node | null, defaultDtype: Dtype, out: Sink, partial: Map<string, PartialTable>, kernelDefaults: KernelDefaults): TableRead | undefined {
  const item = nodeRange(src, node);
  if (!isMap(node)) {
    report(out, src, item, 'SL005', `Each table must be a mapping (name, rows, dim, pooling), not ${describeNode(node)}.`);
    return undefined;
  }
  const entries = entriesOf(src, node, out, 'a table');
  checkKnownKeys(src, entries, 'table', 'a table', out);

  const nameEntry = entries.get('name');
  const name = nameEntry ? readString(src, nameEntry, "'name'", out) : undefined;
  if (!nameEntry) report(out, src, item, 'SL009', "This table has no 'name'.");
  const label = (key: string) => (name === undefined ? `'${key}'` : `'${key}' of table '${name}'`);
  const required = (key: string): number | undefined => {
    const e = entries.get(key);
    if (!e) {
      report(
        out,
        src,
        nameEntry ? nodeRange(src, nameEntry.value, nameEntry.keyRange) : item,
        'SL009',
        `Table${name === undefined ? '' : ` '${name}'`} has no '${key}' (${lowerFirst(keyInfo('table', key)!.doc.split('.')[0])}).`,
      );
      return undefined;
    }
    return readNumber(src, e, keyInfo('table', key)!, out, label(key));
  };
  const rows = required('rows');
  const dim = required('dim');
  const pooling = required('pooling');
  if (dim !== undefined) checkDimMultiple(src, entries.get('dim')!, dim, label('dim'), out);

  const optional = (key: string): number | undefined => {
    const e = entries.get(key);
    return e ? readNumber(src, e, keyInfo('table', key)!, out, label(key)) : undefined;
  };
  const zipf = entries.has('zipf') ? optional('zipf') : 0;
  const pin = optional('pin');
  const dtypeEntry = entries.get('dtype');
  const dtype = dtypeEntry ? (readEnum(src, dtypeEntry.value, dtypeEntry.keyRange, keyInfo('table', 'dtype')!.values!, label('dtype'), out) as Dtype | undefined) : defaultDtype;
  const shardingEntry = entries.get('sharding');
  const sharding = shardingEntry ? readSharding(src, shardingEntry, label('sharding'), out) : [...SHARDING_KINDS];
  const histogramEntry = entries.get('histogram');
  const histogram = histogramEntry ? readHistogram(src, histogramEntry, label('histogram'), out) : undefined;
  const kernelKeys = readTableKernelKeys(src, entries, kernelDefaults, label, out);

  if (name === undefined) return undefined;
  if (rows === undefined || dim === undefined || pooling === undefined) {
    // The first of a name wins, as for usable tables (a later one is SL032).
    if (!partial.has(name)) {
      const spec: PartialSpec = { name, dtype: dtype ?? defaultDtype, sharding: sharding ?? [...SHARDING_KINDS] };
      if (rows !== undefined) spec.rows = rows;
      if (dim !== undefined) spec.dim = dim;
      if (pin !== undefined) spec.pin = pin;
      partial.set(name, { spec, name: nodeRange(src, nameEntry!.value, nameEntry!.keyRange), pinEntry: entries.get('pin') });
    }
    return undefined;
  }
  const spec: TableSpec = {
    name,
    rows,
    dim,
    pooling,
    zipf: zipf ?? 0,
    dtype: dtype ?? defaultDtype,
    kernel: kernelKeys.kernel,
    ids: kernelKeys.ids,
    sharding: sharding ?? [...SHARDING_KINDS],
  };
  if (kernelKeys.cacheLoadFactor !== undefined) spec.cacheLoadFactor = kernelKeys.cacheLoadFactor;
  if (histogram) spec.histogram = histogram;
  if (pin !== undefined) spec.pin = pin;
  const read: TableRead = { spec, item, name: nodeRange(src, nameEntry!.value, nameEntry!.keyRange), pinEntry: entries.get('pin') };
  if (kernelKeys.cacheEntry) read.cacheEntry = kernelKeys.cacheEntry;
  return read;
}

/** SL031: the value stays usable (costs are computed) but the kernels would reject it. */
function checkDimMultiple(src: SourceFile, entry: Entry, dim: number, label: string, out: Sink): void {
  if (dim % DIM_MULTIPLE === 0) return;
  const range = nodeRange(src, entry.value, entry.keyRange);
  const down = Math.floor(dim / DIM_MULTIPLE) * DIM_MULTIPLE;
  const up = down + DIM_MULTIPLE;
  // Ties round up: a little more capacity is safer than less.
  const nearest = down >= DIM_MULTIPLE && dim - down < up - dim ? down : up;
  report(out, src, range, 'SL031', `${label} is ${dim}, which is not a multiple of ${DIM_MULTIPLE}. Use ${nearest}.`, 'error', [
    { title: `Round dim to ${nearest}`, file: src.file, edits: [{ range, newText: String(nearest) }], preferred: true },
  ]);
}

function readSharding(src: SourceFile, entry: Entry, label: string, out: Sink): ShardingKind[] | undefined {
  const items = listItems(src, entry, label, out);
  if (!items) return undefined;
  if (items.length === 0) {
    report(out, src, nodeRange(src, entry.value, entry.keyRange), 'SL034', `${label} is empty: list at least one of ${SHARDING_KINDS.join(', ')} (or remove it to allow all).`);
    return undefined;
  }
  const kinds: ShardingKind[] = [];
  for (const it of items) {
    // TorchRec's names (row_wise, table_wise, …) mean the same kinds (config/shardingKinds.ts).
    const word = isScalar(it) && typeof it.value === 'string' ? it.value : undefined;
    const k =
      (word !== undefined ? (canonicalValue(keyInfo('table', 'sharding')!, word) as ShardingKind | undefined) : undefined) ??
      (readEnum(src, it, nodeRange(src, entry.value), SHARDING_KINDS, `Each kind in ${label}`, out) as ShardingKind | undefined);
    if (k === undefined) return undefined;
    if (kinds.includes(k)) {
      report(out, src, nodeRange(src, it), 'SL034', `'${k}' is listed twice in ${label}; remove one.`, 'warning');
      continue;
    }
    kinds.push(k);
  }
  return kinds;
}

function readHistogram(src: SourceFile, entry: Entry, label: string, out: Sink): number[] | undefined {
  const range = nodeRange(src, entry.value, entry.keyRange);
  if (!isSeq(entry.value)) {
    report(out, src, range, 'SL033', `${label} must be a list of ${HISTOGRAM_BINS} non-negative numbers, not ${describeNode(entry.value)}.`);
    return undefined;
  }
  const items = entry.value.items as (Node | null)[];
  if (items.length !== HISTOGRAM_BINS) {
    report(out, src, range, 'SL033', `${label} has ${items.length} number${items.length === 1 ? '' : 's'}; it needs exactly ${HISTOGRAM_BINS} (one per log2 reuse bin).`);
    return undefined;
  }
  const bins: number[] = [];
  for (const it of items) {
    const n = numberOf(it);
    if (n === undefined || !Number.isFinite(n) || n < 0 || lossyInteger(src, it, n)) {
      report(out, src, nodeRange(src, it, range), 'SL033', `${label} must hold only finite non-negative numbers, not ${describeNode(it)}.`);
      return undefined;
    }
    bins.push(n);
  }
  return bins;
}

/**
 * SL035: a pin must name one of the cluster's GPUs; a bad pin is dropped so
 * planners never see it. SL039: a pin keeps the table whole on its GPU
 * (table-wise), so its sharding list must allow `table`.
 */
export function checkPins(
  src: SourceFile,
  tables: readonly { spec: { name: string; pin?: number; sharding?: readonly ShardingKind[] }; name: Range; pinEntry?: Entry }[],
  gpuCount: number,
  out: Sink,
): void {
  for (const t of tables) {
    const pin = t.spec.pin;
    if (pin === undefined) continue;
    const pinEntry = t.pinEntry;
    const at = pinEntry ? nodeRange(src, pinEntry.value, pinEntry.keyRange) : t.name;
    if (pin >= gpuCount) {
      report(out, src, at, 'SL035', `'${t.spec.name}' is pinned to GPU ${pin}, but the cluster has ${gpuCount} GPU${gpuCount === 1 ? '' : 's'} (0 … ${gpuCount - 1}).`);
      delete t.spec.pin;
      continue;
    }
    const kinds = t.spec.sharding;
    if (kinds && kinds.length > 0 && !kinds.includes('table')) {
      report(
        out,
        src,
        at,
        'SL039',
        `'${t.spec.name}' is pinned to GPU ${pin}, which keeps it whole there (table-wise), but its sharding [${kinds.join(', ')}] does not allow table. Add table to sharding or remove the pin.`,
      );
    }
  }
}
