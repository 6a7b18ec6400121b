/**
 * The kernel keys: `kernel`, `cache_load_factor`, `ids` (top-level defaults
 * and per-table overrides), `optimizer: adagrad`, `dtype: bf16`; their exact
 * ranges, did-you-mean fixes, and SL038 where a cache factor cannot apply.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../server/src/config/load';
import type { Diagnostic, TextEdit } from '../../../server/src/config/diagnostics';

const BASE = `version: 1
batch_size: 1024
devices:
  type: H100-80GB
  count: 2
tables:
  - name: alpha
    rows: 1_000_000
    dim: 64
    pooling: 2
  - name: beta
    rows: 5000
    dim: 16
    pooling: 1
`;

function load(text: string) {
  return loadConfig('/w/k.shard.yaml', text, { readFile: () => undefined });
}

function codes(text: string): string[] {
  return load(text).diagnostics.map((d) => d.code);
}

function only(text: string, code: string): Diagnostic {
  const ds = load(text).diagnostics.filter((d) => d.code === code);
  assert.equal(ds.length, 1, `one ${code} in ${JSON.stringify(load(text).diagnostics.map((d) => `${d.code} ${d.message}`))}`);
  return ds[0];
}

/** BASE with `top` lines after batch_size and `alpha` lines at the end of table alpha. */
function cfg(top = '', alpha = ''): string {
  let t = BASE;
  if (top) t = t.replace('batch_size: 1024\n', `batch_size: 1024\n${top}\n`);
  if (alpha)
    t = t.replace(
      '    pooling: 2\n',
      `    pooling: 2\n${alpha
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n')}\n`,
    );
  return t;
}

function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle));
}

function apply(text: string, edits: TextEdit[]): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((s, l) => s + l.length + 1, 0) + p.character;
  let out = text;
  for (const e of [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start))) {
    out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  }
  return out;
}

function tables(text: string) {
  const c = load(text).config;
  assert.ok(c, 'config loads');
  return new Map(c.tables.map((t) => [t.name, t]));
}

test('defaults: fbgemm_tbe, hashed ids, no cache factor; the config records the top-level kernel', () => {
  const c = load(BASE).config!;
  assert.deepEqual(codes(BASE), []);
  assert.equal(c.kernel, 'fbgemm_tbe');
  for (const t of c.tables) {
    assert.equal(t.kernel, 'fbgemm_tbe');
    assert.equal(t.ids, 'hashed');
    assert.equal(t.cacheLoadFactor, undefined);
  }
});

test("top-level kernel and ids are the tables' defaults; a table overrides them", () => {
  const text = cfg('kernel: torch_embedding_bag\nids: sorted', 'kernel: fbgemm_tbe_uvm_caching\nids: hashed');
  assert.deepEqual(codes(text), []);
  assert.equal(load(text).config!.kernel, 'torch_embedding_bag');
  const t = tables(text);
  assert.equal(t.get('alpha')!.kernel, 'fbgemm_tbe_uvm_caching');
  assert.equal(t.get('alpha')!.ids, 'hashed');
  assert.equal(t.get('beta')!.kernel, 'torch_embedding_bag');
  assert.equal(t.get('beta')!.ids, 'sorted');
});

test("cache_load_factor: FBGEMM's 0.2 by default for UVM tables, the top-level value, the table's own", () => {
  assert.equal(tables(cfg('', 'kernel: fbgemm_tbe_uvm_caching')).get('alpha')!.cacheLoadFactor, 0.2);
  const top = cfg('kernel: fbgemm_tbe_uvm_caching\ncache_load_factor: 0.3', 'cache_load_factor: 0.5');
  assert.deepEqual(codes(top), []);
  assert.equal(tables(top).get('alpha')!.cacheLoadFactor, 0.5);
  assert.equal(tables(top).get('beta')!.cacheLoadFactor, 0.3);
});

