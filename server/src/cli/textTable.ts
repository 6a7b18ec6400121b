/**
 * Plain-text tables and colour for terminal output. Colour only on a TTY and
 * never when NO_COLOR is set (https://no-color.org).
 */

export interface Column {
  header: string;
  /** Right-align (numbers) or left-align (names). */
  align: 'left' | 'right';
}

const ANSI = /\x1b\[[0-9;]*m/g;

function visibleLength(s: string): number {
  return s.replace(ANSI, '').length;
}

function pad(s: string, width: number, align: Column['align']): string {
  const fill = ' '.repeat(Math.max(0, width - visibleLength(s)));
  return align === 'right' ? fill + s : s + fill;
}

/** Renders header, a rule, and rows; columns separated by two spaces. */
export function renderTable(columns: Column[], rows: string[][], indent = '  '): string {
  const widths = columns.map((c, i) => Math.max(visibleLength(c.header), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: string[]) => indent + cells.map((c, i) => pad(c, widths[i], columns[i].align)).join('  ').trimEnd();
  const rule = (indent + widths.map((w, i) => (columns[i].header ? '\u2500' : ' ').repeat(w)).join('  ')).trimEnd();
  return [line(columns.map((c) => c.header)), rule, ...rows.map(line)].join('\n');
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
