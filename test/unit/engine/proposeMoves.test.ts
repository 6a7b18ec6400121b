/**
 * proposeMoves (engine/proposeMoves.ts): what "Replan (≤ N moves)" writes and
 * the words of its lens.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeDocument, NotPlannableError } from '../../../server/src/engine';
import { movesTitle, proposeMoves, type MovesProposal } from '../../../server/src/engine/proposeMoves';
import type { MoveBudgetResult } from '../../../server/src/plan/moveBudget';
import type { PlanResult } from '../../../server/src/plan/types';
import { configText } from '../../fixtures/configText';
import { modelsPerType } from './fixtures';

const noFiles = { readFile: () => undefined };

function plan(maxMs: number, extra: Partial<PlanResult> = {}): PlanResult {
  return {
    strategy: 'best',
    elapsedMs: 1,
    maxMs,
    meanMs: maxMs,
    maxGpuMs: maxMs,
    phases: [],
    feasible: true,
    reasons: [],
    gpus: [{ gpu: 0, tables: ['a'], fwdMs: 1, bwdMs: 1, commMs: 0, totalMs: maxMs, memoryBytes: 1, capacityBytes: 2 }],
    placement: new Map(),
    costModel: 'fake',
    ...extra,
  };
}

function proposal(
  before: number | undefined,
  after: number,
  budget: Partial<MoveBudgetResult>,
  planExtra: Partial<PlanResult> = {},
): Pick<MovesProposal, 'plan' | 'beforeMaxMs' | 'budget'> {
  const p = plan(after, planExtra);
  const b: MoveBudgetResult = {
    plan: p,
    full: plan(20),
    fullMoves: 50,
    maxMoves: 10,
    moves: [],
    requiredMoves: 0,
    tooFewMoves: false,
    method: 'local-search',
    jointGainMs: 0,
    elapsedMs: 1,
    ...budget,
  };
  return { plan: p, beforeMaxMs: before, budget: b };
}

const move = (table: string) => ({ table, from: { kind: 'table' as const, gpu: 0 }, to: { kind: 'table' as const, gpu: 1 }, gainMs: 1, required: false });

describe('movesTitle', () => {
  it('the step before → after, the change and the moves used', () => {
    assert.equal(
      movesTitle(proposal(41.2, 35, { moves: ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map(move) })),
      'Replan \u2264 10 moves \u2014 step 41.2 ms \u2192 35.0 ms (\u221215%, 7 moves)',
    );
    assert.equal(movesTitle(proposal(41.2, 40.9, { maxMoves: 1, moves: [move('a')] })), 'Replan \u2264 1 move \u2014 step 41.2 ms \u2192 40.9 ms (\u22121%, 1 move)');
  });

  it('says when the gain is within the model error', () => {
    const p = { ...proposal(41.2, 40.9, { moves: [move('a')] }, { maxUncertaintyMs: 2 }), beforeMaxUncertaintyMs: 2 };
    assert.match(movesTitle(p), /\(within model error \u00b12\.83 ms, 1 move\)$/);
  });

  it('no move, too few moves, infeasible, nothing to plan', () => {
    assert.equal(movesTitle(proposal(41.2, 41.2, {})), 'Replan \u2264 10 moves \u2014 no move lowers the step (41.2 ms)');
    assert.equal(
      movesTitle(proposal(undefined, 0, { tooFewMoves: true, requiredMoves: 14 })),
      'Replan \u2264 10 moves \u2014 too few: the written placement needs 14 moves to become feasible',
    );
    assert.match(movesTitle(proposal(41.2, 30, { moves: [move('a')] }, { feasible: false, reasons: ['x'] })), / \u2014 infeasible$/);
    assert.match(movesTitle(proposal(41.2, 0, {}, { gpus: [], feasible: false, reasons: ['no cost model'] })), /cannot plan: no cost model$/);
  });
});

describe('proposeMoves', () => {
  it('writes the budgeted placement into the placement section only', async () => {
    const text = configText({ tables: 8, gpus: 4, placement: 'all-on-0' });
    const a = await analyzeDocument('/w/m.shard.yaml', text, noFiles, modelsPerType().models);
    const p = await proposeMoves(a, { maxMoves: 2 });
    assert.ok(p.budget.moves.length >= 1 && p.budget.moves.length <= 2);
    assert.equal(p.beforeMaxMs, a.current!.maxMs);
    assert.equal(p.edit.file, '/w/m.shard.yaml');
    assert.ok(p.edit.edit.newText.startsWith('placement:'));
    assert.ok(p.plan.maxMs < a.current!.maxMs);
  });

  it('refuses a file without a written placement, or with errors, in words for the user', async () => {
    const none = await analyzeDocument('/w/n.shard.yaml', configText({ tables: 4, gpus: 2 }), noFiles, modelsPerType().models);
    await assert.rejects(proposeMoves(none, { maxMoves: 3 }), (e: Error) => e instanceof NotPlannableError && /no written placement/.test(e.message));
    const bad = await analyzeDocument('/w/b.shard.yaml', configText({ tables: 4, gpus: 2, placement: 'round-robin', firstDim: -3 }), noFiles, modelsPerType().models);
    await assert.rejects(proposeMoves(bad, { maxMoves: 3 }), (e: Error) => e instanceof NotPlannableError && /Fix the \d+ errors? in/.test(e.message));
  });
});
