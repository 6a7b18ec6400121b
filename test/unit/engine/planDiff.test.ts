/** Plan diff (engine/planDiff.ts): moved tables, per-GPU and step-time change, both sides scored by one model. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlacementEntry } from '../../../server/src/config/types';
import { analyzeDocument } from '../../../server/src/engine';
import { comparePlacements, diffPlans, placementMoves, sameEntry } from '../../../server/src/engine/planDiff';
import { evaluatePlacement } from '../../../server/src/plan/evaluate';
import { configText, tableName } from '../../fixtures/configText';
import { config, table } from '../plan/fixtures';
import { LinearModel, modelsPerType } from './fixtures';

const noFiles = { readFile: () => undefined };

describe('placement moves', () => {
  it('compares entries of every kind exactly', () => {
    const same: PlacementEntry[] = [
      { kind: 'table', gpu: 3 },
      { kind: 'data_parallel' },
      { kind: 'column', gpus: [0, 1] },
      { kind: 'row', gpus: [2, 3] },
      { kind: 'table_column', gpus: [4, 5] },
      { kind: 'table_row', host: 1 },
      { kind: 'grid', hosts: [0, 1] },
    ];
    for (const e of same) assert.ok(sameEntry(e, structuredClone(e)), e.kind);
    assert.ok(!sameEntry({ kind: 'table', gpu: 3 }, { kind: 'table', gpu: 4 }));
    assert.ok(!sameEntry({ kind: 'column', gpus: [0, 1] }, { kind: 'column', gpus: [1, 0] }), 'shard order matters');
    assert.ok(!sameEntry({ kind: 'column', gpus: [0, 1] }, { kind: 'row', gpus: [0, 1] }));
    assert.ok(!sameEntry({ kind: 'table_row', host: 0 }, { kind: 'table_row', host: 1 }));
    assert.ok(!sameEntry({ kind: 'grid', hosts: [0] }, { kind: 'grid', hosts: [0, 1] }));
  });

  it("lists moved, newly placed and no longer placed tables (after's order, then removed)", () => {
    const before = new Map<string, PlacementEntry>([
      ['a', { kind: 'table', gpu: 0 }],
      ['b', { kind: 'table', gpu: 1 }],
      ['gone', { kind: 'table', gpu: 1 }],
    ]);
    const after = new Map<string, PlacementEntry>([
      ['new', { kind: 'table', gpu: 0 }],
      ['b', { kind: 'column', gpus: [0, 1] }],
      ['a', { kind: 'table', gpu: 0 }],
    ]);
    assert.deepEqual(placementMoves(before, after), [
      { table: 'new', to: { kind: 'table', gpu: 0 } },
      { table: 'b', from: { kind: 'table', gpu: 1 }, to: { kind: 'column', gpus: [0, 1] } },
      { table: 'gone', from: { kind: 'table', gpu: 1 } },
    ]);
  });
});

describe('diffPlans and comparePlacements', () => {
  it('per-GPU and step-time change of two scored placements', async () => {
    const cfg = config([table('a', 1e6, 64), table('b', 2e6, 64), table('c', 5e5, 32)], 2);
    const model = new LinearModel();
    const before = await evaluatePlacement(
      cfg,
      new Map<string, PlacementEntry>([
        ['a', { kind: 'table', gpu: 0 }],
        ['b', { kind: 'table', gpu: 0 }],
        ['c', { kind: 'table', gpu: 1 }],
      ]),
      model,
    );
    const after = await evaluatePlacement(
      cfg,
      new Map<string, PlacementEntry>([
        ['a', { kind: 'table', gpu: 1 }],
        ['b', { kind: 'table', gpu: 0 }],
        ['c', { kind: 'table', gpu: 1 }],
      ]),
      model,
    );
    const d = diffPlans(before, after, { sameModel: true });
    assert.equal(d.moved, 1);
    assert.deepEqual(
      d.moves.map((m) => m.table),
      ['a'],
    );
    assert.equal(d.stepChangeMs, after.maxMs - before.maxMs);
    assert.ok(d.stepChangeMs < 0, 'moving a off the loaded GPU shortens the step');
    assert.equal(d.gpus.length, 2);
    for (const g of d.gpus) {
      assert.equal(g.beforeMs, before.gpus[g.gpu].totalMs);
      assert.equal(g.afterMs, after.gpus[g.gpu].totalMs);
      assert.equal(g.changeMs, after.gpus[g.gpu].totalMs - before.gpus[g.gpu].totalMs);
    }
    assert.ok(d.gpus[0].changeMs < 0 && d.gpus[1].changeMs > 0);
  });

  it('scores both sides of one GPU type with the same model; a replanned file shows its moves', async () => {
    const { models, byType } = modelsPerType();
    const text = configText({ tables: 6, gpus: 2, placement: 'all-on-0' });
    const moved = text.replace(`  ${tableName(1)}: 0`, `  ${tableName(1)}: 1`).replace(`  ${tableName(3)}: 0`, `  ${tableName(3)}: 1`);
    const before = await analyzeDocument('/w/a.shard.yaml', text, noFiles, models);
    const after = await analyzeDocument('/w/a.shard.yaml', moved, noFiles, models);
    const d = await comparePlacements(before, after, 'HEAD version');
    assert.ok(!('problem' in d));
    if ('problem' in d) return;
    assert.equal(d.sameModel, true);
    assert.equal(byType.size, 1);
    assert.deepEqual(
      d.moves.map((m) => [m.table, m.from, m.to]),
      [
        [tableName(1), { kind: 'table', gpu: 0 }, { kind: 'table', gpu: 1 }],
        [tableName(3), { kind: 'table', gpu: 0 }, { kind: 'table', gpu: 1 }],
      ],
    );
    assert.equal(d.before.maxMs, before.current!.maxMs);
    assert.equal(d.after.maxMs, after.current!.maxMs);
    assert.ok(d.stepChangeMs < 0);
    assert.equal(d.devicesChange, undefined);
  });

  it('says what changed in the cluster, and why a side cannot be compared', async () => {
    const { models } = modelsPerType();
    const two = await analyzeDocument('/w/a.shard.yaml', configText({ tables: 4, gpus: 2, placement: 'round-robin' }), noFiles, models);
    const four = await analyzeDocument('/w/a.shard.yaml', configText({ tables: 4, gpus: 4, placement: 'round-robin' }), noFiles, models);
    const d = await comparePlacements(two, four, 'HEAD version');
    assert.ok(!('problem' in d));
    if (!('problem' in d)) {
      assert.equal(d.devicesChange, '2 \u00d7 H100-80GB \u2192 4 \u00d7 H100-80GB');
      assert.equal(d.gpus.length, 4);
      assert.equal(d.gpus[3].beforeMs, undefined);
    }
    const broken = await analyzeDocument('/w/a.shard.yaml', 'version: 1\ntables: [', noFiles, models);
    const p = await comparePlacements(broken, four, 'HEAD version');
    assert.ok('problem' in p && /HEAD version does not load/.test(p.problem));
  });
});
