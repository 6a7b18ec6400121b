/**
 * The cost-model warnings `check` prints, for the commands that plan: a model
 * not used (a `--model` file missing or broken: the analytic fallback) or used
 * with a caveat (an H100 model on an A100 config), SL102; no cost model at all,
 * SL103. A plan is only as good as the model that scored it, so `plan` says so
 * too: on stderr in text mode, as a `warnings` array in JSON.
 */
import type { Diagnostic } from '../config/diagnostics';
import type { Analysis } from '../engine';
import { ENGINE_CODES } from '../engine/engineDiagnostics';
import { formatDiagnosticLine } from './check';
import type { CliContext } from './context';
import { diagnosticJson, type DiagnosticJson } from './jsonShapes';

const COST_MODEL_CODES: ReadonlySet<string> = new Set([ENGINE_CODES.analyticFallback, ENGINE_CODES.costModelFailed]);

export function costModelWarnings(a: Analysis): Diagnostic[] {
  return a.diagnostics.filter((d) => COST_MODEL_CODES.has(d.code));
}

/** Text mode: each warning on stderr, in check's format. JSON output carries them instead (costModelWarningsJson). */
export function printCostModelWarnings(ctx: CliContext, a: Analysis): void {
  for (const d of costModelWarnings(a)) ctx.io.err(formatDiagnosticLine(ctx, d, ctx.io.ce));
}

export function costModelWarningsJson(ctx: CliContext, a: Analysis): DiagnosticJson[] {
  return costModelWarnings(a).map((d) => diagnosticJson(d, ctx.display));
}
