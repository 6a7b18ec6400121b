/**
 * `shardlens plan FILE`: plan a placement (what the editor's Replan proposes,
 * engine/propose.ts) and print its per-GPU costs (a table in the spirit of
 * TorchRec's planner stats), where each table went (planTables.ts; with
 * `--tables`, each table's cost), or every strategy side by side
 * (`--compare`), or the plan as TorchRec input (`--export`). `--write` puts the
 * placement into FILE, atomically, and only when asked. `--fail-if-worse P%`
 * is a CI gate: exit 1 when the written placement's step time is more than P%
 * above the plan found (engine/worseGate.ts), else 0.
 * Exit 1 when the config has errors or the plan is infeasible.
 */
import * as path from 'node:path';
import { closest } from '../config/didYouMean';
import { excerpt } from '../config/excerpt';
import type { ShardConfig } from '../config/types';
import { planBudgetMs } from '../plan/budget';
import { planConfig } from '../plan/planner';
import { DEFAULT_MODULE_PATH, exportTorchRec, type ExportRefusal } from '../plan/torchrecExport';
import { STRATEGIES, type PlanResult, type Strategy } from '../plan/types';
import { DEFAULT_STRATEGY, NotPlannableError, blockingErrors, proposePlan, type Analysis, type Proposal } from '../engine';
import { ENGINE_CODES, errorText } from '../engine/engineDiagnostics';
import { parsePercent, worseGate } from '../engine/worseGate';
import { gibCell } from '../config/byteUnits';
import { combinedUncertainty, formatGain, formatMs, formatPhases, formatPlusMinus, formatRatio, msCell } from '../engine/format';
import { costModelsJson } from '../engine/pricingText';
import { placedTableCosts } from '../engine/placedTables';
import { PHASE_TITLES } from '../cost/stepCost';
import { UsageError } from './args';
import { applyEditToBytes } from '../io/byteEdit';
import { writeFileAtomic } from './atomicWrite';
import { formatDiagnosticLine, pricingNotesLines, summaryLine } from './check';
import { analyzeFileBytes, type CliContext } from './context';
import { costModelWarningsJson, printCostModelWarnings } from './costModelWarnings';
import { diagnosticJson, gateJson, moveBudgetJson, placedTableJson, planJson, type CompareRowJson } from './jsonShapes';
import { placementTable, tablesTable } from './planTables';
import { readTextFileOrWhy } from '../io/diskFileReader';
import { moveBudgetLines } from './planMoves';
import { proposeMoves } from '../engine/proposeMoves';
import { renderTable } from './textTable';

export function parseStrategy(s: string | undefined): Strategy {
  if (s === undefined) return DEFAULT_STRATEGY;
  if ((STRATEGIES as readonly string[]).includes(s)) return s as Strategy;
  const guess = closest(s, STRATEGIES);
  throw new UsageError(`unknown strategy '${excerpt(s)}'${guess ? `; did you mean '${guess}'?` : ''} (strategies: ${STRATEGIES.join(', ')})`);
}

type ExportFormat = 'python' | 'json';
function parseExport(s: string | undefined): ExportFormat | undefined {
  if (s === undefined) return undefined;
  const [what, fmt = 'python'] = s.split(':');
  if (what !== 'torchrec' || (fmt !== 'python' && fmt !== 'json')) {
    throw new UsageError(`--export takes torchrec, torchrec:python or torchrec:json, not '${s}'`);
  }
  return fmt;
}

/**
 * Prints the config's problems (stderr in text mode) and returns whether it can
 * be planned (or, with `verb` 'explain', explained: `shardlens explain`).
 */
export function reportProblems(ctx: CliContext, a: Analysis, verb: 'plan' | 'explain' = 'plan'): boolean {
  // Errors in the written placement do not block: a new plan replaces it.
  const errors = blockingErrors(a);
  if (a.loaded.config && a.model && errors.length === 0) return true;
  if (ctx.args.format === 'json') {
    ctx.io.out(
      JSON.stringify(
        {
          error: `the config has errors; fix them before ${verb === 'plan' ? 'planning' : 'explaining a table'}`,
          diagnostics: a.diagnostics.map((d) => diagnosticJson(d, ctx.display)),
        },
        null,
        2,
      ),
    );
  } else {
    for (const d of errors.length ? errors : a.diagnostics) ctx.io.err(formatDiagnosticLine(ctx, d, ctx.io.ce));
    ctx.io.err(
      `${ctx.display(a.file)}: cannot ${verb}: ${errors.length ? `fix the ${errors.length} error${errors.length === 1 ? '' : 's'} above first` : 'no cost model is available'}.`,
    );
  }
  return false;
}

