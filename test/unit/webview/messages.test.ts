import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isBalanceResult, isFromWebview, isToWebview } from '../../../webview/src/messages';
import { sampleBalance, withUncertainty } from './fixtures';

describe('webview messages: isToWebview', () => {
  it('accepts each valid message shape', () => {
    assert.equal(isToWebview({ type: 'balance', fileName: 'a.shard.yaml', result: sampleBalance() }), true);
    assert.equal(isToWebview({ type: 'loading', fileName: 'a.shard.yaml' }), true);
    assert.equal(isToWebview({ type: 'problem', message: 'server not running' }), true);
  });

  it('accepts a balance without sides (config with errors)', () => {
    const r = sampleBalance();
    delete r.current;
    delete r.proposed;
    r.errors = 3;
    assert.equal(isToWebview({ type: 'balance', fileName: 'a', result: r }), true);
  });

  it('rejects unknown types, non-objects and missing fields', () => {
    for (const bad of [
      null,
      undefined,
      42,
      'balance',
      [],
      {},
      { type: 'nope' },
      { type: 'loading' },
      { type: 'problem', message: 3 },
      { type: 'balance', fileName: 'a' },
      { type: 'reveal', side: 'current', gpu: 0 },
    ]) {
      assert.equal(isToWebview(bad), false, JSON.stringify(bad));
    }
  });

  it('rejects a balance whose numbers are not finite or whose rows are malformed', () => {
    const nan = sampleBalance();
    nan.current!.gpus[1].fwdMs = NaN;
    assert.equal(isBalanceResult(nan), false);
    const str = sampleBalance() as unknown as { proposed: { gpus: Array<Record<string, unknown>> } };
    str.proposed.gpus[0].totalMs = '12';
    assert.equal(isBalanceResult(str), false);
    const neg = sampleBalance();
    neg.current!.gpus[0].gpu = -1;
    assert.equal(isBalanceResult(neg), false);
    const tables = sampleBalance() as unknown as { current: { gpus: Array<Record<string, unknown>> } };
    tables.current.gpus[0].tables = ['a', 1];
    assert.equal(isBalanceResult(tables), false);
    const loc = sampleBalance() as unknown as { locations: Record<string, unknown> };
    loc.locations.user_id = { item: { start: { line: 'x', character: 0 }, end: { line: 1, character: 0 } } };
    assert.equal(isBalanceResult(loc), false);
  });

  it('accepts per-kernel cost models and rejects malformed ones', () => {
    const ok = { ...sampleBalance(), costModels: [{ kernel: 'fbgemm_tbe', model: 'fbgemm-tbe analytic: H100-80GB', source: 'analytic', notes: [] }] };
    assert.equal(isBalanceResult(ok), true);
    for (const bad of [{}, [{ kernel: 'fbgemm_tbe', model: 'm', source: 'guess', notes: [] }], [{ kernel: 'k', model: 'm', source: 'learned', notes: [3] }]]) {
      assert.equal(isBalanceResult({ ...sampleBalance(), costModels: bad }), false, JSON.stringify(bad));
    }
  });

  it("accepts the model's ± when it is a finite non-negative number, rejects it otherwise", () => {
    assert.equal(isBalanceResult(withUncertainty(sampleBalance(), 0.1)), true);
    for (const bad of [-1, NaN, Infinity, '1']) {
      const row = withUncertainty(sampleBalance(), 0.1) as unknown as { current: { gpus: Array<Record<string, unknown>> } };
      row.current.gpus[2].uncertaintyMs = bad;
      assert.equal(isBalanceResult(row), false, `row ± ${String(bad)}`);
      const side = withUncertainty(sampleBalance(), 0.1) as unknown as { proposed: Record<string, unknown> };
      side.proposed.maxUncertaintyMs = bad;
      assert.equal(isBalanceResult(side), false, `side ± ${String(bad)}`);
    }
  });
});

describe('webview messages: plan notes', () => {
  it('accepts a side with notes (strings), rejects malformed ones', () => {
    const ok = sampleBalance();
    ok.proposed!.notes = ['stopped at the time budget after 9.10 s in local search (budget 10.0 s): this is the best plan found by then'];
    assert.equal(isBalanceResult(ok), true);
    for (const bad of ['a note', [3], [null]]) {
      const r = sampleBalance() as unknown as { proposed: Record<string, unknown> };
      r.proposed.notes = bad;
      assert.equal(isBalanceResult(r), false, JSON.stringify(bad));
    }
  });
});

describe('webview messages: isFromWebview', () => {
  it('accepts ready, replan and reveal with a GPU index', () => {
    assert.equal(isFromWebview({ type: 'ready' }), true);
    assert.equal(isFromWebview({ type: 'replan' }), true);
    assert.equal(isFromWebview({ type: 'reveal', side: 'current', gpu: 0 }), true);
    assert.equal(isFromWebview({ type: 'reveal', side: 'proposed', gpu: 63 }), true);
  });

  it('rejects reveal with a bad side or GPU, and anything unknown', () => {
    for (const bad of [
      { type: 'reveal', side: 'other', gpu: 0 },
      { type: 'reveal', side: 'current', gpu: -1 },
      { type: 'reveal', side: 'current', gpu: 1.5 },
      { type: 'reveal', side: 'current', gpu: '1' },
      { type: 'reveal', side: 'current' },
      { type: 'balance' },
      { command: 'ready' },
      null,
      'ready',
    ]) {
      assert.equal(isFromWebview(bad), false, JSON.stringify(bad));
    }
  });
});
