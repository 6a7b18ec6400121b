import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { restoreState } from '../../../webview/src/panelState';
import { themeColors } from '../../../webview/src/theme';
import {
  emptyReason,
  gpuIndices,
  imbalanceFigures,
  mixColors,
  parseColor,
  subtitleOf,
  tableRows,
  toChartData,
  toMemoryChartData,
  withAlpha,
  type ThemeColors,
} from '../../../webview/src/viewModel';
import { sampleBalance, withUncertainty } from './fixtures';

const GIB = 2 ** 30;
const colors: ThemeColors = {
  fwd: '#3794ff',
  bwd: '#b180d7',
  comm: '#d18616',
  input: '#cca700',
  grad: '#f14c4c',
  dp: '#89d185',
  memory: '#89d185',
  free: '#808080',
  over: '#f14c4c',
  foreground: '#cccccc',
  grid: '#444444',
  background: '#ffffff',
};

describe('toChartData (time per GPU)', () => {
  it("has one category per GPU and a stack of the step's phases for each side", () => {
    const data = toChartData(sampleBalance(), colors);
    assert.deepEqual(data.gpus, [0, 1, 2, 3]);
    assert.deepEqual(data.labels, ['GPU 0', 'GPU 1', 'GPU 2', 'GPU 3']);
    assert.equal(data.datasets.length, 12);
    assert.deepEqual(
      data.datasets.map((d) => d.stack),
      [...new Array(6).fill('current'), ...new Array(6).fill('proposed')],
    );
    assert.deepEqual(
      data.datasets.slice(0, 6).map((d) => d.label),
      ['input dist (written)', 'forward (written)', 'output dist (written)', 'gradient dist (written)', 'backward (written)', 'DP all-reduce (written)'],
    );
    assert.deepEqual(data.datasets[1].data, [4.0, 1.0, 1.0, 1.5]);
    assert.deepEqual(data.datasets[4].data, [8.0, 2.0, 2.5, 3.0]);
    const close = (a: number[], b: number[]) => a.every((x, i) => Math.abs(x - b[i]) < 1e-12);
    assert.ok(close(data.datasets[8].data, [0.24, 0.27, 0.21, 0.18]), 'proposed output dist = 30% of its comm');
  });

  it('falls back to forward/backward/communication for rows without phases', () => {
    const r = sampleBalance();
    for (const g of r.current!.gpus) delete g.phaseMs;
    const data = toChartData(r, colors);
    assert.deepEqual(
      data.datasets.filter((d) => d.side === 'current').map((d) => d.label),
      ['forward (written)', 'backward (written)', 'communication (written)'],
    );
    assert.deepEqual(data.datasets[2].data, [1.0, 0.5, 0.5, 0.5]);
  });

  it('each stack sums to the GPU total', () => {
    const r = sampleBalance();
    const data = toChartData(r, colors);
    for (const [i, row] of r.proposed!.gpus.entries()) {
      const sum = data.datasets.filter((d) => d.side === 'proposed').reduce((s, d) => s + d.data[i], 0);
      assert.ok(Math.abs(sum - row.totalMs) < 1e-9);
    }
  });

  it('uses the theme colours: as is for the written placement, lighter and opaque for the proposal', () => {
    const data = toChartData(sampleBalance(), colors);
    assert.equal(data.datasets[1].backgroundColor, '#3794ff');
    // 0.6 × (55, 148, 255) + 0.4 × white
    assert.equal(data.datasets[7].backgroundColor, 'rgb(135, 191, 255)');
    assert.equal(data.datasets[7].borderColor, '#3794ff');
    // An unparseable background falls back to translucency.
    assert.equal(toChartData(sampleBalance(), { ...colors, background: 'var(--x)' }).datasets[7].backgroundColor, 'rgba(55, 148, 255, 0.6)');
  });

  it('fills GPUs one side lacks with zeros and draws only the sides present', () => {
    const r = sampleBalance();
    r.proposed!.gpus = r.proposed!.gpus.slice(0, 2);
    delete r.current;
    const data = toChartData(r, colors);
    assert.deepEqual(data.gpus, [0, 1]);
    assert.equal(data.datasets.length, 6);
    const r2 = sampleBalance();
    r2.current!.gpus = r2.current!.gpus.filter((g) => g.gpu !== 2);
    assert.deepEqual(gpuIndices(r2), [0, 1, 2, 3]);
    assert.equal(toChartData(r2, colors).datasets[0].data[2], 0);
  });
});

