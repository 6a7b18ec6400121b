/**
 * loadConfig: text of a `*.shard.yaml` (and the devices file it references) →
 * the usable ShardConfig, every diagnostic on its exact range, and the source
 * map the LSP layer and Replan use. Pure: files come through the FileReader.
 *
 * A file that holds only a devices mapping (`type:`, `count:` … or just
 * `devices:`) is a devices file: it is validated as such and has no config.
 */
import { isMap, isScalar, type YAMLMap } from 'yaml';
import { readDevicesNode } from './devicesRef';
import { checkKnownKeys, readEnum, readNumber } from './fields';
import { keyInfo } from './keys';
import type { FileReader, LoadedConfig, SourceMap } from './loaded';
import { DEFAULT_KERNEL, type Dtype, type Optimizer, type Range, type ShardConfig, type TableSpec } from './types';
import { checkCacheLoadFactor, readKernelDefaults } from './validateKernel';
import { readDevicesMap, type DevicesRead } from './validateDevices';
import { checkGpuMemory, checkPinnedMemory, checkReplicaMemory, checkTableMemory, placementLoads, type MemoryContext } from './validateMemory';
import { checkUnplaced, readPlacement } from './validatePlacement';
import { checkPins, readTables, type PartialTable, type TablesRead } from './validateTables';
import { endOffset, entriesOf, nodeRange, offsetsRange, pairRange, parseSource, report, type Entry, type Sink, type SourceFile } from './yamlSource';

/** Batch size assumed for costs while `batch_size` is missing (reported as SL009). */
const FALLBACK_BATCH_SIZE = 65_536;
/** Keys that mark a document as a bare devices mapping. */
const DEVICE_FILE_MARKERS = ['type', 'count'];

