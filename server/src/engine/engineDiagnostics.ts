/**
 * Diagnostics the engine adds on top of the config checks (config owns SL0xx;
 * the engine owns SL1xx). Each is built here, once, so the LSP and the CLI
 * report the same codes and words.
 *
 * | code  | severity | rule |
 * | SL100 | error    | the file itself cannot be read (CLI) |
 * | SL101 | warning  | predicted max/mean per-GPU time of the written placement above the threshold |
 * | SL102 | warning  | the learned cost model is not used (analytic fallback), or a caveat about it |
 * | SL103 | warning  | no cost model could be loaded or it failed: costs are not shown |
 * | SL104 | warning  | the written placement could not be scored |
 * | SL105 | error    | internal error while checking (a bug: please report) |
 * | SL110 | warning  | an input is outside what the cost model was measured on (rangeDiagnostics.ts) |
 */
import type { Diagnostic } from '../config/diagnostics';
import type { Range } from '../config/types';
import { formatMs, formatRatio } from './format';

export const ENGINE_CODES = {
  unreadable: 'SL100',
  imbalance: 'SL101',
  analyticFallback: 'SL102',
  costModelFailed: 'SL103',
  placementUnscored: 'SL104',
  internal: 'SL105',
  outsideTrainingRange: 'SL110',
} as const;

/** One line per engine code (the table above), for rule catalogues such as SARIF's. */
export const ENGINE_CODE_TITLES: Readonly<Record<(typeof ENGINE_CODES)[keyof typeof ENGINE_CODES], string>> = {
  SL100: 'The file cannot be read',
  SL101: 'Predicted per-GPU time of the written placement is imbalanced (max/mean above the threshold)',
  SL102: 'The learned cost model is not used (analytic fallback), or a caveat about it',
  SL103: 'No cost model could be loaded: costs are not shown',
  SL104: 'The written placement could not be scored',
  SL105: 'Internal error while checking (a bug: please report it)',
  SL110: 'An input is outside what the cost model was measured on: priced from the nearest measured point and the analytic model',
};

/** Default SL101 threshold: 25% above the mean is a visible straggler. */
export const DEFAULT_IMBALANCE_THRESHOLD = 1.25;

export const ZERO_RANGE: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

export function unreadableDiagnostic(file: string, why: string): Diagnostic {
  return { file, range: ZERO_RANGE, severity: 'error', code: ENGINE_CODES.unreadable, message: `Cannot read this file: ${why}.` };
}

export function imbalanceDiagnostic(file: string, range: Range, worst: { gpu: number; totalMs: number }, meanMs: number, threshold: number): Diagnostic {
  const ratio = worst.totalMs / meanMs;
  return {
    file,
    range,
    severity: 'warning',
    code: ENGINE_CODES.imbalance,
    message:
      `Predicted imbalance ${formatRatio(ratio)} (threshold ${formatRatio(threshold)}): GPU ${worst.gpu} takes ` +
      `${formatMs(worst.totalMs)} per step against a mean of ${formatMs(meanMs)}; every step waits for it. ` +
      'Run "ShardLens: Replan" to rebalance.',
  };
}

/** SL102: the analytic fallback, or a caveat about the learned model (e.g. measured on another GPU type). */
export function analyticFallbackDiagnostic(file: string, range: Range, model: { name: string; source: 'learned' | 'analytic' }, why: string): Diagnostic {
  return {
    file,
    range,
    severity: 'warning',
    code: ENGINE_CODES.analyticFallback,
    message: model.source === 'analytic' ? `Costs come from the analytic model (${model.name}), not a learned one: ${why}` : `Cost model ${model.name}: ${why}`,
  };
}

export function costModelFailedDiagnostic(file: string, range: Range, why: string): Diagnostic {
  return {
    file,
    range,
    severity: 'warning',
    code: ENGINE_CODES.costModelFailed,
    message: `No cost predictions: the cost model failed (${why}). Validation still runs.`,
  };
}

export function placementUnscoredDiagnostic(file: string, range: Range, why: string): Diagnostic {
  return {
    file,
    range,
    severity: 'warning',
    code: ENGINE_CODES.placementUnscored,
    message: `The placement could not be scored: ${why}`,
  };
}

export function internalErrorDiagnostic(file: string, why: string): Diagnostic {
  return {
    file,
    range: ZERO_RANGE,
    severity: 'error',
    code: ENGINE_CODES.internal,
    message: `ShardLens could not check this file (internal error: ${why}). Please report it.`,
  };
}

/** A one-line reason from anything thrown. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The first `length` characters of a range's first line (a key, not a whole section). */
export function headOf(range: Range, length: number): Range {
  return { start: range.start, end: { line: range.start.line, character: range.start.character + length } };
}
