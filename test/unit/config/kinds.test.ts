/**
 * TorchRec's sharding kinds in the config language: every placement form
 * parses to its entry, each rule fires with its code on the exact range, its
 * quick fix writes the intended text (JSON in flow-style files), `sharding:`
 * takes the kinds by their short and their TorchRec names, and the writer
 * gives back what was read (`{row: all}` for every GPU in order).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../server/src/config/load';
import type { Diagnostic, TextEdit } from '../../../server/src/config/diagnostics';
import { placementEdit, renderEntry } from '../../../server/src/config/placementText';
import { torchrecBlockWidth, torchrecGap, torchrecGridBlocks } from '../../../server/src/config/torchrecForm';
import type { PlacementEntry } from '../../../server/src/config/types';

const noFiles = { readFile: () => undefined };

/** 16 GPUs in 2 hosts of 8; tables sized so every kind is valid as written. */
const BASE = `version: 1
batch_size: 65536
devices:
  type: H100-80GB
  count: 16
  per_host: 8
tables:
  - {name: small, rows: 1000, dim: 64, pooling: 1}
  - {name: whole, rows: 1000000, dim: 128, pooling: 2}
  - {name: cols, rows: 1000000, dim: 128, pooling: 2}
  - {name: rows, rows: 10000000, dim: 128, pooling: 2}
  - {name: trow, rows: 10000000, dim: 128, pooling: 2}
  - {name: tcol, rows: 1000000, dim: 128, pooling: 2}
  - {name: grid, rows: 10000000, dim: 256, pooling: 2}
placement:
  small: dp
  whole: 3
  cols: {column: [0, 1]}
  rows: {row: all}
  trow: {table_row: {host: 1}}
  tcol: {table_column: [8, 9]}
  grid: {grid: {hosts: [0, 1]}}
`;

function load(text: string) {
  return loadConfig('/w/k.shard.yaml', text, noFiles);
}

function variant(from: string, to: string): string {
  assert.ok(BASE.includes(from), `base holds ${from}`);
  return BASE.replace(from, to);
}

function only(text: string, code: string): Diagnostic {
  const all = load(text).diagnostics;
  const ds = all.filter((d) => d.code === code);
  assert.equal(ds.length, 1, `one ${code} in ${JSON.stringify(all.map((d) => `${d.code} ${d.message}`))}`);
  return ds[0];
}

function at(d: Diagnostic, line: number, start: number, end: number): void {
  assert.deepEqual(d.range, { start: { line, character: start }, end: { line, character: end } }, `${d.code} ${d.message}`);
}

function apply(text: string, edits: TextEdit[]): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((s, l) => s + l.length + 1, 0) + p.character;
  let out = text;
  for (const e of [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start))) out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  return out;
}

const line = (name: string) => BASE.split('\n').findIndex((l) => l.startsWith(`  ${name}:`));

test('every placement form parses to its entry, with no diagnostics', () => {
  const l = load(BASE);
  assert.deepEqual(l.diagnostics, []);
  const p = l.config!.placement!;
  assert.deepEqual(Object.fromEntries(p), {
    small: { kind: 'data_parallel' },
    whole: { kind: 'table', gpu: 3 },
    cols: { kind: 'column', gpus: [0, 1] },
    rows: { kind: 'row', gpus: Array.from({ length: 16 }, (_, g) => g) },
    trow: { kind: 'table_row', host: 1 },
    tcol: { kind: 'table_column', gpus: [8, 9] },
    grid: { kind: 'grid', hosts: [0, 1] },
  });
  // The other spellings of the same entries.
  const alt = load(BASE.replace('whole: 3', 'whole: {table: 3}').replace('{row: all}', `{row: [${Array.from({ length: 16 }, (_, g) => g).join(', ')}]}`));
  assert.deepEqual(alt.diagnostics, []);
  assert.deepEqual(alt.config!.placement, p);
  // Block style.
  const block = load(BASE.replace('  trow: {table_row: {host: 1}}', '  trow:\n    table_row:\n      host: 1'));
  assert.deepEqual(block.diagnostics, []);
  assert.deepEqual(block.config!.placement!.get('trow'), { kind: 'table_row', host: 1 });
});

