/**
 * The learned model corrects the analytic model (its "base"): the Python
 * trainer computes the base with models/shardlens_cost/analytic.py, the engine
 * with server/src/cost/analytic.ts. Both must give the same number for the
 * same set, or the network is fed a base it was not trained on. Fixtures:
 * models/fixtures/features.json → analytic (written by feature_fixtures).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ANALYTIC_CONSTANTS, AnalyticCostModel, type AnalyticConstants } from '../../../server/src/cost/analytic';
import { parseJsonlSets } from '../../../server/src/cost/jsonlSets';
import { device, MODELS_DIR } from './fixtures';

const fx = JSON.parse(readFileSync(path.join(MODELS_DIR, 'fixtures', 'features.json'), 'utf8')) as {
  analytic: { device: string; constants: AnalyticConstants; sets: { record: unknown; ln_fwd_ms: number; ln_bwd_ms: number }[] };
};

test('Python and TypeScript use the same analytic constants', () => {
  assert.deepEqual(fx.analytic.constants, { ...ANALYTIC_CONSTANTS });
});

test('the analytic base of every fixture set is the same in Python and TypeScript (1e-9 in ln ms)', async () => {
  const model = new AnalyticCostModel(fx.analytic.device, fx.analytic.constants);
  assert.ok(fx.analytic.sets.length >= 10);
  assert.ok(
    fx.analytic.sets.some((s) => (s.record as { tables: unknown[] }).tables.length > 5),
    'fixtures include fused sets',
  );
  for (const s of fx.analytic.sets) {
    const { sets, errors } = parseJsonlSets(JSON.stringify(s.record), { device: device(fx.analytic.device) });
    assert.deepEqual(errors, []);
    const [c] = await model.predict([sets[0].shards], sets[0].env);
    const id = (s.record as { id: string }).id;
    assert.ok(Math.abs(Math.log(c.fwdMs) - s.ln_fwd_ms) < 1e-9, `${id} fwd: ts ${Math.log(c.fwdMs)} py ${s.ln_fwd_ms}`);
    assert.ok(Math.abs(Math.log(c.bwdMs) - s.ln_bwd_ms) < 1e-9, `${id} bwd: ts ${Math.log(c.bwdMs)} py ${s.ln_bwd_ms}`);
  }
});
