import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import type { DeviceSpec, Optimizer } from '../../../server/src/config/types';
import { FBGEMM_CONSTANTS, FbgemmCostModel, fbgemmShardMs, fbgemmShardTraffic } from '../../../server/src/cost/fbgemm';
import { parsePublishedRecords, publishedInputs, publishedTargets } from '../../../server/src/cost/publishedRecords';
import { torchRecPublishedMs } from '../../../server/src/cost/torchrecEstimator';
import type { CostEnv, Shard } from '../../../server/src/cost/types';
import { uvmCacheMisses } from '../../../server/src/cost/uvmCache';
import { fbgemmPublishedMs, heldOutSources } from '../../bench/fbgemmPublished';

function device(type: keyof typeof GPU_PRESETS = 'H100-80GB'): DeviceSpec {
  return { type, count: 8, perHost: 8, reserve: 0.15, ...GPU_PRESETS[type] };
}

function env(over: Partial<CostEnv> = {}): CostEnv {
  return { batchSize: 65536, optimizer: 'rowwise_adagrad', device: device(), ...over };
}

function shard(over: Partial<Shard> = {}): Shard {
  return { table: 't', rows: 1_000_000, dim: 128, pooling: 20, zipf: 0, dtypeBytes: 4, kernel: 'fbgemm_tbe', ...over };
}

const total = (c: { fwdMs: number; bwdMs: number }) => c.fwdMs + c.bwdMs;

