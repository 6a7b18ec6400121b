import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findTableLine, rangesForTables, tablesOnGpu } from '../../../extension/src/tableRanges';
import { sampleBalance } from '../webview/fixtures';

const TEXT = ['version: 1', 'tables:', '  - name: user_id', '    rows: 10', '  -   name: "cat_2"   # quoted', '  - name: cat_20', '  - name: a.b', ''].join('\n');

describe('table ranges for reveal', () => {
  it('lists the tables on a GPU of either placement', () => {
    const r = sampleBalance();
    assert.deepEqual(tablesOnGpu(r, 'current', 0), ['user_id', 'item_id']);
    assert.deepEqual(tablesOnGpu(r, 'proposed', 2), ['cat_2', 'cat_3']);
    assert.deepEqual(tablesOnGpu(r, 'proposed', 9), []);
  });

  it('finds a `- name:` line, quoted or not, without matching a longer name', () => {
    assert.deepEqual(findTableLine(TEXT, 'user_id'), { start: { line: 2, character: 0 }, end: { line: 2, character: 17 } });
    assert.equal(findTableLine(TEXT, 'cat_2')?.start.line, 4);
    assert.equal(findTableLine(TEXT, 'cat_20')?.start.line, 5);
    assert.equal(findTableLine(TEXT, 'a.b')?.start.line, 6);
    assert.equal(findTableLine(TEXT, 'a_b'), undefined, 'the dot is literal');
    assert.equal(findTableLine(TEXT, 'rows'), undefined);
  });

  it('prefers the server ranges, falls back to the text, sorts and drops duplicates', () => {
    const r = sampleBalance();
    const ranges = rangesForTables(['cat_2', 'item_id', 'user_id', 'user_id', 'missing'], r.locations, TEXT);
    assert.deepEqual(
      ranges.map((x) => x.start.line),
      [4, 9, 14],
    );
  });
});
