import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import type { DeviceSpec, Optimizer } from '../../../server/src/config/types';
import { AnalyticCostModel } from '../../../server/src/cost/analytic';
import type { ComputeCost, CostEnv, Shard } from '../../../server/src/cost/types';
import { measuredSets } from './measuredData';

function env(type = 'H100-80GB', optimizer: Optimizer = 'sgd', batchSize = 65536): CostEnv {
  const device: DeviceSpec = { type, count: 8, perHost: 8, reserve: 0.15, ...GPU_PRESETS[type] };
  return { batchSize, optimizer, device };
}
function shard(over: Partial<Shard> = {}): Shard {
  return { table: 't', rows: 1_000_000, dim: 64, pooling: 10, zipf: 0.8, dtypeBytes: 4, kernel: 'torch_embedding_bag', ...over };
}
const model = new AnalyticCostModel('H100-80GB');
async function one(s: Shard, e = env()): Promise<ComputeCost> {
  return (await model.predict([[s]], e))[0];
}

test('the name says analytic and the device type', () => {
  assert.equal(model.name, 'analytic: H100-80GB');
  assert.equal(model.source, 'analytic');
  const unnamed = new AnalyticCostModel();
  unnamed.prepare([shard()], env('A100-80GB'));
  assert.equal(unnamed.name, 'analytic: A100-80GB');
});

test('more rows, pooling or dim is never cheaper', async () => {
  for (const zipf of [0, 0.5, 1.05]) {
    let prev = await one(shard({ zipf, pooling: 0.5 }));
    for (const pooling of [1, 4, 16, 64, 100]) {
      const c = await one(shard({ zipf, pooling }));
      assert.ok(c.fwdMs >= prev.fwdMs && c.bwdMs >= prev.bwdMs, `pooling ${pooling} zipf ${zipf}`);
      prev = c;
    }
    prev = await one(shard({ zipf, dim: 4 }));
    for (const dim of [8, 16, 32, 64, 128, 256]) {
      const c = await one(shard({ zipf, dim }));
      assert.ok(c.fwdMs >= prev.fwdMs && c.bwdMs >= prev.bwdMs, `dim ${dim} zipf ${zipf}`);
      prev = c;
    }
  }
  // Rows: more rows spread the lookups (fewer L2 hits, more distinct rows),
  // so the forward never gets cheaper. The backward (PyTorch's sparse path)
  // also pays for duplicates of one row, serialised in the coalesce: a tiny
  // table hit hundreds of times per row can cost more than a bigger one, so
  // its monotonicity is checked for uniform indices, where rows outnumber
  // the duplicates (under skew a bigger table also thins its hottest row).
  for (const zipf of [0, 0.5, 0.8, 1.2]) {
    let prev = await one(shard({ zipf, rows: 1e3 }));
    for (const rows of [1e4, 1e5, 1e6, 1e7, 5e7]) {
      const c = await one(shard({ zipf, rows }));
      assert.ok(c.fwdMs >= prev.fwdMs, `fwd rows ${rows} zipf ${zipf}`);
      if (rows > 1e5 && zipf === 0) assert.ok(c.bwdMs >= prev.bwdMs, `bwd rows ${rows} zipf ${zipf}`);
      prev = c;
    }
  }
});

test('many duplicates of few rows slow the backward (serialised coalesce)', async () => {
  const tiny = await one(shard({ rows: 1_000, zipf: 0, pooling: 20 }));
  const mid = await one(shard({ rows: 100_000, zipf: 0, pooling: 20 }));
  assert.ok(tiny.bwdMs > mid.bwdMs);
  const skewed = await one(shard({ rows: 1_000_000, zipf: 1.2, pooling: 20 }));
  const flat = await one(shard({ rows: 1_000_000, zipf: 0, pooling: 20 }));
  assert.ok(skewed.bwdMs > flat.bwdMs);
});

test('fp16 is cheaper than fp32 on a big table, and never dearer', async () => {
  const big = { rows: 20_000_000, dim: 256, pooling: 40, zipf: 0 };
  const f32 = await one(shard({ ...big, dtypeBytes: 4 }));
  const f16 = await one(shard({ ...big, dtypeBytes: 2 }));
  assert.ok(f16.fwdMs <= f32.fwdMs);
  assert.ok(f16.bwdMs < f32.bwdMs);
  assert.ok(f16.fwdMs + f16.bwdMs < f32.fwdMs + f32.bwdMs);
});

test('optimizer state makes the backward dearer: sgd < rowwise_adagrad < adam', async () => {
  const s = shard({ rows: 10_000_000, dim: 128, pooling: 20, zipf: 0 });
  const sgd = await one(s, env('H100-80GB', 'sgd'));
  const rw = await one(s, env('H100-80GB', 'rowwise_adagrad'));
  const adam = await one(s, env('H100-80GB', 'adam'));
  assert.ok(sgd.bwdMs < rw.bwdMs && rw.bwdMs < adam.bwdMs);
  assert.equal(sgd.fwdMs, adam.fwdMs);
});

