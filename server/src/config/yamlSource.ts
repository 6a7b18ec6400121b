/**
 * One parsed YAML file with its offsets → LSP positions, and the small helpers
 * every section reader uses to locate nodes and report diagnostics on them.
 * YAML 1.2 core schema (so `no`, `on`, `012` stay what they look like); plain
 * numbers with underscores (`50_000_000`) are accepted by the number reader.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import type { Diagnostic, Fix, Severity } from './diagnostics';
import type { Code } from './codes';
import { EXCERPT_CHARS, excerpt } from './excerpt';
import { parseFast } from './fastYaml';
import { firstUnclosedBracket, unclosedMessage } from './yamlBrackets';
import { syntaxMessage } from './yamlErrors';
import type { Range } from './types';

export interface SourceFile {
  file: string;
  text: string;
  /** The document's root node (null when empty). */
  contents: Node | null;
  /** The `yaml` Document, when the slow path parsed it (needed to resolve aliases). */
  doc?: Document.Parsed;
  /**
   * Which parser read it: 'fast' (fastYaml.ts: the common subset, a few ms for
   * 1,000 tables where `yaml` takes ~80 ms) or 'yaml' (everything else, every error).
   * Read by the differential tests, which must know the fast path was taken.
   */
  parsedBy: 'fast' | 'yaml';
  lines: LineCounter;
}

/** Diagnostics collected while loading, in the order found. */
export type Sink = Diagnostic[];

/** SL001 diagnostics kept per file: enough to fix, not a flood (found by fuzzing). */
const MAX_SYNTAX_ERRORS = 100;

export const EMPTY_RANGE: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/**
 * Parse one file; syntax errors become SL001 diagnostics on their exact span.
 * A lone CR is a line break in YAML 1.2 (and for LSP clients) but not for the
 * `yaml` package: it is read as LF, which keeps every offset, so both parsers
 * see the lines the editor shows. `src.text` is that text.
 */
export function parseSource(file: string, text: string, out: Sink): { src: SourceFile; ok: boolean } {
  const t = /\r(?!\n)/.test(text) ? text.replace(/\r(?!\n)/g, '\n') : text;
  const fast = parseFast(t);
  if (fast) {
    const lines = new LineCounter();
    for (const offset of fast.lineStarts) lines.addNewLine(offset);
    return { src: { file, text: t, contents: fast.contents, lines, parsedBy: 'fast' }, ok: true };
  }
  // Line starts counted here, not by yaml's LineCounter: on some syntax errors
  // (a plain scalar running over several lines) it misses line breaks.
  const lines = lspLineCounter(t);
  const doc = parseDocument(t, { uniqueKeys: false, prettyErrors: false, keepSourceTokens: false });
  const src: SourceFile = { file, text: t, contents: (doc.contents as Node | null) ?? null, doc, lines, parsedBy: 'yaml' };
  // An unclosed `[` or `{` is reported where it opens; what yaml reports after
  // it (where it gave up, often the end of the file) is its consequence.
  const bracket = doc.errors.length > 0 ? firstUnclosedBracket(t) : undefined;
  if (bracket) report(out, src, offsetsRange(src, bracket.offset, bracket.offset + 1), 'SL001', `YAML syntax error: ${unclosedMessage(bracket)}.`);
  const consequencesFrom = bracket ? bracket.offset : Infinity;
  // After the first error yaml reports one per remaining token (one stray `(`
  // on line 1 gave ~900): keep the first per line, at most MAX_SYNTAX_ERRORS.
  const linesWithError = new Set<number>(bracket ? [position(src, bracket.offset).line] : []);
  for (const e of doc.errors) {
    if (e.pos[0] >= consequencesFrom) continue;
    const range = offsetsRange(src, e.pos[0], Math.max(e.pos[1], e.pos[0] + 1));
    if (linesWithError.has(range.start.line)) continue;
    if (linesWithError.size >= MAX_SYNTAX_ERRORS) break;
    linesWithError.add(range.start.line);
    report(out, src, range, 'SL001', `YAML syntax error: ${syntaxMessage(e.code, e.message)}.`);
  }
  return { src, ok: doc.errors.length === 0 };
}