test('the writer gives back every form; a row entry over every GPU in order is {row: all}', () => {
  const l = load(BASE);
  const next = apply(BASE, [placementEdit(l, l.config!.placement!).edit]);
  assert.equal(next, BASE, 'written back byte for byte');
  assert.equal(renderEntry({ kind: 'row', gpus: [0, 1, 2, 3] }, 4), '{row: all}');
  assert.equal(renderEntry({ kind: 'row', gpus: [1, 0, 2, 3] }, 4), '{row: [1, 0, 2, 3]}', 'not in order: the list');
  assert.equal(renderEntry({ kind: 'row', gpus: [0, 1] }, 4), '{row: [0, 1]}');
  const listed = BASE.replace('{row: all}', `{row: [${Array.from({ length: 16 }, (_, g) => g).join(', ')}]}`);
  const written = apply(listed, [placementEdit(load(listed), load(listed).config!.placement!).edit]);
  assert.equal(written, BASE, 'a full ordered list is written {row: all}');
  // Flow (JSON) documents get JSON.
  const json = JSON.stringify(
    {
      version: 1,
      batch_size: 8,
      devices: { type: 'H100-80GB', count: 16, per_host: 8 },
      tables: [
        { name: 'a', rows: 100, dim: 16, pooling: 1 },
        { name: 'b', rows: 100, dim: 16, pooling: 1 },
      ],
    },
    null,
    2,
  );
  const placed = new Map<string, PlacementEntry>([
    ['a', { kind: 'row', gpus: Array.from({ length: 16 }, (_, g) => g) }],
    ['b', { kind: 'data_parallel' }],
  ]);
  const out = apply(json, [placementEdit(load(json), placed).edit]);
  assert.deepEqual(JSON.parse(out).placement, { a: { row: 'all' }, b: 'dp' });
  assert.deepEqual(load(out).config!.placement, placed);
});

test("sharding: every kind by its short word or TorchRec's name; SL008 otherwise", () => {
  const text = variant(
    '{name: rows, rows: 10000000, dim: 128, pooling: 2}',
    '{name: rows, rows: 10000000, dim: 128, pooling: 2, sharding: [row_wise, table_wise, dp, grid_shard]}',
  );
  const l = load(text);
  assert.deepEqual(l.diagnostics, []);
  assert.deepEqual(l.config!.tables.find((t) => t.name === 'rows')!.sharding, ['row', 'table', 'data_parallel', 'grid']);
  const d = only(variant('{name: rows, rows: 10000000, dim: 128, pooling: 2}', '{name: rows, rows: 10000000, dim: 128, pooling: 2, sharding: [rows]}'), 'SL008');
  assert.match(d.message, /data_parallel, table, column, row, table_row, table_column, grid/);
  assert.equal(d.fixes![0].edits[0].newText, 'row');
});

test('SL044: a kind the table does not allow, named as TorchRec does', () => {
  const text = variant('{name: small, rows: 1000, dim: 64, pooling: 1}', '{name: small, rows: 1000, dim: 64, pooling: 1, sharding: [table]}');
  const d = only(text, 'SL044');
  at(d, line('small'), 9, 11);
  assert.match(d.message, /cannot be placed data-parallel/);
});

test('SL041: a host that does not exist (table_row, grid)', () => {
  const d = only(variant('{table_row: {host: 1}}', '{table_row: {host: 2}}'), 'SL041');
  at(d, line('trow'), 27, 28);
  assert.match(d.message, /Host 2 does not exist: 16 GPUs at 8 per host make 2 hosts \(0 … 1\)/);
  at(only(variant('{grid: {hosts: [0, 1]}}', '{grid: {hosts: [0, 5]}}'), 'SL041'), line('grid'), 27, 28);
});

