/**
 * The bundled examples: clean ones load with no errors, the mistakes example
 * yields one diagnostic per commented mistake, and a 10,000-table config loads.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../../../server/src/config/load';
import type { FileReader } from '../../../server/src/config/loaded';
import { CODES } from '../../../server/src/config/codes';
import { formatBytes } from '../../../server/src/config/byteUnits';
import { memoryBudget, tableStorage } from '../../../server/src/cost/memory';

const root = path.resolve(__dirname, '../../../examples');
const disk: FileReader = {
  readFile: (p) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  },
};
const load = (name: string) => {
  const f = path.join(root, name);
  return loadConfig(f, readFileSync(f, 'utf8'), disk);
};

for (const name of ['criteo-26.shard.yaml', 'dlrm-856.shard.yaml', 'split/model.shard.yaml', 'split/cluster.shard.yaml']) {
  test(`${name} has no diagnostics`, () => {
    const r = load(name);
    assert.deepEqual(
      r.diagnostics.map((d) => `${d.code} ${d.range.start.line + 1}: ${d.message}`),
      [],
    );
  });
}

test('criteo-26: 26 tables with Criteo cardinalities on 2 GPUs, fully placed', () => {
  const c = load('criteo-26.shard.yaml').config!;
  assert.equal(c.tables.length, 26);
  assert.equal(c.devices.count, 2);
  assert.equal(c.tables.find((t) => t.name === 'C3')!.rows, 10_131_227);
  assert.equal(c.placement!.size, 26);
});

test('dlrm-856: 856 tables on 64 GPUs in hosts of 8, realistic spreads', () => {
  const c = load('dlrm-856.shard.yaml').config!;
  assert.equal(c.tables.length, 856);
  assert.equal(c.devices.count, 64);
  assert.equal(c.devices.perHost, 8);
  assert.equal(c.batchSize, 65536);
  const dims = c.tables.map((t) => t.dim);
  assert.ok(Math.min(...dims) >= 4 && Math.max(...dims) <= 256 && dims.every((d) => d % 4 === 0));
  const rows = c.tables.map((t) => t.rows);
  assert.ok(Math.min(...rows) < 1e4 && Math.max(...rows) > 3e7);
  const pooling = c.tables.map((t) => t.pooling);
  assert.ok(Math.min(...pooling) < 2 && Math.max(...pooling) > 50);
  assert.equal(c.placement!.size, 856);
});

test("dlrm-856: the header's memory figures are the engine's (as `shardlens check` sums them)", () => {
  const text = readFileSync(path.join(root, 'dlrm-856.shard.yaml'), 'utf8');
  const c = load('dlrm-856.shard.yaml').config!;
  const tableBytes = c.tables.reduce((s, t) => s + tableStorage(t, c.optimizer).hbm, 0);
  const usable = memoryBudget(c).shardBytes * c.devices.count;
  const m = /^# Tables need (.+) of HBM \(weights \+ (\w+) state\) of the (.+) left for shards/m.exec(text);
  assert.ok(m, 'the header states the memory');
  assert.deepEqual([m[1], m[2], m[3]], [formatBytes(tableBytes), c.optimizer, formatBytes(usable)]);
});

test('split/model reads its devices from split/cluster', () => {
  const r = load('split/model.shard.yaml');
  assert.equal(r.config!.devices.type, 'A100-80GB');
  assert.equal(r.files.length, 2);
});

test('mistakes example: one diagnostic per commented mistake, each on its line', () => {
  const f = path.join(root, 'mistakes.shard.yaml');
  const text = readFileSync(f, 'utf8');
  const expected = new Map<number, string>();
  text.split('\n').forEach((line, i) => {
    const m = /#\s*(SL\d{3})/.exec(line);
    if (m) expected.set(i, m[1]);
  });
  assert.ok(expected.size >= 10);
  const r = loadConfig(f, text, disk);
  for (const [line, code] of expected) {
    assert.ok(
      r.diagnostics.some((d) => d.code === code && d.range.start.line === line),
      `${code} on line ${line + 1}`,
    );
  }
  for (const d of r.diagnostics) assert.ok(d.code in CODES, `${d.code} is documented`);
});

test('a 10,000-table config on 512 GPUs loads without throwing', () => {
  const lines = ['version: 1', 'batch_size: 65536', 'devices: {type: H100-80GB, count: 512}', 'tables:'];
  for (let i = 0; i < 10_000; i++) lines.push(`  - {name: t${i}, rows: ${1000 + i * 37}, dim: ${4 * (1 + (i % 64))}, pooling: ${1 + (i % 50)}, zipf: ${(i % 12) / 10}}`);
  lines.push('placement:');
  for (let i = 0; i < 10_000; i++) lines.push(`  t${i}: ${i % 512}`);
  const r = loadConfig('/w/big.shard.yaml', lines.join('\n'), { readFile: () => undefined });
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.config!.tables.length, 10_000);
  assert.equal(r.source.placementEntries.size, 10_000);
});
