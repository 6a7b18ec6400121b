/**
 * The balance panel's moves section ("Replan (≤ N moves)") as data: the
 * message validators accept the server's move budget and reject malformed
 * ones, and the view model orders the moves, words the summary and decides
 * whether "Apply these moves" makes sense.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatMs } from '../../../server/src/engine/format';
import { isBalanceResult, isFromWebview, isToWebview } from '../../../webview/src/messages';
import { movesView } from '../../../webview/src/movesModel';
import { sampleBalance, withMoveBudget } from './fixtures';

describe('webview messages: the move budget', () => {
  it('accepts a balance with a move budget, and the replanMoves message', () => {
    assert.equal(isToWebview({ type: 'balance', fileName: 'a.shard.yaml', result: withMoveBudget(sampleBalance()) }), true);
    assert.equal(isFromWebview({ type: 'replanMoves' }), true);
  });

  it('rejects malformed move budgets', () => {
    const cases: Array<(r: Record<string, unknown>) => void> = [
      (b) => {
        b.maxMoves = -1;
      },
      (b) => {
        b.maxMoves = 2.5;
      },
      (b) => {
        b.moves = 'item_id';
      },
      (b) => {
        (b.moves as Array<Record<string, unknown>>)[0].gainMs = NaN;
      },
      (b) => {
        (b.moves as Array<Record<string, unknown>>)[0].required = 'no';
      },
      (b) => {
        (b.moves as Array<Record<string, unknown>>)[1].to = 2;
      },
      (b) => {
        (b.moves as Array<Record<string, unknown>>)[0].range = { start: { line: -1, character: 0 }, end: { line: 0, character: 0 } };
      },
      (b) => {
        b.tooFewMoves = 1;
      },
      (b) => {
        b.fullMaxMs = Infinity;
      },
      (b) => {
        delete b.side;
      },
      (b) => {
        (b.side as Record<string, unknown>).maxMs = '3';
      },
    ];
    for (const [i, spoil] of cases.entries()) {
      const r = withMoveBudget(sampleBalance()) as unknown as { moveBudget: Record<string, unknown> };
      spoil(r.moveBudget);
      assert.equal(isBalanceResult(r), false, `case ${i}`);
    }
  });
});

describe('movesView', () => {
  it('is absent without a move budget', () => {
    assert.equal(movesView(sampleBalance()), undefined);
  });

  it('lists the moves biggest gain first, the together moves last, and sums the change', () => {
    const r = withMoveBudget(sampleBalance());
    const v = movesView(r)!;
    assert.equal(v.title, 'Replan (\u2264 3 moves)');
    assert.deepEqual(
      v.rows.map((x) => [x.table, x.from, x.to, x.gain]),
      [
        ['item_id', '0', '1', '2.100'],
        ['cat_3', '3', '2', '0.400'],
        ['huge', '3', '{column: [3, 1]}', 'together'],
      ],
    );
    assert.ok(Number.isNaN(v.rows[2].gainMs));
    assert.equal(v.canApply, true);
    const mb = r.moveBudget!;
    assert.match(
      v.summary,
      new RegExp(
        `^Step ${formatMs(r.current!.maxMs)} \u2192 ${formatMs(mb.side.maxMs)} \\(\u2212\\d+%\\) with 3 moves\\. The full plan: ${formatMs(mb.fullMaxMs)} with 4 moves\\.$`,
      ),
    );
  });

  it('puts required moves first and says when the budget is too small or buys nothing', () => {
    const r = withMoveBudget(sampleBalance());
    r.moveBudget!.moves.push({ table: 'new_table', to: '2', required: true });
    r.moveBudget!.requiredMoves = 1;
    const v = movesView(r)!;
    assert.deepEqual(v.rows[0], { table: 'new_table', from: '(none)', to: '2', gain: 'required', gainMs: NaN, required: true });
    assert.match(v.summary, /with 4 moves \(1 required for feasibility\)/);

    const few = withMoveBudget(sampleBalance());
    Object.assign(few.moveBudget!, { tooFewMoves: true, requiredMoves: 5, moves: [] });
    const f = movesView(few)!;
    assert.equal(f.canApply, false);
    assert.match(f.summary, /needs 5 moves just to become feasible, more than 3/);

    const none = withMoveBudget(sampleBalance());
    none.moveBudget!.moves = [];
    const n = movesView(none)!;
    assert.equal(n.canApply, false);
    assert.match(n.summary, /^No move of at most 3 tables lowers the step\./);
  });

  it('an infeasible move-budget plan cannot be applied from the panel and says why', () => {
    const r = withMoveBudget(sampleBalance());
    r.moveBudget!.side.feasible = false;
    r.moveBudget!.side.reasons = ['GPU 1 is over memory'];
    const v = movesView(r)!;
    assert.equal(v.canApply, false);
    assert.match(v.summary, /Not feasible: GPU 1 is over memory\.$/);
  });
});