export function planTable(plan: PlanResult): string {
  // The model's ± of fwd + bwd, when it reports one (last, so the usual columns keep their places).
  const withError = plan.gpus.some((g) => g.uncertaintyMs !== undefined);
  const columns = [
    { header: 'GPU', align: 'right' as const },
    { header: 'tables', align: 'right' as const },
    { header: 'fwd ms', align: 'right' as const },
    { header: 'bwd ms', align: 'right' as const },
    { header: 'comm ms', align: 'right' as const },
    { header: 'total ms', align: 'right' as const },
    { header: 'memory GiB', align: 'right' as const },
    { header: 'mem %', align: 'right' as const },
    ...(withError ? [{ header: '\u00b1 ms', align: 'right' as const }] : []),
  ];
  const rows = plan.gpus.map((g) => [
    String(g.gpu),
    String(g.tables.length),
    msCell(g.fwdMs),
    msCell(g.bwdMs),
    msCell(g.commMs),
    msCell(g.totalMs),
    `${gibCell(g.memoryBytes)} / ${gibCell(g.capacityBytes)}`,
    g.capacityBytes > 0 ? `${((g.memoryBytes / g.capacityBytes) * 100).toFixed(1)}%` : '–',
    ...(withError ? [g.uncertaintyMs !== undefined ? `\u00b1${msCell(g.uncertaintyMs)}` : '–'] : []),
  ]);
  return renderTable(columns, rows);
}

/** The SL110 warnings of an analysis (inputs outside the cost model's measured range), at most `max` lines. */
function rangeWarningLines(ctx: CliContext, a: Analysis, max = 5): string[] {
  const warnings = a.diagnostics.filter((d) => d.code === ENGINE_CODES.outsideTrainingRange);
  const lines = warnings.slice(0, max).map((d) => `  ${formatDiagnosticLine(ctx, d)}`);
  if (warnings.length > max) lines.push(ctx.io.c.dim(`  … and ${warnings.length - max} more outside the cost model's measured range (shardlens check ${ctx.display(a.file)})`));
  return lines;
}

function header(ctx: CliContext, a: Analysis, title: string): void {
  const { c } = ctx.io;
  ctx.io.out(`${c.bold(title)} \u00b7 ${ctx.display(a.file)}`);
  const s = summaryLine(ctx, a);
  if (s) ctx.io.out(`  ${c.dim(s)}`);
  for (const n of pricingNotesLines(a)) ctx.io.out(`  ${c.dim(`+ ${n}`)}`);
}