describe('toMemoryChartData', () => {
  it('stacks used and free GiB to the capacity and colours over-capacity GPUs', () => {
    const data = toMemoryChartData(sampleBalance(), colors);
    const used = data.datasets[0];
    const free = data.datasets[1];
    assert.deepEqual(used.data, [30, 10, 12, 70]);
    assert.deepEqual(free.data, [38, 58, 56, 0]);
    assert.deepEqual(used.backgroundColor, ['#89d185', '#89d185', '#89d185', '#f14c4c']);
  });
});

describe('imbalanceFigures', () => {
  it('gives the step, its phases, the busiest and mean GPU and max/mean for each side, and the change of the step', () => {
    const f = imbalanceFigures(sampleBalance());
    assert.equal(f.sides.length, 2);
    const [cur, prop] = f.sides;
    // written: GPU 0 is slowest in every phase: step = its total 13; mean 6.375, ratio 2.04
    assert.equal(cur.maxMs, '13.0 ms');
    assert.equal(cur.busiestMs, '13.0 ms');
    assert.equal(cur.meanMs, '6.38 ms');
    assert.equal(cur.imbalance, '2.04\u00d7');
    assert.equal(cur.feasible, false);
    assert.deepEqual(cur.reasons, ['GPU 3 is over memory']);
    // proposed: forward 2.5 and backward 5.0 on GPU 0, communication 0.9 on GPU 1:
    // step 8.4 though no GPU is busier than 8.3.
    assert.equal(prop.maxMs, '8.40 ms');
    assert.equal(prop.busiestMs, '8.30 ms');
    assert.deepEqual(
      prop.phases.map((p) => [p.title, p.ms, p.gpu]),
      [
        ['input dist', '0.18 ms', 1],
        ['forward', '2.50 ms', 0],
        ['output dist', '0.27 ms', 1],
        ['gradient dist', '0.27 ms', 1],
        ['backward', '5.00 ms', 0],
        ['DP all-reduce', '0.18 ms', 1],
      ],
    );
    assert.equal(prop.title, 'Proposed (best)');
    assert.equal(f.change, 'step 13.0 ms \u2192 8.40 ms (\u221235%)');
  });

  it("passes the plan's notes through (the time budget cut it short), none by default", () => {
    const r = sampleBalance();
    r.proposed!.notes = ['stopped at the time budget after 9.10 s in local search (budget 10.0 s): this is the best plan found by then'];
    const f = imbalanceFigures(r);
    assert.deepEqual(f.sides[0].notes, []);
    assert.deepEqual(f.sides[1].notes, r.proposed!.notes);
  });

  it('has no change line with one side', () => {
    const r = sampleBalance();
    delete r.proposed;
    assert.equal(imbalanceFigures(r).change, undefined);
  });

  it('shows dashes and no change for a plan that failed (no GPU rows)', () => {
    const r = sampleBalance();
    r.proposed = { ...r.proposed!, gpus: [], maxMs: 0, meanMs: 0, imbalance: 1, feasible: false, reasons: ['planning failed'] };
    const f = imbalanceFigures(r);
    assert.equal(f.change, undefined);
    assert.deepEqual([f.sides[1].maxMs, f.sides[1].imbalance], ['\u2013', '\u2013']);
    assert.deepEqual(f.sides[1].reasons, ['planning failed']);
  });
});

describe('tableRows', () => {
  it('one row per GPU and side with CLI-style cells and raw values', () => {
    const rows = tableRows(sampleBalance());
    assert.equal(rows.length, 8);
    const r0 = rows[0];
    assert.equal(r0.side, 'current');
    assert.equal(r0.gpu, 0);
    assert.deepEqual(r0.cells, { fwd: '4.000', bwd: '8.000', comm: '1.000', total: '13.000', uncertainty: '\u2013', memory: '30.00', capacity: '68.00' });
    assert.ok(Number.isNaN(r0.raw.uncertainty), 'no ± without one from the model');
    assert.equal(r0.raw.memory, 30 * GIB);
    assert.equal(r0.tables, 'user_id, item_id');
    assert.equal(rows[3].overCapacity, true);
    assert.equal(rows[4].sideLabel, 'proposed (best)');
  });
});