export function loadConfig(file: string, text: string, reader: FileReader): LoadedConfig {
  const out: Sink = [];
  const files = [file];
  const { src, ok } = parseSource(file, text, out);
  const source = emptySourceMap(src);
  const loaded: LoadedConfig = { diagnostics: out, source, files };
  if (!ok) return loaded;

  const top = src.contents;
  if (!isMap(top)) {
    report(
      out,
      src,
      top ? nodeRange(src, top) : source.top,
      'SL002',
      top
        ? 'A ShardLens config must be a mapping with version, batch_size, devices and tables.'
        : 'This file is empty: write version, batch_size, devices and tables (see examples/criteo-26.shard.yaml).',
    );
    return loaded;
  }
  source.placementWrite = placementWrite(src, top);
  const entries = entriesOf(src, top, out, 'the config');

  if (isDevicesFile(entries)) {
    if (entries.has('devices')) {
      checkKnownKeys(src, entries, 'top', 'a devices file', out);
      const d = entries.get('devices')!;
      source.devices = d.keyRange;
      readDevicesNode(src, d.value, d.keyRange, reader, [file], files, out);
    } else {
      readDevicesMap(src, top, source.top, out);
    }
    return loaded;
  }

  checkKnownKeys(src, entries, 'top', 'the config', out);
  checkVersion(src, entries.get('version'), source.top, out);
  const batchSize = readBatchSize(src, entries.get('batch_size'), source.top, out);
  const dtype = readWord(src, entries.get('dtype'), 'dtype', out) as Dtype;
  const optimizer = readWord(src, entries.get('optimizer'), 'optimizer', out) as Optimizer;
  const kernelDefaults = readKernelDefaults(src, entries, out);
  const denseEntry = entries.get('dense_bytes');
  const denseBytes = denseEntry ? (readNumber(src, denseEntry, keyInfo('top', 'dense_bytes')!, out) ?? 0) : 0;

  const devicesEntry = entries.get('devices');
  let devices: DevicesRead | undefined;
  if (devicesEntry) {
    source.devices = devicesEntry.keyRange;
    devices = readDevicesNode(src, devicesEntry.value, devicesEntry.keyRange, reader, [file], files, out);
  } else {
    report(out, src, source.top, 'SL009', "The config has no 'devices': add a devices mapping (type, count) or a path to a file holding one.");
  }

  const tablesEntry = entries.get('tables');
  if (!tablesEntry) report(out, src, source.top, 'SL009', "The config has no 'tables': add a list of tables (name, rows, dim, pooling).");
  const tablesRead: TablesRead = tablesEntry ? readTables(src, tablesEntry, dtype, out, kernelDefaults) : { tables: [], partial: new Map() };
  const topCache = kernelDefaults.cacheLoadFactor !== undefined ? entries.get('cache_load_factor') : undefined;
  checkCacheLoadFactor(
    src,
    topCache,
    tablesRead.tables.map((t) => ({ name: t.spec.name, kernel: t.spec.kernel, cacheEntry: t.cacheEntry })),
    out,
  );
  for (const t of tablesRead.tables) source.tables.set(t.spec.name, { item: t.item, name: t.name });

  // Every rule runs with what is known, so all problems show at once: a table left out
  // of the config (a bad pooling) still has its pin, memory and placement entry checked,
  // and GPU indices are checked against count and per_host while the GPU type is unknown.
  const device = devices?.spec;
  // The memory rules count the ids reservation at the batch the costs assume.
  const memory = (d: NonNullable<typeof device>): MemoryContext => ({ device: d, optimizer, batchSize: batchSize ?? FALLBACK_BATCH_SIZE, denseBytes });
  const shape = device ?? devices?.shape;
  const partial = [...tablesRead.partial.values()];
  if (shape) checkPins(src, [...tablesRead.tables, ...partial], shape.count, out);
  if (device) {
    const sized = [...tablesRead.tables, ...partialWithSize(partial)];
    checkTableMemory(file, sized, tablesEntry?.keyRange ?? source.top, memory(device), out);
    checkPinnedMemory(file, sized, memory(device), out);
  }

  const placementEntry = entries.get('placement');
  const placementRead = placementEntry ? readPlacement(src, placementEntry, tablesRead.tables, tablesRead.partial, shape, out) : undefined;
  if (placementEntry) source.placementSection = sectionRange(src, placementEntry);
  if (placementRead) {
    for (const [name, e] of placementRead.entries) source.placementEntries.set(name, e.range);
    if (placementRead.unusable.size > 0) source.unusablePlacementEntries = placementRead.unusable;
    let loads: ReturnType<typeof placementLoads> | undefined;
    if (device) {
      const byName = new Map(tablesRead.tables.map((t) => [t.spec.name, t.spec]));
      const mem = memory(device);
      loads = placementLoads(placementRead.placement, byName, mem);
      const replicas = checkReplicaMemory(file, placementRead, byName, mem, out);
      checkGpuMemory(
        file,
        placementRead,
        loads,
        mem,
        tablesRead.tables.map((t) => t.spec),
        out,
        replicas,
      );
    }
    checkUnplaced(src, tablesRead.tables, placementRead, loads?.bytes, out);
  }

  if (!device || tablesRead.tables.length === 0) return loaded;
  const config: ShardConfig = {
    version: 1,
    batchSize: batchSize ?? FALLBACK_BATCH_SIZE,
    dtype,
    optimizer,
    kernel: kernelDefaults.kernel,
    denseBytes,
    devices: device,
    tables: tablesRead.tables.map((t) => t.spec),
  };
  if (placementRead) config.placement = placementRead.placement;
  loaded.config = config;
  return loaded;
}

/** Tables left out of the config whose size is known (rows and dim valid): their memory can be checked. */
/**
 * Tables left out for a bad pooling (say) whose rows and dim are known: the
 * memory rules still count them. Their buffers are sized as one lookup per bag
 * on the default kernel (the real pooling is unknown), so the totals reported
 * are at least right for the weights and optimizer state.
 */
function partialWithSize(partial: readonly PartialTable[]): { spec: TableSpec; name: Range }[] {
  return partial.flatMap((t) => {
    const { rows, dim } = t.spec;
    if (rows === undefined || dim === undefined) return [];
    const spec: TableSpec = { ...t.spec, rows, dim, pooling: 1, zipf: 0, kernel: DEFAULT_KERNEL, ids: 'hashed' };
    return [{ spec, name: t.name }];
  });
}

function emptySourceMap(src: SourceFile): SourceMap {
  const eol = src.text.search(/\r?\n/);
  const firstLineEnd = eol < 0 ? src.text.length : eol;
  return {
    file: src.file,
    tables: new Map(),
    placementEntries: new Map(),
    top: offsetsRange(src, 0, firstLineEnd),
  };
}

