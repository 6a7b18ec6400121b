/**
 * `shardlens plan FILE`: plan a placement and print its per-GPU costs (a table
 * in the spirit of TorchRec's planner stats), or every strategy side by side
 * (`--compare`), or the plan as TorchRec input (`--export`). `--write` puts the
 * placement into FILE, atomically, and only when asked.
 * Exit 1 when the config has errors or the plan is infeasible.
 */
import * as path from 'node:path';
import { placementEdit } from '../config/placementText';
import type { ShardConfig } from '../config/types';
import { planConfig } from '../plan/planner';
import { toTorchRec } from '../plan/torchrecExport';
import { STRATEGIES, type PlanResult, type Strategy } from '../plan/types';
import { DEFAULT_STRATEGY, blockingErrors, type Analysis } from '../engine';
import { errorText } from '../engine/engineDiagnostics';
import { formatChange, formatMs, formatPhases, formatRatio, gibCell, msCell } from '../engine/format';
import { PHASE_TITLES } from '../cost/stepCost';
import { UsageError } from './args';
import { applyEdit, writeFileAtomic } from './atomicWrite';
import { formatDiagnosticLine, summaryLine } from './check';
import { analyzeFile, type CliContext } from './context';
import { diagnosticJson, planJson, type CompareRowJson } from './jsonShapes';
import { readTextFileOrWhy } from './diskFileReader';
import { renderTable } from './textTable';

