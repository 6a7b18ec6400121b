/**
 * robust.ts: a change is taken only when its gain exceeds the cost model's
 * error on the compute it shifts (gain > bands · u · |ΔK|).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { errorMargin, gainBeyondError, GAIN_BANDS, type StepParts } from '../../../server/src/plan/robust';
import { property, runs } from '../../fuzz/runs';

const p = (step: number, compute: number, uncertainty = 0.3): StepParts => ({ step, compute, uncertainty });

describe('robust acceptance (plan/robust.ts)', () => {
  it('a move that only rebalances compute passes: its gain is the compute it shifts, and u < 1', () => {
    // 10 ms of compute on the critical path becomes 8 ms; the collectives are unchanged.
    assert.equal(gainBeyondError(p(12, 10), p(10, 8)), true);
  });

  it('a split that trades communication for compute must gain more than u × the compute it saves', () => {
    // Compute 10 → 6 ms (ΔK = 4 ms) for 3.5 ms more communication: gain 0.5 ms.
    // With u = 0.3 the compute saved may be 1.2 ms smaller: refused.
    assert.equal(gainBeyondError(p(12, 10), p(11.5, 6)), false);
    // The same trade with 1 ms more communication gains 3 ms > 1.2 ms: taken.
    assert.equal(gainBeyondError(p(12, 10), p(9, 6)), true);
    assert.ok(Math.abs(errorMargin(p(12, 10), p(9, 6)) - GAIN_BANDS * 0.3 * 4) < 1e-12);
  });

  it('a merge that trades compute for communication is held to the same bar (|ΔK|)', () => {
    // Compute 6 → 8 ms (ΔK = 2 ms) saves 2.5 ms of communication: gain 0.5 ms ≤ 0.6 ms.
    assert.equal(gainBeyondError(p(12, 6), p(11.5, 8)), false);
    assert.equal(gainBeyondError(p(12, 6), p(11.3, 8)), true);
  });

  it('the larger of the two ends\' ± counts; a model that reports no ± (or NaN) decides on the gain alone', () => {
    assert.equal(gainBeyondError(p(12, 10, 0), p(11.5, 8, 0.5)), false, 'u = 0.5 from the new plan: margin 1 ms');
    assert.equal(gainBeyondError(p(12, 10, 0), p(11.99, 6, 0)), true);
    assert.equal(gainBeyondError(p(12, 10, Number.NaN), p(11.99, 6, Number.NaN)), true);
    assert.equal(errorMargin(p(12, 10, -1), p(11, 6, Infinity)), 0);
  });

  it('ties in step with nothing shifted fall to the spread; a shift with no gain does not', () => {
    assert.equal(gainBeyondError(p(10, 8), p(10, 8), 5, 4), true);
    assert.equal(gainBeyondError(p(10, 8), p(10, 8), 5, 5), false);
    assert.equal(gainBeyondError(p(10, 8), p(10, 7), 5, 4), false, 'compute shifted at an equal step: the margin is above the tolerance');
  });

  it('property: never accepts a change that raises the step, and with u = 0 accepts exactly the strict gains', async () => {
    const arb = fc.record({
      a: fc.double({ min: 0.01, max: 100, noNaN: true }), b: fc.double({ min: 0.01, max: 100, noNaN: true }),
      ka: fc.double({ min: 0, max: 1, noNaN: true }), kb: fc.double({ min: 0, max: 1, noNaN: true }),
      u: fc.double({ min: 0, max: 0.9, noNaN: true }),
    });
    await property('robust acceptance', fc.asyncProperty(arb, async ({ a, b, ka, kb, u }) => {
      const from = p(a, a * ka, u); const to = p(b, b * kb, u);
      if (gainBeyondError(from, to)) assert.ok(to.step < from.step || (to.step <= from.step * (1 + 1e-9)), `${b} > ${a} accepted`);
      const tol = 1e-9 * Math.max(1, a);
      assert.equal(gainBeyondError(p(a, a * ka, 0), p(b, b * kb, 0)), b < a - tol);
    }), runs(200));
  });
});
