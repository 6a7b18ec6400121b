/**
 * `shardlens check FILE…`: every diagnostic of every file, as
 * `file:line:col: severity CODE message` (1-based for people) or as the JSON of
 * docs/cli.md (0-based LSP ranges), or for CI: a SARIF 2.1.0 log (`--format
 * sarif`, sarif.ts) or GitHub workflow annotations (`--format github`,
 * githubAnnotations.ts). Exit 1 when any error is found.
 */
import type { Diagnostic } from '../config/diagnostics';
import { hostSizes } from '../config/placementRanks';
import { memoryBudget, tableStorage } from '../cost/memory';
import type { Analysis } from '../engine';
import { formatBytes } from '../config/byteUnits';
import { formatMs, formatPercent, formatRatio } from '../engine/format';
import pkg from '../../../package.json';
import { costModelsJson } from '../engine/pricingText';
import { UsageError } from './args';
import { analyzeFile, type CliContext } from './context';
import { githubAnnotation } from './githubAnnotations';
import { diagnosticJson } from './jsonShapes';
import { sarifLog } from './sarif';

const SEVERITY_ORDER: Record<Diagnostic['severity'], number> = { error: 0, warning: 1, information: 2, hint: 3 };

function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort(
    (a, b) =>
      a.file.localeCompare(b.file) ||
      a.range.start.line - b.range.start.line ||
      a.range.start.character - b.range.start.character ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity],
  );
}

export function formatDiagnosticLine(ctx: CliContext, d: Diagnostic, c = ctx.io.c): string {
  const sev = d.severity === 'error' ? c.red('error') : d.severity === 'warning' ? c.yellow('warning') : c.cyan(d.severity);
  return `${ctx.display(d.file)}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${sev} ${c.bold(d.code)} ${d.message}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * How the GPUs sit on hosts: `1 host × 2`, `8 hosts × 8`; when the last host
 * is partly filled, every host's share: `2 hosts: 8 + 4`, `3 hosts: 2 × 8 + 4`.
 */
export function hostsText(sizes: readonly number[]): string {
  const n = sizes.length;
  const hosts = plural(n, 'host');
  if (n === 0) return hosts;
  const full = sizes[0];
  const last = sizes[n - 1];
  if (last === full) return `${hosts} \u00d7 ${full}`;
  return `${hosts}: ${n === 2 ? `${full}` : `${n - 1} \u00d7 ${full}`} + ${last}`;
}

/** One line that says what the file describes, for a file that checks clean enough to cost. */
export function summaryLine(_ctx: CliContext, a: Analysis): string | undefined {
  const config = a.loaded.config;
  if (!config) return undefined;
  const d = config.devices;
  const tableBytes = config.tables.reduce((s, t) => s + tableStorage(t, config.optimizer).hbm, 0);
  const usable = Math.max(0, memoryBudget(config).shardBytes) * d.count;
  const parts = [
    plural(config.tables.length, 'table'),
    `${d.count} \u00d7 ${d.type} (${hostsText(hostSizes(d))})`,
    `${formatBytes(tableBytes)} of ${formatBytes(usable)} HBM for shards (${formatPercent(tableBytes / usable)})`,
  ];
  if (a.costModel) parts.push(`cost model ${a.costModel.name}`);
  return parts.join(' \u00b7 ');
}

/** What was added to the models' numbers, per kernel (optimizer term, device overrides), when anything was. */
export function pricingNotesLines(a: Analysis): string[] {
  const kernels = a.costModel?.kernels ?? [];
  return kernels.flatMap((p) => p.notes.map((n) => (kernels.length > 1 ? `${p.kernel}: ${n}` : n)));
}

export function placementLine(a: Analysis): string | undefined {
  const cur = a.current;
  if (!cur || cur.gpus.length === 0) return undefined;
  const worst = cur.gpus.reduce((x, y) => (y.totalMs > x.totalMs ? y : x));
  return `written placement: step ${formatMs(cur.maxMs)} (critical path) \u00b7 busiest GPU ${worst.gpu} ${formatMs(cur.maxGpuMs)} \u00b7 mean ${formatMs(cur.meanMs)} \u00b7 max/mean ${formatRatio(cur.maxGpuMs / cur.meanMs)}${cur.feasible ? '' : ' \u00b7 infeasible'}`;
}

export async function runCheck(ctx: CliContext): Promise<number> {
  const files = ctx.args.positionals;
  if (files.length === 0) throw new UsageError('check needs at least one FILE');
  const analyses: Analysis[] = [];
  for (const f of files) analyses.push(await analyzeFile(ctx, f));

  const all = analyses.flatMap((a) => a.diagnostics);
  const errors = all.filter((d) => d.severity === 'error').length;
  const warnings = all.filter((d) => d.severity === 'warning').length;

  if (ctx.args.format === 'json') {
    ctx.io.out(
      JSON.stringify(
        {
          diagnostics: sortDiagnostics(all).map((d) => diagnosticJson(d, ctx.display)),
          // Which model priced each kernel of each file that could be costed.
          files: analyses.filter((a) => a.costModel).map((a) => ({ file: ctx.display(a.file), cost_model: a.costModel!.name, cost_models: costModelsJson(a.costModel!.kernels) })),
        },
        null,
        2,
      ),
    );
    return errors > 0 ? 1 : 0;
  }
  if (ctx.args.format === 'sarif') {
    ctx.io.out(JSON.stringify(sarifLog(sortDiagnostics(all), ctx.cwd, pkg.version), null, 2));
    return errors > 0 ? 1 : 0;
  }
  if (ctx.args.format === 'github') {
    for (const d of sortDiagnostics(all)) ctx.io.out(githubAnnotation(d, ctx.cwd));
    ctx.io.out(`${plural(analyses.length, 'file')} checked: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`);
    return errors > 0 ? 1 : 0;
  }

  const { c } = ctx.io;
  for (const a of analyses) {
    const ds = sortDiagnostics(a.diagnostics);
    for (const d of ds) ctx.io.out(formatDiagnosticLine(ctx, d));
    const e = ds.filter((d) => d.severity === 'error').length;
    const w = ds.filter((d) => d.severity === 'warning').length;
    const mark = e > 0 ? c.red('\u2717') : w > 0 ? c.yellow('!') : c.green('\u2713');
    const counts = e + w === 0 ? 'no problems' : [e ? plural(e, 'error') : '', w ? plural(w, 'warning') : ''].filter(Boolean).join(', ');
    ctx.io.out(`${mark} ${c.bold(ctx.display(a.file))}: ${counts}`);
    const summary = summaryLine(ctx, a);
    if (summary) ctx.io.out(`  ${c.dim(summary)}`);
    for (const n of pricingNotesLines(a)) ctx.io.out(`  ${c.dim(`+ ${n}`)}`);
    const placement = placementLine(a);
    if (placement) ctx.io.out(`  ${c.dim(placement)}`);
  }
  if (analyses.length > 1) {
    ctx.io.out(`${plural(analyses.length, 'file')} checked: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`);
  }
  return errors > 0 ? 1 : 0;
}