describe('model error (±)', () => {
  it('goes into the table as a ± column and onto the chart as whiskers around each stack', () => {
    const r = withUncertainty(sampleBalance(), 0.1);
    const rows = tableRows(r);
    assert.equal(rows[0].cells.uncertainty, '\u00b11.200');
    assert.ok(Math.abs(rows[0].raw.uncertainty - 1.2) < 1e-12);
    const data = toChartData(r, colors);
    assert.deepEqual(
      data.errorBars?.map((e) => e.side),
      ['current', 'proposed'],
    );
    assert.deepEqual(data.errorBars![0].totals, [13, 3.5, 4, 5]);
    assert.ok(Math.abs(data.errorBars![0].plusMinus[0] - 1.2) < 1e-12);
    assert.equal(toChartData(sampleBalance(), colors).errorBars, undefined);
  });

  it('reports a gain only when it exceeds both steps\' error combined, else "within model error"', () => {
    // Step 13.0 → 8.4 ms with ±1.2 (0.1 × forward 4 + backward 8 on GPU 0) and ±0.75 (0.1 × 2.5 + 5.0):
    // the gain (4.6 ms) exceeds √(1.2² + 0.75²) = 1.42 ms.
    assert.equal(imbalanceFigures(withUncertainty(sampleBalance(), 0.1)).change, 'step 13.0 ms \u2192 8.40 ms (\u221235%, \u00b11.42 ms)');
    // ±50%: 6 and 3.75 ms, the gain is within the error.
    assert.equal(imbalanceFigures(withUncertainty(sampleBalance(), 0.5)).change, 'step 13.0 ms \u2192 8.40 ms (within model error \u00b17.08 ms)');
  });
});

describe('small view helpers', () => {
  it('withAlpha handles hex, rgb() and leaves unknown notations alone', () => {
    assert.equal(withAlpha('#fff', 0.5), 'rgba(255, 255, 255, 0.5)');
    assert.equal(withAlpha('#00000080', 0.5), 'rgba(0, 0, 0, 0.251)');
    assert.equal(withAlpha('rgb(1, 2, 3)', 0.5), 'rgba(1, 2, 3, 0.5)');
    assert.equal(withAlpha('rgba(1, 2, 3, 0.5)', 0.5), 'rgba(1, 2, 3, 0.25)');
    assert.equal(withAlpha('red', 0.5), 'red');
  });

  it("mixColors blends opaque over the background, honouring the colour's own alpha", () => {
    assert.equal(mixColors('#ff0000', '#000000', 0.5), 'rgb(128, 0, 0)');
    assert.equal(mixColors('rgba(255, 0, 0, 0.5)', '#000', 1), 'rgb(128, 0, 0)');
    assert.equal(mixColors('red', '#000', 0.5), undefined);
    assert.deepEqual(parseColor('#0a0b0c'), [10, 11, 12, 1]);
  });

  it('subtitle and empty reason', () => {
    const r = sampleBalance();
    assert.equal(subtitleOf('a.shard.yaml', r), 'a.shard.yaml \u00b7 4 \u00d7 H100-80GB \u00b7 cost model learned: h100-cost-v1');
    const priced = {
      ...r,
      costModel: 'fbgemm-tbe analytic: H100-80GB [fbgemm_tbe] + learned: h100-cost-v2 [torch_embedding_bag]',
      costModels: [
        { kernel: 'fbgemm_tbe', model: 'fbgemm-tbe analytic: H100-80GB', source: 'analytic' as const, notes: [] },
        { kernel: 'torch_embedding_bag', model: 'learned: h100-cost-v2', source: 'learned' as const, notes: ['optimizer term (adam) from the analytic model'] },
      ],
    };
    assert.equal(
      subtitleOf('a.shard.yaml', priced),
      'a.shard.yaml \u00b7 4 \u00d7 H100-80GB \u00b7 cost model fbgemm-tbe analytic: H100-80GB [fbgemm_tbe] + learned: h100-cost-v2 [torch_embedding_bag] \u00b7 + torch_embedding_bag: optimizer term (adam) from the analytic model',
    );
    assert.equal(emptyReason(r), undefined);
    delete r.current;
    delete r.proposed;
    r.errors = 2;
    assert.equal(emptyReason(r), 'Fix the 2 errors in the file to see the balance.');
  });

  it('themeColors reads the --vscode-* variables and falls back when unset', () => {
    const c = themeColors((v) => (v === '--vscode-charts-blue' ? ' #123456 ' : ''));
    assert.equal(c.fwd, '#123456');
    assert.equal(c.bwd, '#b180d7');
  });

  it('restoreState keeps a valid saved state and drops a malformed one', () => {
    const good = restoreState({ fileName: 'a', result: sampleBalance(), showTable: true });
    assert.equal(good.showTable, true);
    assert.equal(good.result?.version, 7);
    const bad = restoreState({ fileName: 'a', result: { uri: 1 }, showTable: 'yes' });
    assert.deepEqual(bad, { showTable: false, view: 'balance' });
    assert.deepEqual(restoreState(undefined), { showTable: false, view: 'balance' });
  });
});