async function runCompare(ctx: CliContext, a: Analysis, config: ShardConfig): Promise<number> {
  const rows: CompareRowJson[] = [];
  for (const strategy of STRATEGIES) {
    const t0 = performance.now();
    try {
      const p = await planConfig(config, strategy, a.model!, { seed: ctx.args.seed ?? 0, timeBudgetMs: planBudgetMs(ctx.args.budgetMs, ctx.args.budgetOff) });
      const scored = p.gpus.length > 0;
      const row: CompareRowJson = {
        strategy,
        elapsed_ms: p.elapsedMs,
        max_ms: scored ? p.maxMs : null,
        mean_ms: scored ? p.meanMs : null,
        max_over_mean: scored && p.meanMs > 0 ? p.maxGpuMs / p.meanMs : null,
        feasible: p.feasible,
        reasons: p.reasons,
      };
      if (p.notes && p.notes.length > 0) row.notes = p.notes;
      if (scored && p.maxUncertaintyMs !== undefined) row.max_uncertainty_ms = p.maxUncertaintyMs;
      rows.push(row);
    } catch (err) {
      rows.push({ strategy, elapsed_ms: performance.now() - t0, max_ms: null, mean_ms: null, max_over_mean: null, feasible: false, reasons: [], error: errorText(err) });
    }
  }
  const feasible = rows.filter((r) => r.feasible && r.max_ms !== null);
  const bestMax = feasible.length ? Math.min(...feasible.map((r) => r.max_ms!)) : undefined;
  // Ties (equal to the ms cell shown) get one mark: the quickest of them.
  const tied = feasible.filter((r) => msCell(r.max_ms!) === msCell(bestMax ?? NaN));
  const marked = tied.length ? tied.reduce((a, b) => (b.elapsed_ms < a.elapsed_ms ? b : a)) : undefined;

  if (ctx.args.format === 'json') {
    ctx.io.out(
      JSON.stringify(
        {
          file: ctx.display(a.file),
          cost_model: a.costModel?.name,
          cost_models: costModelsJson(a.costModel?.kernels),
          current: a.current ? { max_ms: a.current.maxMs, mean_ms: a.current.meanMs, max_gpu_ms: a.current.maxGpuMs, feasible: a.current.feasible } : null,
          results: rows,
          warnings: costModelWarningsJson(ctx, a),
        },
        null,
        2,
      ),
    );
    return feasible.length > 0 ? 0 : 1;
  }

  const { c } = ctx.io;
  header(ctx, a, 'ShardLens plan --compare');
  for (const line of rangeWarningLines(ctx, a)) ctx.io.out(line);
  ctx.io.out('');
  const pm = (u: number | undefined) => (u !== undefined ? `\u00b1${msCell(u)}` : '–');
  const columns = [
    { header: 'strategy', align: 'left' as const },
    { header: 'step ms', align: 'right' as const },
    { header: '\u00b1 ms', align: 'right' as const },
    { header: 'mean ms', align: 'right' as const },
    { header: 'max/mean', align: 'right' as const },
    { header: 'feasible', align: 'left' as const },
    { header: 'time ms', align: 'right' as const },
    { header: '', align: 'left' as const },
  ];
  const table: string[][] = [];
  if (a.current) {
    const cur = a.current;
    table.push([
      c.dim('(written)'),
      msCell(cur.maxMs),
      pm(cur.maxUncertaintyMs),
      msCell(cur.meanMs),
      formatRatio(cur.maxGpuMs / cur.meanMs),
      cur.feasible ? 'yes' : c.red('no'),
      '',
      '',
    ]);
  }
  for (const r of rows) {
    if (r.max_ms === null) {
      const why = r.error ?? r.reasons[0] ?? '';
      table.push([
        c.dim(r.strategy),
        '–',
        '–',
        '–',
        '–',
        r.error ? c.red('error') : c.dim('n/a'),
        r.elapsed_ms.toFixed(0),
        c.dim(why.length > 64 ? `${why.slice(0, 63)}\u2026` : why),
      ]);
      continue;
    }
    const best = r === marked;
    table.push([
      best ? c.bold(r.strategy) : r.strategy,
      msCell(r.max_ms),
      pm(r.max_uncertainty_ms),
      msCell(r.mean_ms ?? NaN),
      r.max_over_mean !== null ? formatRatio(r.max_over_mean) : '–',
      r.feasible ? 'yes' : c.red('no'),
      r.elapsed_ms.toFixed(0),
      best ? c.green('\u25c0 lowest step') : r.feasible ? '' : c.dim((r.reasons[0] ?? '').slice(0, 64)),
    ]);
  }
  ctx.io.out(renderTable(columns, table));
  ctx.io.out('');
  if (bestMax !== undefined && a.current) {
    const bestU = marked?.max_uncertainty_ms;
    ctx.io.out(
      `  best step ${formatMs(bestMax)} vs written ${formatMs(a.current.maxMs)} (${formatGain(a.current.maxMs, bestMax, combinedUncertainty(a.current.maxUncertaintyMs, bestU))}); every strategy planned from scratch, seed ${ctx.args.seed ?? 0}`,
    );
  } else {
    ctx.io.out(c.dim(`  every strategy planned from scratch, seed ${ctx.args.seed ?? 0}; time = planner wall time on this machine`));
  }
  const budget = planBudgetMs(ctx.args.budgetMs, ctx.args.budgetOff);
  ctx.io.out(c.dim(`  soft time limit ${budget !== undefined ? `${budget} ms` : 'none'} per strategy (--budget MS; 0 = none)`));
  const cut = rows.filter((r) => (r.notes ?? []).length > 0).map((r) => r.strategy);
  if (cut.length > 0) ctx.io.out(c.yellow(`  ! stopped at the time budget: ${cut.join(', ')} (the best plan each found by then; see --format json notes)`));
  return feasible.length > 0 ? 0 : 1;
}

