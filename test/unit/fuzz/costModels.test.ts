/**
 * Property tests of every served cost model (learned, analytic, FBGEMM TBE)
 * over random configs far outside any training range: the four invariants of
 * test/fuzz/costInvariants.ts, each within its stated tolerance.
 */
import fc from 'fast-check';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { INVARIANTS, caseArb, checkCase, servedModels } from '../../fuzz/costInvariants';
import { property, runs } from '../../fuzz/runs';

const MODELS_DIR = path.resolve(__dirname, '../../../models');

describe('fuzz: cost-model invariants', async () => {
  const models = await servedModels(MODELS_DIR);
  for (const m of models) {
    it(`${m.label}: finite, ≥ its costliest table, monotone in tables, near its analytic reference`, async () => {
      await property(
        `cost invariants ${m.label}`,
        fc.asyncProperty(caseArb(m.kernel), async (c) => {
          const r = await checkCase(m, c);
          const broken = INVARIANTS.filter((k) => !r[k].ok).map((k) => `${k}: ${r[k].value.toPrecision(4)} (${r[k].detail})`);
          assert.deepEqual(broken, [], `${c.set.length} tables, batch ${c.env.batchSize}, ${c.env.optimizer}`);
        }),
        runs(40),
      );
    });
  }
});
