/**
 * The one column-aligned table renderer (CLI tables and benchmarks): widths
 * from the widest cell, alignment per column, colour codes not counted, and
 * the Markdown form with its alignment row.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { colours, columnsOf, renderMarkdownTable, renderTable } from '../../../server/src/cli/textTable';

test('plain: names left, numbers right, two spaces between columns, a rule under the header', () => {
  const out = renderTable(columnsOf(['name', 'ms']), [
    ['a', '1.5'],
    ['longer', '12.25'],
  ]);
  assert.equal(out, ['  name       ms', '  \u2500\u2500\u2500\u2500\u2500\u2500  \u2500\u2500\u2500\u2500\u2500', '  a         1.5', '  longer  12.25'].join('\n'));
});

test('colour codes do not count towards a width; missing cells are blank; trailing blanks trimmed', () => {
  const c = colours(true);
  const out = renderTable(columnsOf(['x', 'note'], 2), [[c.red('ab'), ''], ['abc']], '');
  const lines = out.split('\n');
  assert.equal(lines[2], `${c.red('ab')}`, 'the empty last cell leaves no trailing spaces');
  assert.equal(lines[3], 'abc');
  assert.equal(lines[0], 'x    note', 'width 3 from "abc", not from the escape codes of the red "ab"');
});

test("markdown: the benches' format, with | escaped", () => {
  const out = renderMarkdownTable(columnsOf(['model', 'kernel', 'MAPE'], 2), [
    ['learned', 'tbe', '9.1%'],
    ['a|b', 'x', '10.0%'],
  ]);
  assert.equal(out, ['| model   | kernel |  MAPE |', '|:--------|:-------|------:|', '| learned | tbe    |  9.1% |', '| a\\|b    | x      | 10.0% |'].join('\n'));
});
