/** The CI gate of `plan --fail-if-worse P%` (engine/worseGate.ts). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GpuReport, PlanResult } from '../../../server/src/plan/types';
import { parsePercent, worseGate } from '../../../server/src/engine/worseGate';

function plan(totals: number[], feasible = true, reasons: string[] = []): PlanResult {
  const gpus: GpuReport[] = totals.map((t, gpu) => ({ gpu, tables: [], fwdMs: t, bwdMs: 0, commMs: 0, totalMs: t, memoryBytes: 0, capacityBytes: 1 }));
  return {
    strategy: 'best',
    elapsedMs: 0,
    maxMs: Math.max(0, ...totals),
    meanMs: totals.reduce((a, b) => a + b, 0) / Math.max(1, totals.length),
    maxGpuMs: Math.max(0, ...totals),
    phases: [],
    feasible,
    reasons,
    gpus,
    placement: new Map(),
    costModel: 'fake',
  };
}

describe('--fail-if-worse', () => {
  it('parses percentages', () => {
    assert.deepEqual(parsePercent('5%'), { ok: true, value: 5 });
    assert.deepEqual(parsePercent('2.5 %'), { ok: true, value: 2.5 });
    assert.deepEqual(parsePercent('0'), { ok: true, value: 0 });
    for (const bad of ['', 'five', '-5%', '5%%', '1e3', '2000%']) assert.equal(parsePercent(bad).ok, false, bad);
  });

  it('fails when the written step time is more than P% above the plan, naming how much and which GPUs', () => {
    const v = worseGate(plan([110, 100, 107, 90]), plan([100, 100, 100, 100]), 5);
    assert.equal(v.passed, false);
    assert.ok(Math.abs(v.overPercent! - 10) < 1e-9);
    assert.deepEqual(
      v.gpus,
      [
        { gpu: 0, ms: 110 },
        { gpu: 2, ms: 107 },
      ],
      'GPUs over 105 ms, slowest first',
    );
    assert.match(v.message, /10\.0% above the plan found \(100 ms; allowed 5%\)/);
    assert.match(v.message, /GPU 0 \(110 ms\), GPU 2 \(107 ms\)/);
  });

  it('passes at or under the threshold, and when the written placement is better', () => {
    assert.equal(worseGate(plan([105, 90]), plan([100, 100]), 5).passed, true, 'exactly 5% above passes');
    assert.equal(worseGate(plan([105.01, 90]), plan([100, 100]), 5).passed, false);
    const better = worseGate(plan([95]), plan([100]), 0);
    assert.equal(better.passed, true);
    assert.match(better.message, /5\.0% below/);
  });

  it('fails without a complete written placement, or with an infeasible one', () => {
    const none = worseGate(undefined, plan([100]), 5);
    assert.equal(none.passed, false);
    assert.match(none.message, /no complete placement/);
    const over = worseGate(plan([50], false, ['GPU 0 needs 90 GiB but has 68 GiB usable']), plan([100]), 5);
    assert.equal(over.passed, false);
    assert.match(over.message, /not feasible: GPU 0 needs 90 GiB/);
  });

  it('a step over the allowance with no GPU over it on its own names the critical path', () => {
    // GPU 0 is slowest forward, GPU 1 slowest backward: each totals 100 ms, the step is 60 + 60 = 120 ms.
    const written = plan([100, 100]);
    written.maxMs = 120;
    written.phases = [
      { name: 'input_dist', maxMs: 0, gpu: 0 },
      { name: 'forward', maxMs: 60, gpu: 0 },
      { name: 'output_dist', maxMs: 0, gpu: 0 },
      { name: 'grad_dist', maxMs: 0, gpu: 0 },
      { name: 'backward', maxMs: 60, gpu: 1 },
      { name: 'dp_sync', maxMs: 0, gpu: 0 },
    ];
    const v = worseGate(written, plan([100, 100]), 5);
    assert.equal(v.passed, false);
    assert.deepEqual(v.gpus, []);
    assert.match(v.message, /20\.0% above the plan found/);
    assert.match(v.message, /its critical path: forward 60(\.0)? ms \(GPU 0\) \+ backward 60(\.0)? ms \(GPU 1\)$/);
  });

  it('passes a feasible written placement when the planner found nothing feasible to compare with', () => {
    const v = worseGate(plan([100]), plan([], false, ['no GPU has room']), 5);
    assert.equal(v.passed, true);
    assert.match(v.message, /found no feasible plan/);
  });
});
