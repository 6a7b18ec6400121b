/**
 * Each validation rule fires with its code on the exact range, and its quick
 * fix produces the intended text. Configs are built from a clean base with one
 * line changed, so the expected line/character are easy to read off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../server/src/config/load';
import type { Diagnostic, TextEdit } from '../../../server/src/config/diagnostics';
import type { FileReader } from '../../../server/src/config/loaded';

const noFiles: FileReader = { readFile: () => undefined };

const BASE = `version: 1
batch_size: 1024
devices:
  type: H100-80GB
  count: 4
tables:
  - name: alpha
    rows: 1_000_000
    dim: 64
    pooling: 2
  - name: beta
    rows: 5000
    dim: 16
    pooling: 1
    zipf: 1.1
placement:
  alpha: 0
  beta: {column: [1, 2]}
`;

function load(text: string, reader: FileReader = noFiles) {
  return loadConfig('/w/m.shard.yaml', text, reader);
}

/** Replace the first occurrence of `from` (must exist) in BASE. */
function variant(from: string, to: string): string {
  assert.ok(BASE.includes(from), `base holds ${from}`);
  return BASE.replace(from, to);
}

function only(text: string, code: string): Diagnostic {
  const ds = load(text).diagnostics.filter((d) => d.code === code);
  assert.equal(ds.length, 1, `one ${code} in ${JSON.stringify(load(text).diagnostics.map((d) => d.code))}`);
  return ds[0];
}

function at(d: Diagnostic, line: number, start: number, end: number, endLine = line): void {
  assert.deepEqual(d.range, { start: { line, character: start }, end: { line: endLine, character: end } }, `${d.code} ${d.message}`);
}

function apply(text: string, edits: TextEdit[]): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((s, l) => s + l.length + 1, 0) + p.character;
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  return out;
}

test('the base config is clean and fully defaulted', () => {
  const r = load(BASE);
  assert.deepEqual(r.diagnostics, []);
  const c = r.config!;
  assert.equal(c.dtype, 'fp32');
  assert.equal(c.optimizer, 'sgd');
  assert.equal(c.devices.reserve, 0.15);
  assert.equal(c.devices.perHost, 4);
  assert.equal(c.tables[0].rows, 1_000_000);
  assert.equal(c.tables[0].zipf, 0);
  assert.deepEqual(
    c.tables[0].sharding,
    ['data_parallel', 'table', 'column', 'row', 'table_row', 'table_column', 'grid'],
    'every TorchRec sharding type by default, as TorchRec allows',
  );
  assert.deepEqual(c.placement!.get('beta'), { kind: 'column', gpus: [1, 2] });
  assert.deepEqual(r.source.tables.get('beta')!.name, { start: { line: 10, character: 10 }, end: { line: 10, character: 14 } });
  assert.deepEqual(r.source.placementEntries.get('alpha'), { start: { line: 16, character: 2 }, end: { line: 16, character: 10 } });
  assert.deepEqual(r.source.placementSection, { start: { line: 15, character: 0 }, end: { line: 17, character: 24 } });
  assert.deepEqual(r.source.devices, { start: { line: 2, character: 0 }, end: { line: 2, character: 7 } });
});

test('per_host defaults to min(count, 8)', () => {
  assert.equal(load(variant('count: 4', 'count: 64')).config!.devices.perHost, 8);
});

test('SL001 YAML syntax error: located, config unusable', () => {
  const r = load(variant('dim: 64', 'dim: [64'));
  assert.ok(r.diagnostics.some((d) => d.code === 'SL001'));
  assert.equal(r.config, undefined);
  for (const d of r.diagnostics) assert.ok(d.range.start.line >= 8, 'error at or after the broken line');
});

test('SL002 empty document and non-mapping', () => {
  at(only('', 'SL002'), 0, 0, 0);
  at(only('- a\n- b\n', 'SL002'), 0, 0, 3, 1);
});

test('SL003 unknown key with did-you-mean rename fix', () => {
  const text = variant('    pooling: 2', '    poolling: 2');
  const d = load(text).diagnostics.find((x) => x.code === 'SL003')!;
  at(d, 9, 4, 12);
  assert.match(d.message, /Did you mean 'pooling'/);
  assert.equal(apply(text, d.fixes![0].edits), BASE);
  assert.ok(
    load(text).diagnostics.some((x) => x.code === 'SL009'),
    'missing pooling reported too',
  );
});

