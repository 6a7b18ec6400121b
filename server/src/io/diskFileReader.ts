/**
 * The FileReader the CLI gives the engine: bounded reads of regular files from
 * disk (readBounded.ts), and references only inside a root folder unless the
 * user allows more. The engine never touches fs itself (tests inject in-memory
 * readers); the language server has its own, non-blocking reader
 * (lsp/workspaceReader.ts).
 */
import type { FileReader } from '../config/loaded';
import { MAX_TEXT_BYTES, readRegularFileSync } from './readBounded';
import { realInsideRootsSync } from './pathBoundary';

/** Bigger files are refused rather than parsed: a config is text, not a 1 GB dump. */
export const MAX_CONFIG_BYTES = MAX_TEXT_BYTES;

export function readTextFile(path: string): string | undefined {
  const r = readTextFileOrWhy(path);
  return 'text' in r ? r.text : undefined;
}

/** The text (and the bytes it was decoded from), or why it cannot be read, in words for a message. */
export function readTextFileOrWhy(path: string, maxBytes = MAX_CONFIG_BYTES): { text: string; bytes: Buffer } | { why: string } {
  const r = readRegularFileSync(path, maxBytes);
  return 'why' in r ? r : { text: r.bytes.toString('utf8'), bytes: r.bytes };
}

export interface DiskReaderOptions {
  /** Referenced files must lie inside one of these folders (after resolving symlinks); absent = anywhere. */
  roots?: readonly string[];
  /** The words that tell the user how to allow a refused path (e.g. "pass --root DIR or --allow-outside"). */
  howToAllow?: string;
}

export function diskFileReader(options: DiskReaderOptions = {}): FileReader {
  const { roots } = options;
  const mayRead = roots ? (p: string) => realInsideRootsSync(roots, p) : undefined;
  return {
    readFile: (path) => {
      if (mayRead && !mayRead(path)) return { why: 'it is outside the allowed folder' };
      const r = readTextFileOrWhy(path);
      return 'why' in r ? { why: r.why } : r.text;
    },
    mayRead,
    refusal: roots ? () => `it is outside ${roots.length === 1 ? roots[0] : `the folders ${roots.join(', ')}`}${options.howToAllow ? `; ${options.howToAllow}` : ''}` : undefined,
  };
}
