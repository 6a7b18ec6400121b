/**
 * SL001 messages in ShardLens's own words, one per `yaml` error code (and a
 * few variants of one code told apart by what went wrong). The library's own
 * text is never shown: it names internal token types and repeats arbitrary
 * amounts of the input ("Unexpected <5 MB of text> in …").
 */
import type { ErrorCode } from 'yaml';
import { UNCLOSED_MESSAGES } from './yamlBrackets';

const MISSING: Array<[RegExp, string]> = [
  [/quote/i, 'a quoted string is not closed on this line: add the closing quote'],
  [/space after :/i, 'a space is missing after the colon inside {…} or […]'],
  [/between/i, 'a comma is missing between two items of {…} or […]'],
  [/Comments must be separated/i, 'a comment (#) must have a space before it'],
  [/followed by map values/i, 'this key has no colon (:) after it'],
  [/Sequence item without/i, 'a list item needs "- " in front of it'],
  [/separated from the next token/i, 'a tag (!…) or anchor (&…) must be followed by a space'],
  [/directives-end|doc-start/i, 'a document that starts with a % directive needs a --- line after it'],
];

const BY_CODE: Record<ErrorCode, string> = {
  ALIAS_PROPS: 'an alias (*name) cannot carry a tag or an anchor',
  BAD_ALIAS: 'an anchor (&name) or alias (*name) needs a name, and the name must not end with a colon',
  BAD_COLLECTION_TYPE: 'this tag does not fit the kind of value it is on (mapping, list or single value)',
  BAD_DIRECTIVE: 'this % directive is not understood (only %YAML and %TAG exist)',
  BAD_DQ_ESCAPE: 'invalid escape in a double-quoted string: use \\n, \\t, \\", \\\\ or \\uXXXX',
  BAD_INDENT: 'wrong indentation: the keys of one mapping and the items of one list must start at the same column',
  BAD_PROP_ORDER: 'a tag or anchor must come after the "-" or "?" in front of it',
  BAD_SCALAR_START: 'a plain value cannot start with this character: put the value in quotes',
  BLOCK_AS_IMPLICIT_KEY: 'a mapping or list cannot start on the same line as its key: put it on the next lines, indented',
  BLOCK_IN_FLOW: 'a "- item" list or an indented mapping cannot appear inside {…} or […]: separate the items with commas',
  DUPLICATE_KEY: 'a key is repeated in this mapping',
  IMPOSSIBLE: 'the YAML cannot be read here',
  KEY_OVER_1024_CHARS: 'a key may be at most 1,024 characters long',
  MISSING_CHAR: 'a character is missing here (a colon, comma, bracket or quote)',
  MULTILINE_IMPLICIT_KEY: 'a key must fit on one line (a value without a colon may have run into the next line)',
  MULTIPLE_ANCHORS: 'a value may have only one anchor (&name)',
  MULTIPLE_DOCS: 'a config holds one YAML document: remove the second "---" or "..."',
  MULTIPLE_TAGS: 'a value may have only one tag (!tag)',
  NON_STRING_KEY: 'a key must be a single word or string, not a list or mapping',
  RESOURCE_EXHAUSTION: 'aliases expand to too much data here: write the values out instead',
  TAB_AS_INDENT: 'tabs cannot indent YAML: use spaces',
  TAG_RESOLVE_FAILED: 'this tag is unknown: remove it (ShardLens reads plain values)',
  UNEXPECTED_TOKEN: 'unexpected text here: check the indentation, brackets and quotes before it',
};

/** Our words for one `yaml` error; `libraryMessage` only picks among our variants, it is never shown. */
export function syntaxMessage(code: ErrorCode | string, libraryMessage: string): string {
  if (code === 'MISSING_CHAR') {
    for (const [re, words] of MISSING) if (re.test(libraryMessage)) return words;
  }
  if (code === 'UNEXPECTED_TOKEN' && /^Unexpected , /.test(libraryMessage)) return 'unexpected comma: an item is missing before it';
  if (code === 'UNEXPECTED_TOKEN' && /flow-seq-end|flow-map-end|\]|\}/.test(libraryMessage)) return 'unexpected closing bracket: check that every { and [ is closed once';
  return BY_CODE[code as ErrorCode] ?? BY_CODE.IMPOSSIBLE;
}

/** Every message syntaxMessage can return (tests check SL001 messages against it). */
export const SYNTAX_MESSAGES: ReadonlySet<string> = new Set([
  ...Object.values(BY_CODE),
  ...MISSING.map(([, w]) => w),
  'unexpected comma: an item is missing before it',
  'unexpected closing bracket: check that every { and [ is closed once',
  ...UNCLOSED_MESSAGES,
]);
