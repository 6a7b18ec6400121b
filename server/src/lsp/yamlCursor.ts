/**
 * Where the cursor is in a `*.shard.yaml` document, read from the lines around
 * it rather than from a parse tree: completion runs while the user is typing,
 * when the YAML is often incomplete or invalid, and must still know it is in
 * `devices:` or in a `tables:` item.
 *
 * `section` is the chain of parent keys, with '[]' for "inside a list item":
 *   []                   top level
 *   ['devices']          the devices mapping
 *   ['tables', '[]']     a table entry
 *   ['placement']        the placement mapping (keys are table names)
 */
import type { Position, Range } from '../config/types';

export interface LineShape {
  /** Column of "- " when the line starts a list item, else -1. */
  dashCol: number;
  /** Column where the key (or the scalar) starts. */
  keyCol: number;
  /** The key, unquoted, when the line has `key:`. */
  key?: string;
  /** Columns of the key text. */
  keyStart: number;
  keyEnd: number;
  /** Column where the value starts (after `key: `), when there is a key. */
  valueCol?: number;
  /** Value text (trimmed, comment removed), possibly empty. */
  value: string;
  blank: boolean;
}

const KEY_RE = /^("([^"]*)"|'([^']*)'|[^\s:#'"\-[{][^:#]*?|-[^\s:#][^:#]*?)\s*:(?=\s|$)/;

export function lineShape(line: string): LineShape {
  const indent = line.length - line.trimStart().length;
  let col = indent;
  let dashCol = -1;
  const dash = /^-(\s+|$)/.exec(line.slice(col));
  if (dash) {
    dashCol = col;
    col += dash[0].length;
  }
  const rest = line.slice(col);
  const blank = rest.trim() === '' || rest.trimStart().startsWith('#');
  const shape: LineShape = { dashCol, keyCol: col, keyStart: col, keyEnd: col, value: '', blank };
  const m = KEY_RE.exec(rest);
  if (m) {
    shape.key = m[2] ?? m[3] ?? m[1].trim();
    shape.keyEnd = col + m[1].length;
    let v = col + m[0].length;
    while (v < line.length && line[v] === ' ') v++;
    shape.valueCol = v;
    shape.value = stripComment(line.slice(v)).trim();
  } else {
    shape.value = stripComment(rest).trim();
  }
  return shape;
}

function stripComment(s: string): string {
  const i = s.search(/(^|\s)#/);
  return i < 0 ? s : s.slice(0, i);
}

export interface CursorContext {
  section: string[];
  /** On a key position (start of a mapping entry) or after `key: ` (a value). */
  kind: 'key' | 'value';
  /** The key of the cursor's line, when it has one. */
  key?: string;
  /** The line's value text (value contexts). */
  value: string;
  /** The word at the cursor and its range (what a completion replaces, what hover explains). */
  word: string;
  wordRange: Range;
  /** Whether the cursor is on the key text itself (hover on a key). */
  onKey: boolean;
}

const WORD = /[A-Za-z0-9_.-]/;

function wordAt(line: string, character: number): { word: string; start: number; end: number } {
  let start = Math.min(character, line.length);
  let end = start;
  while (start > 0 && WORD.test(line[start - 1])) start--;
  while (end < line.length && WORD.test(line[end])) end++;
  return { word: line.slice(start, end), start, end };
}

/** Parent keys of the line at `lineNo` whose own container column is `limit`. */
function parents(lines: string[], lineNo: number, limit: number, inItem: boolean): string[] {
  const section: string[] = inItem ? ['[]'] : [];
  for (let i = lineNo - 1; i >= 0 && limit > 0; i--) {
    const s = lineShape(lines[i]);
    if (s.blank && s.dashCol < 0) continue;
    if (s.dashCol >= 0) {
      // An item of the same list we are in (or our own item's first line).
      if (s.dashCol < limit && s.keyCol >= limit) {
        if (section[0] !== '[]') section.unshift('[]');
        limit = s.dashCol;
      } else if (s.keyCol < limit && s.key && s.value === '') {
        // `- key:` opening a nested mapping inside an item.
        section.unshift(s.key);
        section.unshift('[]');
        limit = s.dashCol;
      }
      continue;
    }
    if (s.keyCol < limit && s.key) {
      section.unshift(s.key);
      limit = s.keyCol;
    }
  }
  return section;
}

export function cursorContext(text: string, position: Position): CursorContext {
  const lines = text.split(/\r?\n/);
  const line = lines[position.line] ?? '';
  const shape = lineShape(line);
  const ch = Math.min(position.character, line.length);
  const w = wordAt(line, ch);
  const wordRange: Range = { start: { line: position.line, character: w.start }, end: { line: position.line, character: w.end } };

  // Column the line's entry starts at; a blank line counts from the cursor.
  const lineIsBlank = line.trim() === '';
  const inItem = shape.dashCol >= 0 && ch > shape.dashCol;
  const limit = lineIsBlank ? ch : inItem ? shape.dashCol : shape.keyCol;
  const section = parents(lines, position.line, limit, inItem);

  const flow = flowContext(line, ch, shape, section);
  if (flow) return { ...flow, word: w.word, wordRange };

  const afterColon = shape.valueCol !== undefined && ch >= shape.valueCol;
  const onKey = shape.key !== undefined && ch >= shape.keyStart && ch <= shape.keyEnd;
  return {
    section,
    kind: afterColon && !onKey ? 'value' : 'key',
    key: shape.key,
    value: shape.value,
    word: w.word,
    wordRange,
    onKey,
  };
}

/**
 * Inside a flow mapping on the cursor's line (`- {name: C3, rows: 10}` or
 * `item: {column: [0, 1]}`): the entry the cursor is in. Quotes are not
 * tracked; a brace inside a quoted name only makes completion less clever.
 */
function flowContext(line: string, ch: number, shape: LineShape, section: string[]): Omit<CursorContext, 'word' | 'wordRange'> | undefined {
  const open: number[] = [];
  for (let i = 0; i < ch; i++) {
    if (line[i] === '{') open.push(i);
    else if (line[i] === '}') open.pop();
  }
  if (open.length === 0) return undefined;
  const brace = open[open.length - 1];
  // The flow map is the value of this line's key (`devices: {…}`, `item: {…}`), or a list item.
  const inner = shape.key !== undefined && shape.valueCol !== undefined && shape.valueCol <= brace ? [...section, shape.key] : section;
  let depth = 0;
  let segStart = brace + 1;
  for (let i = brace + 1; i < ch; i++) {
    const c = line[i];
    if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) segStart = i + 1;
  }
  let segEnd = line.length;
  depth = 0;
  for (let i = segStart; i < line.length; i++) {
    const c = line[i];
    if (c === '[' || c === '{') depth++;
    else if ((c === ']' || c === '}') && depth-- === 0) {
      segEnd = i;
      break;
    } else if (c === ',' && depth === 0) {
      segEnd = i;
      break;
    }
  }
  const seg = line.slice(segStart, segEnd);
  const m = /^(\s*)("[^"]*"|'[^']*'|[^\s:,{}[\]]+)\s*:(\s+|$)/.exec(seg);
  if (!m) return { section: inner, kind: 'key', value: '', onKey: false };
  const keyStart = segStart + m[1].length;
  const keyEnd = keyStart + m[2].length;
  const key = m[2].replace(/^["']|["']$/g, '');
  const value = seg.slice(m[0].length).trim();
  if (ch >= keyStart && ch <= keyEnd) return { section: inner, kind: 'key', key, value, onKey: true };
  return { section: inner, kind: ch >= segStart + m[0].length ? 'value' : 'key', key, value, onKey: false };
}
