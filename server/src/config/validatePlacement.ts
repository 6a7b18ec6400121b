/**
 * The `placement:` section, one of TorchRec's sharding types per table:
 * `name: 3`, `name: dp`, `{column: [0, 1]}`, `{row: all}` (or a GPU list),
 * `{table_row: {host: 1}}`, `{table_column: [8, 9]}`, `{grid: {hosts: [0, 1]}}`
 * → a Placement, checked against the tables (unknown names, allowed kinds,
 * pins, split shapes), the cluster (GPUs and hosts that exist, table_column
 * inside one host) and what TorchRec can express; and the tables it leaves out.
 * Every check that the known facts allow runs in one pass: the entry of a
 * table left out of the config (a bad pooling, say) is still read against what
 * is known of it, and GPU and host indices are checked against the cluster's
 * shape (count, per_host) even while its GPU type is unknown.
 */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { canSplitColumns, rowBlockSizes } from './splitGeometry';
import { closest } from './didYouMean';
import { checkKnownKeys, checkNumber, numberOf } from './fields';
import type { Fix, TextEdit } from './diagnostics';
import { entryRanks, hostCount, hostOf, hostRanks, type RankShape } from './placementRanks';
import { renderEntry, renderEntryJson, renderName, renderPlacement } from './placementText';
import { kindLabel, SHARDING_KIND_INFO } from './shardingKinds';
import { torchrecGap } from './torchrecForm';
import type { Placement, PlacementEntry, Range, ShardingKind, TableSpec } from './types';
import { DIM_MULTIPLE, type PartialTable, type TableRead } from './validateTables';
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
  /** Entries of tables that could not be read (reported there), key to end of value. */
  unusable: Map<string, Range>;
  /** The section, key included. */
  section: Range;
  /** How to add one more entry without touching the rest. */
  insert: (name: string, entry: PlacementEntry) => TextEdit;
}

/** What the placement rules read of a table: all of it for a usable one, what is known for one left out of the config. */
type EntryTable = Pick<TableSpec, 'name' | 'sharding' | 'pin'> & Partial<Pick<TableSpec, 'rows' | 'dim'>>;

/**
 * `shape` is the cluster's count and per_host (a DeviceSpec, or the shape
 * alone while the GPU type is unknown); undefined when count is unusable.
 */
export function readPlacement(
  src: SourceFile,
  entry: Entry,
  tables: readonly TableRead[],
  partial: ReadonlyMap<string, PartialTable>,
  shape: RankShape | undefined,
  out: Sink,
): PlacementRead | undefined {
  const section = pairRange(src, entry.pair);
  const node = entry.value;
  const placement: Placement = new Map();
  const entries = new Map<string, PlacementEntryRead>();
  const read: PlacementRead = { placement, entries, written: new Set(), unusable: new Map(), section, insert: insertion(src, entry, placement, tables, shape?.count) };
  if (node === null || (isScalar(node) && node.value === null)) return read;
  if (!isMap(node)) {
    report(
      out,
      src,
      nodeRange(src, node, entry.keyRange),
      'SL005',
      `'placement' must be a mapping of table name to placement (name: 3, name: dp, name: {row: all}, …), not ${describeNode(node)}.`,
    );
    return undefined;
  }
  const byName = new Map(tables.map((t) => [t.spec.name, t.spec]));
  const written = entriesOf(src, node, out, 'placement');
  const unknown = [...written.keys()].filter((n) => !byName.has(n) && !partial.has(n));
  // A misspelt entry most likely means a table that has none: suggest only those, and
  // when one table lacks an entry and one entry names no table, that table whatever its spelling.
  const missing = [...byName.keys(), ...partial.keys()].filter((n) => !written.has(n));
  let suggestions = 0;
  for (const e of written.values()) {
    const table = byName.get(e.name);
    if (!table) {
      const known = partial.get(e.name);
      // Checked against what is known of it; not part of the placement until the table is usable.
      if (known) {
        readEntry(src, e, known.spec, shape, !!node.flow, out);
        continue;
      }
      const guess = missing.length === 1 && unknown.length === 1 ? missing[0] : suggestions++ < MAX_SUGGESTIONS ? closest(e.name, missing) : undefined;
      const none = missing.length === 0 ? ' Every table already has an entry: remove this one or add the table.' : ' Remove the entry or add the table.';
      report(
        out,
        src,
        e.keyRange,
        'SL040',
        `placement names '${e.name}', which is not a table.${guess ? ` Did you mean '${guess}' (not placed yet)?` : none}`,
        'error',
        guess ? [{ title: `Rename to '${guess}'`, file: src.file, edits: [{ range: e.keyRange, newText: renderName(guess) }], preferred: true }] : undefined,
      );
      continue;
    }
    read.written.add(e.name);
    const parsed = readEntry(src, e, table, shape, !!node.flow, out);
    if (!parsed) {
      read.unusable.set(e.name, pairRange(src, e.pair));
      continue;
    }
    placement.set(e.name, parsed.entry);
    const rankNode = parsed.rankNode;
    entries.set(e.name, {
      range: pairRange(src, e.pair),
      valueRange: () => nodeRange(src, e.value, e.keyRange),
      gpuRange: (i) => {
        const n = rankNode(i);
        return n ? nodeRange(src, n, e.keyRange) : undefined;
      },
    });
  }
  return read;
}

