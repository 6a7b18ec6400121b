/**
 * `shardlens sweep FILE --gpus 16,32,64,128 [--type H100-80GB,A100-80GB]`:
 * what if the same tables ran on other clusters? One plan per (type, count),
 * printed as a table (or the JSON of docs/cli.md): step time, max/mean,
 * memory used, feasible or why not, GPU-seconds per step.
 * Exit 0 when at least one cluster is feasible, 1 when none is or the config
 * has errors, 2 for usage mistakes.
 */
import type { Analysis } from '../engine';
import { formatMs, formatPercent, formatRatio, msCell } from '../engine/format';
import { DEFAULT_SWEEP_PLAN_BUDGET_MS, sweepBlockingErrors, sweepConfig, type SweepResult, type SweepRow } from '../engine/sweep';
import { clusterCountProblem, defaultSweepCounts, parseGpuCounts, parseGpuTypes } from '../engine/sweepInput';
import { UsageError } from './args';
import { formatDiagnosticLine, summaryLine } from './check';
import { analyzeFile, type CliContext } from './context';
import { diagnosticJson, sweepJson } from './jsonShapes';
import { parseStrategy } from './plan';
import { renderTable } from './textTable';

function cannotSweep(ctx: CliContext, a: Analysis): number {
  const errors = sweepBlockingErrors(a);
  if (ctx.args.format === 'json') {
    ctx.io.out(JSON.stringify({ error: 'the config has errors; fix them before a sweep', diagnostics: a.diagnostics.map((d) => diagnosticJson(d, ctx.display)) }, null, 2));
  } else {
    for (const d of errors.length ? errors : a.diagnostics) ctx.io.err(formatDiagnosticLine(ctx, d, ctx.io.ce));
    ctx.io.err(`${ctx.display(a.file)}: cannot sweep: fix the ${errors.length} error${errors.length === 1 ? '' : 's'} above first.`);
  }
  return 1;
}

function feasibleCell(r: SweepRow): string {
  return r.feasible ? 'yes' : 'no';
}

