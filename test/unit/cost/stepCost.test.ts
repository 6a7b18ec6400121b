/**
 * The step model against hand-computed phases: which collective each kind
 * runs, with what bytes, and the critical path Σ_phase max_rank.
 * H100 preset: NVLink 360e6 B/ms achieved, network 42.5e6 B/ms; latencies
 * 15 µs inside a host, 30 µs across.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import { DEFAULT_KERNEL, type DeviceSpec, type PlacementEntry, type TableSpec } from '../../../server/src/config/types';
import { linksOf, PRESET_COMM, ringMs } from '../../../server/src/cost/comm';
import { placementShards } from '../../../server/src/cost/shards';
import { addEntryLoads, DP_OPTIMIZER_BYTE_PASSES, emptyLoads, PHASES, phaseTotal, stepCost } from '../../../server/src/cost/stepCost';
import type { CostEnv } from '../../../server/src/cost/types';

const NVL = 360e6;
const NET = 42.5e6;
function env(count: number, perHost: number, batchSize: number): CostEnv {
  const device: DeviceSpec = { type: 'H100-80GB', count, perHost, reserve: 0.15, ...GPU_PRESETS['H100-80GB'] };
  return { batchSize, optimizer: 'sgd', device };
}
function table(name: string, rows: number, dim: number, pooling: number): TableSpec {
  return { name, rows, dim, pooling, zipf: 0, dtype: 'fp16', kernel: DEFAULT_KERNEL, ids: 'hashed', sharding: [] };
}
function close(a: number, b: number, what: string): void {
  assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
}
function loadsOf(e: CostEnv, entries: [TableSpec, PlacementEntry][]) {
  const n = e.device.count;
  const loads = emptyLoads(n);
  const shape = { count: n, perHost: e.device.perHost, batchSize: e.batchSize };
  for (const [t, entry] of entries) addEntryLoads(loads, t, entry, placementShards(t, entry, shape), shape, PRESET_COMM);
  return loads;
}

test('table-wise: ids all-to-all in, pooled all-to-all out and back; the critical path sums phase maxima', () => {
  const e = env(2, 2, 2000); // b = 1,000 bags per rank
  const a = table('a', 1000, 64, 10); // ids 10·8 + 4 = 84 B/bag; pooled 64·2 = 128 B/bag
  const loads = loadsOf(e, [[a, { kind: 'table', gpu: 0 }]]);
  const step = stepCost(
    loads,
    [
      { fwdMs: 1, bwdMs: 3 },
      { fwdMs: 2, bwdMs: 1 },
    ],
    e,
  );
  // Rank 0 receives rank 1's 1,000 bags of ids (84 kB) and sends them their pooled rows (128 kB); rank 1 the reverse.
  close(step.perGpu[0].input_dist, 84_000 / NVL + 0.015, 'input dist rank 0');
  close(step.perGpu[1].input_dist, 84_000 / NVL + 0.015, 'input dist rank 1');
  close(step.perGpu[0].output_dist, 128_000 / NVL + 0.015, 'output dist');
  assert.equal(step.perGpu[0].grad_dist, step.perGpu[0].output_dist);
  assert.equal(step.perGpu[0].dp_sync, 0);
  // forward max 2 (rank 1), backward max 3 (rank 0): the step is not any one rank's total.
  const expected = 84_000 / NVL + 0.015 + 2 + 2 * (128_000 / NVL + 0.015) + 3;
  close(step.stepMs, expected, 'critical path');
  assert.ok(step.stepMs > Math.max(...step.perGpu.map(phaseTotal)));
  assert.deepEqual(
    step.phases.map((p) => p.name),
    [...PHASES],
  );
  assert.equal(step.phases.find((p) => p.name === 'forward')!.gpu, 1);
  assert.equal(step.phases.find((p) => p.name === 'backward')!.gpu, 0);
});

test('row-wise over every rank: a reduce-scatter of the full-width sums, no redistribution', () => {
  const e = env(4, 4, 4096);
  const t = table('r', 1_000_000, 128, 20);
  const loads = loadsOf(e, [[t, { kind: 'row', gpus: [0, 1, 2, 3] }]]);
  const step = stepCost(loads, [], e);
  // Buffer B·D·w = 4,096 · 256 B; each rank moves 3/4 of it over NVLink.
  const rs = ((3 / 4) * 4096 * 256) / NVL + 0.015;
  for (const g of step.perGpu) close(g.output_dist, rs, 'reduce-scatter');
  // Ids: each block gets pooling/4 = 5 ids per bag + a length: 44 B/bag; 1,024 bags per rank.
  close(step.perGpu[0].input_dist, (1024 * 44 * 3) / NVL + 0.015, 'bucketized ids');
});

test('table_row on one host of two: in-host reduce-scatter, then the sums cross to the other host', () => {
  const e = env(4, 2, 4000); // two hosts of two, b = 1,000
  const t = table('tw', 100_000, 64, 4); // 128 B/bag pooled
  const loads = loadsOf(e, [[t, { kind: 'table_row', host: 1 }]]);
  const step = stepCost(loads, [], e);
  const l = linksOf(e, 4);
  // Ranks 2, 3: ring over 2 ranks of B·128 B, then each sends its 2,000 bags' sums
  // owned by host 0 (half of them): 2,000 · 128 · 2/4 = 128 kB over the network.
  const host1 = ringMs(l, 4000 * 128, 2, 1, 2) + 128_000 / NET + 0.03;
  close(step.perGpu[2].output_dist, host1, 'host 1 rank');
  // Ranks 0, 1 only receive their 1,000 bags' sums: 128 kB.
  close(step.perGpu[0].output_dist, 128_000 / NET + 0.03, 'host 0 rank');
});

test('data-parallel: no ids or pooled exchange, the gradient all-reduce and optimizer on every rank', () => {
  const e = env(8, 8, 65536);
  const t = table('dp', 1000, 32, 5); // 64 kB of fp16 gradient
  const loads = loadsOf(e, [[t, { kind: 'data_parallel' }]]);
  const step = stepCost(loads, [], e);
  const bytes = 1000 * 32 * 2;
  const dp = (2 * (7 / 8) * bytes) / NVL + 0.015 + (DP_OPTIMIZER_BYTE_PASSES * bytes) / (3350 * 1e6);
  for (const g of step.perGpu) {
    close(g.dp_sync, dp, 'dp sync');
    assert.equal(g.input_dist, 0);
    assert.equal(g.output_dist, 0);
  }
  close(step.stepMs, dp, 'only the all-reduce');
});

test('grid: one reduce-scatter group per column block, on its host', () => {
  const e = env(4, 2, 4000);
  const t = table('g', 100_000, 64, 4);
  const loads = loadsOf(e, [[t, { kind: 'grid', hosts: [0, 1] }]]);
  assert.deepEqual(
    [...loads.groups.values()].map((g) => [g.ranks, g.bytesPerBag]),
    [
      [[0, 1], 64],
      [[2, 3], 64],
    ],
  );
  const step = stepCost(loads, [], e);
  const l = linksOf(e, 4);
  // Each block (32 wide, 64 B/bag): ring in host, send 2,000 bags · 64 B · 1/2 across, receive the other block's 1,000 · 64 B.
  const each = ringMs(l, 4000 * 64, 2, 1, 2) + 64_000 / NET + 0.03;
  for (const g of step.perGpu) close(g.output_dist, each, 'grid rank');
});