function parseStrategy(s: string | undefined): Strategy {
  if (s === undefined) return DEFAULT_STRATEGY;
  if ((STRATEGIES as readonly string[]).includes(s)) return s as Strategy;
  throw new UsageError(`unknown strategy '${s}' (strategies: ${STRATEGIES.join(', ')})`);
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

/** Prints the config's problems (stderr in text mode) and returns whether it can be planned. */
function reportProblems(ctx: CliContext, a: Analysis): boolean {
  // Errors in the written placement do not block: a new plan replaces it.
  const errors = blockingErrors(a);
  if (a.loaded.config && a.model && errors.length === 0) return true;
  if (ctx.args.format === 'json') {
    ctx.io.out(JSON.stringify({ error: 'the config has errors; fix them before planning', diagnostics: a.diagnostics.map((d) => diagnosticJson(d, ctx.display)) }, null, 2));
  } else {
    for (const d of errors.length ? errors : a.diagnostics) ctx.io.err(formatDiagnosticLine(ctx, d, ctx.io.ce));
    ctx.io.err(`${ctx.display(a.file)}: cannot plan: ${errors.length ? `fix the ${errors.length} error${errors.length === 1 ? '' : 's'} above first` : 'no cost model is available'}.`);
  }
  return false;
}

export function planTable(plan: PlanResult): string {
  const columns = [
    { header: 'GPU', align: 'right' as const }, { header: 'tables', align: 'right' as const },
    { header: 'fwd ms', align: 'right' as const }, { header: 'bwd ms', align: 'right' as const },
    { header: 'comm ms', align: 'right' as const }, { header: 'total ms', align: 'right' as const },
    { header: 'memory GiB', align: 'right' as const }, { header: 'mem %', align: 'right' as const },
  ];
  const rows = plan.gpus.map((g) => [
    String(g.gpu), String(g.tables.length), msCell(g.fwdMs), msCell(g.bwdMs), msCell(g.commMs), msCell(g.totalMs),
    `${gibCell(g.memoryBytes)} / ${gibCell(g.capacityBytes)}`,
    g.capacityBytes > 0 ? `${((g.memoryBytes / g.capacityBytes) * 100).toFixed(1)}%` : '–',
  ]);
  return renderTable(columns, rows);
}

function header(ctx: CliContext, a: Analysis, title: string): void {
  const { c } = ctx.io;
  ctx.io.out(`${c.bold(title)} \u00b7 ${ctx.display(a.file)}`);
  const s = summaryLine(ctx, a);
  if (s) ctx.io.out(`  ${c.dim(s)}`);
}

async function runCompare(ctx: CliContext, a: Analysis, config: ShardConfig): Promise<number> {
  const rows: CompareRowJson[] = [];
  for (const strategy of STRATEGIES) {
    const t0 = performance.now();
    try {
      const p = await planConfig(config, strategy, a.model!, { seed: ctx.args.seed ?? 0, timeBudgetMs: ctx.args.budgetMs });
      const scored = p.gpus.length > 0;
      rows.push({
        strategy, elapsed_ms: p.elapsedMs, max_ms: scored ? p.maxMs : null, mean_ms: scored ? p.meanMs : null,
        max_over_mean: scored && p.meanMs > 0 ? p.maxGpuMs / p.meanMs : null, feasible: p.feasible, reasons: p.reasons,
      });
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
    ctx.io.out(JSON.stringify({
      file: ctx.display(a.file),
      cost_model: a.costModel?.name,
      current: a.current ? { max_ms: a.current.maxMs, mean_ms: a.current.meanMs, max_gpu_ms: a.current.maxGpuMs, feasible: a.current.feasible } : null,
      results: rows,
    }, null, 2));
    return feasible.length > 0 ? 0 : 1;
  }

  const { c } = ctx.io;
  header(ctx, a, 'ShardLens plan --compare');
  ctx.io.out('');
  const columns = [
    { header: 'strategy', align: 'left' as const }, { header: 'step ms', align: 'right' as const },
    { header: 'mean ms', align: 'right' as const }, { header: 'max/mean', align: 'right' as const },
    { header: 'feasible', align: 'left' as const }, { header: 'time ms', align: 'right' as const },
    { header: '', align: 'left' as const },
  ];
  const table: string[][] = [];
  if (a.current) {
    const cur = a.current;
    table.push([c.dim('(written)'), msCell(cur.maxMs), msCell(cur.meanMs), formatRatio(cur.maxGpuMs / cur.meanMs), cur.feasible ? 'yes' : c.red('no'), '', '']);
  }
  for (const r of rows) {
    if (r.max_ms === null) {
      const why = r.error ?? r.reasons[0] ?? '';
      table.push([c.dim(r.strategy), '–', '–', '–', r.error ? c.red('error') : c.dim('n/a'), r.elapsed_ms.toFixed(0), c.dim(why.length > 64 ? `${why.slice(0, 63)}\u2026` : why)]);
      continue;
    }
    const best = r === marked;
    table.push([
      best ? c.bold(r.strategy) : r.strategy, msCell(r.max_ms), msCell(r.mean_ms ?? NaN),
      r.max_over_mean !== null ? formatRatio(r.max_over_mean) : '–',
      r.feasible ? 'yes' : c.red('no'), r.elapsed_ms.toFixed(0),
      best ? c.green('\u25c0 lowest step') : r.feasible ? '' : c.dim((r.reasons[0] ?? '').slice(0, 64)),
    ]);
  }
  ctx.io.out(renderTable(columns, table));
  ctx.io.out('');
  if (bestMax !== undefined && a.current) {
    ctx.io.out(`  best step ${formatMs(bestMax)} vs written ${formatMs(a.current.maxMs)} (${formatChange(a.current.maxMs, bestMax)}); every strategy planned from scratch, seed ${ctx.args.seed ?? 0}`);
  } else {
    ctx.io.out(c.dim(`  every strategy planned from scratch, seed ${ctx.args.seed ?? 0}; time = planner wall time on this machine`));
  }
  if (ctx.args.budgetMs !== undefined) {
    ctx.io.out(c.dim(`  soft time limit ${ctx.args.budgetMs} ms per strategy (--budget)`));
  }
  return feasible.length > 0 ? 0 : 1;
}

export async function runPlan(ctx: CliContext): Promise<number> {
  const [file, ...extra] = ctx.args.positionals;
  if (!file) throw new UsageError('plan needs a FILE');
  if (extra.length > 0) throw new UsageError(`plan takes one FILE, got ${ctx.args.positionals.length}`);
  const strategy = parseStrategy(ctx.args.strategy);
  const exportFormat = parseExport(ctx.args.export);
  if (ctx.args.compare && (exportFormat || ctx.args.write)) throw new UsageError('--compare cannot be combined with --export or --write');

  const a = await analyzeFile(ctx, file);
  if (!reportProblems(ctx, a)) return 1;
  const config = a.loaded.config!;
  if (ctx.args.compare) return runCompare(ctx, a, config);

  const plan = await planConfig(config, strategy, a.model!, {
    seed: ctx.args.seed ?? 0,
    timeBudgetMs: ctx.args.budgetMs,
    start: config.placement && config.placement.size > 0 ? config.placement : undefined,
  });

  if (exportFormat) {
    ctx.io.out(toTorchRec(config, plan, exportFormat));
  } else if (ctx.args.format === 'json') {
    ctx.io.out(JSON.stringify(planJson(plan), null, 2));
  } else {
    const { c } = ctx.io;
    header(ctx, a, 'ShardLens plan');
    ctx.io.out(`  strategy ${c.bold(plan.strategy)} \u00b7 planned in ${formatMs(plan.elapsedMs)} \u00b7 ${plan.feasible ? c.green('feasible') : c.red('infeasible')}`);
    ctx.io.out('');
    ctx.io.out(planTable(plan));
    ctx.io.out('');
    const worst = plan.gpus.length ? plan.gpus.reduce((x, y) => (y.totalMs > x.totalMs ? y : x)) : undefined;
    ctx.io.out(`  step ${formatMs(plan.maxMs)} (critical path: each phase waits for its slowest GPU)`);
    ctx.io.out(`    = ${formatPhases(plan.phases, PHASE_TITLES)}`);
    ctx.io.out(`  busiest GPU${worst ? ` ${worst.gpu}` : ''} ${formatMs(plan.maxGpuMs)} \u00b7 mean ${formatMs(plan.meanMs)} \u00b7 max/mean ${formatRatio(plan.meanMs > 0 ? plan.maxGpuMs / plan.meanMs : NaN)}`);
    if (a.current) ctx.io.out(`  written placement: step ${formatMs(a.current.maxMs)} \u2192 ${formatMs(plan.maxMs)} (${formatChange(a.current.maxMs, plan.maxMs)})`);
    for (const r of plan.reasons) ctx.io.out(`  ${c.red('\u2717')} ${r}`);
  }

  if (ctx.args.write) {
    if (!plan.feasible) {
      ctx.io.err(`${ctx.display(a.file)}: not written: the plan is infeasible.`);
      return 1;
    }
    const read = readTextFileOrWhy(a.file);
    if ('why' in read) { ctx.io.err(`cannot write ${ctx.display(a.file)}: ${read.why}`); return 1; }
    const { file: target, edit } = placementEdit(a.loaded, plan.placement);
    if (path.resolve(target) !== path.resolve(a.file)) {
      ctx.io.err(`cannot write: the placement belongs in ${ctx.display(target)}, not ${ctx.display(a.file)}`);
      return 1;
    }
    writeFileAtomic(a.file, applyEdit(read.text, edit));
    ctx.io.err(`wrote the ${plan.strategy} placement to ${ctx.display(a.file)}`);
  }
  return plan.feasible ? 0 : 1;
}