/** Prints why TorchRec cannot take the placement, one line per table, and returns exit status 1. */
function refuseExport(ctx: CliContext, a: Analysis, refusals: readonly ExportRefusal[], what: string): number {
  const where = ctx.display(a.file);
  for (const r of refusals) ctx.io.err(`${where}: ${r.table !== undefined ? `table '${r.table}': ` : ''}${r.reason}`);
  ctx.io.err(`${where}: not exported: TorchRec cannot express ${what} as is (${refusals.length} reason${refusals.length === 1 ? '' : 's'} above).`);
  return 1;
}

/** `--export` without `--replan`: the placement written in the file, exactly, or why not. */
function exportWritten(ctx: CliContext, a: Analysis, config: ShardConfig, format: 'python' | 'json'): number {
  const where = ctx.display(a.file);
  if (!config.placement || config.placement.size === 0) {
    ctx.io.err(`${where}: has no placement to export. Write one (\`shardlens plan ${where} --write\`, or Replan in the editor), or export a new plan with --replan.`);
    return 1;
  }
  // Errors in the written placement (unknown GPUs, bad splits, memory) make it unusable as written.
  const errors = a.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    for (const d of errors) ctx.io.err(formatDiagnosticLine(ctx, d, ctx.io.ce));
    ctx.io.err(
      `${where}: not exported: fix the ${errors.length} error${errors.length === 1 ? '' : 's'} in the written placement above first (or export a new plan with --replan).`,
    );
    return 1;
  }
  const result = exportTorchRec(config, config.placement, {
    format,
    modulePath: ctx.args.module ?? DEFAULT_MODULE_PATH,
    origin: { kind: 'written' },
    file: a.file,
    scored: a.current,
  });
  if (!result.ok) return refuseExport(ctx, a, result.refusals, 'the written placement');
  ctx.io.out(result.text.replace(/\n$/, ''));
  return 0;
}

/** `--fail-if-worse P%` as a percentage; only with a plain plan (not --compare or --write). */
function parseGate(ctx: CliContext): number | undefined {
  if (ctx.args.failIfWorse === undefined) return undefined;
  if (ctx.args.compare || ctx.args.write) throw new UsageError('--fail-if-worse cannot be combined with --compare or --write');
  const p = parsePercent(ctx.args.failIfWorse);
  if (!p.ok) throw new UsageError(`--fail-if-worse: ${p.error}`);
  return p.value;
}

