import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { STALE_MESSAGE, infeasibleNote, isStale, movesNothingToApply, movesSummary, planFailed, planNotes, replanSummary } from '../../../extension/src/replanMessages';
import type { MoveBudgetSummary } from '../../../server/src/lsp/protocol';

describe('replan messages', () => {
  it('summarises the step before and after with the change', () => {
    assert.equal(replanSummary({ strategy: 'best', beforeMaxMs: 12.3, afterMaxMs: 9.1 }), 'Replan (best): step 12.3 ms \u2192 9.10 ms (\u221226%)');
    assert.equal(replanSummary({ strategy: 'greedy', beforeMaxMs: 5, afterMaxMs: 5.2 }), 'Replan (greedy): step 5.00 ms \u2192 5.20 ms (+4%)');
  });

  it('gives the model error as the top lens does: the change with its ±, or "within model error"', () => {
    // ± of the change = hypot(0.9, 1.2) = 1.50 ms.
    assert.equal(
      replanSummary({ strategy: 'best', beforeMaxMs: 12.3, afterMaxMs: 9.1, beforeUncertaintyMs: 0.9, afterUncertaintyMs: 1.2 }),
      'Replan (best): step 12.3 ms \u2192 9.10 ms (\u221226%, \u00b11.50 ms)',
    );
    assert.equal(
      replanSummary({ strategy: 'best', beforeMaxMs: 10, afterMaxMs: 9, beforeUncertaintyMs: 0.9, afterUncertaintyMs: 1.2 }),
      'Replan (best): step 10.0 ms \u2192 9.00 ms (within model error \u00b11.50 ms)',
    );
    assert.equal(replanSummary({ strategy: 'search', afterMaxMs: 9.1, afterUncertaintyMs: 0.8 }), 'Replan (search): step 9.10 ms \u00b10.80 ms');
  });

  it('gives only the new max when there was no written placement', () => {
    assert.equal(replanSummary({ strategy: 'search', afterMaxMs: 140.4 }), 'Replan (search): step 140 ms');
    assert.equal(replanSummary({ strategy: 'search', beforeMaxMs: 0, afterMaxMs: 1 }), 'Replan (search): step 1.00 ms');
  });

  it('notes why an infeasible plan breaks constraints, at most three reasons', () => {
    assert.equal(infeasibleNote({ feasible: true, reasons: [] }), undefined);
    assert.equal(infeasibleNote({ feasible: false, reasons: ['a', 'b', 'c', 'd', 'e'] }), 'The plan does not meet every constraint: a; b; c (+2 more).');
    assert.equal(infeasibleNote({ feasible: false, reasons: [] }), 'The plan does not meet every constraint: see the Problems view.');
  });

  it("says when the time budget cut the plan short (the planner's notes), and nothing otherwise", () => {
    assert.equal(planNotes({}), undefined);
    assert.equal(planNotes({ notes: [] }), undefined);
    assert.equal(
      planNotes({ notes: ['stopped at the time budget after 9.10 s in local search (budget 10.0 s): this is the best plan found by then'] }),
      'stopped at the time budget after 9.10 s in local search (budget 10.0 s): this is the best plan found by then.',
    );
  });

  it('a plan is stale when the server says so or the version moved', () => {
    assert.equal(isStale({ stale: true }, 3, 3), true);
    assert.equal(isStale({ stale: false }, 3, 4), true);
    assert.equal(isStale({}, 3, 3), false);
    assert.equal(isStale(undefined, 3, 3), true);
    assert.equal(STALE_MESSAGE, 'The file changed while planning; run Replan again.');
  });
});

describe('planFailed', () => {
  it('is true only for an infeasible plan without any GPU time', () => {
    assert.equal(planFailed({ feasible: false, afterMaxMs: 0 }), true);
    assert.equal(planFailed({ feasible: false, afterMaxMs: 3.2 }), false);
    assert.equal(planFailed({ feasible: true, afterMaxMs: 0 }), false);
  });
});

describe('Replan (≤ N moves) messages', () => {
  const budget = (over: Partial<MoveBudgetSummary> = {}): MoveBudgetSummary => ({
    maxMoves: 10,
    moves: [
      { table: 'a', from: '0', to: '1', gainMs: 1.2, required: false },
      { table: 'b', from: '0', to: '2', gainMs: 0.3, required: false },
    ],
    requiredMoves: 0,
    tooFewMoves: false,
    jointGainMs: 0,
    fullMaxMs: 8,
    fullMoves: 20,
    method: 'local-search',
    ...over,
  });

  it('summarises the budget, the step change and the moves used', () => {
    assert.equal(
      movesSummary({ strategy: 'best', beforeMaxMs: 12.3, afterMaxMs: 9.1, moveBudget: budget() }),
      'Replan \u2264 10 moves (best): step 12.3 ms \u2192 9.10 ms (\u221226%), 2 moves',
    );
    assert.equal(movesSummary({ strategy: 'best', beforeMaxMs: 12.3, afterMaxMs: 9.1 }), 'Replan (best): step 12.3 ms \u2192 9.10 ms (\u221226%)');
  });

  it('applies nothing when the budget cannot reach feasibility or buys no move, and says which', () => {
    assert.equal(movesNothingToApply({ strategy: 'best', moveBudget: budget() }), undefined);
    assert.equal(movesNothingToApply({ strategy: 'best' }), undefined);
    assert.match(
      movesNothingToApply({ strategy: 'best', moveBudget: budget({ tooFewMoves: true, requiredMoves: 14, moves: [] }) })!,
      /changed nothing: the written placement needs 14 moves just to become feasible\. Raise shardlens\.replan\.maxMoves/,
    );
    assert.match(movesNothingToApply({ strategy: 'best', moveBudget: budget({ moves: [] }) })!, /no move of at most 10 tables lowers the step/);
  });
});
