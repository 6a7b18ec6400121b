/**
 * Writing placements: the rendered section, and the edit that replaces only
 * that section (or appends one) so every other byte survives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadConfig } from '../../../server/src/config/load';
import { placementEdit, renderName, renderPlacement } from '../../../server/src/config/placementText';
import type { TextEdit } from '../../../server/src/config/diagnostics';
import type { Placement, PlacementEntry } from '../../../server/src/config/types';

const noFiles = { readFile: () => undefined };

function apply(text: string, e: TextEdit): string {
  const lines = text.split('\n');
  const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((s, l) => s + l.length + 1, 0) + p.character;
  return text.slice(0, offset(e.range.start)) + e.newText + text.slice(offset(e.range.end));
}

const HEAD = `# my model  (comments and   odd spacing must survive)
version: 1
batch_size:    2048   # global
devices: {type: H100-80GB, count: 4}   # flow style
tables:
  - {name: a, rows: 1000, dim: 16, pooling: 1}   # one
  - name: "b c"
    rows: 2000
    dim: 32
    pooling: 3
  - {name: yes, rows: 10, dim: 8, pooling: 1}
`;
const TAIL = `
# trailing notes
`;

test('renderPlacement: order of tables, flow entries, quoting', () => {
  const p: Placement = new Map<string, PlacementEntry>([
    ['yes', { kind: 'table', gpu: 2 }],
    ['a', { kind: 'column', gpus: [0, 1] }],
    ['b c', { kind: 'row', gpus: [0, 1, 2] }],
  ]);
  assert.equal(renderPlacement(p, ['a', 'b c', 'yes']), 'placement:\n  a: {column: [0, 1]}\n  "b c": {row: [0, 1, 2]}\n  "yes": 2\n');
  assert.equal(renderPlacement(new Map(), []), 'placement: {}\n');
  assert.equal(renderName('user_id'), 'user_id');
  assert.equal(renderName('1abc'), '"1abc"');
  assert.equal(renderName('a: b'), '"a: b"');
  assert.equal(renderName('null'), '"null"');
});

const PLACED: Placement = new Map<string, PlacementEntry>([
  ['a', { kind: 'table', gpu: 3 }],
  ['b c', { kind: 'column', gpus: [0, 1] }],
  ['yes', { kind: 'row', gpus: [0, 1, 2, 3] }],
]);

test('replacing an existing section keeps every other byte', () => {
  const text = `${HEAD}placement:   # old
  a: 0
  "b c": 1   # hand-placed
  yes: 2  # end of section${TAIL}`;
  const before = loadConfig('/w/x.shard.yaml', text, noFiles);
  assert.deepEqual(before.diagnostics, []);
  const { file, edit } = placementEdit(before, PLACED);
  assert.equal(file, '/w/x.shard.yaml');
  const next = apply(text, edit);
  assert.ok(next.startsWith(HEAD), 'text before the section unchanged');
  assert.ok(next.endsWith(TAIL), 'text after the section unchanged');
  const after = loadConfig('/w/x.shard.yaml', next, noFiles);
  assert.deepEqual(after.diagnostics, []);
  assert.deepEqual(after.config!.placement, PLACED);
  // Idempotent: writing the same placement again changes nothing.
  assert.equal(apply(next, placementEdit(after, PLACED).edit), next);
});

test('appending a section when there is none', () => {
  for (const text of [HEAD, HEAD.trimEnd()]) {
    const before = loadConfig('/w/x.shard.yaml', text, noFiles);
    const next = apply(text, placementEdit(before, PLACED).edit);
    assert.ok(next.startsWith(text));
    const after = loadConfig('/w/x.shard.yaml', next, noFiles);
    assert.deepEqual(after.diagnostics, []);
    assert.deepEqual(after.config!.placement, PLACED);
  }
});

test('JSON-style documents get a JSON-style section', () => {
  const doc = {
    version: 1,
    batch_size: 8,
    devices: { type: 'H100-80GB', count: 4 },
    tables: [
      { name: 'a', rows: 10, dim: 8, pooling: 1 },
      { name: 'b c', rows: 10, dim: 8, pooling: 1 },
      { name: 'yes', rows: 10, dim: 8, pooling: 1 },
    ],
  };
  const text = JSON.stringify(doc, null, 2);
  const next = apply(text, placementEdit(loadConfig('/w/x.json', text, noFiles), PLACED).edit);
  const parsed = JSON.parse(next);
  assert.deepEqual(parsed.placement, { a: 3, 'b c': { column: [0, 1] }, yes: { row: 'all' } });
  const again = apply(next, placementEdit(loadConfig('/w/x.json', next, noFiles), new Map([['a', { kind: 'table', gpu: 0 }]])).edit);
  assert.deepEqual(JSON.parse(again).placement, { a: 0 });
});

test('property: load → edit → load round-trips any placement and keeps the rest byte for byte', () => {
  const names = ['a', 'b c', 'yes'];
  const entry = fc.oneof(
    fc.integer({ min: 0, max: 3 }).map((gpu): PlacementEntry => ({ kind: 'table', gpu })),
    fc.constantFrom<PlacementEntry>(
      { kind: 'row', gpus: [0, 1] },
      { kind: 'row', gpus: [3, 2, 1] },
      { kind: 'row', gpus: [0, 1, 2, 3] },
      { kind: 'data_parallel' },
      { kind: 'column', gpus: [2, 0] },
      { kind: 'table_row', host: 0 },
      { kind: 'table_column', gpus: [1, 3] },
      { kind: 'grid', hosts: [0] },
    ),
  );
  fc.assert(
    fc.property(fc.tuple(entry, entry, entry), fc.boolean(), (entries, hasSection) => {
      const p: Placement = new Map(names.map((n, i) => [n, entries[i]]));
      const text = hasSection ? `${HEAD}placement:\n  a: 1\n  "b c": 1\n  yes: 1\n${TAIL}` : HEAD + TAIL;
      const next = apply(text, placementEdit(loadConfig('/w/x.shard.yaml', text, noFiles), p).edit);
      if (hasSection) {
        assert.ok(next.startsWith(HEAD));
        assert.ok(next.endsWith(TAIL));
      } else {
        assert.ok(next.startsWith(HEAD + TAIL), 'a new section goes after everything');
      }
      const after = loadConfig('/w/x.shard.yaml', next, noFiles);
      assert.deepEqual(
        after.diagnostics.filter((d) => d.severity === 'error'),
        [],
      );
      assert.deepEqual(after.config!.placement, p);
    }),
    { numRuns: 100 },
  );
});

test('CRLF files keep CRLF in the rewritten section and in the unplaced-table fix', () => {
  const text = `${HEAD}placement:\n  a: 0\n  "b c": 1\n${TAIL}`.replace(/\n/g, '\r\n');
  const before = loadConfig('/w/x.shard.yaml', text, noFiles);
  const unplaced = before.diagnostics.find((d) => d.code === 'SL043')!;
  assert.match(unplaced.fixes![0].edits[0].newText, /^\r\n {2}"yes": \d$/);
  const { edit } = placementEdit(before, PLACED);
  const next = text.slice(0, text.indexOf('placement:')) + edit.newText + text.slice(text.indexOf('\r\n\r\n# trailing'));
  assert.ok(!/[^\r]\n/.test(edit.newText), 'no bare LF in the new section');
  assert.deepEqual(loadConfig('/w/x.shard.yaml', next, noFiles).config!.placement, PLACED);
});
