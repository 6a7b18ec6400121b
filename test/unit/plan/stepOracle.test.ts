/**
 * The planners' incremental step (PlanState + StepOracle) equals the step
 * model that scores reports (cost/stepCost.ts via evaluatePlacement), rank by
 * rank and phase by phase, on states holding every layout kind.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FbgemmCostModel } from '../../../server/src/cost/fbgemm';
import { Catalog } from '../../../server/src/plan/catalog';
import { chooseHosts } from '../../../server/src/plan/columnSearch';
import { PlanControl } from '../../../server/src/plan/control';
import { evaluatePlacement } from '../../../server/src/plan/evaluate';
import { greedyOrder, greedyPlace, soloCosts } from '../../../server/src/plan/greedy';
import { hostRanksPer, initialLayouts } from '../../../server/src/plan/layouts';
import { placementOf, unplacedFree } from '../../../server/src/plan/placementOf';
import { baseState } from '../../../server/src/plan/planner';
import { config, table } from './fixtures';

test('the oracle equals the step model on a state with table, column, row, table_row, grid and data-parallel tables', async () => {
  const cfg = config(
    [
      table('tw0', 200_000, 64),
      table('tw1', 50_000, 32, { pooling: 20 }),
      table('tw2', 1_000_000, 128),
      table('cw', 300_000, 128),
      table('rw', 5_000_000, 64),
      table('twrw', 2_000_000, 32),
      table('grid', 1_000_000, 64),
      table('dp', 500, 16),
      table('tc', 100_000, 64),
    ],
    16,
  );
  cfg.devices = { ...cfg.devices, perHost: 8 };
  const model = new FbgemmCostModel('H100-80GB');
  const cat = new Catalog(cfg);
  const init = initialLayouts(cat);
  const t = (name: string) => cat.tableIndex.get(name)!;
  const p = hostRanksPer(cat);
  const layouts = init.layouts.slice();
  layouts[t('cw')] = cat.layout(t('cw'), 'column', 4);
  layouts[t('tc')] = cat.layout(t('tc'), 'table_column', 2);
  layouts[t('rw')] = cat.layout(t('rw'), 'row');
  layouts[t('twrw')] = cat.layout(t('twrw'), 'table_row', 1, p);
  layouts[t('grid')] = cat.layout(t('grid'), 'grid', 2, p);
  layouts[t('dp')] = cat.layout(t('dp'), 'data_parallel');
  const state = baseState(cat, model.prepare(cat.shards, cat.env), layouts);
  for (const name of ['rw', 'twrw', 'grid', 'dp']) {
    if (!state.hostsOf[t(name)]) state.placeGroup(t(name), chooseHosts(state, state.layoutOf[t(name)]!)!);
  }
  const solo = await soloCosts(state);
  await greedyPlace(state, greedyOrder(state, unplacedFree(state), solo), new PlanControl());
  state.settle();
  const placement = placementOf(state);
  assert.equal(placement.size, cfg.tables.length);
  assert.deepEqual([...new Set([...placement.values()].map((e) => e.kind))].sort(), ['column', 'data_parallel', 'grid', 'row', 'table', 'table_column', 'table_row']);
  const r = await evaluatePlacement(cfg, placement, model);
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
  for (let g = 0; g < cfg.devices.count; g++) {
    const ph = r.gpus[g].phaseMs!;
    close(state.inMs[g], ph.input_dist, `GPU ${g} input dist`);
    close(state.outMs[g], ph.output_dist, `GPU ${g} output dist`);
    close(state.outMs[g], ph.grad_dist, `GPU ${g} gradient dist`);
    close(state.fwd[g], ph.forward, `GPU ${g} forward`);
    close(state.bwd[g], ph.backward, `GPU ${g} backward`);
    close(state.dpMs, ph.dp_sync, `GPU ${g} dp`);
    close(state.mem[g], r.gpus[g].memoryBytes, `GPU ${g} memory`);
  }
  close(state.step(), r.maxMs, 'the step');
});
