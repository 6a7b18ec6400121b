import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import type { DeviceSpec } from '../../../server/src/config/types';
import { commMs, INTRA_HOST_LATENCY_MS, NVLINK_EFFICIENCY, type CommLoad } from '../../../server/src/cost/comm';
import type { CostEnv } from '../../../server/src/cost/types';

function env(count: number, perHost: number, batchSize = 65536, type = 'H100-80GB'): CostEnv {
  const device: DeviceSpec = { type, count, perHost, reserve: 0.15, ...GPU_PRESETS[type] };
  return { batchSize, optimizer: 'sgd', device };
}
const even = (n: number, bytes: number): CommLoad[] => Array.from({ length: n }, () => ({ outBytesPerBag: bytes, rowShardBytesPerBag: 0 }));

test('one GPU communicates nothing', () => {
  assert.deepEqual(commMs(even(1, 4096), env(1, 1)), [{ fwdMs: 0, bwdMs: 0 }]);
  assert.deepEqual(commMs([], env(1, 1)), []);
});

test('no pooled bytes, no communication', () => {
  for (const r of commMs(even(4, 0), env(4, 4))) assert.deepEqual(r, { fwdMs: 0, bwdMs: 0 });
});

// perf-models.md §3.4 worked example: 8 H100 in one node, b = 8,192, 128
// tables of D=128 fp16 spread evenly (16 per GPU = 4,096 B per bag): 235 MB
// each way per GPU, 0.65 ms at 80% of 450 GB/s, plus the latency.
test('the notes worked example: 8 GPUs in one host', () => {
  const r = commMs(even(8, 16 * 128 * 2), env(8, 8));
  const bytes = 8192 * 4096 * 7;
  const expected = (bytes / (450e9 * NVLINK_EFFICIENCY)) * 1e3 + INTRA_HOST_LATENCY_MS;
  for (const g of r) {
    assert.ok(Math.abs(g.fwdMs - expected) < 1e-9, `${g.fwdMs} vs ${expected}`);
    assert.equal(g.bwdMs, g.fwdMs);
  }
  assert.ok(Math.abs(bytes - 235e6) < 1e6);
});

test('crossing hosts costs more than staying inside one', () => {
  const inside = commMs(even(8, 4096), env(8, 8))[0].fwdMs;
  const across = commMs(even(8, 4096), env(8, 4))[0].fwdMs;
  const allRemote = commMs(even(8, 4096), env(8, 1))[0].fwdMs;
  assert.ok(across > inside);
  assert.ok(allRemote >= across);
});

test('the GPU that owns more pooled bytes is not faster, and others wait on receiving', () => {
  const loads: CommLoad[] = [{ outBytesPerBag: 8192, rowShardBytesPerBag: 0 }, ...even(7, 1024)];
  const r = commMs(loads, env(8, 8));
  for (let g = 1; g < 8; g++) assert.ok(r[0].fwdMs >= r[g].fwdMs);
  // A GPU with no tables still receives its local batch's outputs.
  const idle = commMs([{ outBytesPerBag: 0, rowShardBytesPerBag: 0 }, ...even(7, 1024)], env(8, 8));
  assert.ok(idle[0].fwdMs > 0);
});

test('row-shard partial sums move like pooled outputs of the same width', () => {
  const asOut = commMs(even(4, 1024), env(4, 4));
  const asRow = commMs(Array.from({ length: 4 }, () => ({ outBytesPerBag: 0, rowShardBytesPerBag: 1024 })), env(4, 4));
  assert.deepEqual(asRow, asOut);
});

test('more batch or a slower link never makes communication cheaper', () => {
  const small = commMs(even(16, 2048), env(16, 8, 16384))[0].fwdMs;
  const big = commMs(even(16, 2048), env(16, 8, 65536))[0].fwdMs;
  assert.ok(big > small);
  const h100 = commMs(even(16, 2048), env(16, 8, 65536, 'H100-80GB'))[0].fwdMs;
  const v100 = commMs(even(16, 2048), env(16, 8, 65536, 'V100-32GB'))[0].fwdMs;
  assert.ok(v100 > h100);
});

test('bad numbers do not throw and give finite results', () => {
  const r = commMs([{ outBytesPerBag: NaN, rowShardBytesPerBag: -5 }, { outBytesPerBag: 100, rowShardBytesPerBag: 0 }], env(2, 2));
  for (const g of r) { assert.ok(Number.isFinite(g.fwdMs)); assert.ok(Number.isFinite(g.bwdMs)); }
});
