/**
 * The trust guard (server/src/cost/guard.ts) around a stand-in "learned" model
 * that is right inside its ranges and explodes outside them, as the shipped
 * network did (400 tables → 578,886 ms of backward; pooling 10 → 3.9e9 ms).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import type { DeviceSpec } from '../../../server/src/config/types';
import { AnalyticCostModel } from '../../../server/src/cost/analytic';
import { guardModel } from '../../../server/src/cost/guard';
import { setBounds, shardBounds } from '../../../server/src/cost/physicalBounds';
import { parseTrainingRanges, type TrainingRanges } from '../../../server/src/cost/trainingRanges';
import type { ComputeCost, CostEnv, CostModel, SetScorer, Shard } from '../../../server/src/cost/types';

const device: DeviceSpec = { type: 'H100-80GB', count: 8, perHost: 8, reserve: 0.15, ...GPU_PRESETS['H100-80GB'] };
const env: CostEnv = { batchSize: 32768, optimizer: 'sgd', device };

const parsed = parseTrainingRanges({
  tables_per_set: [1, 47],
  rows: [1000, 5e7],
  dim: [4, 256],
  dims: [4, 8, 16, 32, 64, 128, 256],
  pooling: [0.5, 100],
  batch: [8192, 65536],
  alpha: [0, 1.3],
  dtypes: ['fp16', 'fp32'],
  optimizers: ['sgd'],
  kernels: ['torch_embedding_bag'],
});
assert.ok(parsed.ok);
const ranges: TrainingRanges = parsed.ranges;

/**
 * 1.2 × the analytic model for sets its ranges cover (a fitted correction),
 * and an explosion outside them: × (tables/47)^6, × (rows/5e7)^3, × pooling^2
 * beyond 100, NaN for batches over 65,536.
 */
class Exploding implements CostModel {
  readonly name = 'learned: toy';
  readonly source = 'learned' as const;
  calls = 0;
  constructor(private readonly a = new AnalyticCostModel('H100-80GB')) {}
  private factor(set: readonly Shard[], e: CostEnv): number {
    let f = 1.2;
    if (set.length > 47) f *= (set.length / 47) ** 6;
    for (const s of set) {
      if (s.rows > 5e7) f *= (s.rows / 5e7) ** 3;
      if (s.pooling > 100) f *= s.pooling ** 2;
      if ((s.bags ?? e.batchSize) > 65536) f = NaN;
    }
    return f;
  }
  async predict(sets: readonly (readonly Shard[])[], e: CostEnv): Promise<ComputeCost[]> {
    this.calls++;
    const base = await this.a.predict(sets, e);
    return base.map((c, i) => {
      const f = sets[i].length ? this.factor(sets[i], e) : 0;
      return { fwdMs: c.fwdMs * f, bwdMs: c.bwdMs * f, uncertainty: 0.1 };
    });
  }
  prepare(shards: readonly Shard[], e: CostEnv): SetScorer {
    const sc = this.a.prepare(shards, e);
    return {
      score: (m) => {
        const c = sc.score(m);
        const f = m.length
          ? this.factor(
              m.map((i) => shards[i]),
              e,
            )
          : 0;
        return { fwdMs: c.fwdMs * f, bwdMs: c.bwdMs * f, uncertainty: 0.1 };
      },
    };
  }
}

const table = (over: Partial<Shard> = {}, i = 0): Shard => ({
  table: `t${i}`,
  rows: 100_000,
  dim: 64,
  pooling: 1,
  zipf: 0.8,
  dtypeBytes: 4,
  kernel: 'torch_embedding_bag',
  ...over,
});
const total = (c: ComputeCost) => c.fwdMs + c.bwdMs;

function guarded() {
  const inner = new Exploding();
  const fallback = new AnalyticCostModel('H100-80GB');
  return { inner, fallback, model: guardModel(inner, fallback, ranges) };
}

async function sameEverywhere(model: CostModel, sets: Shard[][], e: CostEnv): Promise<ComputeCost[]> {
  const predicted = await model.predict(sets, e);
  const scorer = model.prepare(sets.flat(), e);
  let at = 0;
  sets.forEach((set, i) => {
    const c = scorer.score(set.map(() => at++));
    for (const k of ['fwdMs', 'bwdMs'] as const) {
      assert.ok(Math.abs(c[k] - predicted[i][k]) <= 1e-9 * Math.max(1, predicted[i][k]), `set ${i} ${k}: prepare ${c[k]} vs predict ${predicted[i][k]}`);
    }
  });
  return predicted;
}

