/**
 * The line-based cursor context used by completion and hover: it must know the
 * section even in half-typed YAML.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cursorContext, lineShape } from '../../../server/src/lsp/yamlCursor';

const TEXT = [
  'version: 1', // 0
  'devices:', // 1
  '  type: H100-80GB', // 2
  '  count: 8', // 3
  'tables:', // 4
  '  - name: user_id', // 5
  '    rows: 10', // 6
  '  - ', // 7
  '    sharding: [table, row]', // 8
  'placement:', // 9
  '  user_id: 3', // 10
  '  ', // 11
  'po', // 12
].join('\n');

const at = (line: number, character: number) => cursorContext(TEXT, { line, character });

describe('cursorContext', () => {
  it('knows the section of keys and values', () => {
    assert.deepEqual(at(2, 10).section, ['devices']);
    assert.equal(at(2, 10).kind, 'value');
    assert.equal(at(2, 10).key, 'type');
    assert.equal(at(2, 10).value, 'H100-80GB');
    assert.deepEqual(at(6, 5).section, ['tables', '[]']);
    assert.equal(at(6, 5).onKey, true);
    assert.deepEqual(at(5, 12).section, ['tables', '[]']);
    assert.equal(at(5, 12).word, 'user_id');
  });
  it('handles a fresh list item and a blank line in placement', () => {
    assert.deepEqual(at(7, 4).section, ['tables', '[]']);
    assert.equal(at(7, 4).kind, 'key');
    assert.deepEqual(at(11, 2).section, ['placement']);
    assert.equal(at(11, 2).kind, 'key');
  });
  it('top level, and a word being typed', () => {
    assert.deepEqual(at(12, 2).section, []);
    assert.equal(at(12, 2).word, 'po');
    assert.deepEqual(at(12, 2).wordRange, { start: { line: 12, character: 0 }, end: { line: 12, character: 2 } });
  });
  it('a word inside a flow list', () => {
    const c = at(8, 22);
    assert.equal(c.key, 'sharding');
    assert.equal(c.word, 'row');
  });
});

describe('lineShape', () => {
  it('reads list markers, keys, values and comments', () => {
    assert.deepEqual({ ...lineShape('  - name: a  # c') }, { dashCol: 2, keyCol: 4, keyStart: 4, keyEnd: 8, key: 'name', valueCol: 10, value: 'a', blank: false });
    assert.equal(lineShape('   # only a comment').blank, true);
    assert.equal(lineShape('"quoted key": 1').key, 'quoted key');
  });
});

describe('cursorContext in flow mappings', () => {
  const LINES = [
    'devices: {type: H100-80GB, count: 2}', // 0
    'tables:', // 1
    '  - {name: C3, rows: 10, sharding: [table, row]}', // 2
    '  - {name: C4, ', // 3
    'placement:', // 4
    '  C3: {column: [0, 1]}', // 5
  ];
  const FLOW = LINES.join('\n');
  /** Cursor just inside `needle` (after its first character) on `line`. */
  const f = (line: number, needle: string, offset = 1) => cursorContext(FLOW, { line, character: LINES[line].indexOf(needle) + offset });
  it('keys and values of a table item', () => {
    const k = f(2, 'name');
    assert.deepEqual([k.section, k.kind, k.key, k.value, k.onKey, k.word], [['tables', '[]'], 'key', 'name', 'C3', true, 'name']);
    const v = f(2, 'C3');
    assert.deepEqual([v.kind, v.key, v.word], ['value', 'name', 'C3']);
    const list = f(2, 'row]');
    assert.deepEqual([list.kind, list.key, list.word], ['value', 'sharding', 'row']);
  });
  it('a flow map as the value of a key', () => {
    const t = f(0, 'H100');
    assert.deepEqual([t.section, t.key, t.kind], [['devices'], 'type', 'value']);
    const c = f(5, 'column');
    assert.deepEqual([c.section, c.onKey, c.key], [['placement', 'C3'], true, 'column']);
  });
  it('a new key being typed after a comma', () => {
    const c = cursorContext(FLOW, { line: 3, character: LINES[3].length });
    assert.deepEqual([c.section, c.kind, c.key], [['tables', '[]'], 'key', undefined]);
  });
});