/** Line starts as an LSP client counts lines: after \n, \r\n and a lone \r. */
function lspLineCounter(text: string): LineCounter {
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) lines.addNewLine(i + 1);
  }
  return lines;
}

/** Offset → 0-based LSP position (UTF-16 code units, as JS strings count). */
export function position(src: SourceFile, offset: number): { line: number; character: number } {
  const clamped = Math.max(0, Math.min(offset, src.text.length));
  const p = src.lines.linePos(clamped);
  const line = Math.max(0, p.line - 1);
  // An offset inside a line break (the \n of \r\n, or the break itself) is the end of its line for LSP.
  const starts = src.lines.lineStarts;
  const next = starts[line + 1];
  let lineEnd = next === undefined ? src.text.length : next - 1;
  if (next !== undefined && src.text.charCodeAt(next - 1) === 10 && src.text.charCodeAt(next - 2) === 13) lineEnd = next - 2;
  const start = starts[line] ?? 0;
  return { line, character: Math.max(0, Math.min(clamped, lineEnd) - start) };
}

export function offsetsRange(src: SourceFile, start: number, end: number): Range {
  const e = Math.min(Math.max(end, start), src.text.length);
  return { start: position(src, start), end: position(src, e) };
}

/**
 * Where a node's content ends. Block collections report their end after the
 * trailing newline, so take the end of their last item instead.
 */
export function endOffset(node: Node | null | undefined): number | undefined {
  if (!node?.range) return undefined;
  if ((isMap(node) || isSeq(node)) && !node.flow && node.items.length > 0) {
    const last = node.items[node.items.length - 1] as unknown;
    if (isMap(node)) {
      const pair = last as Pair;
      const end = endOffset(pair.value as Node | null) ?? (pair.key as Node | null)?.range?.[1];
      if (end !== undefined) return end;
    } else {
      const end = endOffset(last as Node | null);
      if (end !== undefined) return end;
    }
  }
  return node.range[1];
}

/** The range of a node's value (without trailing comments or newline). */
export function nodeRange(src: SourceFile, node: Node | null | undefined, fallback?: Range): Range {
  const r = node?.range;
  if (!r) return fallback ?? EMPTY_RANGE;
  return offsetsRange(src, r[0], endOffset(node)!);
}

/** From a pair's key to the end of its value. */
export function pairRange(src: SourceFile, pair: Pair): Range {
  const k = (pair.key as Node | null)?.range;
  const v = endOffset(pair.value as Node | null);
  const start = k ? k[0] : ((pair.value as Node | null)?.range?.[0] ?? 0);
  const end = v !== undefined && v > start ? v : k ? k[1] : start;
  return offsetsRange(src, start, end);
}

/** Follow one alias (`*name`) to the node it names; YAML forbids alias cycles. */
export function deref(src: SourceFile, node: unknown): Node | null {
  if (isAlias(node)) return src.doc ? ((node.resolve(src.doc) as Node | undefined) ?? null) : null;
  return (node as Node | null) ?? null;
}

/** Longest message (and fix title) a diagnostic carries, in characters. */
export const MAX_MESSAGE_CHARS = 1_000;
/**
 * A long quoted value: the opening quote follows a space or bracket and the
 * closing one precedes a space, punctuation or the end, so the stretch between
 * two short quoted values (or an apostrophe in "table's") is never taken for one.
 */
const LONG_QUOTE = new RegExp(`(^|[\\s([{,:=])'([^'\\n]{${EXCERPT_CHARS + 1},})'(?=$|[\\s.,;:)\\]}?!])`, 'g');
/** An unquoted run this long is input, not prose (paths in messages are cut at 200 characters already). */
const LONG_RUN = /\S{241,}/g;