test("inside the ranges the guard returns the model's own numbers, in one call", async () => {
  const { inner, model } = guarded();
  const sets = [[table()], Array.from({ length: 20 }, (_, i) => table({ rows: 1000 * (i + 1), dim: 16 << (i % 4) }, i)), []];
  const raw = await inner.predict(sets, env);
  inner.calls = 0;
  const out = await sameEverywhere(model, sets, env);
  assert.equal(inner.calls, 1, 'one batched call of the wrapped model');
  out.forEach((c, i) => {
    assert.equal(c.fwdMs, raw[i].fwdMs);
    assert.equal(c.bwdMs, raw[i].bwdMs);
  });
  assert.deepEqual(out[2], { fwdMs: 0, bwdMs: 0 });
});

test('400 tables on one GPU: priced from groups the model knows, near the analytic model, not exploded', async () => {
  const { inner, fallback, model } = guarded();
  for (const pooling of [1, 10]) {
    const set = Array.from({ length: 400 }, (_, i) => table({ pooling }, i));
    const [raw] = await inner.predict([set], env);
    const [a] = await fallback.predict([set], env);
    const [g] = await sameEverywhere(model, [set], env);
    assert.ok(total(raw) > 1e5 * total(a), 'the stand-in explodes');
    // 400/47 is past the full-fallback distance (4×): the analytic model alone.
    assert.ok(Math.abs(total(g) / total(a) - 1) < 1e-9, `pooling ${pooling}: ${total(g)} vs analytic ${total(a)}`);
  }
  // 60 tables: 1.28× past the largest measured set; the model's correction (×1.2) mostly kept.
  const set = Array.from({ length: 60 }, (_, i) => table({ rows: 2000 + i }, i));
  const [a] = await fallback.predict([set], env);
  const [g] = await sameEverywhere(model, [set], env);
  const kept = Math.log(total(g) / total(a)) / Math.log(1.2);
  assert.ok(kept > 0.6 && kept < 1, `share of the correction kept: ${kept}`);
});

test('rows, pooling and batch beyond the ranges are anchored at the range edge and scaled by the analytic model', async () => {
  const { fallback, model } = guarded();
  // 1.5× past: the learned correction partly kept, the analytic shape carries it.
  const edge = table({ rows: 5e7 });
  const past = table({ rows: 7.5e7 });
  const [gEdge, gPast] = await sameEverywhere(model, [[edge], [past]], env);
  const [aEdge, aPast] = await fallback.predict([[edge], [past]], env);
  assert.ok(Math.abs(total(gEdge) / total(aEdge) - 1.2) < 1e-9, 'the edge itself is in range');
  const w = Math.log(1.5) / Math.log(4);
  assert.ok(Math.abs(gPast.bwdMs / aPast.bwdMs - 1.2 ** (1 - w)) < 1e-9, `${gPast.bwdMs / aPast.bwdMs}`);
  // 1e9 rows (20×), pooling 1000 (10×), batch 131,072 with a model that returns NaN there: all finite and sane.
  const cases: [Shard[], CostEnv][] = [
    [[table({ rows: 1e9, dim: 16 })], env],
    [[table({ pooling: 1000 })], env],
    [[table({ pooling: 10 })], { ...env, batchSize: 131072 }],
  ];
  for (const [set, e] of cases) {
    const [g] = await sameEverywhere(model, [set], e);
    const [a] = await fallback.predict([set], e);
    assert.ok(Number.isFinite(g.fwdMs) && Number.isFinite(g.bwdMs) && g.fwdMs > 0 && g.bwdMs > 0);
    assert.ok(total(g) / total(a) >= 1 && total(g) / total(a) <= 1.2 + 1e-9, `${JSON.stringify(set[0])} batch ${e.batchSize}: ${total(g)} vs analytic ${total(a)}`);
  }
});

test('unmeasured dims are priced at the nearest measured dim, scaled by the analytic model', async () => {
  const { fallback, model } = guarded();
  for (const dim of [12, 24, 48, 96, 160, 192]) {
    const [g] = await sameEverywhere(model, [[table({ dim })]], env);
    const [a] = await fallback.predict([[table({ dim })]], env);
    // Inside [4, 256]: no blending, the correction (×1.2) carried over whole.
    assert.ok(Math.abs(g.fwdMs / a.fwdMs - 1.2) < 1e-9 && Math.abs(g.bwdMs / a.bwdMs - 1.2) < 1e-9, `dim ${dim}`);
  }
});

