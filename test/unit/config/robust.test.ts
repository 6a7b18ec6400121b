/**
 * Bad input never throws out of loadConfig, and every diagnostic range lies
 * inside its document: mutated examples (lines deleted, duplicated, retyped,
 * characters inserted) and arbitrary strings.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { loadConfig } from '../../../server/src/config/load';
import type { LoadedConfig } from '../../../server/src/config/loaded';

const base = readFileSync(path.resolve(__dirname, '../../../examples/criteo-26.shard.yaml'), 'utf8');
const lines = base.split('\n');

function checkRanges(text: string, r: LoadedConfig): void {
  const docLines = text.split('\n');
  for (const d of r.diagnostics) {
    for (const p of [d.range.start, d.range.end]) {
      assert.ok(p.line >= 0 && p.line < docLines.length, `${d.code} line ${p.line} in ${docLines.length} lines`);
      assert.ok(p.character >= 0 && p.character <= docLines[p.line].length, `${d.code} character ${p.character}`);
    }
    assert.ok(d.range.start.line < d.range.end.line || (d.range.start.line === d.range.end.line && d.range.start.character <= d.range.end.character), 'start ≤ end');
  }
}

const TOKENS = [
  '',
  ':',
  '- ',
  '{',
  '}',
  '[',
  ']',
  '"',
  "'",
  '#',
  '&a ',
  '*a',
  '!!str ',
  '|',
  '\t',
  'NaN',
  '.inf',
  '-1',
  '1e400',
  '\u00e9\u{1F600}',
  '\r\n',
  '  ',
  'placement:',
  'devices: ./x.yaml',
  '<<: *a',
];

test('property: mutated examples never throw and keep ranges inside the document', () => {
  const mutation = fc.record({
    line: fc.nat(lines.length - 1),
    kind: fc.constantFrom('delete', 'duplicate', 'insert', 'replace'),
    at: fc.nat(60),
    token: fc.constantFrom(...TOKENS),
  });
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
      const ls = [...lines];
      for (const m of ms) {
        const i = m.line % ls.length;
        if (m.kind === 'delete') ls.splice(i, 1);
        else if (m.kind === 'duplicate') ls.splice(i, 0, ls[i]);
        else if (m.kind === 'insert') ls[i] = ls[i].slice(0, m.at) + m.token + ls[i].slice(m.at);
        else ls[i] = ls[i].replace(/: [^,}\n]+/, `: ${m.token}`);
      }
      const text = ls.join('\n');
      const r = loadConfig('/w/m.shard.yaml', text, { readFile: () => undefined });
      checkRanges(text, r);
    }),
    { numRuns: 300 },
  );
});

test('property: arbitrary strings never throw', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (text) => {
      checkRanges(text, loadConfig('/w/m.shard.yaml', text, { readFile: () => undefined }));
    }),
    { numRuns: 300 },
  );
});