export async function runPlan(ctx: CliContext): Promise<number> {
  const [file, ...extra] = ctx.args.positionals;
  if (!file) throw new UsageError('plan needs a FILE');
  if (extra.length > 0) throw new UsageError(`plan takes one FILE, got ${ctx.args.positionals.length}`);
  const strategy = parseStrategy(ctx.args.strategy);
  const exportFormat = parseExport(ctx.args.export);
  if (ctx.args.compare && (exportFormat || ctx.args.write)) throw new UsageError('--compare cannot be combined with --export or --write');
  if (ctx.args.tables && (ctx.args.compare || exportFormat)) throw new UsageError('--tables lists the tables of one plan: not with --compare or --export');
  if (!exportFormat && (ctx.args.replan || ctx.args.module !== undefined)) throw new UsageError('--replan and --module go with --export (plain `plan` always plans)');
  if (exportFormat && ctx.args.write && !ctx.args.replan) throw new UsageError('--export exports the written placement; --write needs a new plan: add --replan');
  const gatePercent = parseGate(ctx);
  if (ctx.args.maxMoves !== undefined && (ctx.args.compare || exportFormat || gatePercent !== undefined)) {
    throw new UsageError('--max-moves cannot be combined with --compare, --export or --fail-if-worse');
  }
  if (ctx.args.force && !ctx.args.write) throw new UsageError('--force only applies to --write');

  const { analysis: a, bytes: analysed } = await analyzeFileBytes(ctx, file);
  if (!reportProblems(ctx, a)) return 1;
  // JSON output (a plan, --compare) carries them as `warnings`; anything else says them on stderr.
  if (ctx.args.format !== 'json' || exportFormat) printCostModelWarnings(ctx, a);
  const config = a.loaded.config!;
  if (ctx.args.compare) return runCompare(ctx, a, config);

  if (exportFormat && !ctx.args.replan) return exportWritten(ctx, a, config, exportFormat);
  if (ctx.args.maxMoves !== undefined) return runMaxMoves(ctx, a, analysed, strategy, ctx.args.maxMoves);

  // What the editor's Replan proposes: the same planner call from the written placement.
  const proposal = await proposePlan(a, { strategy, seed: ctx.args.seed ?? 0, timeBudgetMs: planBudgetMs(ctx.args.budgetMs, ctx.args.budgetOff) });
  const plan = proposal.plan;

  // The gate compares the written placement with this plan, both scored by a.model.
  const gate = gatePercent !== undefined ? worseGate(a.current, plan, gatePercent) : undefined;
  if (exportFormat) {
    const result = exportTorchRec(config, plan.placement, {
      format: exportFormat,
      modulePath: ctx.args.module ?? DEFAULT_MODULE_PATH,
      origin: { kind: 'replan', strategy: plan.strategy },
      file: a.file,
      scored: plan,
    });
    if (!result.ok) return refuseExport(ctx, a, result.refusals, `the ${plan.strategy} plan`);
    ctx.io.out(result.text.replace(/\n$/, ''));
  } else if (ctx.args.format === 'json') {
    const json = planJson(plan, a.costModel?.kernels);
    const tables = ctx.args.tables ? { tables: (await placedTableCosts(config, plan.placement, a.model!)).map(placedTableJson) } : {};
    ctx.io.out(JSON.stringify({ ...json, ...tables, ...(gate ? { gate: gateJson(gate) } : {}), warnings: costModelWarningsJson(ctx, a) }, null, 2));
  } else {
    const { c } = ctx.io;
    header(ctx, a, 'ShardLens plan');
    for (const line of rangeWarningLines(ctx, a)) ctx.io.out(line);
    ctx.io.out(`  strategy ${c.bold(plan.strategy)} \u00b7 planned in ${formatMs(plan.elapsedMs)} \u00b7 ${plan.feasible ? c.green('feasible') : c.red('infeasible')}`);
    ctx.io.out('');
    ctx.io.out(planTable(plan));
    ctx.io.out('');
    if (plan.placement.size > 0) {
      ctx.io.out(placementTable(config, plan.placement));
      ctx.io.out('');
    }
    if (ctx.args.tables) {
      ctx.io.out(tablesTable(await placedTableCosts(config, plan.placement, a.model!)));
      ctx.io.out(c.dim("  fwd/bwd: the table's slowest shard alone on its GPU; memory: HBM of all its shards"));
      ctx.io.out('');
    }
    const worst = plan.gpus.length ? plan.gpus.reduce((x, y) => (y.totalMs > x.totalMs ? y : x)) : undefined;
    ctx.io.out(
      `  step ${formatMs(plan.maxMs)}${plan.maxUncertaintyMs !== undefined ? ` ${formatPlusMinus(plan.maxUncertaintyMs)}` : ''} (critical path: each phase waits for its slowest GPU)`,
    );
    ctx.io.out(`    = ${formatPhases(plan.phases, PHASE_TITLES)}`);
    ctx.io.out(
      `  busiest GPU${worst ? ` ${worst.gpu}` : ''} ${formatMs(plan.maxGpuMs)} \u00b7 mean ${formatMs(plan.meanMs)} \u00b7 max/mean ${formatRatio(plan.meanMs > 0 ? plan.maxGpuMs / plan.meanMs : NaN)}`,
    );
    if (a.current)
      ctx.io.out(
        `  written placement: step ${formatMs(a.current.maxMs)} \u2192 ${formatMs(plan.maxMs)} (${formatGain(a.current.maxMs, plan.maxMs, combinedUncertainty(a.current.maxUncertaintyMs, plan.maxUncertaintyMs))})`,
      );
    for (const r of plan.reasons) ctx.io.out(`  ${c.red('\u2717')} ${r}`);
    for (const n of plan.notes ?? []) ctx.io.out(`  ${c.yellow('!')} ${n}`);
  }
  if (gate) {
    // On stderr when it fails, so CI logs show it next to the exit status even with --format json.
    if (gate.passed) {
      if (ctx.args.format !== 'json') ctx.io.out(`  ${ctx.io.c.green('\u2713')} --fail-if-worse: ${gate.message}`);
    } else ctx.io.err(`${ctx.display(a.file)}: --fail-if-worse ${gate.thresholdPercent}%: ${gate.message}`);
    return gate.passed ? 0 : 1;
  }

  if (ctx.args.write) return writePlan(ctx, a, analysed, proposal, `the ${plan.strategy} placement`);
  return plan.feasible ? 0 : 1;
}