test('SL003 unknown top-level and devices keys', () => {
  at(only(variant('batch_size: 1024', 'batch_size: 1024\nbatchsize: 3'), 'SL003'), 2, 0, 9);
  const d = only(variant('  count: 4', '  count: 4\n  reserv: 0.1'), 'SL003');
  at(d, 5, 2, 8);
  assert.equal(d.fixes![0].edits[0].newText, 'reserve');
});

test('SL004 duplicate key', () => {
  at(only(variant('    dim: 64', '    dim: 64\n    dim: 32'), 'SL004'), 9, 4, 7);
});

test('SL005 wrong type, with unquote fix for a quoted number', () => {
  const text = variant('rows: 5000', 'rows: "5000"');
  const d = only(text, 'SL005');
  at(d, 11, 10, 16);
  assert.equal(apply(text, d.fixes![0].edits), BASE);
  at(only(variant('dim: 16', 'dim: [16]'), 'SL005'), 12, 9, 13);
});

test('SL006 out of range, negative, NaN, Infinity, huge', () => {
  at(only(variant('rows: 5000', 'rows: 0'), 'SL006'), 11, 10, 11);
  at(only(variant('pooling: 1', 'pooling: -1'), 'SL006'), 13, 13, 15);
  at(only(variant('zipf: 1.1', 'zipf: .nan'), 'SL006'), 14, 10, 14);
  at(only(variant('pooling: 1', 'pooling: .inf'), 'SL006'), 13, 13, 17);
  at(only(variant('rows: 5000', 'rows: 1e300'), 'SL006'), 11, 10, 15);
  at(only(variant('dim: 16', 'dim: 2'), 'SL006'), 12, 9, 10);
  at(only(variant('batch_size: 1024', 'batch_size: 0'), 'SL006'), 1, 12, 13);
  at(only(variant('count: 4', 'count: 4\n  reserve: 0.9'), 'SL006'), 5, 11, 14);
});

test('SL007 non-integer with round fix', () => {
  const text = variant('rows: 5000', 'rows: 5000.4');
  const d = only(text, 'SL007');
  at(d, 11, 10, 16);
  assert.equal(apply(text, d.fixes![0].edits), BASE);
});

test('SL008 unknown enum word with fix', () => {
  const text = variant('batch_size: 1024', 'batch_size: 1024\noptimizer: adadelta');
  const d = only(text, 'SL008');
  at(d, 2, 11, 19);
  assert.equal(d.fixes, undefined, 'no close word for adadelta → no fix');
  const t2 = variant('batch_size: 1024', 'batch_size: 1024\ndtype: fp61');
  const d2 = only(t2, 'SL008');
  assert.equal(apply(t2, d2.fixes![0].edits), variant('batch_size: 1024', 'batch_size: 1024\ndtype: fp16'));
});

test('SL009 missing required keys', () => {
  const d = only(variant('    rows: 5000\n', ''), 'SL009');
  at(d, 10, 10, 14);
  assert.match(d.message, /'rows'/);
  const noVersion = BASE.replace('version: 1\n', '');
  const v = only(noVersion, 'SL009');
  assert.equal(apply(noVersion, v.fixes![0].edits), BASE);
  assert.equal(load(BASE.replace(/tables:[\s\S]*?placement:/, 'placement:')).config, undefined, 'no tables → no config');
});

test('SL010 version other than 1, with fix', () => {
  const text = variant('version: 1', 'version: 2');
  const d = only(text, 'SL010');
  at(d, 0, 9, 10);
  assert.equal(apply(text, d.fixes![0].edits), BASE);
});

test('SL020 unknown device type: did you mean, presets listed, fix', () => {
  const text = variant('H100-80GB', 'H100-80G');
  const d = only(text, 'SL020');
  at(d, 3, 8, 16);
  assert.match(d.message, /H200-141GB/);
  assert.equal(apply(text, d.fixes![0].edits), BASE);
  assert.ok(load(text).config, 'still costed with the suggested preset');
  const custom = variant(
    '  count: 4',
    '  count: 4\n  memory_bytes: 1000000000000\n  hbm_gbps: 1000\n  l2_bytes: 1000000\n  sms: 10\n  nvlink_gbps: 10\n  network_gbps: 10',
  ).replace('H100-80GB', 'MyGPU');
  assert.deepEqual(load(custom).diagnostics, [], 'custom GPU with every number given');
});

