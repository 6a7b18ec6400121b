/**
 * The collectives against hand-computed values (H100 preset: NVLink 450 GB/s
 * × 0.8 = 360e6 B/ms, network 50 GB/s × 0.85 = 42.5e6 B/ms; latencies 15 µs
 * inside a host, 30 µs across).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import type { DeviceSpec } from '../../../server/src/config/types';
import { allReduceMs, allToAllMs, exchangeMs, linksOf, PRESET_COMM, ringMs } from '../../../server/src/cost/comm';
import type { CostEnv } from '../../../server/src/cost/types';

function env(count: number, perHost: number, batchSize = 65536, type = 'H100-80GB'): CostEnv {
  const device: DeviceSpec = { type, count, perHost, reserve: 0.15, ...GPU_PRESETS[type] };
  return { batchSize, optimizer: 'sgd', device };
}
const NVL = 360e6;
const NET = 42.5e6;
function close(a: number, b: number, what: string): void {
  assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
}

test('links: rates in bytes per ms, local bags, hosts', () => {
  const l = linksOf(env(16, 8), 16);
  close(l.nvl, NVL, 'nvlink');
  close(l.net, NET, 'network');
  assert.equal(l.bags, 4096);
  assert.equal(l.hosts, 2);
});

test('all-to-all inside one host: the notes worked example (8 GPUs, 4,096 B per bag each)', () => {
  const l = linksOf(env(8, 8), 8);
  // send = b·x·(N−1) = 8,192 · 4,096 · 7; recv = b·(Σx − x) the same.
  const bytes = 8192 * 4096 * 7;
  close(allToAllMs(l, 4096, 8 * 4096, 8 * 4096, 8), bytes / NVL + 0.015, 'a2a');
});

test('all-to-all across two hosts: the network part sets the time', () => {
  const l = linksOf(env(8, 4, 8000), 8);
  // b = 1,000; intra 1,000·1,000·3 = 3e6 B; inter 1,000·1,000·4 = 4e6 B.
  close(allToAllMs(l, 1000, 4000, 8000, 4), Math.max(3e6 / NVL, 4e6 / NET) + 0.03, 'a2a');
});

test('all-to-all of a rank holding nothing still receives its bags', () => {
  const l = linksOf(env(4, 4, 4000), 4);
  // b = 1,000; recv = 1,000 · 3,000 B; send 0.
  close(allToAllMs(l, 0, 3000, 3000, 4), 3e6 / NVL + 0.015, 'receive only');
  assert.equal(allToAllMs(l, 0, 0, 0, 4), 0);
  assert.equal(allToAllMs(linksOf(env(1, 1), 1), 4096, 4096, 4096, 1), 0, 'one GPU exchanges nothing');
});

test('ring reduce-scatter: NVLink inside a host, the hosts\' NICs across', () => {
  const one = linksOf(env(8, 8), 8);
  close(ringMs(one, 1e9, 8, 1, 8), ((7 / 8) * 1e9) / NVL + 0.015, 'one host');
  const two = linksOf(env(16, 8), 16);
  // bus = min(360e6, 8 × 42.5e6 = 340e6)
  close(ringMs(two, 1e9, 16, 2, 8), ((15 / 16) * 1e9) / 340e6 + 0.03, 'two hosts');
  assert.equal(ringMs(two, 1e9, 1, 1, 1), 0, 'a group of one moves nothing');
});

test('all-reduce: twice the reduce-scatter volume, one latency per DDP bucket', () => {
  const l = linksOf(env(8, 8), 8);
  const bytes = 100 * 2 ** 20;
  close(allReduceMs(l, bytes), (2 * (7 / 8) * bytes) / NVL + 4 * 0.015, 'all-reduce');
});

test('exchange: the slower link plus one latency; nothing moves, nothing costs', () => {
  const l = linksOf(env(16, 8), 16);
  assert.equal(exchangeMs(l, 0, 0, 0, 0), 0);
  close(exchangeMs(l, 3.6e6, 0, 0, 0), 0.01 + 0.015, 'intra only');
  close(exchangeMs(l, 3.6e6, 0, 0, 4.25e6), 0.1 + 0.03, 'inter dominates');
});

test('fitted constants replace the preset ones', () => {
  const e = env(8, 8);
  const fitted = { ...PRESET_COMM, nvlinkEfficiency: 0.4, intraLatencyMs: 0.05, source: 'fitted: test' };
  const l = linksOf({ ...e, comm: fitted }, 8);
  close(l.nvl, 180e6, 'fitted rate');
  close(allToAllMs(l, 4096, 8 * 4096, 8 * 4096, 8), (8192 * 4096 * 7) / 180e6 + 0.05, 'a2a with fitted constants');
});

test('bad numbers give finite times, never NaN', () => {
  const l = linksOf({ batchSize: NaN, optimizer: 'sgd', device: { ...env(4, 4).device, nvlinkGBps: NaN } }, 4);
  for (const v of [allToAllMs(l, 100, 400, 400, 4), ringMs(l, 1e6, 4, 1, 4), allReduceMs(l, 1e6), exchangeMs(l, NaN, -1, Infinity, 3)]) {
    assert.ok(Number.isFinite(v), String(v));
  }
});