/** One written entry, before its kind is known. */
interface EntryContext {
  src: SourceFile;
  e: Entry;
  table: EntryTable;
  device: RankShape | undefined;
  /** The placement mapping is in flow (JSON) style: fixes write JSON. */
  flow: boolean;
  out: Sink;
}

interface ParsedEntry {
  entry: PlacementEntry;
  /** The node that wrote the i-th rank of entryRanks (a GPU index, or the host of a grid rank), if any. */
  rankNode: (i: number) => Node | null | undefined;
}

/** A fix that replaces the entry's value with `entry`. */
function replaceWith(c: EntryContext, title: string, entry: PlacementEntry, preferred = true): Fix {
  const newText = c.flow ? renderEntryJson(entry, c.device?.count) : renderEntry(entry, c.device?.count);
  return { title, file: c.src.file, edits: [{ range: nodeRange(c.src, c.e.value, c.e.keyRange), newText }], preferred };
}

const FORMS = `a GPU index (${'name'}: 3), dp, or one of {column: [0, 1]}, {row: all}, {table_row: {host: 0}}, {table_column: [0, 1]}, {grid: {hosts: [0, 1]}}`;
const MAP_KINDS: readonly ShardingKind[] = ['table', 'column', 'row', 'table_row', 'table_column', 'grid'];
/** Words people write for data-parallel; each gets a fix to `dp`. */
const DP_WORDS = new Set(['data_parallel', 'data-parallel', 'dataparallel', 'replicate', 'replicated', 'replica', 'ddp']);

function readEntry(src: SourceFile, e: Entry, table: EntryTable, device: RankShape | undefined, flow: boolean, out: Sink): ParsedEntry | undefined {
  const c: EntryContext = { src, e, table, device, flow, out };
  const valueRange = () => nodeRange(src, e.value, e.keyRange);
  let parsed: ParsedEntry | undefined;
  if (isMap(e.value)) {
    const inner = entriesOf(src, e.value, out, `the placement of '${e.name}'`);
    checkKnownKeys(src, inner, 'placement', `the placement of '${e.name}'`, out);
    const known = [...inner.values()].filter((x) => (MAP_KINDS as readonly string[]).includes(x.name));
    if (known.length !== 1) {
      if (known.length > 1 || inner.size === 0)
        report(out, src, valueRange(), 'SL042', `The placement of '${e.name}' must have exactly one of ${MAP_KINDS.join(', ')} (e.g. {row: all}).`);
      return undefined;
    }
    parsed = readMapEntry(c, known[0]);
  } else if (numberOf(e.value) !== undefined) {
    const gpu = readGpu(c, e.value);
    parsed = gpu === undefined ? undefined : { entry: { kind: 'table', gpu }, rankNode: (i) => (i === 0 ? e.value : undefined) };
  } else if (isScalar(e.value) && e.value.value === 'dp') {
    parsed = { entry: { kind: 'data_parallel' }, rankNode: () => undefined };
  } else {
    const word = isScalar(e.value) && typeof e.value.value === 'string' ? e.value.value : undefined;
    const fixes: Fix[] = [];
    if (word !== undefined && (DP_WORDS.has(word.toLowerCase()) || word === 'DP')) fixes.push(replaceWith(c, "Write 'dp' (data-parallel)", { kind: 'data_parallel' }));
    if (word === 'all' && device) fixes.push(replaceWith(c, 'Write {row: all}', { kind: 'row', gpus: everyGpu(device.count) }));
    report(out, src, valueRange(), 'SL042', `The placement of '${e.name}' must be ${FORMS.replace('name', e.name)}, not ${describeNode(e.value)}.`, 'error', fixes);
    return undefined;
  }
  if (!parsed) return undefined;
  checkKind(c, parsed.entry);
  return parsed;
}

