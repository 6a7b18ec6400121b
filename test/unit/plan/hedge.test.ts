/**
 * hedge.ts: the planners search on a GPU's set cost hedged up to what its
 * shards' own costs add up to, never below the model's set cost, and a single
 * shard as the model prices it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AnalyticCostModel } from '../../../server/src/cost/analytic';
import { FbgemmCostModel } from '../../../server/src/cost/fbgemm';
import { tableShard } from '../../../server/src/cost/shards';
import type { CostModel, Shard } from '../../../server/src/cost/types';
import { envOf } from '../../../server/src/plan/catalog';
import { hedgedModel } from '../../../server/src/plan/hedge';
import { property, runs } from '../../fuzz/runs';
import { config, table } from './fixtures';

const cfg = config(
  [
    table('hot', 2_000_000, 128, { pooling: 40, zipf: 1.1 }),
    table('wide', 500_000, 256, { pooling: 8 }),
    table('tiny', 1_000, 16, { pooling: 1 }),
    table('mid', 200_000, 64, { pooling: 20, zipf: 0.5 }),
  ],
  4,
);
const env = envOf(cfg);
const shards: Shard[] = cfg.tables.map((t) => tableShard(t));
const total = (c: { fwdMs: number; bwdMs: number }) => c.fwdMs + c.bwdMs;

/** max over the set of each shard's launch cost + Σ its own (marginal) cost, per phase, by `model`. */
function additive(model: CostModel, set: number[]): { fwdMs: number; bwdMs: number } {
  const sc = model.prepare(shards, env);
  let f = 0;
  let b = 0;
  let fixF = 0;
  let fixB = 0;
  for (const s of set) {
    const one = sc.score([s]);
    const two = sc.score([s, s]);
    const mf = Math.max(0, two.fwdMs - one.fwdMs);
    const mb = Math.max(0, two.bwdMs - one.bwdMs);
    f += mf;
    b += mb;
    fixF = Math.max(fixF, one.fwdMs - mf);
    fixB = Math.max(fixB, one.bwdMs - mb);
  }
  return { fwdMs: f + fixF, bwdMs: b + fixB };
}

const setArb = fc.uniqueArray(fc.integer({ min: 0, max: shards.length - 1 }), { minLength: 1, maxLength: shards.length });

describe('hedged set costs (plan/hedge.ts)', () => {
  for (const model of [new FbgemmCostModel('H100-80GB'), new AnalyticCostModel('H100-80GB')]) {
    it(`${model.name}: one shard as the model prices it; a set never below the model's cost, and = max(model, additive) at κ = 1`, async () => {
      const raw = model.prepare(shards, env);
      const hedged = hedgedModel(model).prepare(shards, env);
      await property(
        `hedge ${model.name}`,
        fc.asyncProperty(setArb, async (set) => {
          const m = raw.score(set);
          const h = hedged.score(set);
          if (set.length === 1) {
            assert.deepEqual(h, m);
            return;
          }
          assert.ok(h.fwdMs >= m.fwdMs - 1e-12 && h.bwdMs >= m.bwdMs - 1e-12, 'never below the model');
          const a = additive(model, set);
          assert.ok(Math.abs(h.fwdMs - Math.max(m.fwdMs, a.fwdMs)) <= 1e-9 * Math.max(1, m.fwdMs), `fwd ${h.fwdMs} = max(${m.fwdMs}, ${a.fwdMs})`);
          assert.ok(Math.abs(h.bwdMs - Math.max(m.bwdMs, a.bwdMs)) <= 1e-9 * Math.max(1, m.bwdMs), `bwd ${h.bwdMs} = max(${m.bwdMs}, ${a.bwdMs})`);
          assert.equal(h.uncertainty, m.uncertainty, "the model's ± is kept");
        }),
        runs(40),
      );
    });
  }

  it("FBGEMM fuses a GPU's tables into one launch: the hedge removes that saving (it is active on real sets)", () => {
    const model = new FbgemmCostModel('H100-80GB');
    const all = shards.map((_, i) => i);
    const m = model.prepare(shards, env).score(all);
    const h = hedgedModel(model).prepare(shards, env).score(all);
    assert.ok(total(h) > total(m) * 1.01, `hedged ${total(h)} ms vs the model's ${total(m)} ms`);
  });

  it("κ = 0 is the model; κ = ½ is halfway; name and source are the model's, predict agrees with prepare", async () => {
    const model = new FbgemmCostModel('H100-80GB');
    const all = shards.map((_, i) => i);
    const m = model.prepare(shards, env).score(all);
    const h1 = hedgedModel(model, 1).prepare(shards, env).score(all);
    assert.deepEqual(hedgedModel(model, 0).prepare(shards, env).score(all), m);
    const half = hedgedModel(model, 0.5).prepare(shards, env).score(all);
    assert.ok(Math.abs(total(half) - (total(m) + total(h1)) / 2) < 1e-9);
    const hedged = hedgedModel(model);
    assert.equal(hedged.name, model.name);
    assert.equal(hedged.source, model.source);
    const [viaPredict] = await hedged.predict([shards], env);
    assert.ok(Math.abs(total(viaPredict) - total(h1)) < 1e-9);
  });
});
