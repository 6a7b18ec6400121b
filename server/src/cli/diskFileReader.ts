/**
 * The FileReader the CLI and the language server give the engine: plain reads
 * from disk. The engine never touches fs itself (tests inject in-memory readers).
 */
import { readFileSync } from 'node:fs';
import type { FileReader } from '../config/loaded';

/** Bigger files are refused rather than parsed: a config is text, not a 1 GB dump. */
export const MAX_CONFIG_BYTES = 64 * 2 ** 20;

export function readTextFile(path: string): string | undefined {
  const r = readTextFileOrWhy(path);
  return 'text' in r ? r.text : undefined;
}

/** The text, or why it cannot be read, in words for a message. */
export function readTextFileOrWhy(path: string): { text: string } | { why: string } {
  try {
    const buf = readFileSync(path);
    if (buf.length > MAX_CONFIG_BYTES) return { why: `it is larger than ${MAX_CONFIG_BYTES / 2 ** 20} MiB` };
    return { text: buf.toString('utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { why: 'no such file' };
    if (code === 'EISDIR') return { why: 'it is a directory' };
    if (code === 'EACCES' || code === 'EPERM') return { why: 'permission denied' };
    return { why: (err as Error).message };
  }
}

export function diskFileReader(mayRead?: (path: string) => boolean): FileReader {
  return {
    readFile: (path) => (mayRead && !mayRead(path) ? undefined : readTextFile(path)),
    mayRead,
  };
}
