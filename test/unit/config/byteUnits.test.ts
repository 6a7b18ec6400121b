/**
 * The one byte formatter: binary units, the decimals it promises, and the
 * places that print sizes using it (a validator message, a planner reason and
 * the panel's cells say the same number for the same bytes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, gibCell, GIB, KIB, MIB } from '../../../server/src/config/byteUnits';

test('binary units: KiB = 1,024 B, MiB = 1,024 KiB, GiB = 1,024 MiB', () => {
  assert.equal(KIB, 1024);
  assert.equal(MIB, 1_048_576);
  assert.equal(GIB, 1_073_741_824);
});

test('sizes: 2 decimals below 100 units, 1 below 1,000, none above; whole units without decimals', () => {
  // An H100's driver-reported 85,017,493,504 B / 1,073,741,824 = 79.1789… GiB.
  assert.equal(formatBytes(85_017_493_504), '79.18 GiB');
  // × (1 − 0.15) = 72,264,869,478 B = 67.302… GiB (what the plan summary called 72.3 GB).
  assert.equal(formatBytes(85_017_493_504 * 0.85), '67.30 GiB');
  assert.equal(formatBytes(80 * GIB), '80 GiB');
  // 135.24 GiB: one decimal from 100 up.
  assert.equal(formatBytes(135.24 * GIB), '135.2 GiB');
  // 12,345.6 GiB: no decimals, thousands separated, still GiB (never TiB).
  assert.equal(formatBytes(12_345.6 * GIB), '12,346 GiB');
  assert.equal(formatBytes(64 * MIB), '64 MiB');
  // 357,040,128 B / 1,048,576 = 340.5 MiB.
  assert.equal(formatBytes(357_040_128), '340.5 MiB');
  assert.equal(formatBytes(1536), '1.50 KiB');
  assert.equal(formatBytes(100), '100 B');
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(-1.5 * GIB), '-1.50 GiB');
});

test('bad numbers print as themselves, never as a size', () => {
  assert.equal(formatBytes(NaN), 'NaN B');
  assert.equal(formatBytes(Infinity), 'Infinity B');
  assert.equal(gibCell(NaN), 'NaN');
});

test("table cells: always GiB, with formatBytes's decimals", () => {
  assert.equal(gibCell(85_017_493_504), '79.18');
  assert.equal(gibCell(64 * MIB), '0.06');
  assert.equal(gibCell(135.24 * GIB), '135.2');
  assert.equal(gibCell(80 * GIB), '80.00');
});

test("the validator, the planner and the CLI summary print one GPU's bytes the same way", async () => {
  const { loadConfig } = await import('../../../server/src/config/load');
  const { evaluatePlacement } = await import('../../../server/src/plan/evaluate');
  const { AnalyticCostModel } = await import('../../../server/src/cost/analytic');
  // 300M × 64 × 4 B = 76.8e9 B of weights (sgd) on GPU 0: over its space for shards.
  const text = `version: 1
batch_size: 8192
optimizer: sgd
devices: {type: H100-80GB, count: 2}
tables:
  - {name: big, rows: 300_000_000, dim: 64, pooling: 1}
  - {name: small, rows: 1000, dim: 16, pooling: 1}
placement:
  big: 0
  small: 1
`;
  const loaded = loadConfig('/w/a.shard.yaml', text, { readFile: () => undefined });
  const sl047 = loaded.diagnostics.find((d) => d.code === 'SL047');
  assert.ok(sl047, JSON.stringify(loaded.diagnostics.map((d) => d.message)));
  const v = /GPU 0 needs (\S+ GiB) for its shards .* but has (\S+ GiB)/.exec(sl047.message);
  assert.ok(v, sl047.message);
  const plan = await evaluatePlacement(loaded.config!, loaded.config!.placement!, new AnalyticCostModel('H100-80GB'));
  const p = /GPU 0 needs (\S+ GiB) for its shards but has (\S+ GiB)/.exec(plan.reasons.join('\n'));
  assert.ok(p, plan.reasons.join('\n'));
  assert.deepEqual([p[1], p[2]], [v[1], v[2]], 'the same bytes, the same text');
  // And they are the plan's own numbers: GPU 0's memory and capacity.
  assert.deepEqual([v[1], v[2]], [formatBytes(plan.gpus[0].memoryBytes), formatBytes(plan.gpus[0].capacityBytes)]);
  // 76.8e9 B / 2^30 = 71.53 GiB of weights alone; the I/O buffers add a few MiB.
  assert.match(v[1], /^71\.5\d GiB$/);
});