describe('FBGEMM TBE model: physical properties', () => {
  it('grows with batch, pooling and dim', () => {
    for (const dtypeBytes of [2, 4] as const) {
      for (const zipf of [0, 1.05]) {
        let prev = fbgemmShardMs(shard({ dtypeBytes, zipf }), env({ batchSize: 512 }));
        for (const b of [2048, 8192, 32768, 65536, 262144]) {
          const c = fbgemmShardMs(shard({ dtypeBytes, zipf }), env({ batchSize: b }));
          assert.ok(c.fwdMs >= prev.fwdMs && c.bwdMs >= prev.bwdMs, `batch ${b}`);
          prev = c;
        }
        prev = fbgemmShardMs(shard({ dtypeBytes, zipf, pooling: 1 }), env());
        for (const l of [2, 5, 20, 80]) {
          const c = fbgemmShardMs(shard({ dtypeBytes, zipf, pooling: l }), env());
          assert.ok(c.fwdMs >= prev.fwdMs && c.bwdMs >= prev.bwdMs, `pooling ${l}`);
          prev = c;
        }
        prev = fbgemmShardMs(shard({ dtypeBytes, zipf, dim: 4 }), env());
        for (const d of [8, 16, 32, 64, 128, 256, 512]) {
          const c = fbgemmShardMs(shard({ dtypeBytes, zipf, dim: d }), env());
          assert.ok(c.fwdMs >= prev.fwdMs && c.bwdMs >= prev.bwdMs, `dim ${d}`);
          prev = c;
        }
      }
    }
    // Bandwidth-bound shapes grow strictly and close to linearly.
    const a = fbgemmShardMs(shard(), env({ batchSize: 32768 }));
    const b = fbgemmShardMs(shard(), env({ batchSize: 65536 }));
    assert.ok(b.fwdMs / a.fwdMs > 1.8 && b.fwdMs / a.fwdMs < 2.2);
    assert.ok(fbgemmShardMs(shard({ dim: 256 }), env()).fwdMs > 1.8 * fbgemmShardMs(shard({ dim: 128 }), env()).fwdMs);
  });

  it('orders the fused optimizers by the state they read and write: sgd < rowwise_adagrad < adagrad < adam', () => {
    for (const dim of [16, 64, 128]) {
      for (const zipf of [0, 1.1]) {
        const bwd = (optimizer: Optimizer) => fbgemmShardMs(shard({ dim, zipf }), env({ optimizer })).bwdMs;
        const [s, r, a, m] = (['sgd', 'rowwise_adagrad', 'adagrad', 'adam'] as const).map(bwd);
        assert.ok(s < r && r < a && a < m, `dim ${dim} zipf ${zipf}: ${s} ${r} ${a} ${m}`);
        // The optimizer never changes the forward.
        assert.equal(fbgemmShardMs(shard({ dim, zipf }), env({ optimizer: 'adam' })).fwdMs, fbgemmShardMs(shard({ dim, zipf }), env({ optimizer: 'sgd' })).fwdMs);
      }
    }
  });

  it('does not slow down the backward with skew, unlike a serial coalesce', () => {
    for (const rows of [1e3, 1e5, 1e7]) {
      for (const batchSize of [1024, 65536]) {
        for (const dim of [16, 128]) {
          let prev = fbgemmShardMs(shard({ rows, dim, zipf: 0 }), env({ batchSize }));
          for (const zipf of [0.5, 0.9, 1.05, 1.2, 1.6]) {
            const c = fbgemmShardMs(shard({ rows, dim, zipf }), env({ batchSize }));
            assert.ok(c.bwdMs <= prev.bwdMs * (1 + 1e-9), `rows ${rows} B ${batchSize} dim ${dim} zipf ${zipf}`);
            assert.ok(c.fwdMs <= prev.fwdMs * (1 + 1e-9));
            prev = c;
          }
        }
      }
    }
  });

  it("prices a 3-row table's backward like any table of its traffic: small, not a serial chain", () => {
    const tiny = fbgemmShardMs(shard({ rows: 3 }), env());
    const big = fbgemmShardMs(shard({ rows: 1e6 }), env());
    assert.ok(tiny.bwdMs < big.bwdMs);
    assert.ok(tiny.bwdMs < 3 * tiny.fwdMs, `bwd ${tiny.bwdMs} vs fwd ${tiny.fwdMs}`);
    // 1.3 M lookups of one of 3 rows: the distinct rows are 3.
    assert.ok(fbgemmShardTraffic(shard({ rows: 3 }), env()).bwdBytes < fbgemmShardTraffic(shard({ rows: 1e6 }), env()).bwdBytes);
    assert.ok(tiny.bwdMs < 1, `${tiny.bwdMs} ms`);
  });

  it('prices UVM caching at least as high as HBM-resident weights, more as the cache shrinks', () => {
    for (const zipf of [0, 0.8, 1.2]) {
      const hbm = fbgemmShardMs(shard({ rows: 1e7, zipf }), env());
      let prev = Infinity;
      for (const lf of [0.01, 0.05, 0.2, 0.5, 1]) {
        const uvm = fbgemmShardMs(shard({ rows: 1e7, zipf, kernel: 'fbgemm_tbe_uvm_caching', cacheLoadFactor: lf }), env());
        assert.ok(uvm.fwdMs >= hbm.fwdMs && uvm.bwdMs >= hbm.bwdMs, `zipf ${zipf} lf ${lf}`);
        assert.ok(total(uvm) <= prev * (1 + 1e-9), `lf ${lf} should not cost more than a smaller cache`);
        prev = total(uvm);
      }
    }
    // The default cache load factor (0.2) applies when none is given.
    assert.deepEqual(
      fbgemmShardMs(shard({ rows: 1e7, kernel: 'fbgemm_tbe_uvm_caching' }), env()),
      fbgemmShardMs(shard({ rows: 1e7, kernel: 'fbgemm_tbe_uvm_caching', cacheLoadFactor: 0.2 }), env()),
    );
    // Uniform ids over a table 5× the cache miss most distinct rows: the host link dominates.
    const uvm = fbgemmShardMs(shard({ rows: 1e7, kernel: 'fbgemm_tbe_uvm_caching', cacheLoadFactor: 0.2 }), env());
    assert.ok(uvm.fwdMs > 10 * fbgemmShardMs(shard({ rows: 1e7 }), env()).fwdMs);
  });

  it('counts the fixed launch cost once per GPU, and nothing for an empty GPU', async () => {
    const model = new FbgemmCostModel('H100-80GB');
    const a = shard({ table: 'a' });
    const b = shard({ table: 'b', dim: 64, pooling: 5 });
    const [both, onlyA, none] = await model.predict([[a, b], [a], []], env());
    const sa = fbgemmShardMs(a, env());
    const sb = fbgemmShardMs(b, env());
    assert.ok(Math.abs(onlyA.fwdMs - (sa.fwdMs + FBGEMM_CONSTANTS.t0FwdMs)) < 1e-12);
    assert.ok(Math.abs(onlyA.bwdMs - (sa.bwdMs + FBGEMM_CONSTANTS.t0BwdMs)) < 1e-12);
    assert.ok(Math.abs(both.fwdMs - (sa.fwdMs + sb.fwdMs + FBGEMM_CONSTANTS.t0FwdMs)) < 1e-9);
    assert.ok(Math.abs(both.bwdMs - (sa.bwdMs + sb.bwdMs + FBGEMM_CONSTANTS.t0BwdMs)) < 1e-9);
    assert.deepEqual(none, { fwdMs: 0, bwdMs: 0 });
    // prepare() and predict() agree.
    const sc = model.prepare([a, b], env());
    assert.deepEqual(sc.score([0, 1]), both);
  });

  it('runs the bags of one GPU in one launch: many small tables cost less than the sum of their latency floors', async () => {
    const small = Array.from({ length: 64 }, (_, i) => shard({ table: `s${i}`, rows: 1e4, dim: 16, pooling: 4 }));
    const e = env({ batchSize: 512 });
    const [set] = await new FbgemmCostModel().predict([small], e);
    const alone = small.reduce((s, x) => s + fbgemmShardMs(x, e).fwdMs, 0);
    assert.ok(set.fwdMs - FBGEMM_CONSTANTS.t0FwdMs < alone, `${set.fwdMs} vs ${alone}`);
    // ... yet a set never costs less than its most expensive table alone, and adding a table never lowers it.
    const heavy = shard({ table: 'h', pooling: 400 });
    const [withHeavy, heavyAlone] = await new FbgemmCostModel().predict([[...small, heavy], [heavy]], e);
    assert.ok(withHeavy.fwdMs >= heavyAlone.fwdMs && withHeavy.bwdMs >= heavyAlone.bwdMs);
    assert.ok(withHeavy.fwdMs >= set.fwdMs && withHeavy.bwdMs >= set.bwdMs);
  });

  it('prices a data-parallel replica (bags = batch / N) below the full-batch table', () => {
    for (const n of [2, 8, 64]) {
      const full = fbgemmShardMs(shard(), env());
      const replica = fbgemmShardMs(shard({ bags: 65536 / n }), env());
      assert.ok(total(replica) < total(full), `N = ${n}`);
    }
  });

  it('scales with the device preset: more HBM bandwidth, less time', () => {
    const t = (d: keyof typeof GPU_PRESETS) => total(fbgemmShardMs(shard(), env({ device: device(d) })));
    assert.ok(t('H200-141GB') < t('H100-80GB'));
    assert.ok(t('H100-80GB') < t('A100-80GB'));
    assert.ok(t('A100-80GB') < t('V100-32GB'));
    // A bigger L2 catches more of a skewed small table.
    const l2 = (bytes: number) => fbgemmShardMs(shard({ rows: 2e5, zipf: 1 }), env({ device: { ...device(), l2Bytes: bytes } })).fwdMs;
    assert.ok(l2(200e6) < l2(5e6));
    // Fewer SMs keep fewer rows in flight: a latency-bound small batch takes longer.
    const sms = (n: number) => fbgemmShardMs(shard({ pooling: 200 }), env({ batchSize: 4096, device: { ...device(), sms: n } })).fwdMs;
    assert.ok(sms(16) > sms(132));
  });

  it('stays finite and non-negative on degenerate input', () => {
    const bad: Partial<Shard>[] = [
      { rows: 0 },
      { dim: 0 },
      { pooling: 0 },
      { pooling: NaN },
      { zipf: -1 },
      { rows: Infinity },
      { bags: 0 },
      { cacheLoadFactor: 0, kernel: 'fbgemm_tbe_uvm_caching' },
    ];
    for (const over of bad) {
      const c = fbgemmShardMs(shard(over), env());
      assert.ok(Number.isFinite(c.fwdMs) && c.fwdMs >= 0 && Number.isFinite(c.bwdMs) && c.bwdMs >= 0, JSON.stringify(over));
    }
    const noDevice = fbgemmShardMs(shard(), env({ device: { ...device(), hbmGBps: 0 } }));
    assert.deepEqual(noDevice, { fwdMs: 0, bwdMs: 0 });
  });
});