test('SL021 per_host > count (fix) and SL022 count not a multiple', () => {
  const text = variant('count: 4', 'count: 4\n  per_host: 8');
  const d = only(text, 'SL021');
  at(d, 5, 12, 13);
  assert.equal(d.fixes![0].edits[0].newText, '4');
  const w = only(variant('count: 4', 'count: 6\n  per_host: 4'), 'SL022');
  assert.equal(w.severity, 'warning');
});

test('SL030 empty tables', () => {
  at(only(BASE.replace(/tables:[\s\S]*?placement:\n.*\n.*\n/, 'tables: []\n'), 'SL030'), 5, 8, 10);
});

test('SL031 dim not a multiple of 4: fix rounds to the nearest (ties up)', () => {
  const text = variant('dim: 64', 'dim: 63');
  const d = only(text, 'SL031');
  at(d, 8, 9, 11);
  assert.equal(apply(text, d.fixes![0].edits), BASE);
  assert.equal(only(variant('dim: 64', 'dim: 30'), 'SL031').fixes![0].edits[0].newText, '32');
  assert.equal(only(variant('dim: 64', 'dim: 5'), 'SL031').fixes![0].edits[0].newText, '4');
});

test('SL032 duplicate table name with rename fix', () => {
  const text = variant('name: beta', 'name: alpha');
  const d = only(text, 'SL032');
  at(d, 10, 10, 15);
  assert.equal(d.fixes![0].edits[0].newText, 'alpha_2');
});

test('SL033 histogram', () => {
  at(only(variant('zipf: 1.1', 'histogram: [1, 2]'), 'SL033'), 14, 15, 21);
  const seventeen = Array.from({ length: 17 }, (_, i) => (i === 3 ? -1 : 0.05)).join(', ');
  at(only(variant('zipf: 1.1', `histogram: [${seventeen}]`), 'SL033'), 14, 34, 36);
  const good = Array.from({ length: 17 }, () => 0.05).join(', ');
  assert.equal(load(variant('zipf: 1.1', `histogram: [${good}]`)).config!.tables[1].histogram!.length, 17);
});

test('SL034 empty sharding list, repeated kind', () => {
  at(only(variant('zipf: 1.1', 'sharding: []'), 'SL034'), 14, 14, 16);
  assert.equal(only(variant('zipf: 1.1', 'sharding: [row, column, row]'), 'SL034').severity, 'warning');
});

test('SL035 pin out of range', () => {
  at(only(variant('zipf: 1.1', 'pin: 4'), 'SL035'), 14, 9, 10);
});

test('SL036 a table that fits no GPU; row sharding spreads it over all GPUs', () => {
  // 30e9 rows... too many: 1e10 rows × 64 × 4 B = 2.56 TB > 4 × 72 GB.
  const huge = variant('rows: 1_000_000', 'rows: 10_000_000_000').replace(/placement:[\s\S]*/, '');
  const d = load(huge).diagnostics.find((x) => x.code === 'SL036')!;
  at(d, 6, 10, 15);
  // 400M rows × 64 × 4 B = 102 GB: over one GPU (72 GB usable) but fine by rows over 4.
  const big = variant('rows: 1_000_000', 'rows: 400_000_000').replace(/placement:[\s\S]*/, '');
  assert.deepEqual(
    load(big).diagnostics.map((x) => x.code),
    [],
  );
  const tableOnly = big.replace('    pooling: 2', '    pooling: 2\n    sharding: [table, column]');
  assert.deepEqual(
    load(tableOnly).diagnostics.map((x) => x.code),
    [],
    'column over 4 GPUs: 25.6 GB each',
  );
  const wholeOnly = big.replace('    pooling: 2', '    pooling: 2\n    sharding: [table]');
  assert.deepEqual(
    load(wholeOnly).diagnostics.map((x) => x.code),
    ['SL036'],
  );
});

