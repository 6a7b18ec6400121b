/**
 * replicaPass.ts, the last word on replicas: a replicated table above
 * DP_ALWAYS_BYTES that may be whole is made whole unless the replicated plan
 * gives a strictly lower step; never raises the step; tiny tables stay
 * replicated.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ShardConfig } from '../../../server/src/config/types';
import { FbgemmCostModel } from '../../../server/src/cost/fbgemm';
import { Catalog } from '../../../server/src/plan/catalog';
import { PlanControl } from '../../../server/src/plan/control';
import { DP_ALWAYS_BYTES } from '../../../server/src/plan/dataParallel';
import { greedyOrder, greedyPlace, soloCosts } from '../../../server/src/plan/greedy';
import { initialLayouts, tableBytes } from '../../../server/src/plan/layouts';
import { unplacedFree } from '../../../server/src/plan/placementOf';
import { baseState } from '../../../server/src/plan/planner';
import { unreplicatePass } from '../../../server/src/plan/replicaPass';
import { scoreOf } from '../../../server/src/plan/search';
import type { PlanState } from '../../../server/src/plan/state';
import { property, runs } from '../../fuzz/runs';
import { config, table } from './fixtures';

const model = new FbgemmCostModel('H100-80GB');

/** A plan of `cfg` with every table that may be replicated replicated, the rest placed greedily. */
async function replicatedPlan(cfg: ShardConfig): Promise<PlanState> {
  const cat = new Catalog(cfg);
  const layouts = initialLayouts(cat).layouts.slice();
  layouts.forEach((l, t) => {
    if (l && cat.tables[t].pin === undefined && cat.hasLayout(t, 'data_parallel')) layouts[t] = cat.layout(t, 'data_parallel');
  });
  const state = baseState(cat, model.prepare(cat.shards, cat.env), layouts);
  const ctl = new PlanControl();
  const solo = await soloCosts(state, ctl);
  await greedyPlace(state, greedyOrder(state, unplacedFree(state), solo), ctl);
  state.settle();
  return state;
}

const kinds = (s: PlanState) => s.layoutOf.map((l) => l?.kind);

describe('the last word on replicas (plan/replicaPass.ts)', () => {
  it('next to a hot table that cannot be split, mid-size replicas go whole onto the idle ranks and the step drops', async () => {
    const cfg = config(
      [
        table('hot', 4_000_000, 128, { pooling: 120, zipf: 0.2, sharding: ['table'] }),
        ...Array.from({ length: 6 }, (_, i) => table(`mid${i}`, 50_000, 64, { pooling: 10, sharding: ['table', 'data_parallel'] })),
        table('tiny', 100, 16, { pooling: 1, sharding: ['table', 'data_parallel'] }),
      ],
      4,
    );
    const start = await replicatedPlan(cfg);
    const before = scoreOf(start).max;
    const out = await unreplicatePass(start, new PlanControl());
    const after = scoreOf(out).max;
    assert.ok(after < before, `step ${after} ms < ${before} ms`);
    const k = kinds(out);
    assert.ok(
      k.slice(1, 7).some((x) => x === 'table'),
      `some mid table is whole again: ${k.join(',')}`,
    );
    assert.equal(k[7], 'data_parallel', 'the tiny table stays replicated');
    assert.ok(tableBytes(start.cat, 7) <= DP_ALWAYS_BYTES);
    assert.equal(k[0], 'table');
  });

  it('property: never raises the step, keeps every table placed, and leaves tables up to DP_ALWAYS_BYTES replicated', async () => {
    const arb = fc.record({
      gpus: fc.constantFrom(2, 4, 8),
      tables: fc.array(
        fc.record({
          rowsExp: fc.double({ min: 1.5, max: 6.5, noNaN: true }),
          dim: fc.constantFrom(8, 16, 64, 128),
          pooling: fc.double({ min: 1, max: 80, noNaN: true }),
          zipf: fc.double({ min: 0, max: 1.2, noNaN: true }),
          dpOnly: fc.boolean(),
        }),
        { minLength: 2, maxLength: 12 },
      ),
    });
    await property(
      'unreplicate never raises the step',
      fc.asyncProperty(arb, async ({ gpus, tables }) => {
        const cfg = config(
          tables.map((t, i) =>
            table(`t${i}`, Math.round(10 ** t.rowsExp), t.dim, {
              pooling: Math.round(t.pooling * 10) / 10,
              zipf: Math.round(t.zipf * 100) / 100,
              sharding: t.dpOnly ? ['data_parallel'] : ['table', 'data_parallel'],
            }),
          ),
          gpus,
        );
        const start = await replicatedPlan(cfg);
        const a = scoreOf(start);
        const wasKinds = kinds(start);
        const out = await unreplicatePass(start, new PlanControl());
        const b = scoreOf(out);
        assert.ok(b.unplaced <= a.unplaced);
        assert.ok(b.max <= a.max * (1 + 1e-9), `step ${b.max} ms > ${a.max} ms`);
        kinds(out).forEach((k, t) => {
          if (wasKinds[t] !== 'data_parallel') assert.equal(k, wasKinds[t], 'only replicas change');
          else if (tableBytes(out.cat, t) <= DP_ALWAYS_BYTES || tables[t].dpOnly) assert.equal(k, 'data_parallel', `t${t} stays replicated`);
        });
      }),
      runs(25),
    );
  });
});
