/**
 * A fast parser for the YAML that configs are made of: block mappings and
 * sequences, flow `{…}`/`[…]` collections, plain and quoted one-line scalars,
 * comments. It builds the same node objects as the `yaml` package (Scalar,
 * YAMLMap, YAMLSeq, Pair with offsets in `range`) with YAML 1.2 core-schema
 * scalars, so the validators cannot tell the difference.
 *
 * Why: `yaml`'s parseDocument takes ~80 ms for 1,000 tables (measured on this
 * repo's 2-core machine), over the LSP's 50 ms edit-to-diagnostics budget.
 * This covers the common subset in a few ms; anything else — anchors, tags,
 * block scalars, multi-line scalars, tabs, lone CRs (parseSource turns them into
 * LFs first), document markers, and every
 * syntax error — returns undefined, and the caller uses `yaml` itself, which
 * also gives the precise error messages.
 */
import type { Node, Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';

const BAIL = new Error('outside the fast subset');

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const TRUES = new Set(['true', 'True', 'TRUE']);
const FALSES = new Set(['false', 'False', 'FALSE']);
const INT = /^[-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const OCT = /^0o[0-7]+$/;
const HEX = /^0x[0-9a-fA-F]+$/;
const INF = /^[-+]?\.(?:inf|Inf|INF)$/;
const NAN = /^\.(?:nan|NaN|NAN)$/;

/** YAML 1.2 core schema resolution of a plain scalar. */
function resolvePlain(s: string): unknown {
  const c = s.charCodeAt(0);
  // Most plain scalars are names: skip the number patterns unless the first character allows one.
  const numeric = (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46;
  if (!numeric && s.length > 5) return s;
  if (NULLS.has(s)) return null;
  if (TRUES.has(s)) return true;
  if (FALSES.has(s)) return false;
  if (!numeric) return s;
  if (INT.test(s)) {
    const n = Number(s);
    if (!Number.isSafeInteger(n)) throw BAIL; // `yaml` may keep such values differently
    return n;
  }
  if (FLOAT.test(s)) return Number(s);
  if (OCT.test(s)) return parseInt(s.slice(2), 8);
  if (HEX.test(s)) return parseInt(s.slice(2), 16);
  if (INF.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (NAN.test(s)) return NaN;
  return s;
}

/*
 * Nodes are plain objects tagged with the `yaml` package's public identity
 * symbols (Symbol.for('yaml.node.type') etc., which isScalar/isMap/isSeq/isPair
 * test): constructing the package's classes cost ~40% of the parse time
 * (Object.defineProperty per node and GC, measured with --cpu-prof on 10,000
 * tables). Consumers read only value/type/range/items/flow/key.
 */
const NODE_TYPE = Symbol.for('yaml.node.type');
const SCALAR = Symbol.for('yaml.scalar');
const MAP = Symbol.for('yaml.map');
const SEQ = Symbol.for('yaml.seq');
const PAIR = Symbol.for('yaml.pair');

function scalar(value: unknown, start: number, end: number, type: Scalar.Type): Scalar {
  return { [NODE_TYPE]: SCALAR, value, type, range: [start, end, end] } as unknown as Scalar;
}

function newMap(flow: boolean): YAMLMap {
  return { [NODE_TYPE]: MAP, items: [], flow, range: undefined } as unknown as YAMLMap;
}

function newSeq(flow: boolean): YAMLSeq {
  return { [NODE_TYPE]: SEQ, items: [], flow, range: undefined } as unknown as YAMLSeq;
}

function newPair(key: Node, value: Node): Pair {
  return { [NODE_TYPE]: PAIR, key, value } as unknown as Pair;
}

export interface FastParse {
  contents: Node | null;
  /** Offsets where lines start (0 first), for a LineCounter. */
  lineStarts: number[];
}

/** Parse `text`, or undefined when it uses anything outside the fast subset (or is invalid). */
export function parseFast(text: string): FastParse | undefined {
  // A byte order mark anywhere (yaml reads one at a line start before a tag or key its own way).
  if (text.includes('\t') || text.includes('\ufeff')) return undefined;
  let t = text;
  if (text.includes('\r')) {
    // A lone CR: the caller (parseSource) reads it as the line break it is in YAML 1.2.
    if (/\r(?!\n)/.test(text)) return undefined;
    // CRLF: a space in place of each CR keeps every offset and means the same
    // (trailing spaces end plain scalars and comments; quoted scalars never span lines here).
    t = text.replace(/\r\n/g, ' \n');
  }
  try {
    const p = new FastParser(t, text);
    return { contents: p.document(), lineStarts: p.lineStarts() };
  } catch {
    // Bail, or a stack overflow on absurd nesting: `yaml` decides what the text means.
    return undefined;
  }
}

/** Deeper nesting than this leaves the fast path (the recursion would overflow the stack on hostile input). */
const MAX_FAST_NESTING = 64;

class FastParser {
  private i = 0;
  private depth = 0;
  private readonly n: number;
  /** `t` is the text with each CRLF's CR made a space; `orig` the text itself. */
  constructor(
    private readonly t: string,
    private readonly orig: string = t,
  ) {
    this.n = t.length;
  }

  /** An empty value sits before the spaces that stand for CRs (where `yaml` puts it). */
  private emptyAt(at: number): number {
    return at > 0 && this.orig.charCodeAt(at - 1) === 13 ? at - 1 : at;
  }

  lineStarts(): number[] {
    const starts = [0];
    for (let k = this.t.indexOf('\n'); k >= 0; k = this.t.indexOf('\n', k + 1)) starts.push(k + 1);
    return starts;
  }

  private col(): number {
    return this.i - (this.t.lastIndexOf('\n', this.i - 1) + 1);
  }

  /** Skip spaces, comments and line breaks; returns the column of the next content, or -1 at the end. */
  private skipToContent(): number {
    const t = this.t;
    for (;;) {
      while (this.i < this.n && t.charCodeAt(this.i) === 32) this.i++;
      if (this.i >= this.n) return -1;
      const c = t[this.i];
      if (c === '#') {
        const nl = t.indexOf('\n', this.i);
        this.i = nl < 0 ? this.n : nl;
        continue;
      }
      if (c === '\n') {
        this.i++;
        continue;
      }
      return this.col();
    }
  }

  /** After a value: only spaces and a comment may follow on the line. */
  private endOfLine(): void {
    const t = this.t;
    while (this.i < this.n && t.charCodeAt(this.i) === 32) this.i++;
    if (this.i >= this.n || t[this.i] === '\n') return;
    if (t[this.i] === '#' && t[this.i - 1] === ' ') {
      const nl = t.indexOf('\n', this.i);
      this.i = nl < 0 ? this.n : nl;
      return;
    }
    throw BAIL;
  }

  document(): Node | null {
    const c = this.skipToContent();
    if (c < 0) return null;
    if (this.t.startsWith('---', this.i) || this.t.startsWith('...', this.i) || this.t[this.i] === '%') throw BAIL;
    // A top-level flow collection (a JSON document) may have lines at column 0.
    const node = this.block(c, -1);
    if (this.skipToContent() >= 0) throw BAIL;
    return node;
  }

  private isSeqItem(): boolean {
    const next = this.t[this.i + 1];
    return this.t[this.i] === '-' && (next === ' ' || next === '\n' || next === undefined);
  }

  /** A node that starts at the current position, at column `col`. */
  private block(col: number, flowIndent = col): Node {
    if (++this.depth > MAX_FAST_NESTING) throw BAIL;
    const node = this.blockAt(col, flowIndent);
    this.depth--;
    return node;
  }

  private blockAt(col: number, flowIndent: number): Node {
    if (this.isSeqItem()) return this.seq(col);
    const c = this.t[this.i];
    if (c === '{' || c === '[') {
      const node = this.flow(flowIndent);
      while (this.t[this.i] === ' ') this.i++;
      if (this.t[this.i] === ':') throw BAIL; // a flow collection as a key
      this.endOfLine();
      return node;
    }
    const save = this.i;
    if (this.tryKey() !== undefined) {
      this.i = save;
      return this.map(col);
    }
    this.i = save;
    const s = this.inlineScalar();
    this.endOfLine();
    return s;
  }

  /** Reads `key:` at the current position; undefined (position unspecified) if this is not a key. */
  private tryKey(): Scalar | undefined {
    const t = this.t;
    const c = t[this.i];
    let key: Scalar;
    if (c === '"' || c === "'") {
      key = this.quoted();
    } else {
      if ('&*!|>?%@`,[]{}#:'.includes(c)) throw BAIL;
      const start = this.i;
      let k = this.i;
      for (; k < this.n; k++) {
        const ch = t[k];
        if (ch === '\n') return undefined;
        if (ch === ':' && (k + 1 >= this.n || t[k + 1] === ' ' || t[k + 1] === '\n')) break;
        if (ch === '#' && t[k - 1] === ' ') return undefined;
      }
      if (k >= this.n) return undefined;
      let end = k;
      while (end > start && t[end - 1] === ' ') end--;
      this.i = k;
      key = scalar(resolvePlain(t.slice(start, end)), start, end, 'PLAIN');
    }
    while (t[this.i] === ' ') this.i++;
    if (t[this.i] !== ':') return undefined;
    const after = t[this.i + 1];
    if (after !== undefined && after !== ' ' && after !== '\n') return undefined;
    this.i++;
    return key;
  }

  private map(col: number): YAMLMap {
    const map = newMap(false);
    const start = this.i;
    let end: number;
    for (;;) {
      const key = this.tryKey();
      if (!key) throw BAIL;
      const value = this.mapValue(col);
      const pair = newPair(key, value);
      map.items.push(pair);
      end = value?.range ? Math.max(value.range[1], key.range![1]) : key.range![1];
      const next = this.skipToContent();
      if (next < 0 || next < col) break;
      if (next > col || this.isSeqItem()) throw BAIL;
    }
    map.range = [start, end, end];
    return map;
  }

  private mapValue(col: number): Node {
    const t = this.t;
    while (t[this.i] === ' ') this.i++;
    const at = this.i;
    if (this.i >= this.n || t[this.i] === '\n' || t[this.i] === '#') {
      if (t[this.i] === '#' && t[this.i - 1] !== ' ') throw BAIL;
      const save = this.i;
      const next = this.skipToContent();
      if (next > col) return this.block(next);
      if (next === col && this.isSeqItem()) return this.seq(col);
      this.i = save;
      this.endOfLine();
      return scalar(null, this.emptyAt(at), this.emptyAt(at), 'PLAIN');
    }
    const c = t[this.i];
    if (c === '{' || c === '[') {
      const node = this.flow(col);
      this.endOfLine();
      return node;
    }
    if (this.isSeqItem()) throw BAIL;
    const s = this.inlineScalar();
    this.endOfLine();
    return s;
  }

  private seq(col: number): YAMLSeq {
    const seq = newSeq(false);
    const start = this.i;
    let end: number;
    for (;;) {
      this.i++; // '-'
      while (this.t[this.i] === ' ') this.i++;
      let item: Node;
      if (this.i >= this.n || this.t[this.i] === '\n' || this.t[this.i] === '#') {
        const at = this.i;
        const save = this.i;
        const next = this.skipToContent();
        if (next > col) item = this.block(next);
        else {
          this.i = save;
          this.endOfLine();
          item = scalar(null, this.emptyAt(at), this.emptyAt(at), 'PLAIN');
        }
      } else {
        item = this.block(this.col());
      }
      seq.items.push(item);
      end = item.range![1];
      const next = this.skipToContent();
      if (next < 0 || next < col) break;
      if (next > col || !this.isSeqItem()) throw BAIL;
    }
    seq.range = [start, end, end];
    return seq;
  }

  /** Spaces, line breaks and comments inside a flow collection (continuation lines must be indented past `col`). */
  private flowSpace(col: number): void {
    const t = this.t;
    for (;;) {
      const c = t[this.i];
      if (c === ' ') {
        this.i++;
        continue;
      }
      if (c === '\n') {
        this.i++;
        let k = this.i;
        while (t[k] === ' ') k++;
        if (t[k] !== '\n' && t[k] !== '#' && k < this.n && k - this.i <= col) throw BAIL;
        continue;
      }
      if (c === '#' && (t[this.i - 1] === ' ' || t[this.i - 1] === '\n')) {
        const nl = t.indexOf('\n', this.i);
        this.i = nl < 0 ? this.n : nl;
        continue;
      }
      return;
    }
  }

  private flow(col: number): Node {
    if (++this.depth > MAX_FAST_NESTING) throw BAIL;
    const node = this.flowAt(col);
    this.depth--;
    return node;
  }

  private flowAt(col: number): Node {
    const t = this.t;
    const start = this.i;
    const isMap = t[this.i] === '{';
    const close = isMap ? '}' : ']';
    this.i++;
    const node = isMap ? newMap(true) : newSeq(true);
    for (;;) {
      this.flowSpace(col);
      if (this.i >= this.n) throw BAIL;
      if (t[this.i] === close) {
        this.i++;
        break;
      }
      if (isMap) {
        const key = this.flowScalar(true);
        this.flowSpace(col);
        if (t[this.i] !== ':') throw BAIL;
        this.i++;
        this.flowSpace(col);
        let value: Node;
        if (t[this.i] === ',' || t[this.i] === '}') value = scalar(null, this.i, this.i, 'PLAIN');
        else value = this.flowNode(col);
        (node as YAMLMap).items.push(newPair(key, value));
      } else {
        const item = this.flowNode(col);
        this.flowSpace(col);
        if (t[this.i] === ':') throw BAIL; // an implicit pair inside a sequence
        (node as YAMLSeq).items.push(item);
      }
      this.flowSpace(col);
      if (t[this.i] === ',') {
        this.i++;
        continue;
      }
      if (t[this.i] === close) {
        this.i++;
        break;
      }
      throw BAIL;
    }
    node.range = [start, this.i, this.i];
    return node;
  }

  private flowNode(col: number): Node {
    const c = this.t[this.i];
    if (c === '{' || c === '[') return this.flow(col);
    return this.flowScalar(false);
  }

  /** A scalar inside a flow collection: quoted, or plain up to `,`, brackets, `: ` or a comment. */
  private flowScalar(isKey: boolean): Scalar {
    const t = this.t;
    const c = t[this.i];
    if (c === '"' || c === "'") return this.quoted();
    if ('&*!|>?%@`,[]{}#'.includes(c) || c === undefined) throw BAIL;
    if (c === ':') throw BAIL;
    // `- ` starts a block sequence, which a flow collection cannot hold (`{pooling: - 1}` is an error).
    if (c === '-' && ' \n,[]{}'.includes(t[this.i + 1] ?? ' ')) throw BAIL;
    const start = this.i;
    let k = this.i;
    for (; k < this.n; k++) {
      const ch = t[k];
      if (ch === ',' || ch === '[' || ch === ']' || ch === '{' || ch === '}' || ch === '\n') break;
      if (ch === ':') {
        const nx = t[k + 1];
        if (nx === ' ' || nx === ',' || nx === '}' || nx === ']' || nx === '\n' || nx === undefined) break;
      }
      if (ch === '#' && t[k - 1] === ' ') break;
    }
    let end = k;
    while (end > start && t[end - 1] === ' ') end--;
    if (t[k] === '\n' && !isKey) {
      // A plain scalar may continue on the next line in YAML; not in the fast subset.
      let m = k + 1;
      while (t[m] === ' ') m++;
      if (m < this.n && !',]}#\n'.includes(t[m])) throw BAIL;
    }
    if (t[k] === '[' || t[k] === '{') throw BAIL;
    this.i = end;
    return scalar(resolvePlain(t.slice(start, end)), start, end, 'PLAIN');
  }

  /** A one-line plain or quoted scalar in block context. */
  private inlineScalar(): Scalar {
    const t = this.t;
    const c = t[this.i];
    if (c === '"' || c === "'") return this.quoted();
    if ('&*!|>?%@`,[]{}#:'.includes(c)) throw BAIL;
    const start = this.i;
    let k = this.i;
    for (; k < this.n; k++) {
      const ch = t[k];
      if (ch === '\n') break;
      if (ch === '#' && t[k - 1] === ' ') break;
      if (ch === ':' && (t[k + 1] === ' ' || t[k + 1] === '\n' || k + 1 >= this.n)) throw BAIL;
    }
    let end = k;
    while (end > start && t[end - 1] === ' ') end--;
    this.i = end;
    // Multi-line plain scalars (a more-indented continuation line) are left to `yaml`.
    return scalar(resolvePlain(t.slice(start, end)), start, end, 'PLAIN');
  }

  private quoted(): Scalar {
    const t = this.t;
    const q = t[this.i];
    const start = this.i;
    let k = this.i + 1;
    let out = '';
    let from = k;
    for (;;) {
      if (k >= this.n || t[k] === '\n') throw BAIL;
      const ch = t[k];
      if (q === "'" && ch === "'") {
        if (t[k + 1] === "'") {
          out += t.slice(from, k + 1);
          k += 2;
          from = k;
          continue;
        }
        break;
      }
      if (q === '"' && ch === '"') break;
      if (q === '"' && ch === '\\') {
        out += t.slice(from, k);
        const e = t[k + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '0': '\0', ' ': ' ' };
        if (e in simple) {
          out += simple[e];
          k += 2;
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(t.slice(k + 2, k + 6))) {
          out += String.fromCharCode(parseInt(t.slice(k + 2, k + 6), 16));
          k += 6;
        } else throw BAIL;
        from = k;
        continue;
      }
      k++;
    }
    out += t.slice(from, k);
    this.i = k + 1;
    return scalar(out, start, this.i, q === '"' ? 'QUOTE_DOUBLE' : 'QUOTE_SINGLE');
  }
}