test('SL037 total memory over the cluster', () => {
  // 2e9 × 64 × 4 B = 512 GB > 4 × 72.3 GB usable.
  const text = variant('rows: 1_000_000', 'rows: 2_000_000_000').replace(/placement:[\s\S]*/, '');
  const d = only(text, 'SL037');
  at(d, 5, 0, 6);
});

test('SL040 placement names an unknown table, rename fix', () => {
  const text = variant('  alpha: 0', '  alpah: 0');
  const d = only(text, 'SL040');
  at(d, 16, 2, 7);
  assert.equal(apply(text, d.fixes![0].edits), BASE);
});

test('SL041 GPU index out of range', () => {
  at(only(variant('column: [1, 2]', 'column: [1, 7]'), 'SL041'), 17, 21, 22);
  at(only(variant('  alpha: 0', '  alpha: 4'), 'SL041'), 16, 9, 10);
});

test('SL042 malformed placement entry', () => {
  at(only(variant('  alpha: 0', '  alpha: gpu0'), 'SL042'), 16, 9, 13);
  at(only(variant('{column: [1, 2]}', '{column: [1, 2], row: [0]}'), 'SL042'), 17, 8, 34);
  at(only(variant('{column: [1, 2]}', '{column: []}'), 'SL042'), 17, 17, 19);
});

test('SL043 unplaced table: fix adds it on the least-loaded GPU, keeping the rest', () => {
  const text = variant('  alpha: 0\n', '');
  const d = only(text, 'SL043');
  at(d, 6, 10, 15);
  const fixed = apply(text, d.fixes![0].edits);
  assert.equal(fixed, `${text}  alpha: 0\n`, 'GPUs 0 and 3 are empty: the lowest index wins');
  assert.deepEqual(load(fixed).diagnostics, []);
  // Trailing comment on the last entry stays on its line.
  const commented = text.replace('[1, 2]}\n', '[1, 2]}  # split\n');
  const fixed2 = apply(commented, only(commented, 'SL043').fixes![0].edits);
  assert.ok(fixed2.endsWith('[1, 2]}  # split\n  alpha: 0\n'), fixed2);
  // Flow-style placement gets a flow entry.
  const flow = BASE.replace(/placement:[\s\S]*/, 'placement: {beta: 1}\n');
  const fixed3 = apply(flow, only(flow, 'SL043').fixes![0].edits);
  assert.deepEqual(load(fixed3).diagnostics, [], fixed3);
});

test('SL044 placement kind not allowed by sharding', () => {
  at(only(variant('zipf: 1.1', 'sharding: [table]'), 'SL044'), 17, 8, 24);
});

test('SL045 pinned table placed elsewhere, fix places it on the pin', () => {
  const text = variant('    pooling: 2', '    pooling: 2\n    pin: 3');
  const d = only(text, 'SL045');
  at(d, 17, 9, 10);
  assert.deepEqual(load(apply(text, d.fixes![0].edits)).diagnostics, []);
});

test('SL046 column split widths not multiples of 4', () => {
  const d = only(variant('dim: 16', 'dim: 20'), 'SL046');
  at(d, 17, 8, 24);
  assert.match(d.message, /width 10/);
});

test('SL047 GPU over memory for the written placement', () => {
  // 300M × 64 × 4 = 76.8 GB > 72.3 GB usable on GPU 0.
  const d = only(variant('rows: 1_000_000', 'rows: 300_000_000'), 'SL047');
  at(d, 16, 9, 10);
  assert.match(d.message, /GPU 0/);
});

test('SL048 GPU listed twice in a split (warning)', () => {
  const d = only(variant('column: [1, 2]', 'column: [1, 1]'), 'SL048');
  assert.equal(d.severity, 'warning');
  at(d, 17, 21, 22);
});

test('adam optimizer state counts against memory', () => {
  // 100M × 64 × 4 = 25.6 GB weights; with adam + 51.2 GB = 76.8 GB > 72.3 GB.
  const text = variant('rows: 1_000_000', 'rows: 100_000_000');
  assert.deepEqual(load(text).diagnostics, []);
  assert.deepEqual(
    load(text.replace('batch_size: 1024', 'batch_size: 1024\noptimizer: adam')).diagnostics.map((d) => d.code),
    ['SL047'],
  );
});