/**
 * Input quoted in a message ('name'), or written into it unquoted as one long
 * run, is cut to an excerpt, and the message to MAX_MESSAGE_CHARS: a 5 MB key
 * or table name must not make a 5 MB diagnostic, whichever rule reports it.
 */
export function boundedMessage(message: string): string {
  if (message.length <= EXCERPT_CHARS * 3) return message;
  const cut = message.replace(LONG_QUOTE, (_, before: string, s: string) => `${before}'${excerpt(s)}'`).replace(LONG_RUN, (s) => excerpt(s));
  return cut.length > MAX_MESSAGE_CHARS ? `${cut.slice(0, MAX_MESSAGE_CHARS - 1)}…` : cut;
}

export function report(out: Sink, src: SourceFile | string, range: Range, code: Code, message: string, severity: Severity = 'error', fixes?: Fix[]): void {
  const d: Diagnostic = { file: typeof src === 'string' ? src : src.file, range, severity, code, message: boundedMessage(message) };
  if (fixes && fixes.length > 0) d.fixes = fixes.map((f) => (f.title.length > EXCERPT_CHARS * 3 ? { ...f, title: boundedMessage(f.title) } : f));
  out.push(d);
}

/** Words for a node's type in messages ("a list", "a mapping", "the string 'x'"). */
export function describeNode(node: Node | null): string {
  if (node === null || (isScalar(node) && node.value === null)) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (typeof v === 'string') return `the string ${JSON.stringify(v.length > EXCERPT_CHARS ? `${v.slice(0, EXCERPT_CHARS)}…` : v)}`;
    if (typeof v === 'boolean') return `the boolean ${v}`;
    // As written (`yaml` keeps the source): 9007199254740993 is not echoed as …992.
    const source = (node as { source?: unknown }).source;
    return typeof v === 'number' && typeof source === 'string' && /^[-+.0-9]/.test(source) ? excerpt(source) : `${String(v)}`;
  }
  return 'an unsupported value';
}

/** One key of a mapping. Ranges are computed on first use: most keys never need one. */
export class Entry {
  private range?: Range;
  constructor(
    private readonly src: SourceFile,
    readonly name: string,
    readonly pair: Pair,
    readonly key: Scalar,
    readonly value: Node | null,
  ) {}
  /** Range of the key. */
  get keyRange(): Range {
    return (this.range ??= nodeRange(this.src, this.key));
  }
}

/**
 * The entries of a mapping, first occurrence wins. Reports duplicate keys
 * (SL004) and non-scalar keys (SL005). `<<: *anchor` merges are honoured:
 * merged keys come after explicit ones and never override them.
 */
export function entriesOf(src: SourceFile, map: YAMLMap, out: Sink, where: string): Map<string, Entry> {
  const result = new Map<string, Entry>();
  const merges: Node[] = [];
  for (const pair of map.items) {
    const key = pair.key as Node | null;
    if (!isScalar(key)) {
      report(out, src, key ? nodeRange(src, key) : pairRange(src, pair), 'SL005', `Keys in ${where} must be plain words, not ${describeNode(key)}.`);
      continue;
    }
    const name = key.value === null ? '' : String(key.value);
    if (name === '<<' && key.type === 'PLAIN') {
      const target = deref(src, pair.value);
      if (isMap(target)) {
        merges.push(target);
        continue;
      }
    }
    if (result.has(name)) {
      report(out, src, nodeRange(src, key), 'SL004', `Duplicate key '${excerpt(name)}' in ${where}: only the first one is used. Remove or rename this one.`);
      continue;
    }
    result.set(name, new Entry(src, name, pair, key, deref(src, pair.value)));
  }
  for (const m of merges) {
    for (const pair of (m as YAMLMap).items) {
      const key = pair.key as Node | null;
      if (!isScalar(key) || key.value === null) continue;
      const name = String(key.value);
      if (!result.has(name)) result.set(name, new Entry(src, name, pair, key, deref(src, pair.value)));
    }
  }
  return result;
}
