/**
 * The collectives against values worked out by hand, the arithmetic in the
 * comments (H100 preset: NVLink 450 GB/s × 0.8 = 360 GB/s = 360e6 B/ms,
 * network 50 GB/s × 0.85 = 42.5e6 B/ms; latencies 0.015 ms inside a host,
 * 0.03 ms across). Each expected figure is a literal, not the module's
 * formula run again, so a wrong formula fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import type { DeviceSpec } from '../../../server/src/config/types';
import { allReduceMs, allToAllMs, allToAllVolume, exchangeMs, linksOf, PRESET_COMM, ringMs } from '../../../server/src/cost/comm';
import type { CostEnv } from '../../../server/src/cost/types';

function env(count: number, perHost: number, batchSize = 65536, type = 'H100-80GB'): CostEnv {
  const device: DeviceSpec = { type, count, perHost, reserve: 0.15, ...GPU_PRESETS[type] };
  return { batchSize, optimizer: 'sgd', device };
}
function close(a: number, b: number, what: string): void {
  assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
}

test('links: rates in bytes per ms, local bags, hosts', () => {
  const l = linksOf(env(16, 8), 16);
  close(l.nvl, 360e6, 'nvlink: 450e9 B/s × 0.8 / 1,000 ms');
  close(l.net, 42.5e6, 'network: 50e9 B/s × 0.85 / 1,000 ms');
  // 65,536 bags over 16 ranks.
  assert.equal(l.bags, 4096);
  assert.equal(l.hosts, 2);
});

test('all-to-all inside one host: the notes worked example (8 GPUs, 4,096 B per bag each)', () => {
  const l = linksOf(env(8, 8), 8);
  // b = 65,536 / 8 = 8,192; send = b·x·(N−1) = 8,192 · 4,096 · 7 = 234,881,024 B;
  // recv = b·(Σx − x) the same. 234,881,024 / 360e6 = 0.652447289 ms, + 0.015.
  close(allToAllMs(l, 4096, 8 * 4096, 8 * 4096, 8), 0.6674472888888889, 'a2a');
});

test('all-to-all across two hosts: the network part sets the time', () => {
  const l = linksOf(env(8, 4, 8000), 8);
  // b = 8,000 / 8 = 1,000; intra 1,000·1,000·3 = 3e6 B (3e6 / 360e6 = 0.00833 ms);
  // inter 1,000·1,000·4 = 4e6 B (4e6 / 42.5e6 = 0.0941176 ms): the network's,
  // + 0.03 ms across hosts = 0.1241176 ms.
  close(allToAllMs(l, 1000, 4000, 8000, 4), 0.12411764705882353, 'a2a');
});

test('all-to-all of a rank holding nothing still receives its bags', () => {
  const l = linksOf(env(4, 4, 4000), 4);
  // b = 1,000; recv = 1,000 · 3,000 = 3e6 B; send 0. 3e6 / 360e6 = 0.008333 ms, + 0.015.
  close(allToAllMs(l, 0, 3000, 3000, 4), 0.023333333333333334, 'receive only');
  assert.equal(allToAllMs(l, 0, 0, 0, 4), 0);
  assert.equal(allToAllMs(linksOf(env(1, 1), 1), 4096, 4096, 4096, 1), 0, 'one GPU exchanges nothing');
});

test("ring reduce-scatter: NVLink inside a host, the hosts' NICs across", () => {
  const one = linksOf(env(8, 8), 8);
  // 7/8 · 1e9 = 875e6 B over NVLink: 875e6 / 360e6 = 2.430556 ms, + 0.015.
  close(ringMs(one, 1e9, 8, 1, 8), 2.4455555555555555, 'one host');
  const two = linksOf(env(16, 8), 16);
  // bus = min(360e6, 8 × 42.5e6 = 340e6) = 340e6 B/ms; 15/16 · 1e9 = 937.5e6 B:
  // 937.5e6 / 340e6 = 2.757353 ms, + 0.03.
  close(ringMs(two, 1e9, 16, 2, 8), 2.7873529411764704, 'two hosts');
  assert.equal(ringMs(two, 1e9, 1, 1, 1), 0, 'a group of one moves nothing');
});

test('all-reduce: twice the reduce-scatter volume, one latency per DDP bucket', () => {
  const l = linksOf(env(8, 8), 8);
  // 100 MiB = 104,857,600 B; 2 · 7/8 of it = 183,500,800 B; / 360e6 = 0.509724 ms;
  // ⌈100 / 25⌉ = 4 DDP buckets of 25 MiB: + 4 × 0.015 ms.
  close(allReduceMs(l, 100 * 2 ** 20), 0.5697244444444445, 'all-reduce');
});

test('exchange: the slower link plus one latency; nothing moves, nothing costs', () => {
  const l = linksOf(env(16, 8), 16);
  assert.equal(exchangeMs(l, 0, 0, 0, 0), 0);
  // 3.6e6 / 360e6 = 0.01 ms, + 0.015.
  close(exchangeMs(l, 3.6e6, 0, 0, 0), 0.025, 'intra only');
  // 4.25e6 / 42.5e6 = 0.1 ms beats 0.01 ms; + 0.03 across hosts.
  close(exchangeMs(l, 3.6e6, 0, 0, 4.25e6), 0.13, 'inter dominates');
});

test('fitted constants replace the preset ones', () => {
  const e = env(8, 8);
  const fitted = { ...PRESET_COMM, nvlinkEfficiency: 0.4, intraLatencyMs: 0.05, source: 'fitted: test' };
  const l = linksOf({ ...e, comm: fitted }, 8);
  // 450e6 B/ms × 0.4.
  close(l.nvl, 180e6, 'fitted rate');
  // 234,881,024 B / 180e6 = 1.304895 ms, + the fitted 0.05 ms.
  close(allToAllMs(l, 4096, 8 * 4096, 8 * 4096, 8), 1.3548945777777779, 'a2a with fitted constants');
});

test('bad numbers give finite times, never NaN', () => {
  const l = linksOf({ batchSize: NaN, optimizer: 'sgd', device: { ...env(4, 4).device, nvlinkGBps: NaN } }, 4);
  for (const v of [allToAllMs(l, 100, 400, 400, 4), ringMs(l, 1e6, 4, 1, 4), allReduceMs(l, 1e6), exchangeMs(l, NaN, -1, Infinity, 3)]) {
    assert.ok(Number.isFinite(v), String(v));
  }
});

test('all-to-all volumes per link: the bigger of send and receive', () => {
  // b = 1,000 bags, 8 ranks, 4 per host; x = 1,000 B per bag, host Σ 5,000, total 8,000.
  // intra: send 1,000·1,000·3 = 3e6, recv 1,000·(5,000 − 1,000) = 4e6 → 4e6.
  assert.equal(allToAllVolume('intra', 1000, 8, 1000, 5000, 8000, 4), 4e6);
  // inter: send 1,000·1,000·4 = 4e6, recv 1,000·(8,000 − 5,000) = 3e6 → 4e6.
  assert.equal(allToAllVolume('inter', 1000, 8, 1000, 5000, 8000, 4), 4e6);
  // A rank holding nothing only receives: intra 1,000·2,000 = 2e6.
  assert.equal(allToAllVolume('intra', 1000, 8, 0, 2000, 8000, 4), 2e6);
});
