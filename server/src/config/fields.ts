/**
 * Typed reads of single values, driven by the key catalogue (keys.ts): numbers
 * with their range, whole numbers, words from a fixed set, strings, and the
 * unknown-key check of a mapping. Each read returns the usable value or
 * undefined, and reports what is wrong on the value's exact range.
 */
import { isScalar, isSeq, type Node } from 'yaml';
import { closest } from './didYouMean';
import type { Fix } from './diagnostics';
import { describeRange, inRange, keyInfo, keysOf, type KeyInfo, type Section } from './keys';
import type { Range } from './types';
import { excerpt } from './excerpt';
import { describeNode, nodeRange, report, type Entry, type Sink, type SourceFile } from './yamlSource';

/** A plain scalar such as `50_000_000` or `1_000.5`: YAML 1.1 style digit grouping. */
const UNDERSCORE_NUMBER = /^[-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?$/;
/** A quoted string that is clearly a number (offered as an unquote fix). */
const NUMERIC_STRING = /^\s*[-+]?([0-9][0-9_]*(\.[0-9_]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$/;

function replaceFix(src: SourceFile, title: string, range: Range, newText: string): Fix {
  return { title, file: src.file, edits: [{ range, newText }], preferred: true };
}

/** Unknown keys of a section (SL003) with a did-you-mean rename fix. */
export function checkKnownKeys(src: SourceFile, entries: Map<string, Entry>, section: Section, where: string, out: Sink): void {
  const known = keysOf(section).map((k) => k.key);
  for (const e of entries.values()) {
    if (keyInfo(section, e.name)) continue;
    const guess = closest(
      e.name,
      known.filter((k) => !entries.has(k)),
    );
    const hint = guess ? `Did you mean '${guess}'?` : `Known keys: ${known.join(', ')}.`;
    report(
      out,
      src,
      e.keyRange,
      'SL003',
      `Unknown key '${excerpt(e.name)}' in ${where}; it would be ignored. ${hint}`,
      'error',
      guess ? [replaceFix(src, `Rename to '${guess}'`, e.keyRange, guess)] : undefined,
    );
  }
}

/** YAML tags under which a plain scalar may still be read as a number. */
const NUMBER_TAGS = new Set(['tag:yaml.org,2002:int', 'tag:yaml.org,2002:float']);
/** An integer literal as written (underscores, hex and octal included). */
const INTEGER_LITERAL = /^[-+]?(?:[0-9][0-9_]*|0x[0-9a-fA-F_]+|0o[0-7_]+)$/;
/** Whole numbers beyond this lose digits as JavaScript numbers (2^53 − 1). */
const MAX_EXACT = Number.MAX_SAFE_INTEGER;

/** The number written in a node, if it is one (plain underscores accepted; `!!str 1000` is a string). */
export function numberOf(node: Node | null): number | undefined {
  if (!isScalar(node)) return undefined;
  const v = node.value;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (node.tag && !NUMBER_TAGS.has(node.tag)) return undefined;
  if (typeof v === 'string' && node.type === 'PLAIN' && UNDERSCORE_NUMBER.test(v)) return Number(v.replace(/_/g, ''));
  return undefined;
}

/** The value as written in the file (a short excerpt), for messages: never a rounded number. */
export function writtenText(src: SourceFile, node: Node | null): string {
  const r = node?.range;
  return r ? excerpt(src.text.slice(r[0], r[1]).trim()) : describeNode(node);
}

/** Whether `value` was written as a whole number too large for a JavaScript number to hold exactly. */
export function lossyInteger(src: SourceFile, node: Node | null, value: number): boolean {
  if (!Number.isFinite(value) || Math.abs(value) <= MAX_EXACT || !node?.range) return false;
  return INTEGER_LITERAL.test(src.text.slice(node.range[0], node.range[1]).trim());
}

/** Checks that a number is finite, whole where required and inside the key's range. */
export function checkNumber(
  src: SourceFile,
  node: Node | null,
  value: number,
  info: Pick<KeyInfo, 'kind' | 'min' | 'max' | 'minExclusive' | 'maxExclusive'>,
  label: string,
  out: Sink,
): number | undefined {
  const written = writtenText(src, node);
  if (!Number.isFinite(value)) {
    report(out, src, nodeRange(src, node), 'SL006', `${label} must be a finite number, not ${written}.`);
    return undefined;
  }
  if (lossyInteger(src, node, value)) {
    report(
      out,
      src,
      nodeRange(src, node),
      'SL006',
      `${label} ${written} is too large to be read exactly: whole numbers beyond 2^53 − 1 (9,007,199,254,740,991) lose digits. It must be ${describeRange(info) ?? 'smaller'}.`,
    );
    return undefined;
  }
  if (info.kind === 'integer' && !Number.isInteger(value)) {
    const range = nodeRange(src, node);
    const rounded = Math.max(Math.round(value), info.min ?? -Infinity);
    report(out, src, range, 'SL007', `${label} must be a whole number (got ${written}).`, 'error', [replaceFix(src, `Round to ${rounded}`, range, String(rounded))]);
    return undefined;
  }
  if (!inRange(info, value)) {
    report(out, src, nodeRange(src, node), 'SL006', `${label} must be ${describeRange(info)} (got ${written}).`);
    return undefined;
  }
  return value;
}

/** A number value of a catalogue key: type, finiteness, wholeness, range. */
export function readNumber(src: SourceFile, entry: Entry, info: KeyInfo, out: Sink, label = `'${info.key}'`): number | undefined {
  const node = entry.value;
  const n = numberOf(node);
  if (n === undefined) {
    const range = nodeRange(src, node, entry.keyRange);
    let fixes: Fix[] | undefined;
    if (isScalar(node) && typeof node.value === 'string' && NUMERIC_STRING.test(node.value)) {
      const text = node.value.trim();
      fixes = [replaceFix(src, `Write the number ${text} without quotes`, range, text)];
    }
    report(out, src, range, 'SL005', `${label} must be ${info.kind === 'integer' ? 'a whole number' : 'a number'}, not ${describeNode(node)}.`, 'error', fixes);
    return undefined;
  }
  return checkNumber(src, node, n, info, label, out);
}

/** A word from the key's allowed values; a near miss gets a replace fix. */
export function readEnum(src: SourceFile, node: Node | null, fallback: Range, values: readonly string[], label: string, out: Sink): string | undefined {
  const word = isScalar(node) && node.value !== null ? String(node.value) : undefined;
  if (word !== undefined && values.includes(word)) return word;
  const range = nodeRange(src, node, fallback);
  const guess = word === undefined ? undefined : closest(word, values);
  const got = word === undefined ? describeNode(node) : `'${excerpt(word)}'`;
  report(
    out,
    src,
    range,
    'SL008',
    `${label} must be one of ${values.join(', ')}, not ${got}.${guess ? ` Did you mean '${guess}'?` : ''}`,
    'error',
    guess ? [replaceFix(src, `Change to '${guess}'`, range, guess)] : undefined,
  );
  return undefined;
}

/** A non-empty string. */
export function readString(src: SourceFile, entry: Entry, label: string, out: Sink): string | undefined {
  const node = entry.value;
  if (isScalar(node) && typeof node.value === 'string' && node.value.length > 0) return node.value;
  report(out, src, nodeRange(src, node, entry.keyRange), 'SL005', `${label} must be a non-empty string, not ${describeNode(node)}.`);
  return undefined;
}

/** The items of a list value, or undefined (reported) if it is not a list. */
export function listItems(src: SourceFile, entry: Entry, label: string, out: Sink): (Node | null)[] | undefined {
  const node = entry.value;
  if (isSeq(node)) return node.items as (Node | null)[];
  report(out, src, nodeRange(src, node, entry.keyRange), 'SL005', `${label} must be a list, not ${describeNode(node)}.`);
  return undefined;
}
