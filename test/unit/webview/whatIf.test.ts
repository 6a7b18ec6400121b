/** The What-if view's pure parts: chart data, table rows, summary, message validation and saved state. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isFromWebview, isSweepResult, isToWebview } from '../../../webview/src/messages';
import { restoreState } from '../../../webview/src/panelState';
import { themeColors } from '../../../webview/src/theme';
import { whatIfChartData, whatIfRows, whatIfSummary } from '../../../webview/src/whatIfModel';
import { sampleSweep } from './fixtures';

const colors = themeColors(() => '');

describe('what-if view model', () => {
  it('one series per GPU type, feasible clusters only, GPU count ascending', () => {
    const step = whatIfChartData(sampleSweep(), 'step', colors);
    assert.deepEqual(
      step.series.map((s) => s.type),
      ['H100-80GB', 'A100-80GB'],
    );
    assert.deepEqual(step.series[0].points, [
      { x: 1, y: 40 },
      { x: 2, y: 22 },
      { x: 4, y: 13 },
    ]);
    assert.deepEqual(
      step.series[1].points,
      [
        { x: 2, y: 35 },
        { x: 4, y: 20 },
      ],
      'the infeasible 1 × A100 has no point',
    );
    assert.notEqual(step.series[0].color, step.series[1].color);
    assert.equal(step.logX, true, '1 to 4 GPUs: a log axis');
    const cost = whatIfChartData(sampleSweep(), 'cost', colors);
    assert.deepEqual(
      cost.series[0].points.map((p) => p.y),
      [0.04, 0.044, 0.052],
    );
    assert.equal(cost.unit, 'GPU·s per step');
  });

  it('table rows for every cluster, with the reason where infeasible', () => {
    const rows = whatIfRows(sampleSweep());
    assert.equal(rows.length, 6);
    const bad = rows.find((r) => r.type === 'A100-80GB' && r.gpus === 1)!;
    assert.equal(bad.feasible, false);
    assert.equal(bad.cells.step, '\u2013');
    assert.match(bad.cells.feasible, /^no: no GPU has room/);
    assert.equal(bad.cells.memory, '105%');
    const ok = rows.find((r) => r.type === 'H100-80GB' && r.gpus === 4)!;
    assert.equal(ok.cells.step, '13.000');
    assert.equal(ok.cells.cost, '0.052');
    assert.equal(ok.cells.maxMean, '1.11\u00d7');
    assert.equal(ok.raw.step, 13);
  });

  it('the summary names the fastest and the cheapest cluster, infeasible ones, and mixed cost models', () => {
    const s = whatIfSummary(sampleSweep());
    assert.match(s, /Fastest: 4 × H100-80GB, 13\.0 ms per step\./);
    assert.match(s, /Cheapest: 1 × H100-80GB, 0\.04 GPU·s per step\./);
    assert.match(s, /1 cluster is infeasible/);
    assert.match(s, /different cost models/);
  });

  it('validates sweep messages both ways', () => {
    const result = sampleSweep();
    assert.ok(isSweepResult(result));
    assert.ok(isToWebview({ type: 'whatIf', fileName: 'a.shard.yaml', result }));
    assert.ok(isToWebview({ type: 'whatIfProgress', fileName: 'a', message: 'planning 2 × H100-80GB (2 of 6)…', percent: 17 }));
    assert.ok(isToWebview({ type: 'whatIfProblem', message: 'cancelled' }));
    assert.ok(isToWebview({ type: 'showView', view: 'whatIf' }));
    const broken = sampleSweep() as unknown as { rows: Array<Record<string, unknown>> };
    broken.rows[0].maxMs = 'fast';
    assert.equal(isToWebview({ type: 'whatIf', fileName: 'a', result: broken }), false);
    const zero = sampleSweep() as unknown as { rows: Array<Record<string, unknown>> };
    zero.rows[0].gpus = 0;
    assert.equal(isSweepResult(zero), false);
    assert.equal(isToWebview({ type: 'whatIfProgress', fileName: 'a', message: 'x', percent: 140 }), false);
    assert.equal(isToWebview({ type: 'showView', view: 'settings' }), false);
    for (const m of [{ type: 'whatIfCancel' }, { type: 'whatIfRun' }, { type: 'viewChanged', view: 'balance' }]) assert.ok(isFromWebview(m), m.type);
    assert.equal(isFromWebview({ type: 'viewChanged', view: 'elsewhere' }), false);
  });

  it('saved state keeps the view and a valid sweep; drops a malformed one', () => {
    const s = restoreState({ showTable: false, view: 'whatIf', whatIf: { fileName: 'a.shard.yaml', result: sampleSweep() } });
    assert.equal(s.view, 'whatIf');
    assert.equal(s.whatIf?.result.rows.length, 6);
    const bad = restoreState({ view: 'elsewhere', whatIf: { fileName: 'a', result: { rows: 'no' } } });
    assert.equal(bad.view, 'balance');
    assert.equal(bad.whatIf, undefined);
  });
});