function printText(ctx: CliContext, a: Analysis, result: SweepResult): void {
  const { c } = ctx.io;
  ctx.io.out(`${c.bold('ShardLens sweep')} \u00b7 ${ctx.display(a.file)}`);
  const s = summaryLine(ctx, a);
  if (s) ctx.io.out(`  ${c.dim(s)}`);
  const limit = result.planBudgetMs !== undefined ? `soft limit ${result.planBudgetMs} ms per plan` : 'no time limit';
  ctx.io.out(`  strategy ${c.bold(result.strategy)} \u00b7 ${limit} \u00b7 seed ${ctx.args.seed ?? 0} \u00b7 ${formatMs(result.elapsedMs)} in all`);
  ctx.io.out('');
  const feasible = result.rows.filter((r) => r.feasible && r.gpuSecondsPerStep !== undefined);
  const cheapest = feasible.length ? feasible.reduce((x, y) => (y.gpuSecondsPerStep! < x.gpuSecondsPerStep! ? y : x)) : undefined;
  const fastest = feasible.length ? feasible.reduce((x, y) => (y.maxMs! < x.maxMs! ? y : x)) : undefined;
  const columns = [
    { header: 'type', align: 'left' as const },
    { header: 'GPUs', align: 'right' as const },
    { header: 'step ms', align: 'right' as const },
    { header: 'max/mean', align: 'right' as const },
    { header: 'memory', align: 'right' as const },
    { header: 'feasible', align: 'left' as const },
    { header: 'GPU\u00b7s/step', align: 'right' as const },
    { header: 'plan ms', align: 'right' as const },
    { header: '', align: 'left' as const },
  ];
  const rows = result.rows.map((r) => {
    const marks = [r === fastest ? 'fastest' : '', r === cheapest ? 'cheapest' : ''].filter(Boolean).join(', ');
    return [
      r.type,
      String(r.gpus),
      r.maxMs !== undefined ? msCell(r.maxMs) : '\u2013',
      r.maxMs !== undefined && r.meanMs ? formatRatio(r.maxMs / r.meanMs) : '\u2013',
      Number.isFinite(r.memoryFraction) ? formatPercent(r.memoryFraction) : '\u2013',
      r.feasible ? feasibleCell(r) : c.red(feasibleCell(r)),
      r.gpuSecondsPerStep !== undefined ? r.gpuSecondsPerStep.toFixed(3) : '\u2013',
      r.elapsedMs.toFixed(0),
      marks ? c.green(`\u25c0 ${marks}`) : '',
    ];
  });
  ctx.io.out(renderTable(columns, rows));
  ctx.io.out('');
  for (const r of result.rows.filter((x) => !x.feasible)) ctx.io.out(`  ${c.red('\u2717')} ${r.type} \u00d7 ${r.gpus}: ${r.reason ?? 'infeasible'}`);
  for (const r of result.rows.filter((x) => x.droppedPins)) {
    const pins = r.droppedPins!;
    ctx.io.out(c.dim(`  ${r.type} \u00d7 ${r.gpus}: pins past its last GPU ignored: ${pins.slice(0, 3).join(', ')}${pins.length > 3 ? ` and ${pins.length - 3} more` : ''}`));
  }
  const models = [...new Map(result.rows.filter((r) => r.costModel !== 'none').map((r) => [r.type, r])).values()];
  for (const r of models) {
    ctx.io.out(c.dim(`  ${r.type} scored by ${r.costModel}${r.costModelWarning ? ` (${r.costModelWarning})` : ''}`));
  }
  if (new Set(models.map((r) => r.costModel)).size > 1) {
    ctx.io.out(c.yellow('  ! the GPU types are priced by different cost models: comparing them compares the models too'));
  }
  ctx.io.out(c.dim("  step ms = the plan's predicted step time (max over GPUs); memory = used / usable HBM of all GPUs;"));
  ctx.io.out(c.dim('  GPU\u00b7s/step = step ms / 1000 \u00d7 GPUs (what one step costs); plan ms = planner wall time on this machine'));
}

export async function runSweep(ctx: CliContext): Promise<number> {
  const [file, ...extra] = ctx.args.positionals;
  if (!file) throw new UsageError('sweep needs a FILE');
  if (extra.length > 0) throw new UsageError(`sweep takes one FILE, got ${ctx.args.positionals.length}`);
  const strategy = parseStrategy(ctx.args.strategy);
  let counts: number[] | undefined;
  if (ctx.args.gpus !== undefined) {
    const parsed = parseGpuCounts(ctx.args.gpus);
    if (!parsed.ok) throw new UsageError(`--gpus: ${parsed.error}`);
    counts = parsed.value;
  }

  const a = await analyzeFile(ctx, file);
  const config = a.loaded.config;
  if (!config || sweepBlockingErrors(a).length > 0) return cannotSweep(ctx, a);
  const types = parseGpuTypes(ctx.args.type ?? '', config.devices.type);
  if (!types.ok) throw new UsageError(`--type: ${types.error}`);
  counts ??= defaultSweepCounts(config.devices.count);
  const tooMany = clusterCountProblem(counts.length, types.value.length);
  if (tooMany) throw new UsageError(tooMany);

  const planBudgetMs = ctx.args.budgetOff ? 0 : (ctx.args.budgetMs ?? DEFAULT_SWEEP_PLAN_BUDGET_MS);
  const result = await sweepConfig(config, ctx.costModels, { counts, types: types.value, strategy, seed: ctx.args.seed ?? 0, planBudgetMs });
  if (ctx.args.format === 'json') ctx.io.out(JSON.stringify(sweepJson(result, ctx.display(a.file)), null, 2));
  else printText(ctx, a, result);
  return result.rows.some((r) => r.feasible) ? 0 : 1;
}