/** `--max-moves N`: the best plan that moves at most N tables from the written placement (engine/proposeMoves.ts). */
async function runMaxMoves(ctx: CliContext, a: Analysis, analysed: Buffer | undefined, strategy: Strategy, maxMoves: number): Promise<number> {
  let proposal;
  try {
    proposal = await proposeMoves(a, { maxMoves, strategy, seed: ctx.args.seed ?? 0, timeBudgetMs: planBudgetMs(ctx.args.budgetMs, ctx.args.budgetOff) });
  } catch (err) {
    if (!(err instanceof NotPlannableError)) throw err;
    if (ctx.args.format === 'json') ctx.io.out(JSON.stringify({ error: err.message }, null, 2));
    else ctx.io.err(`${ctx.display(a.file)}: ${err.message}`);
    return 1;
  }
  const { plan, budget } = proposal;
  if (ctx.args.format === 'json') {
    ctx.io.out(JSON.stringify({ ...planJson(plan, a.costModel?.kernels), move_budget: moveBudgetJson(budget), warnings: costModelWarningsJson(ctx, a) }, null, 2));
  } else {
    header(ctx, a, `ShardLens plan --max-moves ${maxMoves}`);
    for (const line of rangeWarningLines(ctx, a)) ctx.io.out(line);
    if (plan.gpus.length > 0) {
      ctx.io.out('');
      ctx.io.out(planTable(plan));
    }
    ctx.io.out('');
    for (const line of moveBudgetLines(budget, a.current?.maxUncertaintyMs, ctx.io.c)) ctx.io.out(line);
  }
  if (ctx.args.write) {
    if (budget.tooFewMoves || budget.moves.length === 0) {
      ctx.io.err(`${ctx.display(a.file)}: not written: ${budget.tooFewMoves ? 'the move budget is too small to make it feasible' : 'no move lowers the step'}.`);
      return plan.feasible ? 0 : 1;
    }
    return writePlan(ctx, a, analysed, proposal, `the placement with ${budget.moves.length} move${budget.moves.length === 1 ? '' : 's'}`);
  }
  return plan.feasible ? 0 : 1;
}

/**
 * `--write`: puts `plan`'s placement into the analysed file, atomically, only
 * when the plan is feasible and the file still holds the bytes analysed.
 * `what` names it in the confirmation ("the best placement").
 */
/** Writes a proposal's placement edit (computed once, with the proposal) into the file it was analysed from. */
export function writePlan(ctx: CliContext, a: Analysis, analysed: Buffer | undefined, { plan, edit: placement }: Proposal, what: string): number {
  if (!plan.feasible) {
    ctx.io.err(`${ctx.display(a.file)}: not written: the plan is infeasible.`);
    return 1;
  }
  // Edit the bytes that were analysed, and only if the file still holds them.
  const read = readTextFileOrWhy(a.file);
  if ('why' in read) {
    ctx.io.err(`cannot write ${ctx.display(a.file)}: ${read.why}`);
    return 1;
  }
  if (!analysed || !read.bytes.equals(analysed)) {
    ctx.io.err(`${ctx.display(a.file)}: not written: it changed while planning. Run the command again.`);
    return 1;
  }
  const { file: target, edit } = placement;
  if (path.resolve(target) !== path.resolve(a.file)) {
    ctx.io.err(`cannot write: the placement belongs in ${ctx.display(target)}, not ${ctx.display(a.file)}`);
    return 1;
  }
  writeFileAtomic(a.file, applyEditToBytes(read.bytes, edit, read.text), { force: ctx.args.force, forceOption: '--force' });
  ctx.io.err(`wrote ${what} to ${ctx.display(a.file)}`);
  return 0;
}