function everyGpu(count: number): number[] {
  return Array.from({ length: Math.max(0, count) }, (_, g) => g);
}

/** The one kind key of a mapping entry: its value read by kind. */
function readMapEntry(c: EntryContext, k: Entry): ParsedEntry | undefined {
  const { src, device, out } = c;
  const kind = k.name as ShardingKind;
  const at = () => nodeRange(src, k.value, k.keyRange);
  switch (kind) {
    case 'table': {
      const gpu = readGpu(c, k.value);
      return gpu === undefined ? undefined : { entry: { kind, gpu }, rankNode: (i) => (i === 0 ? k.value : undefined) };
    }
    case 'row':
    case 'column':
    case 'table_column': {
      if (kind === 'row' && isScalar(k.value) && k.value.value === 'all') {
        // Without a valid cluster the GPUs are unknown; the devices problem is reported where it is.
        if (!device) return undefined;
        return { entry: { kind, gpus: everyGpu(device.count) }, rankNode: () => undefined };
      }
      if (!isSeq(k.value) || k.value.items.length === 0) {
        const example = kind === 'row' ? '{row: all} or {row: [0, 1]}' : `{${kind}: [0, 1]}`;
        report(out, src, at(), 'SL042', `'${kind}' needs ${kind === 'row' ? "'all' or " : ''}a non-empty list of GPU indices, e.g. ${example}.`);
        return undefined;
      }
      const nodes = k.value.items as (Node | null)[];
      const gpus = readIndexList(c, nodes, 'gpu');
      return gpus && { entry: { kind, gpus }, rankNode: (i) => nodes[i] };
    }
    case 'table_row': {
      const bare = numberOf(k.value);
      if (!isMap(k.value)) {
        const fixes = bare !== undefined && Number.isInteger(bare) && bare >= 0 ? [replaceWith(c, `Write {table_row: {host: ${bare}}}`, { kind, host: bare })] : undefined;
        report(out, src, at(), 'SL042', `'table_row' takes a host: {table_row: {host: 1}} (row blocks over the GPUs of host 1), not ${describeNode(k.value)}.`, 'error', fixes);
        return undefined;
      }
      const hostEntry = onlyKey(c, k.value, 'host', '{table_row: {host: 1}}');
      if (!hostEntry) return undefined;
      const host = readHost(c, hostEntry.value);
      if (host === undefined) return undefined;
      return { entry: { kind, host }, rankNode: () => hostEntry.value };
    }
    case 'grid': {
      if (isSeq(k.value)) {
        const hosts = (k.value.items as (Node | null)[]).map(numberOf);
        const fixes =
          hosts.length > 0 && hosts.every((h) => h !== undefined && Number.isInteger(h) && h >= 0)
            ? [replaceWith(c, `Write {grid: {hosts: [${hosts.join(', ')}]}}`, { kind, hosts: hosts as number[] })]
            : undefined;
        report(out, src, at(), 'SL042', "'grid' takes hosts: {grid: {hosts: [0, 1]}} (one column block per host).", 'error', fixes);
        return undefined;
      }
      if (!isMap(k.value)) {
        report(out, src, at(), 'SL042', `'grid' takes hosts: {grid: {hosts: [0, 1]}} (one column block per host), not ${describeNode(k.value)}.`);
        return undefined;
      }
      const hostsEntry = onlyKey(c, k.value, 'hosts', '{grid: {hosts: [0, 1]}}');
      if (!hostsEntry) return undefined;
      const list = hostsEntry.value;
      if (!isSeq(list) || list.items.length === 0) {
        report(out, src, nodeRange(src, list, hostsEntry.keyRange), 'SL042', `'hosts' needs a non-empty list of host indices, e.g. {grid: {hosts: [0, 1]}}.`);
        return undefined;
      }
      const nodes = list.items as (Node | null)[];
      const hosts = readIndexList(c, nodes, 'host');
      if (!hosts) return undefined;
      // Rank i of a grid is on host hosts[floor(i / GPUs per host)].
      const per = device ? Math.max(1, device.perHost) : 1;
      return { entry: { kind, hosts }, rankNode: (i) => nodes[Math.floor(i / per)] };
    }
    default:
      return undefined;
  }
}

