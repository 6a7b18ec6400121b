/**
 * The engine facade (server/src/engine) with an in-memory reader and a
 * test-double cost model: diagnostics it adds (SL101–SL103), per-table costs,
 * the scored placement, and that it never throws on bad input.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { FileReader } from '../../../server/src/config/loaded';
import type { ComputeCost, CostEnv, CostModel, Shard } from '../../../server/src/cost/types';
import { analyzeDocument, createCostModelCache, proposePlan, replanTitle, type CostModels } from '../../../server/src/engine';
import { configText, lineOf, tableName } from '../../fixtures/configText';

/** Test double: cost proportional to rows × dim × pooling (ms), summed over a set. */
class FakeModel implements CostModel {
  readonly name = 'fake: linear';
  readonly source = 'analytic' as const;
  calls = 0;
  private cost(s: Shard): ComputeCost {
    const w = (s.rows * s.dim * s.pooling) / 1e9;
    return { fwdMs: w, bwdMs: 2 * w };
  }
  async predict(sets: readonly (readonly Shard[])[], _env: CostEnv): Promise<ComputeCost[]> {
    this.calls++;
    return sets.map((set) =>
      set.reduce(
        (a, s) => {
          const c = this.cost(s);
          return { fwdMs: a.fwdMs + c.fwdMs, bwdMs: a.bwdMs + c.bwdMs };
        },
        { fwdMs: 0, bwdMs: 0 },
      ),
    );
  }
  prepare(shards: readonly Shard[], _env: CostEnv) {
    return {
      score: (members: readonly number[]) =>
        members.reduce(
          (a, i) => {
            const c = this.cost(shards[i]);
            return { fwdMs: a.fwdMs + c.fwdMs, bwdMs: a.bwdMs + c.bwdMs };
          },
          { fwdMs: 0, bwdMs: 0 },
        ),
    };
  }
}

const noFiles: FileReader = { readFile: () => undefined };
const models = (model: CostModel, warning?: string): CostModels => createCostModelCache(async () => ({ model, warning }));

describe('analyzeDocument', () => {
  it('costs every table alone and scores a complete placement', async () => {
    const model = new FakeModel();
    const a = await analyzeDocument('/w/a.shard.yaml', configText({ tables: 6, gpus: 2, placement: 'round-robin' }), noFiles, models(model));
    assert.equal(a.costModel?.name, 'fake: linear');
    assert.equal(a.tableCosts.size, 6);
    const t1 = a.tableCosts.get(tableName(1))!;
    assert.ok(Math.abs(t1.bwdMs - 2 * t1.fwdMs) < 1e-12);
    assert.deepEqual(t1.gpus, [1]);
    assert.ok(t1.memoryBytes > 0);
    assert.ok(a.current);
    assert.equal(a.current.gpus.length, 2);
    assert.ok(a.imbalance! >= 1);
  });

  it('SL101 on the placement key when max/mean exceeds the threshold, not below it', async () => {
    const text = configText({ tables: 6, gpus: 2, placement: 'all-on-0' });
    const a = await analyzeDocument('/w/a.shard.yaml', text, noFiles, models(new FakeModel()));
    const d = a.diagnostics.find((x) => x.code === 'SL101');
    assert.ok(d);
    assert.equal(d.severity, 'warning');
    assert.equal(d.range.start.line, lineOf(text, 'placement:'));
    assert.match(d.message, /GPU 0/);
    const lenient = await analyzeDocument('/w/a.shard.yaml', text, noFiles, models(new FakeModel()), { imbalanceThreshold: 100 });
    assert.equal(
      lenient.diagnostics.some((x) => x.code === 'SL101'),
      false,
    );
  });

  it('SL102 carries the loader warning; SL103 when the model cannot be loaded', async () => {
    const text = configText();
    const warned = await analyzeDocument('/w/a.shard.yaml', text, noFiles, models(new FakeModel(), 'no learned cost model for H100-80GB'));
    const d = warned.diagnostics.find((x) => x.code === 'SL102');
    assert.ok(d);
    assert.match(d.message, /analytic model \(fake: linear\).*no learned cost model/);
    assert.equal(d.range.start.line, lineOf(text, 'devices:'));
    const failing = createCostModelCache(async () => {
      throw new Error('disk on fire');
    });
    const failed = await analyzeDocument('/w/a.shard.yaml', text, noFiles, failing);
    assert.ok(failed.diagnostics.some((x) => x.code === 'SL103' && /disk on fire/.test(x.message)));
    assert.equal(failed.tableCosts.size, 0);
  });

  it('memoises table costs: an unrelated edit predicts nothing new', async () => {
    const model = new FakeModel();
    const cache = models(model);
    await analyzeDocument('/w/a.shard.yaml', configText({ tables: 6 }), noFiles, cache);
    const calls = model.calls;
    await analyzeDocument('/w/a.shard.yaml', configText({ tables: 6 }).replace('# ShardLens', '# edited ShardLens'), noFiles, cache);
    assert.equal(model.calls, calls);
  });

  it('never throws on garbage, and reports it', async () => {
    for (const text of ['', '\u0000\u0001binary', 'version: [', 'tables: 5', '- a\n- b', 'x'.repeat(10_000)]) {
      const a = await analyzeDocument('/w/g.shard.yaml', text, noFiles, models(new FakeModel()));
      assert.ok(
        a.diagnostics.some((d) => d.severity === 'error'),
        JSON.stringify(text.slice(0, 20)),
      );
      assert.equal(a.current, undefined);
    }
  });
});