test('SL042: malformed new forms, with fixes to the right form', () => {
  const dp = variant('small: dp', 'small: data_parallel');
  const d1 = only(dp, 'SL042');
  at(d1, line('small'), 9, 22);
  assert.equal(apply(dp, d1.fixes![0].edits), BASE);
  const tr = variant('{table_row: {host: 1}}', '{table_row: 1}');
  const d2 = only(tr, 'SL042');
  assert.equal(apply(tr, d2.fixes![0].edits), BASE);
  const gr = variant('{grid: {hosts: [0, 1]}}', '{grid: [0, 1]}');
  assert.equal(apply(gr, only(gr, 'SL042').fixes![0].edits), BASE);
  at(only(variant('{row: all}', '{row: everything}'), 'SL042'), line('rows'), 14, 24);
  at(only(variant('{grid: {hosts: [0, 1]}}', '{grid: {hosts: []}}'), 'SL042'), line('grid'), 23, 25);
  const all = variant('rows: {row: all}', 'rows: all');
  assert.equal(apply(all, only(all, 'SL042').fixes![0].edits), BASE, "a bare 'all' gets {row: all}");
  // A misspelt inner key: SL003 with a rename fix.
  const host = variant('{host: 1}', '{hots: 1}');
  const d3 = only(host, 'SL003');
  assert.equal(apply(host, d3.fixes![0].edits), BASE);
});

test('SL046: grid and column widths, and fewer rows than row blocks', () => {
  const gridText = variant('{name: grid, rows: 10000000, dim: 256, pooling: 2}', '{name: grid, rows: 10000000, dim: 36, pooling: 2}');
  const g = only(gridText, 'SL046');
  at(g, line('grid'), 8, 31);
  assert.match(g.message, /over 2 hosts \(one column block each\) gives width 18/);
  assert.equal(apply(gridText, g.fixes![0].edits), gridText.replace('{grid: {hosts: [0, 1]}}', '{grid: {hosts: [0]}}'), 'TorchRec cuts dim 36 into one block');
  assert.deepEqual(load(apply(gridText, g.fixes![0].edits)).diagnostics, []);
  const colText = variant('{name: cols, rows: 1000000, dim: 128, pooling: 2}', '{name: cols, rows: 1000000, dim: 24, pooling: 2}').replace(
    '{column: [0, 1]}',
    '{column: [0, 1, 2, 3]}',
  );
  const cd = only(colText, 'SL046');
  assert.equal(apply(colText, cd.fixes![0].edits), colText.replace('{column: [0, 1, 2, 3]}', '{column: [0, 1, 2]}'), 'the most listed GPUs that split 24 evenly: 3 × 8');
  const r = only(variant('{name: rows, rows: 10000000, dim: 128, pooling: 2}', '{name: rows, rows: 10, dim: 128, pooling: 2}'), 'SL046');
  assert.match(r.message, /'rows' has 10 rows, fewer than the 16 row blocks of a row-wise split: TorchRec cuts blocks of 1 row, so 6 GPUs hold an empty block/);
  assert.equal(r.severity, 'warning', 'TorchRec cuts it (trailing blocks empty) and ShardLens costs it so');
});

test('SL048: a host listed twice in a grid (warning)', () => {
  const d = only(variant('{grid: {hosts: [0, 1]}}', '{grid: {hosts: [1, 1]}}'), 'SL048');
  assert.equal(d.severity, 'warning');
  at(d, line('grid'), 27, 28);
});

test('SL049: table_column GPUs on two hosts; fixes: column, or GPUs of the first host', () => {
  const text = variant('{table_column: [8, 9]}', '{table_column: [7, 8]}');
  const d = only(text, 'SL049');
  at(d, line('tcol'), 8, 30);
  assert.match(d.message, /GPUs \[7, 8\] are on hosts 0, 1/);
  assert.equal(apply(text, d.fixes![0].edits), variant('{table_column: [8, 9]}', '{column: [7, 8]}'));
  assert.equal(apply(text, d.fixes![1].edits), variant('{table_column: [8, 9]}', '{table_column: [0, 1]}'));
  assert.deepEqual(load(apply(text, d.fixes![1].edits)).diagnostics, []);
});