/** A nested `{key: …}` mapping with exactly that key (unknown keys are SL003). */
function onlyKey(c: EntryContext, map: Node, key: string, example: string): Entry | undefined {
  const inner = entriesOf(c.src, map as never, c.out, `the placement of '${c.e.name}'`);
  for (const x of inner.values()) {
    if (x.name === key) continue;
    const guess = closest(x.name, [key]);
    report(
      c.out,
      c.src,
      x.keyRange,
      'SL003',
      `Unknown key '${x.name}' in the placement of '${c.e.name}'; write ${example}.${guess ? ` Did you mean '${key}'?` : ''}`,
      'error',
      guess && !inner.has(key) ? [{ title: `Rename to '${key}'`, file: c.src.file, edits: [{ range: x.keyRange, newText: key }], preferred: true }] : undefined,
    );
  }
  const found = inner.get(key);
  if (!found && inner.size === 0) report(c.out, c.src, nodeRange(c.src, map, c.e.keyRange), 'SL042', `The placement of '${c.e.name}' needs '${key}', e.g. ${example}.`);
  return found;
}

/** A whole number ≥ 0 (SL005/SL006/SL007 otherwise). */
function readIndex(c: EntryContext, node: Node | null, what: 'gpu' | 'host'): number | undefined {
  const n = numberOf(node);
  const label = what === 'gpu' ? 'A GPU index' : 'A host index';
  if (n === undefined) {
    report(c.out, c.src, nodeRange(c.src, node, nodeRange(c.src, c.e.value, c.e.keyRange)), 'SL005', `${label} must be a whole number, not ${describeNode(node)}.`);
    return undefined;
  }
  return checkNumber(c.src, node, n, { kind: 'integer', min: 0 }, label, c.out);
}

/** A GPU index that exists (SL041 otherwise). */
function readGpu(c: EntryContext, node: Node | null): number | undefined {
  const g = readIndex(c, node, 'gpu');
  if (g === undefined) return undefined;
  const { device } = c;
  if (device && g >= device.count) {
    report(
      c.out,
      c.src,
      nodeRange(c.src, node),
      'SL041',
      `GPU ${g} does not exist: the cluster has ${device.count} GPU${device.count === 1 ? '' : 's'} (0 … ${device.count - 1}).`,
    );
    return undefined;
  }
  return g;
}

/** A host index that exists (SL041 otherwise): hosts are GPUs h·per_host … h·per_host + per_host − 1. */
function readHost(c: EntryContext, node: Node | null): number | undefined {
  const h = readIndex(c, node, 'host');
  if (h === undefined) return undefined;
  const { device } = c;
  if (device) {
    const hosts = hostCount(device);
    if (h >= hosts) {
      report(
        c.out,
        c.src,
        nodeRange(c.src, node),
        'SL041',
        `Host ${h} does not exist: ${device.count} GPU${device.count === 1 ? '' : 's'} at ${device.perHost} per host make ${hosts} host${hosts === 1 ? '' : 's'} (0 … ${hosts - 1}).`,
      );
      return undefined;
    }
  }
  return h;
}

/** GPU or host indices in order; each exists; repeats are SL048 warnings. */
function readIndexList(c: EntryContext, nodes: readonly (Node | null)[], what: 'gpu' | 'host'): number[] | undefined {
  const values: number[] = [];
  let ok = true;
  for (const n of nodes) {
    const v = what === 'gpu' ? readGpu(c, n) : readHost(c, n);
    if (v === undefined) {
      ok = false;
      continue;
    }
    if (values.includes(v)) {
      const whatWord = what === 'gpu' ? 'GPU' : 'Host';
      report(
        c.out,
        c.src,
        nodeRange(c.src, n),
        'SL048',
        `${whatWord} ${v} is listed twice in the placement of '${c.e.name}': both shards would share one ${what === 'gpu' ? 'GPU' : 'host'}. List each ${what === 'gpu' ? 'GPU' : 'host'} once.`,
        'warning',
      );
    }
    values.push(v);
  }
  return ok ? values : undefined;
}

