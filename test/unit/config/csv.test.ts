/**
 * The RFC 4180 reader behind `shardlens import`: quoted separators, quotes
 * and line breaks, every record-end style, BOM, the line each record starts
 * on, and malformed quoting reported rather than guessed; a property test
 * writes random tables as CSV and reads them back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { detectSeparator, parseCsv } from '../../../server/src/config/csv';

test('quoted fields hold commas, quotes and line breaks; records keep their first line', () => {
  const text = 'name,rows\n"a, b",1\n"say ""hi""",2\n"two\nlines",3\nplain,4\n';
  const r = parseCsv(text);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(
    r.records.map((x) => [x.line, x.fields]),
    [
      [1, ['name', 'rows']],
      [2, ['a, b', '1']],
      [3, ['say "hi"', '2']],
      [4, ['two\nlines', '3']],
      [6, ['plain', '4']],
    ],
  );
});

test('CRLF, lone CR and LF record ends; BOM; blank and # comment lines; a trailing separator', () => {
  const r = parseCsv('\uFEFFa,b\r\n1,2\r3,4\n\n# note\n5,\n"#x",6');
  assert.deepEqual(r.problems, []);
  assert.deepEqual(
    r.records.map((x) => [x.line, x.fields]),
    [
      [1, ['a', 'b']],
      [2, ['1', '2']],
      [3, ['3', '4']],
      [6, ['5', '']],
      [7, ['#x', '6']],
    ],
  );
  assert.deepEqual(r.records[4].quoted, [true, false], 'a quoted "#x" is a value, not a comment');
});

test('tab-separated files are detected from the header', () => {
  assert.equal(detectSeparator('name\trows\nx\t1\n'), '\t');
  assert.equal(detectSeparator('name,rows\tx\n'), ',');
  assert.equal(detectSeparator('"a\tb",c\n'), ',', 'a tab inside quotes does not count');
  assert.deepEqual(parseCsv('name\trows\n"x, y"\t1\n').records[1].fields, ['x, y', '1']);
});

test('malformed quoting is reported on its line, and later records keep their lines', () => {
  const r = parseCsv('a,b\n"x"y,1\nz "q",2\nok,3\n"never closed,4\n');
  assert.deepEqual(
    r.problems.map((p) => p.line),
    [2, 3, 5],
  );
  assert.match(r.problems[0].message, /text after a closing quote/);
  assert.match(r.problems[1].message, /a quote inside an unquoted field/);
  assert.match(r.problems[2].message, /never closed/);
  assert.deepEqual(r.records.find((x) => x.fields[0] === 'ok')?.line, 4);
});

test('property: any table of strings written as RFC 4180 CSV reads back the same', () => {
  const cell = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r\n', ' ', '#', 'é', '\t', '1'), maxLength: 8 });
  fc.assert(
    fc.property(fc.array(fc.array(cell, { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 6 }), fc.constantFrom('\n', '\r\n'), (rows, eol) => {
      const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
      const text = rows.map((r) => r.map(quote).join(',')).join(eol) + eol;
      const back = parseCsv(text, ',');
      assert.deepEqual(back.problems, []);
      assert.deepEqual(
        back.records.map((x) => x.fields),
        rows.map((r) => r.map((c) => c.replace(/\r\n/g, '\n'))),
      );
    }),
    { numRuns: 300 },
  );
});