test('cache_load_factor range is (0, 1]: 1 is allowed, 0, negatives and above 1 are SL006 on the value', () => {
  const uvm = (v: string) => cfg('kernel: fbgemm_tbe_uvm_caching', `cache_load_factor: ${v}`);
  assert.deepEqual(codes(uvm('1')), []);
  assert.deepEqual(codes(uvm('0.0001')), []);
  for (const bad of ['0', '-0.1', '1.0001', '2']) {
    const text = uvm(bad);
    const d = only(text, 'SL006');
    const line = lineOf(text, 'cache_load_factor');
    assert.deepEqual(d.range, { start: { line, character: 23 }, end: { line, character: 23 + bad.length } }, bad);
    assert.match(d.message, /'cache_load_factor' of table 'alpha' must be > 0 and ≤ 1/);
    assert.deepEqual(codes(text), ['SL006'], 'no second (SL038) message for a bad value');
    assert.equal(tables(text).get('alpha')!.cacheLoadFactor, 0.2, 'the default stands in');
  }
  const top = cfg('kernel: fbgemm_tbe_uvm_caching\ncache_load_factor: 1.5');
  assert.match(only(top, 'SL006').message, /'cache_load_factor' must be > 0 and ≤ 1 \(got 1.5\)/);
  assert.equal(only(cfg('', 'kernel: fbgemm_tbe_uvm_caching\ncache_load_factor: lots'), 'SL005').message.includes('must be a number'), true);
});

test('SL038: a cache factor on a table that keeps its rows in HBM, or at the top with no UVM table', () => {
  const onTable = cfg('', 'cache_load_factor: 0.5');
  const d = only(onTable, 'SL038');
  assert.equal(d.severity, 'warning');
  const line = lineOf(onTable, 'cache_load_factor');
  assert.deepEqual(d.range, { start: { line, character: 4 }, end: { line, character: 21 } });
  assert.match(d.message, /table 'alpha' has no effect: the table runs on fbgemm_tbe/);
  assert.equal(load(onTable).config!.tables[0].cacheLoadFactor, undefined);

  const torch = cfg('', 'kernel: torch_embedding_bag\ncache_load_factor: 0.5');
  assert.match(only(torch, 'SL038').message, /runs on torch_embedding_bag/);

  const top = cfg('cache_load_factor: 0.3');
  const t = only(top, 'SL038');
  assert.deepEqual(t.range, { start: { line: 2, character: 0 }, end: { line: 2, character: 17 } });
  assert.match(t.message, /applies to no table/);
  assert.deepEqual(codes(cfg('cache_load_factor: 0.3', 'kernel: fbgemm_tbe_uvm_caching')), [], 'one UVM table uses it');
});

test('near-miss words get a did-you-mean fix: kernel, ids, optimizer, dtype', () => {
  const cases: [string, string, string][] = [
    [cfg('', 'kernel: fbgemm_tbe_uvm_cachin'), 'fbgemm_tbe_uvm_cachin', 'fbgemm_tbe_uvm_caching'],
    [cfg('kernel: torch_embeding_bag'), 'torch_embeding_bag', 'torch_embedding_bag'],
    [cfg('', 'ids: sortd'), 'sortd', 'sorted'],
    [cfg('ids: hashd'), 'hashd', 'hashed'],
    [cfg('optimizer: adagrd'), 'adagrd', 'adagrad'],
    [cfg('dtype: bf61'), 'bf61', 'bf16'],
  ];
  for (const [text, wrong, right] of cases) {
    const d = only(text, 'SL008');
    const line = lineOf(text, wrong);
    const start = text.split('\n')[line].indexOf(wrong);
    assert.deepEqual(d.range, { start: { line, character: start }, end: { line, character: start + wrong.length } }, wrong);
    assert.match(d.message, new RegExp(`Did you mean '${right}'\\?`));
    assert.equal(d.fixes?.[0].title, `Change to '${right}'`);
    const fixed = apply(text, d.fixes![0].edits);
    assert.equal(fixed, text.replace(wrong, right));
    assert.deepEqual(codes(fixed), [], `${right} is accepted`);
  }
  // A word far from every kernel gets the list and no fix; the table keeps the default kernel.
  const far = cfg('', 'kernel: cuda');
  const d = only(far, 'SL008');
  assert.equal(d.fixes, undefined);
  assert.match(d.message, /fbgemm_tbe, fbgemm_tbe_uvm_caching, torch_embedding_bag/);
  assert.equal(tables(far).get('alpha')!.kernel, 'fbgemm_tbe');
});

test('adagrad and bf16 are accepted at the top and per table', () => {
  const text = cfg('optimizer: adagrad\ndtype: bf16', 'dtype: bf16');
  assert.deepEqual(codes(text), []);
  const c = load(text).config!;
  assert.equal(c.optimizer, 'adagrad');
  assert.equal(c.dtype, 'bf16');
  assert.ok(c.tables.every((t) => t.dtype === 'bf16'));
});