function isDevicesFile(entries: Map<string, Entry>): boolean {
  if (entries.has('tables')) return false;
  if (DEVICE_FILE_MARKERS.some((k) => entries.has(k))) return true;
  return entries.has('devices') && [...entries.keys()].every((k) => k === 'devices' || k === 'version');
}

function checkVersion(src: SourceFile, entry: Entry | undefined, top: Range, out: Sink): void {
  if (!entry) {
    // A flow (JSON-style) document gets the key inside its braces: a line before `{` would break it.
    const root = src.contents;
    const open = isMap(root) && root.flow && root.range ? src.text.indexOf('{', root.range[0]) : -1;
    const edit =
      open >= 0
        ? { range: offsetsRange(src, open + 1, open + 1), newText: `"version": 1${(root as YAMLMap).items.length > 0 ? ',' : ''}` }
        : { range: { start: top.start, end: top.start }, newText: `version: 1${newlineOf(src)}` };
    report(out, src, top, 'SL009', "The config has no 'version': add `version: 1` as the first line.", 'error', [
      { title: 'Add version: 1', file: src.file, edits: [edit], preferred: true },
    ]);
    return;
  }
  const v = isScalar(entry.value) ? entry.value.value : undefined;
  if (v === 1) return;
  const range = nodeRange(src, entry.value, entry.keyRange);
  report(out, src, range, 'SL010', `Unsupported version ${v === undefined || v === null ? '(none)' : JSON.stringify(v)}: this ShardLens reads version 1.`, 'error', [
    { title: 'Set version to 1', file: src.file, edits: [{ range, newText: '1' }], preferred: true },
  ]);
}

function readBatchSize(src: SourceFile, entry: Entry | undefined, top: Range, out: Sink): number | undefined {
  if (entry) return readNumber(src, entry, keyInfo('top', 'batch_size')!, out);
  report(out, src, top, 'SL009', `The config has no 'batch_size' (bags per table per step, global); costs assume ${FALLBACK_BATCH_SIZE} until it is written.`);
  return undefined;
}

function readWord(src: SourceFile, entry: Entry | undefined, key: 'dtype' | 'optimizer', out: Sink): string {
  const info = keyInfo('top', key)!;
  if (!entry) return info.default as string;
  return readEnum(src, entry.value, entry.keyRange, info.values!, `'${key}'`, out) ?? (info.default as string);
}

function newlineOf(src: SourceFile): string {
  return src.text.includes('\r\n') ? '\r\n' : '\n';
}

/**
 * The placement section's range: key to end of value, extended over a trailing
 * comment on the value's last line (it belongs to the section Replan rewrites).
 */
function sectionRange(src: SourceFile, entry: Entry): Range {
  const r = pairRange(src, entry.pair);
  const valueEnd = endOffset(entry.value) ?? entry.key.range?.[1] ?? 0;
  if (isMap(entry.value) && entry.value.flow) return r;
  const eol = src.text.indexOf('\n', valueEnd);
  const lineEnd = eol < 0 ? src.text.length : src.text[eol - 1] === '\r' ? eol - 1 : eol;
  const rest = src.text.slice(valueEnd, lineEnd);
  if (/^\s*(#.*)?$/.test(rest) && rest.trim() !== '') return { start: r.start, end: offsetsRange(src, lineEnd, lineEnd).end };
  return r;
}

function placementWrite(src: SourceFile, top: YAMLMap): SourceMap['placementWrite'] {
  const newline = newlineOf(src);
  if (top.flow && top.range) {
    const close = src.text.lastIndexOf('}', top.range[1]);
    const at = close >= 0 ? close : top.range[1];
    return { style: 'flow', insertAt: offsetsRange(src, at, at).start, insertPrefix: top.items.length > 0 ? ', ' : '', newline };
  }
  const endsWithNewline = src.text.length === 0 || src.text.endsWith('\n');
  const end = offsetsRange(src, src.text.length, src.text.length).start;
  return { style: 'block', insertAt: end, insertPrefix: endsWithNewline ? '' : newline, newline };
}