test('SL050 (warning): row blocks over some GPUs only; one host in order is table_row', () => {
  const host = variant('{row: all}', '{row: [8, 9, 10, 11, 12, 13, 14, 15]}');
  const d = only(host, 'SL050');
  assert.equal(d.severity, 'warning');
  at(d, line('rows'), 8, 45);
  assert.match(d.message, /row_wise puts row block i on rank i of all 16 ranks.*host 1's GPUs in order, which is table_row.*export refuses it/);
  assert.equal(apply(host, d.fixes![0].edits), variant('{row: all}', '{table_row: {host: 1}}'));
  const some = variant('{row: all}', '{row: [2, 5]}');
  const d2 = only(some, 'SL050');
  assert.equal(apply(some, d2.fixes![0].edits), BASE);
  assert.ok(load(some).config, 'still costed: a warning only');
});

test('SL050 (warning): a grid with another host count than TorchRec cuts', () => {
  // dim 512: TorchRec's block is 128 columns (smallest multiple of 4 ≥ 128 dividing 512) → 4 blocks, 4 hosts.
  assert.equal(torchrecBlockWidth(512), 128);
  assert.equal(torchrecGridBlocks(512), 4);
  assert.equal(torchrecGridBlocks(256), 2);
  assert.equal(torchrecGridBlocks(96), 1, 'dim under 128: one block');
  assert.equal(torchrecGridBlocks(200), 1, 'no multiple of 4 in [128, 200) divides 200: one block');
  const d = only(variant('{name: grid, rows: 10000000, dim: 256, pooling: 2}', '{name: grid, rows: 10000000, dim: 512, pooling: 2}'), 'SL050');
  assert.match(d.message, /cuts dim 512 into 4 blocks of 128 columns.*needs 4 hosts, not 2/);
  assert.equal(d.fixes, undefined, 'the cluster has 2 hosts: no fix');
  const gap = torchrecGap({ dim: 128 }, { kind: 'grid', hosts: [1, 0] }, { count: 16, perHost: 8 });
  assert.deepEqual(gap?.suggestion, { kind: 'grid', hosts: [1] });
});

test('SL051: a data-parallel table larger than one GPU; fix splits it by rows (no SL047 per GPU)', () => {
  // 300M × 64 × 4 B = 76.8e9 B = 71.53 GiB (+ a few MiB of I/O) > 67.29 GiB for shards on every GPU
  // (⌊85,017,493,504 × 0.85⌋ B = 67.30 GiB, less the ids reservation).
  const text = variant('{name: small, rows: 1000, dim: 64, pooling: 1}', '{name: small, rows: 300000000, dim: 64, pooling: 1}');
  const d = only(text, 'SL051');
  at(d, line('small'), 9, 11);
  assert.match(d.message, /every GPU holds a full replica of 71\.53 GiB \(weights, sgd state and I\/O buffers\).*67\.29 GiB for shards/);
  assert.deepEqual(
    load(text).diagnostics.map((x) => x.code),
    ['SL051'],
  );
  const fixed = apply(text, d.fixes![0].edits);
  assert.deepEqual(load(fixed).config!.placement!.get('small'), { kind: 'row', gpus: Array.from({ length: 16 }, (_, g) => g) });
  assert.deepEqual(load(fixed).diagnostics, []);
});

test('SL036 counts every allowed kind: table_row alone spreads a table over one host', () => {
  // 2.4e9 rows × 8 × 4 B + 4 B/row... fits 8 GPUs of one host but not one GPU.
  const big = '{name: trow, rows: 1000000000, dim: 128, pooling: 2, sharding: [table_row]}';
  const l = load(variant('{name: trow, rows: 10000000, dim: 128, pooling: 2}', big));
  assert.deepEqual(
    l.diagnostics.filter((d) => d.code === 'SL036'),
    [],
    'table_row over 8 GPUs holds 64 GB each',
  );
  const l2 = load(variant('{name: trow, rows: 10000000, dim: 128, pooling: 2}', big.replace('[table_row]', '[table]')).replace('{table_row: {host: 1}}', '3'));
  assert.equal(l2.diagnostics.filter((d) => d.code === 'SL036').length, 1);
});