describe('UVM cache misses (persistent LRU, Che)', () => {
  it("are zero when the cache holds the table, fall as the cache grows, and never exceed the step's distinct rows", () => {
    assert.equal(uvmCacheMisses(1e5, 1e6, 1, 1e5), 0);
    let prev = Infinity;
    for (const c of [0, 1e3, 1e4, 5e4, 9e4]) {
      const m = uvmCacheMisses(1e5, 2e5, 1.05, c);
      assert.ok(m <= prev + 1e-9 && m >= 0);
      prev = m;
    }
    // Uniform ids, cache 20% of the table: ~80% of the step's distinct rows miss.
    const u = uvmCacheMisses(1e6, 1e5, 0, 2e5);
    assert.ok(u > 0.75 * 95_000 && u < 0.85 * 100_000, `${u}`);
    assert.equal(uvmCacheMisses(1e6, 0, 0, 10), 0);
  });
});

describe('published FBGEMM figures (models/data/fbgemm-published.jsonl)', () => {
  const file = path.resolve(__dirname, '../../../models/data/fbgemm-published.jsonl');
  const text = readFileSync(file, 'utf8');
  const { records, errors } = parsePublishedRecords(text);

  it('parses, and every record has a source URL, quoted lines, a GPU with its numbers and a shape', () => {
    assert.deepEqual(errors, []);
    assert.ok(records.length >= 1);
    for (const r of records) {
      assert.match(r.source.url, /^https:\/\/github\.com\//);
      assert.ok(r.source.quote.length > 0 && r.source.quote.every((q) => q.length > 0));
      assert.ok(r.gpu.length > 0 && r.gpuEvidence.length > 0 && r.gpuSpec.hbmGBps > 0 && r.gpuSpec.sms > 0 && r.gpuSpec.source.length > 0);
      for (const f of ['tables', 'batch', 'dim', 'rows'] as const) assert.ok(Number.isInteger(r.shape[f]) && r.shape[f] > 0, `${r.id} shape.${f}`);
      assert.ok(r.shape.pooling > 0);
      assert.ok(publishedTargets(r).length > 0);
    }
  });

  it('keeps every measured figure in a quoted line', () => {
    for (const r of records) {
      const quoted = r.source.quote.join('\n');
      for (const { ms } of publishedTargets(r)) {
        const asUs = String(Math.round(ms * 1000));
        assert.ok(quoted.includes(`${ms} ms`) || quoted.includes(`${asUs}us`) || quoted.includes(String(ms)), `${r.id}: ${ms} ms not in its quote`);
      }
    }
  });

  it('turns a record into one shard per table on its GPU, and both models price it', () => {
    for (const r of records) {
      const { shards, env: e, traffic } = publishedInputs(r);
      assert.equal(shards.length, r.shape.tables);
      assert.equal(e.device.hbmGBps, r.gpuSpec.hbmGBps);
      assert.equal(traffic.pooled, r.shape.pooled);
      const f = fbgemmPublishedMs(r);
      const t = torchRecPublishedMs(r);
      assert.ok(f.fwdMs > 0 && Number.isFinite(f.fwdMs) && t.fwdMs > 0 && Number.isFinite(t.fwdMs));
    }
  });

  it('splits by source: a source is wholly on one side, and half the sources (rounded up) are held out', () => {
    const held = heldOutSources(records);
    const sources = new Set(records.map((r) => r.source.url));
    assert.equal(held.size, Math.ceil(sources.size / 2));
    // Deterministic: the same set splits the same way in any order.
    assert.deepEqual([...heldOutSources([...records].reverse())].sort(), [...held].sort());
  });

  it('reports bad lines with their line numbers and keeps the good ones', () => {
    const good = text.split('\n').find((l) => l.trim().length > 0)!;
    const bad = JSON.parse(good);
    delete bad.gpu;
    const noUrl = { ...JSON.parse(good), id: 'x2', source: { ...JSON.parse(good).source, url: 'ftp://example' } };
    const { records: rs, errors: es } = parsePublishedRecords([good, '{not json', JSON.stringify({ ...bad, id: 'x1' }), JSON.stringify(noUrl), good].join('\n'));
    assert.equal(rs.length, 1);
    assert.deepEqual(
      es.map((e) => e.line),
      [2, 3, 4, 5],
    );
    assert.match(es[1].message, /gpu/);
    assert.match(es[2].message, /url/);
    assert.match(es[3].message, /duplicate/);
  });
});