test("another optimizer: the measured one priced, plus the analytic model's optimizer term", async () => {
  const { fallback, model } = guarded();
  const set = [table(), table({ dim: 128 }, 1)];
  const adam: CostEnv = { ...env, optimizer: 'adam' };
  const [g] = await sameEverywhere(model, [set], adam);
  const [aAdam] = await fallback.predict([set], adam);
  const [gSgd] = await model.predict([set], env);
  assert.ok(Math.abs(g.bwdMs / aAdam.bwdMs - 1.2) < 1e-9, 'anchored on the sgd correction');
  assert.ok(g.bwdMs > gSgd.bwdMs, 'adam costs more than sgd');
});

test("every model's output stays finite and inside the physical bounds", async () => {
  const broken: CostModel = {
    name: 'broken',
    source: 'analytic',
    predict: async (sets) =>
      sets.map(
        (_, i) =>
          [
            { fwdMs: NaN, bwdMs: Infinity },
            { fwdMs: -3, bwdMs: 1e30 },
            { fwdMs: 0, bwdMs: 0 },
          ][i % 3],
      ),
    prepare: () => ({ score: () => ({ fwdMs: NaN, bwdMs: -1 }) }),
  };
  const model = guardModel(broken);
  const sets = [[table()], [table({ pooling: 50 }), table({ rows: 10 }, 1)], [table({ dim: 4, pooling: 0.5 })]];
  const out = await model.predict(sets, env);
  out.forEach((c, i) => {
    const { lo, hi } = setBounds(sets[i].map((s) => shardBounds(s, env)));
    for (const k of ['fwdMs', 'bwdMs'] as const) {
      assert.ok(Number.isFinite(c[k]) && c[k] >= lo[k] && c[k] <= hi[k] && c[k] > 0, `set ${i} ${k} = ${c[k]} outside [${lo[k]}, ${hi[k]}]`);
    }
  });
  const s = model.prepare(sets[0], env).score([0]);
  assert.ok(Number.isFinite(s.fwdMs) && s.fwdMs > 0 && Number.isFinite(s.bwdMs) && s.bwdMs > 0);
});

test("the uncertainty grows outside the ranges: the analytic model's error is added", async () => {
  const { model } = guarded();
  const [inside, outside] = await model.predict([[table()], [table({ rows: 7.5e7 })]], env);
  assert.equal(inside.uncertainty, 0.1);
  assert.ok(outside.uncertainty! > 0.1 && outside.uncertainty! < 0.5, `${outside.uncertainty}`);
  const analytic = guardModel(new AnalyticCostModel('H100-80GB'));
  const [a] = await analytic.predict([[table()]], env);
  assert.ok(a.uncertainty! > 0.2 && a.uncertainty! < 0.35, 'the analytic model reports its held-out error');
});

test('range notes name the input, the range and how it was priced', () => {
  const { model } = guarded();
  const notes = model.rangeNotes(table({ rows: 1e9, dim: 24, pooling: 1000, zipf: 2 }), { ...env, batchSize: 131072, optimizer: 'adam' }, 'bf16');
  const by = new Map(notes.map((n) => [n.input, n.message]));
  assert.match(by.get('rows')!, /rows 1,000,000,000 is outside what learned: toy was measured on \(1,000–50,000,000 rows\): priced by analytic: H100-80GB alone/);
  assert.match(by.get('dim')!, /dim 24 was never measured.*dims 4, 8, 16, 32, 64, 128, 256.*priced as dim 32, scaled by analytic/);
  assert.match(by.get('pooling')!, /pooling 1,000 .*0\.5–100/);
  assert.match(by.get('zipf')!, /zipf 2 .*0–1\.3/);
  assert.match(by.get('batch_size')!, /batch_size 131,072 .*8,192–65,536.*priced as batch 65,536.*blended towards it \(50%\)/);
  assert.match(by.get('dtype')!, /bf16/);
  assert.match(by.get('optimizer')!, /adam .*sgd/);
  assert.deepEqual(model.rangeNotes(table(), env, 'fp32'), []);
  assert.match(model.setSizeNote(400)!.message, /400 tables on one GPU is more than learned: toy was measured on \(1–47 per set\): priced by analytic: H100-80GB alone/);
  assert.equal(model.setSizeNote(47), undefined);
  assert.deepEqual(guardModel(new AnalyticCostModel()).rangeNotes(table({ rows: 1e12 }), env), []);
});