describe('proposePlan', () => {
  it('plans from the written placement and edits only the placement section', async () => {
    const text = configText({ tables: 6, gpus: 2, placement: 'all-on-0' });
    const a = await analyzeDocument('/w/a.shard.yaml', text, noFiles, models(new FakeModel()));
    const p = await proposePlan(a, { strategy: 'greedy' });
    assert.equal(p.strategy, 'greedy');
    assert.equal(p.plan.placement.size, 6);
    assert.equal(p.beforeMaxMs, a.current!.maxMs);
    assert.ok(p.plan.maxMs < p.beforeMaxMs!);
    assert.equal(p.edit.file, '/w/a.shard.yaml');
    assert.ok(p.edit.edit.range.start.line >= lineOf(text, 'placement:'));
    assert.match(replanTitle(p), /^Replan \u2014 step [\d.]+ ms \u2192 [\d.]+ ms \(\u2212\d+%\) \[greedy\]$/);
  });

  it('reports a gain only when it exceeds the combined model error of both steps', async () => {
    const text = configText({ tables: 6, gpus: 2, placement: 'all-on-0' });
    const a = await analyzeDocument('/w/a.shard.yaml', text, noFiles, models(new FakeModel()));
    const p = await proposePlan(a, { strategy: 'greedy' });
    const before = p.beforeMaxMs!;
    const after = p.plan.maxMs;
    const gain = before - after;
    // Errors that add up (in quadrature) to less than the gain: the gain and the ±.
    const small = replanTitle({ ...p, beforeMaxUncertaintyMs: gain / 4, plan: { ...p.plan, maxUncertaintyMs: gain / 4 } });
    assert.match(small, /^Replan \u2014 step [\d.]+ ms \u2192 [\d.]+ ms \(\u2212\d+%, \u00b1[\d.]+ ms\) \[greedy\]$/);
    // Larger than the gain: no percentage, "within model error".
    const large = replanTitle({ ...p, beforeMaxUncertaintyMs: gain, plan: { ...p.plan, maxUncertaintyMs: gain } });
    assert.match(large, /^Replan \u2014 step [\d.]+ ms \u2192 [\d.]+ ms \(within model error \u00b1[\d.]+ ms\) \[greedy\]$/);
    assert.doesNotMatch(large, /%/);
  });

  it('refuses with a readable reason when the config is unusable', async () => {
    const a = await analyzeDocument('/w/a.shard.yaml', 'version: 1\n', noFiles, models(new FakeModel()));
    await assert.rejects(proposePlan(a), /Fix the \d+ errors? in \/w\/a\.shard\.yaml/);
  });

  it('placement errors do not block planning (a plan replaces them); other errors do', async () => {
    const missing = configText({ tables: 4, gpus: 2, placement: 'round-robin' }).replace(/^ {2}t003: .*\n/m, '');
    const a = await analyzeDocument('/w/a.shard.yaml', missing, noFiles, models(new FakeModel()));
    assert.ok(
      a.diagnostics.some((d) => d.severity === 'error' && /^SL04\d$/.test(d.code)),
      'the fixture has a placement error',
    );
    const p = await proposePlan(a, { strategy: 'greedy' });
    assert.equal(p.plan.placement.size, 4);
    const bad = await analyzeDocument('/w/a.shard.yaml', configText({ firstDim: 130 }), noFiles, models(new FakeModel()));
    await assert.rejects(proposePlan(bad, { strategy: 'greedy' }), /Fix the 1 error/);
    // A data-parallel replica larger than a GPU (SL051) is the written placement's problem too.
    const replica = configText({ tables: 4, gpus: 2, placement: 'round-robin' })
      .replace('rows: 8000000', 'rows: 3000000000')
      .replace(/^ {2}t003: .*$/m, '  t003: dp');
    const r = await analyzeDocument('/w/a.shard.yaml', replica, noFiles, models(new FakeModel()));
    assert.deepEqual(
      r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code),
      ['SL051'],
    );
    const pr = await proposePlan(r, { strategy: 'greedy' });
    assert.equal(pr.plan.feasible, true, pr.plan.reasons.join('; '));
    assert.notEqual(pr.plan.placement.get('t003')?.kind, 'data_parallel');
  });

  it('a cancelled plan rejects with an AbortError', async () => {
    const a = await analyzeDocument('/w/a.shard.yaml', configText({ tables: 30, gpus: 4 }), noFiles, models(new FakeModel()));
    const abort = new AbortController();
    abort.abort();
    await assert.rejects(proposePlan(a, { strategy: 'search', signal: abort.signal }), (e: Error) => e.name === 'AbortError');
  });
});
