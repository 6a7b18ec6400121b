/**
 * Column-aligned tables and colour for terminal output: the one place that
 * pads cells to a column's width, for the CLI's tables and the benchmarks'
 * (plain text with a rule, or GitHub Markdown for results pasted into docs).
 * Widths count visible characters (colour codes excluded). Colour only on a
 * TTY and never when NO_COLOR is set (https://no-color.org).
 */

export interface Column {
  header: string;
  /** Right-align (numbers) or left-align (names). */
  align: 'left' | 'right';
}

// eslint-disable-next-line no-control-regex -- ESC (0x1b) starts the ANSI colour codes this strips: matching it is the point.
const ANSI = /\x1b\[[0-9;]*m/g;

function visibleLength(s: string): number {
  return s.replace(ANSI, '').length;
}

function pad(s: string, width: number, align: Column['align']): string {
  const fill = ' '.repeat(Math.max(0, width - visibleLength(s)));
  return align === 'right' ? fill + s : s + fill;
}

/** Columns from headers: the first `left` aligned left (names), the rest right (numbers). */
export function columnsOf(headers: readonly string[], left = 1): Column[] {
  return headers.map((header, i) => ({ header, align: i < left ? 'left' : 'right' }));
}

/** Each column's width: its widest cell, header included. */
function widthsOf(header: readonly string[], rows: readonly (readonly string[])[]): number[] {
  return header.map((h, i) => rows.reduce((w, r) => Math.max(w, visibleLength(r[i] ?? '')), visibleLength(h)));
}

/** Renders header, a rule, and rows; columns separated by two spaces. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[], indent = '  '): string {
  const widths = widthsOf(
    columns.map((c) => c.header),
    rows,
  );
  const line = (cells: readonly string[]) =>
    indent +
    columns
      .map((c, i) => pad(cells[i] ?? '', widths[i], c.align))
      .join('  ')
      .trimEnd();
  const rule = (indent + widths.map((w, i) => (columns[i].header ? '\u2500' : ' ').repeat(w)).join('  ')).trimEnd();
  return [line(columns.map((c) => c.header)), rule, ...rows.map(line)].join('\n');
}

/**
 * The same as a GitHub Markdown table, padded so it also reads as text:
 * `| a | b |`, then `|:--|--:|` with each column's alignment. A `|` in a cell
 * is escaped.
 */
export function renderMarkdownTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const header = columns.map((c) => esc(c.header));
  const body = rows.map((r) => columns.map((_, i) => esc(r[i] ?? '')));
  const widths = widthsOf(header, body);
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => pad(c, widths[i], columns[i].align)).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (columns[i].align === 'left' ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

export interface Colours {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export function colours(enabled: boolean): Colours {
  const wrap = (code: string) => (s: string) => (enabled ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { red: wrap('31'), yellow: wrap('33'), green: wrap('32'), cyan: wrap('36'), dim: wrap('2'), bold: wrap('1') };
}

export function colourEnabled(stream: NodeJS.WriteStream): boolean {
  return !!stream.isTTY && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
}
