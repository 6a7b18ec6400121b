/**
 * The fast parser must mean exactly what `yaml` means: same values, types,
 * flow/block style and offsets for every node, on the examples and on many
 * variants; and it must hand anything outside its subset back to `yaml`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { isMap, isScalar, isSeq, parseDocument, type Node, type Pair } from 'yaml';
import { parseFast } from '../../../server/src/config/fastYaml';
import { endOffset } from '../../../server/src/config/yamlSource';

function shape(node: unknown): unknown {
  if (node === null || node === undefined) return null;
  const n = node as Node;
  const r = [n.range?.[0], endOffset(n)];
  if (isScalar(n)) return { v: Number.isNaN(n.value) ? 'NaN' : n.value, t: n.type, r: n.value === null ? undefined : r };
  if (isMap(n)) return { m: n.items.map((p: Pair) => [shape(p.key), shape(p.value)]), f: !!n.flow, r };
  if (isSeq(n)) return { s: n.items.map(shape), f: !!n.flow, r };
  return 'other';
}

function same(text: string): void {
  const fast = parseFast(text);
  if (!fast) return; // handed to `yaml`
  const doc = parseDocument(text, { uniqueKeys: false });
  assert.equal(doc.errors.length, 0, `fast path accepted text that yaml rejects:\n${text}`);
  assert.deepEqual(shape(fast.contents), shape(doc.contents), text);
}

const examples = path.resolve(__dirname, '../../../examples');
const files = [
  ...readdirSync(examples)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => path.join(examples, f)),
  path.join(examples, 'split/model.shard.yaml'),
  path.join(examples, 'split/cluster.shard.yaml'),
];

test('examples: the fast parser is used and agrees with yaml node for node', () => {
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    assert.ok(parseFast(text), `${f} stays on the fast path`);
    same(text);
  }
});

test('edge cases agree or fall back', () => {
  const cases = [
    '',
    '# only a comment\n',
    'a: 1',
    'a:\n  - 1\n  - 2\n',
    'a:\n- 1\n- 2\n',
    'a: [1, 2,]\n',
    'a: {}\nb: []\n',
    'a: "x\\"y\\u00e9"\n',
    "a: 'it''s'\n",
    'a: b # c\n',
    'a: b#c\n',
    'a: 0x1F\nb: 0o17\nc: 1e3\nd: -.inf\ne: .nan\nf: ~\ng: True\nh: 012\n',
    'a: 50_000_000\n',
    'a: -5\nb: +3\nc: .5\n',
    '- - 1\n  - 2\n- x\n',
    '- name: a\n  rows: 3\n-\n- b\n',
    'a:\n  b:\n    c: 1\n  d: 2\n',
    '{"a": 1, "b": [1, {"c": null}]}',
    '{\n  "a": 1,\n  "b": [\n    2\n  ]\n}\n',
    'a: [1,\n  2]\n',
    'a: &x 1\nb: *x\n',
    'a: |\n  text\n',
    'a: b\n  c\n',
    'a: b: c\n',
    'a:\tb\n',
    '--- \na: 1\n',
    'a: "unterminated\n',
    'a: [1, 2\n',
    '? a\n: b\n',
    'a: !!str 1\n',
    'key with spaces: value with spaces\n',
    'a: x:y\n',
    'a: {b: x:y}\n',
    'a: 1\n a: 2\n',
    'a: 1\r\nb: 2\r\n',
    '\ufeffa: 1\n',
    '['.repeat(5000) + ']'.repeat(5000),
    // Block indicators inside flow collections are errors (the fast path once accepted them).
    'a: {name: - a, b: 1}\n',
    'a: [- a]\n',
    'a: {b: [c, - d]}\n',
    '- {x: -}\n',
    'a: [-]\n',
    'a: {b: -1, c: -x}\n',
    'a:\r\nb:\r\n- \r\n',
    'a: 1\r\nplacement:\r\n',
  ];
  for (const c of cases) same(c);
  assert.equal(parseFast('a: &x 1\n'), undefined, 'anchors go to yaml');
  // Found by the fuzz campaign: a BOM at a line start before a tag parsed differently from yaml.
  assert.equal(parseFast('# c\n\ufeff!foo version: 1\nb: 2\n'), undefined, 'a BOM inside the text goes to yaml');
  assert.equal(parseFast('a: 1\n\ufeffb: 2\n'), undefined, 'a BOM at a line start goes to yaml');
  for (const f of files) {
    const crlf = readFileSync(f, 'utf8').replace(/\n/g, '\r\n');
    assert.ok(parseFast(crlf), 'CRLF files stay on the fast path');
    same(crlf);
  }
  assert.equal(parseFast('a: [1, 2\n'), undefined, 'errors go to yaml');
});

test("TorchRec's placement forms stay on the fast path and agree with yaml", () => {
  const text =
    [
      'placement:',
      '  a: dp',
      '  b: 3',
      '  c: {row: all}',
      '  d: {row: [0, 1, 2]}',
      '  e: {table_row: {host: 1}}',
      '  f: {table_column: [8, 9]}',
      '  g: {grid: {hosts: [0, 1]}}',
      '  h: {column: [0, 1]}  # note',
      '  i:',
      '    table_row:',
      '      host: 0',
      '  "j k": {"grid": {"hosts": [1]}}',
      '  l: {table: 2}',
    ].join('\n') + '\n';
  assert.ok(parseFast(text), 'common placement forms are parsed by the fast parser');
  same(text);
  same(`{"placement": {"a": "dp", "c": {"row": "all"}, "e": {"table_row": {"host": 1}}, "g": {"grid": {"hosts": [0, 1]}}}}`);
  assert.ok(parseFast(`{"placement": {"a": "dp", "c": {"row": "all"}}}`));
});

test('property: random configs built from the subset take the fast path and agree with yaml', () => {
  const word = fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/);
  const num = fc.oneof(
    fc.integer({ min: -1e6, max: 1e9 }).map(String),
    fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map((d) => String(d)),
    fc.constantFrom('1_000', '.inf', '.nan', '1e5', '0x10', '~', 'null', 'true'),
  );
  const scalar = fc.oneof(
    word,
    num,
    word.map((w) => JSON.stringify(w + ' x')),
    word.map((w) => `'${w}'`),
  );
  const flowMap = fc.array(fc.tuple(word, scalar), { maxLength: 5 }).map((kv) => `{${kv.map(([k, v]) => `${k}: ${v}`).join(', ')}}`);
  const flowSeq = fc.array(scalar, { maxLength: 5 }).map((xs) => `[${xs.join(', ')}]`);
  const value = fc.oneof(scalar, flowMap, flowSeq);
  const comment = fc.constantFrom('', '  # note', ' #x');
  const item = fc.oneof(
    fc.tuple(flowMap, comment).map(([m, c]) => `  - ${m}${c}`),
    fc.array(fc.tuple(word, value), { minLength: 1, maxLength: 4 }).map((kv) => kv.map(([k, v], i) => `${i === 0 ? '  - ' : '    '}${k}: ${v}`).join('\n')),
  );
  const doc = fc
    .tuple(fc.array(fc.tuple(word, value, comment), { maxLength: 5 }), fc.array(item, { maxLength: 6 }), fc.array(fc.tuple(word, value), { maxLength: 5 }))
    .map(
      ([top, items, placed]) =>
        [...top.map(([k, v, c]) => `${k}: ${v}${c}`), 'tables:', ...items, '', '# placement', 'placement:', ...placed.map(([k, v]) => `  ${k}: ${v}`)].join('\n') + '\n',
    );
  // Every generated document is inside the fast subset: if the fast path stopped being taken, `same`
  // would pass vacuously (everything handed to yaml), so require it.
  fc.assert(
    fc.property(doc, (text) => {
      assert.ok(parseFast(text), `the fast parser gave up on a subset document:\n${text}`);
      same(text);
    }),
    { numRuns: 300 },
  );
});
