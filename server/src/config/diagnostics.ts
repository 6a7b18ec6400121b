/**
 * Engine diagnostics: what is wrong, exactly where, and how to fix it.
 * Same shapes as LSP (0-based ranges) so the LSP layer maps them 1:1 and the
 * CLI prints them as `shardlens check --format json` (docs/cli.md).
 */
import type { Range } from './types';

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export interface TextEdit {
  range: Range;
  newText: string;
}

/** A quick fix: edits to one file. */
export interface Fix {
  title: string;
  file: string;
  edits: TextEdit[];
  /** Shown first in the lightbulb menu. */
  preferred?: boolean;
}

export interface Diagnostic {
  /** File the range refers to (the devices file for problems found there). */
  file: string;
  range: Range;
  severity: Severity;
  /** Stable code, e.g. "SL012"; documented in docs/diagnostics.md. */
  code: string;
  /** What is wrong and what to do. */
  message: string;
  fixes?: Fix[];
}
