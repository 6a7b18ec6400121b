import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changedEntries, movesLens, placementEntries, planFailureLens, replanLens, splitPlacement } from '../../e2e/lib/placement.mjs';

const DOC = ['version: 1', 'tables:', '  - {name: a, rows: 10, dim: 4}', 'placement:', '  a: 0', '  # a comment inside', '', '  b: {column: [0, 1]}', 'notes: after'].join('\n');

test('splitPlacement takes the placement section up to the next top-level key', () => {
  const { placement, rest } = splitPlacement(DOC);
  assert.equal(placement, 'placement:\n  a: 0\n  # a comment inside\n\n  b: {column: [0, 1]}');
  assert.equal(rest, 'version: 1\ntables:\n  - {name: a, rows: 10, dim: 4}\nnotes: after');
});

test('splitPlacement of a document without placement keeps everything as rest', () => {
  assert.deepEqual(splitPlacement('version: 1\n'), { placement: '', rest: 'version: 1' });
});

test('a changed placement leaves rest equal, a changed table does not', () => {
  const replanned = DOC.replace('  a: 0', '  a: 1');
  assert.equal(splitPlacement(replanned).rest, splitPlacement(DOC).rest);
  assert.notEqual(splitPlacement(replanned).placement, splitPlacement(DOC).placement);
  const edited = DOC.replace('rows: 10', 'rows: 11');
  assert.notEqual(splitPlacement(edited).rest, splitPlacement(DOC).rest);
});

test('replanLens reads both steps of the top lens, with thousands separators', () => {
  const l = replanLens(['≈ 0.45 ms · 188 KiB · GPU 0', 'Replan — step 3.51 ms → 2.48 ms (−29%) [best] | Show GPU balance']);
  assert.deepEqual(l && [l.before, l.after], [3.51, 2.48]);
  const big = replanLens(['Replan — step 1,234 ms → 999 ms [best]']);
  assert.deepEqual(big && [big.before, big.after], [1234, 999]);
  assert.equal(replanLens(['Replan — step 3.51 ms → … [best] (planning)']), undefined);
  // With the model's error: a gain beyond it, and one within it.
  const pm = replanLens(['Replan — step 3.51 ms → 2.48 ms (−29%, ±0.40 ms) [best]']);
  assert.deepEqual(pm && [pm.before, pm.after], [3.51, 2.48]);
  const within = replanLens(['Replan — step 3.51 ms → 3.40 ms (within model error ±0.60 ms) [best]']);
  assert.deepEqual(within && [within.before, within.after], [3.51, 3.4]);
});

test('planFailureLens recognises a top lens that cannot plan', () => {
  assert.match(planFailureLens(['Replan [best] — cannot plan: planning failed: x']) ?? '', /cannot plan/);
  assert.equal(planFailureLens(['Replan — step 3.51 ms → 2.48 ms [best]']), undefined);
});

test('replanLens skips the move-budget lens; movesLens reads it', () => {
  const line = 'Replan — step 0.42 ms → … [best] (planning) | Replan ≤ 2 moves — step 0.42 ms → 0.38 ms (−10%, 2 moves) | Show GPU balance';
  assert.equal(replanLens([line]), undefined);
  assert.deepEqual(movesLens([line]), { title: 'Replan ≤ 2 moves — step 0.42 ms → 0.38 ms (−10%, 2 moves)', maxMoves: 2, before: 0.42, after: 0.38, moves: 2 });
  const within = movesLens(['Replan ≤ 1 move — step 1,234 ms → 1,200 ms (within model error ±40.0 ms, 1 move)']);
  assert.deepEqual(within && [within.maxMoves, within.before, within.after, within.moves], [1, 1234, 1200, 1]);
  assert.equal(movesLens(['Replan ≤ 10 moves — no move lowers the step (0.37 ms)']), undefined);
  assert.equal(movesLens(['Replan ≤ 10 moves — step 0.42 ms → … (planning)']), undefined);
});

test('placementEntries and changedEntries count entries as written', () => {
  const a = placementEntries(DOC);
  assert.deepEqual(
    [...a],
    [
      ['a', '0'],
      ['b', '{column:[0,1]}'],
    ],
  );
  const b = placementEntries(DOC.replace('  a: 0', '  a: 1').replace('{column: [0, 1]}', '{column: [0,1]}'));
  assert.deepEqual(changedEntries(a, b), ['a']);
  assert.deepEqual(changedEntries(a, new Map([['a', '0']])), ['b']);
});