/** Rules that depend on the kind: allowed sharding, pins, split shapes, hosts, what TorchRec can express. */
function checkKind(c: EntryContext, entry: PlacementEntry): void {
  const { src, e, table, device, out } = c;
  const valueRange = nodeRange(src, e.value, e.keyRange);
  const kind = entry.kind;
  if (!table.sharding.includes(kind)) {
    report(
      out,
      src,
      valueRange,
      'SL044',
      `'${e.name}' allows sharding [${table.sharding.join(', ')}], so it cannot be placed ${kindLabel(kind)}. Change the placement or the table's sharding.`,
    );
  }
  const shape = device && { count: device.count, perHost: device.perHost };
  if (table.pin !== undefined && (kind !== 'table' || entry.gpu !== table.pin)) {
    report(
      out,
      src,
      valueRange,
      'SL045',
      `'${e.name}' is pinned to GPU ${table.pin} but placed ${kind === 'table' ? `on GPU ${entry.gpu}` : kindLabel(kind)}. Place it whole on GPU ${table.pin} or remove the pin.`,
      'error',
      [replaceWith(c, `Place '${e.name}' on GPU ${table.pin}`, { kind: 'table', gpu: table.pin })],
    );
  }
  // Column widths: dim / shards, a multiple of 4 (FBGEMM rows are 4-element aligned). A dim
  // that is no multiple of 4 itself is SL031 on the table: no split of it is said to fail too.
  const columnParts = kind === 'column' || kind === 'table_column' ? entry.gpus.length : kind === 'grid' ? entry.hosts.length : 1;
  if (table.dim !== undefined && table.dim % DIM_MULTIPLE === 0 && columnParts > 1 && !canSplitColumns(table.dim, columnParts)) {
    const width = table.dim / columnParts;
    const what = kind === 'grid' ? `${columnParts} hosts (one column block each)` : `${columnParts} GPUs`;
    // Fix: the first k listed (the most that split evenly); for a grid, TorchRec's own block count when the cluster has the hosts.
    let fix: Fix | undefined;
    if (kind === 'grid') {
      const gap = shape && torchrecGap({ dim: table.dim }, { kind, hosts: entry.hosts.slice(0, 1) }, shape);
      const hosts = gap?.suggestion?.kind === 'grid' ? gap.suggestion.hosts : entry.hosts.slice(0, 1);
      if (canSplitColumns(table.dim, hosts.length))
        fix = replaceWith(c, `Use ${hosts.length} host${hosts.length === 1 ? '' : 's'}: {grid: {hosts: [${hosts.join(', ')}]}}`, { kind, hosts });
    } else if (entry.kind === 'column' || entry.kind === 'table_column') {
      let k = columnParts - 1;
      while (k > 1 && !canSplitColumns(table.dim, k)) k--;
      const gpus = entry.gpus.slice(0, k);
      fix = replaceWith(
        c,
        k > 1 ? `Split over ${k} GPUs: [${gpus.join(', ')}]` : `Place it whole on GPU ${gpus[0]}`,
        k > 1 ? { kind: entry.kind, gpus } : { kind: 'table', gpu: gpus[0] },
      );
    }
    report(
      out,
      src,
      valueRange,
      'SL046',
      `Splitting dim ${table.dim} of '${e.name}' over ${what} gives width ${Number.isInteger(width) ? width : width.toFixed(2)}, not a multiple of ${DIM_MULTIPLE}. Use a count that divides dim/${DIM_MULTIPLE} = ${table.dim / DIM_MULTIPLE}.`,
      'error',
      fix ? [fix] : undefined,
    );
  }
  // Row blocks: fewer rows than blocks. TorchRec still cuts it (blocks of
  // ⌈rows/blocks⌉ rows, the trailing ones empty; splitGeometry.ts rowBlockSizes),
  // and ShardLens costs it so, but GPUs holding nothing are rarely meant: a warning.
  if (shape && table.rows !== undefined && (kind === 'row' || kind === 'table_row' || kind === 'grid')) {
    const blocks = kind === 'grid' ? Math.min(...entry.hosts.map((h) => hostRanks(h, shape).length)) : entryRanks(entry, shape).length;
    if (blocks > table.rows) {
      const empty = blocks - rowBlockSizes(table.rows, blocks).filter((r) => r > 0).length;
      report(
        out,
        src,
        valueRange,
        'SL046',
        `'${e.name}' has ${table.rows} row${table.rows === 1 ? '' : 's'}, fewer than the ${blocks} row blocks of a ${kindLabel(kind)} split: TorchRec cuts blocks of ${Math.ceil(table.rows / blocks)} row${Math.ceil(table.rows / blocks) === 1 ? '' : 's'}, so ${empty} GPU${empty === 1 ? '' : 's'} hold an empty block${kind === 'grid' ? ' in each column block' : ''}. Place it whole (name: GPU) or data-parallel (dp) if its sharding allows.`,
        'warning',
      );
    }
  }
  // table_column: column shards inside one host.
  if (shape && kind === 'table_column' && entry.gpus.length > 0) {
    const hosts = [...new Set(entry.gpus.map((g) => hostOf(g, shape)))];
    if (hosts.length > 1) {
      const first = hostRanks(hosts[0], shape);
      const fixes: Fix[] = [replaceWith(c, `Use {column: [${entry.gpus.join(', ')}]} (column-wise may span hosts)`, { kind: 'column', gpus: entry.gpus })];
      if (entry.gpus.length <= first.length)
        fixes.push(
          replaceWith(
            c,
            `Keep the shards on host ${hosts[0]}: [${first.slice(0, entry.gpus.length).join(', ')}]`,
            { kind: 'table_column', gpus: first.slice(0, entry.gpus.length) },
            false,
          ),
        );
      report(
        out,
        src,
        valueRange,
        'SL049',
        `table_column keeps the column shards of '${e.name}' on one host, but GPUs [${entry.gpus.join(', ')}] are on hosts ${hosts.join(', ')} (${shape.perHost} GPUs per host). Use column, or GPUs of one host.`,
        'error',
        fixes,
      );
      return;
    }
  }
  // What ShardLens can cost but TorchRec cannot express (a grid's block count needs dim).
  if (shape && (table.dim !== undefined || kind !== 'grid')) {
    const gap = torchrecGap({ dim: table.dim ?? 0 }, entry, shape);
    if (gap) {
      const fixes = gap.suggestion
        ? [replaceWith(c, `Write ${renderEntry(gap.suggestion, shape.count)} (TorchRec ${SHARDING_KIND_INFO[gap.suggestion.kind].torchrec})`, gap.suggestion)]
        : undefined;
      report(out, src, valueRange, 'SL050', `${gap.message} ShardLens costs it as written, but the TorchRec export refuses it.`, 'warning', fixes);
    }
  }
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
      fixes = [
        {
          title: `Add '${t.spec.name}' to placement on GPU ${target}${t.spec.pin === undefined ? ' (least memory used)' : ' (its pin)'}`,
          file: src.file,
          edits: [edit],
          preferred: true,
        },
      ];
    }
    report(out, src, t.name, 'SL043', `Table '${t.spec.name}' is not in placement, so the placement cannot be costed. Add it (or run Replan).`, 'error', fixes);
  }
}