test('faster memory is not slower: H200 ≤ H100 < V100', async () => {
  const s = shard({ rows: 20_000_000, dim: 128, pooling: 30, zipf: 0.3 });
  const h100 = await one(s, env('H100-80GB'));
  const h200 = await one(s, env('H200-141GB'));
  const v100 = await one(s, env('V100-32GB'));
  assert.ok(h200.fwdMs <= h100.fwdMs && h200.bwdMs <= h100.bwdMs);
  assert.ok(v100.fwdMs > h100.fwdMs && v100.bwdMs > h100.bwdMs);
});

test('predict equals prepare().score for any subset, and an empty GPU costs 0', async () => {
  const shards: Shard[] = [];
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < 40; i++) {
    shards.push(
      shard({
        table: `t${i}`,
        rows: Math.round(10 ** (3 + 4 * rnd())),
        dim: 4 * (1 + Math.floor(rnd() * 32)),
        pooling: 0.5 + 50 * rnd(),
        zipf: rnd() < 0.2 ? 0 : 1.2 * rnd(),
        dtypeBytes: rnd() < 0.3 ? 2 : 4,
      }),
    );
  }
  const e = env();
  const scorer = model.prepare(shards, e);
  const subsets = [[0], [1, 2, 3], [5, 9, 13, 17, 21, 25], [...shards.keys()], []];
  const predicted = await model.predict(
    subsets.map((m) => m.map((i) => shards[i])),
    e,
  );
  subsets.forEach((m, j) => {
    assert.deepEqual(scorer.score(m), predicted[j]);
    assert.deepEqual(scorer.score(m), scorer.score(m)); // the scorer keeps no state between calls
  });
  assert.deepEqual(scorer.score([]), { fwdMs: 0, bwdMs: 0 });
});

test('fusing tables is cheaper than running them one by one', async () => {
  const a = shard({ table: 'a', dim: 32 });
  const b = shard({ table: 'b', dim: 32, rows: 50_000 });
  const c = shard({ table: 'c', dim: 128 });
  const [ab, abc, sa, sb, sc] = await model.predict([[a, b], [a, b, c], [a], [b], [c]], env());
  assert.ok(ab.fwdMs < sa.fwdMs + sb.fwdMs);
  assert.ok(abc.fwdMs < sa.fwdMs + sb.fwdMs + sc.fwdMs);
  assert.ok(abc.fwdMs > ab.fwdMs && abc.bwdMs > ab.bwdMs);
});

test('bad shard numbers give finite costs, never a throw', async () => {
  const bad = [shard({ rows: NaN }), shard({ pooling: 0 }), shard({ dim: -4 }), shard({ zipf: Infinity })];
  for (const c of await model.predict(
    bad.map((s) => [s]),
    env(),
  )) {
    assert.ok(Number.isFinite(c.fwdMs) && c.fwdMs >= 0);
    assert.ok(Number.isFinite(c.bwdMs) && c.bwdMs >= 0);
  }
});

// Accuracy over the 1,394 measured H100 sets (all of them; the fit used 80%
// plus training singles, see test/bench/fit-analytic.ts). Measured when
// written: geometric-mean error factor fwd ×1.21, bwd ×1.20; a TorchRec-style
// estimate scores ×2.2 and ×11 on this data (data README). Bounds leave
// headroom for refits but would catch a broken term.
test('within a small factor of the measured H100 sets, far better than TorchRec-style', async () => {
  const sets = measuredSets();
  const e = env();
  const shardsOf = sets.map((s) =>
    s.tables.map((t) =>
      shard({
        table: t.name,
        rows: t.rows,
        dim: t.dim,
        pooling: t.pooling,
        zipf: t.alpha,
        dtypeBytes: s.dtype === 'fp16' ? 2 : 4,
      }),
    ),
  );
  const preds: ComputeCost[] = [];
  for (let i = 0; i < sets.length; i++) {
    preds.push((await model.predict([shardsOf[i]], { ...e, batchSize: sets[i].batch }))[0]);
  }
  const gm = (f: (p: ComputeCost, i: number) => number) => Math.exp(preds.reduce((a, p, i) => a + Math.abs(Math.log(f(p, i))), 0) / preds.length);
  const fwd = gm((p, i) => p.fwdMs / sets[i].fwd_ms);
  const bwd = gm((p, i) => p.bwdMs / sets[i].bwd_ms);
  assert.ok(fwd < 1.3, `forward geometric-mean error factor ${fwd}`);
  assert.ok(bwd < 1.3, `backward geometric-mean error factor ${bwd}`);
});