/**
 * The edit that adds one entry: a new line after the last entry of a block
 * mapping (indented like the others); otherwise the section is rewritten.
 */
function insertion(
  src: SourceFile,
  section: Entry,
  placement: Placement,
  tables: readonly TableRead[],
  world: number | undefined,
): (name: string, entry: PlacementEntry) => TextEdit {
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
      return { range: pos, newText: `${nl}${' '.repeat(indent)}${renderName(name)}: ${renderEntry(entry, world)}` };
    }
    if (isMap(node) && node.flow && node.range) {
      const close = src.text.lastIndexOf('}', node.range[1]);
      if (close >= 0) {
        const at = offsetsRange(src, close, close);
        // YAML allows a trailing comma in a flow map (`{a: 0,}`): do not add a second one.
        const last = node.items[node.items.length - 1];
        const lastEnd = last ? (endOffset(last.value as Node | null) ?? (last.key as Node | null)?.range?.[1]) : undefined;
        const trailingComma =
          lastEnd !== undefined &&
          src.text
            .slice(lastEnd, close)
            .replace(/#[^\n]*/g, '')
            .includes(',');
        const prefix = node.items.length === 0 ? '' : trailingComma ? ' ' : ', ';
        return { range: at, newText: `${prefix}${JSON.stringify(name)}: ${renderEntryJson(entry, world)}` };
      }
    }
    const next: Placement = new Map(placement);
    next.set(name, entry);
    return {
      range: pairRange(src, section.pair),
      newText: renderPlacement(
        next,
        tables.map((t) => t.spec.name),
        '\n',
        world,
      ).replace(/\n$/, ''),
    };
  };
}
