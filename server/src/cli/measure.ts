/**
 * `shardlens measure FILE`: does the plan's prediction hold on this GPU?
 *
 * 1. The plan: the written placement (`--placement written`, the default when
 *    FILE places every table) or a new one (`--strategy S`), scored by the
 *    cost model as `plan` does.
 * 2. The specs: every GPU's shard set (plan/measureSpec.ts) → OUT/specs.jsonl,
 *    the predictions → OUT/plan.json. `--dry-run` stops here (exit 0).
 * 3. The collector (models/shardlens_cost, Python + PyTorch; $PYTHON or
 *    python3) measures each set on this GPU, one after the other; with as many
 *    GPUs as the plan, under torchrun, the sets run at once and the all-to-all
 *    is timed too. No PyTorch, no GPU, or a kernel this machine cannot run:
 *    exit 2, after writing the specs, with what to do.
 * 4. Predicted vs measured per GPU (plan/measuredJoin.ts), the errors and the
 *    measured max → stdout, OUT/report.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ShardConfig } from '../config/types';
import { placementComplete, type Analysis } from '../engine';
import { formatMs } from '../engine/format';
import { planBudgetMs } from '../plan/budget';
import { evaluatePlacement } from '../plan/evaluate';
import { joinPlan, parseMeasuredLines, type PlanComparison } from '../plan/measuredJoin';
import { cannotRun, placementSpecs, specLines, type SetSpec } from '../plan/measureSpec';
import { planConfig } from '../plan/planner';
import type { PlanResult } from '../plan/types';
import { UsageError } from './args';
import { analyzeFile, defaultModelsDir, type CliContext } from './context';
import { planJson } from './jsonShapes';
import { jnum, measureGpuJson, measureSummaryJson, type MeasureJson, type MeasureStatus } from './measureJson';
import { parseStrategy, reportProblems } from './plan';
import { probePython, pythonCommand, runPython } from '../io/python';
import { renderTable } from './textTable';

/** Folder holding the collector package (shardlens_cost/collector.py). */
export function collectorDir(modelsDir: string | undefined): string | undefined {
  const candidates = [modelsDir, defaultModelsDir()].filter((d): d is string => !!d);
  return candidates.find((d) => {
    try {
      readFileSync(path.join(d, 'shardlens_cost', 'collector.py'));
      return true;
    } catch {
      return false;
    }
  });
}

function defaultOutDir(ctx: CliContext, file: string): string {
  const stem = path
    .basename(file)
    .replace(/\.shard\.(ya?ml|json)$/i, '')
    .replace(/\.(ya?ml|json)$/i, '');
  return path.resolve(ctx.cwd, 'shardlens-measure', stem);
}

function pct(x: number | undefined): string {
  return typeof x === 'number' && Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '–';
}
function signedPct(pred: number, meas: number | undefined): string {
  if (meas === undefined || !(meas > 0)) return '–';
  const e = (pred - meas) / meas;
  return `${e >= 0 ? '+' : '\u2212'}${Math.abs(100 * e).toFixed(1)}%`;
}
function cell(ms: number | undefined): string {
  return typeof ms === 'number' && Number.isFinite(ms) ? ms.toFixed(3) : '–';
}

async function thePlan(ctx: CliContext, a: Analysis): Promise<{ plan: PlanResult; source: 'written' | 'planned' }> {
  const config = a.loaded.config!;
  const wantWritten = ctx.args.placement === 'written' || (ctx.args.strategy === undefined && placementComplete(config));
  if (wantWritten) {
    if (!placementComplete(config)) throw new UsageError(`${ctx.display(a.file)} does not place every table; measure a new plan with --strategy S`);
    return { plan: await evaluatePlacement(config, config.placement!, a.model!, 'best'), source: 'written' };
  }
  const strategy = parseStrategy(ctx.args.strategy);
  return { plan: await planConfig(config, strategy, a.model!, { seed: ctx.args.seed ?? 0, timeBudgetMs: planBudgetMs(ctx.args.budgetMs, ctx.args.budgetOff) }), source: 'planned' };
}

export async function runMeasure(ctx: CliContext): Promise<number> {
  const [file, ...extra] = ctx.args.positionals;
  if (!file) throw new UsageError('measure needs a FILE');
  if (extra.length > 0) throw new UsageError(`measure takes one FILE, got ${ctx.args.positionals.length}`);
  if (ctx.args.placement && ctx.args.strategy) throw new UsageError('choose --strategy S or --placement written, not both');
  if (ctx.args.strategy !== undefined) parseStrategy(ctx.args.strategy);

  const a = await analyzeFile(ctx, file);
  if (!reportProblems(ctx, a)) return 1;
  const { plan, source } = await thePlan(ctx, a);
  return measurePlan(ctx, { file: a.file, config: a.loaded.config!, plan, source });
}

export interface PlanToMeasure {
  /** The config file (absolute), for messages and the default output folder. */
  file: string;
  config: ShardConfig;
  /** The plan scored by the cost model (evaluatePlacement or planConfig). */
  plan: PlanResult;
  source: 'written' | 'planned';
}

/** Steps 2–4 of the file comment for a scored plan; resolves to the exit status. */
export async function measurePlan(ctx: CliContext, { file, config, plan, source }: PlanToMeasure): Promise<number> {
  const rounds = ctx.args.repeats ?? 1;
  const json = ctx.args.format === 'json';
  const outDir = ctx.args.out ? path.resolve(ctx.cwd, ctx.args.out) : defaultOutDir(ctx, file);
  const files = { specs: path.join(outDir, 'specs.jsonl'), plan: path.join(outDir, 'plan.json') };
  const result: MeasureJson = {
    file: ctx.display(file),
    status: 'dry_run',
    plan: {
      source,
      strategy: source === 'written' ? 'written' : plan.strategy,
      cost_model: plan.costModel,
      feasible: plan.feasible,
      predicted_max_ms: jnum(plan.maxMs),
      gpus: plan.gpus.length,
    },
    files: { specs: ctx.display(files.specs), plan: ctx.display(files.plan) },
    rounds,
    gpus: [],
    problems: [],
  };
  const { c } = ctx.io;
  const say = (line: string) => {
    if (!json) ctx.io.out(line);
  };
  const stop = (status: MeasureStatus, message: string, code: number): number => {
    result.status = status;
    result.message = message;
    if (json) ctx.io.out(JSON.stringify(result, null, 2));
    else ctx.io.err(`shardlens measure: ${message}`);
    return code;
  };

  if (!plan.feasible) {
    for (const r of plan.reasons) ctx.io.err(`  ${c.red('\u2717')} ${r}`);
    return stop('cannot_run', `the ${source === 'written' ? 'written placement' : `${plan.strategy} plan`} is infeasible; nothing to measure`, 1);
  }
  const planId = source === 'written' ? 'written' : plan.strategy;
  const specs: SetSpec[] = placementSpecs(config, plan.placement, { plan: planId });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(files.specs, specLines(specs));
  writeFileSync(files.plan, JSON.stringify({ ...planJson(plan), source, config: ctx.display(file) }, null, 2) + '\n');

  say(`${c.bold('ShardLens measure')} \u00b7 ${ctx.display(file)}`);
  say(
    `  plan: ${source === 'written' ? 'the written placement' : `${plan.strategy} (planned)`} \u00b7 ${plan.gpus.length} GPUs \u00b7 predicted max ${formatMs(plan.maxMs)} by ${plan.costModel}`,
  );
  say(`  wrote ${specs.length} set specs to ${ctx.display(files.specs)}`);

  const collector = collectorDir(ctx.args.modelsDir ?? process.env.SHARDLENS_MODELS_DIR);
  const python = pythonCommand();
  const by = (gpu: number) => `${planId}/gpu${gpu}`;
  const manual = `cd ${collector ? ctx.display(collector) : 'models'} && ${python} -m shardlens_cost.collector --specs ${files.specs} --out ${path.join(outDir, 'measured.jsonl')}${rounds > 1 ? ` --repeats ${rounds}` : ''}`;
  if (ctx.args.dryRun) {
    say(`  dry run: nothing measured. To measure on a GPU machine:\n    ${manual}`);
    if (json) ctx.io.out(JSON.stringify(result, null, 2));
    return 0;
  }
  if (!collector)
    return stop(
      'cannot_run',
      `the collector (shardlens_cost/collector.py) is not in ${ctx.args.modelsDir ?? defaultModelsDir()}; run from a ShardLens checkout or pass --models-dir`,
      2,
    );

  const probe = probePython(python);
  if (!probe.ok) return stop('cannot_run', `${probe.why}. The specs are in ${ctx.display(files.specs)}.`, 2);
  result.device = { python: probe.executable, torch: probe.torch, gpu: probe.gpu ?? null, gpus: probe.gpus, fbgemm: probe.fbgemm, cpu: ctx.args.cpu };
  const refused = cannotRun(specs, { fbgemm: probe.fbgemm, cpu: ctx.args.cpu });
  if (!probe.cuda && !ctx.args.cpu) {
    return stop(
      'no_gpu',
      `no GPU: PyTorch ${probe.torch} at ${probe.executable} sees no CUDA device. The specs are in ${ctx.display(files.specs)}; ` +
        `on a machine with a GPU run 'shardlens measure' there, or:\n    ${manual}${refused.length ? `\n  There, too: ${refused.join('; ')}.` : ''}`,
      2,
    );
  }
  if (refused.length) return stop('cannot_run', `cannot measure this plan here: ${refused.join('; ')}. The specs are in ${ctx.display(files.specs)}.`, 2);

  const measuredFile = path.join(outDir, 'measured.jsonl');
  const envFile = path.join(outDir, 'env.json');
  writeFileSync(measuredFile, '');
  const world = plan.gpus.length;
  const together = !ctx.args.cpu && world > 1 && probe.gpus >= world;
  const collectorArgs = [
    '-m',
    'shardlens_cost.collector',
    '--specs',
    files.specs,
    '--out',
    measuredFile,
    '--env-out',
    envFile,
    '--repeats',
    String(rounds),
    '--device',
    ctx.args.cpu ? 'cpu' : 'cuda',
    ...(ctx.args.cpu ? ['--reps', '3', '--warmup', '1'] : []),
  ];
  const args = together ? ['-m', 'torch.distributed.run', `--nproc_per_node=${world}`, ...collectorArgs] : collectorArgs;
  say(
    `  measuring on ${ctx.args.cpu ? 'CPU tensors (a functional check: these are not GPU times)' : together ? `${world} GPUs at once (torchrun), collectives too` : `${probe.gpu ?? 'the GPU'}, one set after another`} with ${probe.executable} (PyTorch ${probe.torch})\u2026`,
  );
  const log: string[] = [];
  const code = await runPython(python, args, {
    cwd: collector,
    onLine: (l) => {
      log.push(l);
      if (log.length > 40) log.shift();
      if (!json && /^rank|noise floor|error|Error/.test(l)) ctx.io.err(c.dim(`  ${l}`));
    },
  });
  if (code !== 0) return stop('failed', `the collector failed (exit ${code}):\n${log.slice(-15).join('\n')}`, code === 2 ? 2 : 1);

  const { sets, errors } = parseMeasuredLines(readFileSync(measuredFile, 'utf8'));
  const cmp: PlanComparison = joinPlan(plan, sets, by);
  result.status = 'measured';
  result.files = { ...result.files, measured: ctx.display(measuredFile), env: ctx.display(envFile), report: ctx.display(path.join(outDir, 'report.json')) };
  result.gpus = cmp.gpus.map(measureGpuJson);
  result.summary = measureSummaryJson(cmp);
  result.problems = errors.map((e) => `${ctx.display(measuredFile)}:${e.line}: ${e.message}`);
  writeFileSync(path.join(outDir, 'report.json'), JSON.stringify(result, null, 2) + '\n');
  if (json) {
    ctx.io.out(JSON.stringify(result, null, 2));
  } else {
    printComparison(ctx, cmp, rounds);
    for (const p of result.problems) ctx.io.err(`  ${c.red('\u2717')} ${p}`);
    ctx.io.out(c.dim(`  report: ${result.files.report}`));
  }
  return cmp.measuredGpus > 0 ? 0 : 1;
}

function printComparison(ctx: CliContext, cmp: PlanComparison, rounds: number): void {
  const { c } = ctx.io;
  const commMeasured = cmp.gpus.some((g) => g.measured?.commMeasured);
  const columns = [
    { header: 'GPU', align: 'right' as const },
    { header: 'tables', align: 'right' as const },
    { header: 'fwd pred', align: 'right' as const },
    { header: 'fwd meas', align: 'right' as const },
    { header: 'err', align: 'right' as const },
    { header: 'bwd pred', align: 'right' as const },
    { header: 'bwd meas', align: 'right' as const },
    { header: 'err', align: 'right' as const },
    { header: commMeasured ? 'comm pred' : 'comm (pred)', align: 'right' as const },
    ...(commMeasured ? [{ header: 'comm meas', align: 'right' as const }] : []),
    { header: 'total pred', align: 'right' as const },
    { header: 'total meas', align: 'right' as const },
    { header: 'err', align: 'right' as const },
    ...(rounds > 1 ? [{ header: 'spread', align: 'right' as const }] : []),
  ];
  const rows = cmp.gpus.map((g) => {
    const m = g.measured;
    const mark = g.gpu === cmp.measuredMaxGpu ? c.bold : (s: string) => s;
    return [
      mark(String(g.gpu)),
      String(g.tables),
      cell(g.predicted.fwdMs),
      cell(m?.fwdMs),
      signedPct(g.predicted.fwdMs, m?.fwdMs),
      cell(g.predicted.bwdMs),
      cell(m?.bwdMs),
      signedPct(g.predicted.bwdMs, m?.bwdMs),
      cell(g.predicted.commMs),
      ...(commMeasured ? [m?.commMeasured ? cell(m.commMs) : '–'] : []),
      cell(g.predicted.totalMs),
      mark(cell(m?.totalMs)),
      signedPct(g.predicted.totalMs, m?.totalMs),
      ...(rounds > 1 ? [pct(m?.spread)] : []),
    ];
  });
  ctx.io.out('');
  ctx.io.out(renderTable(columns, rows));
  ctx.io.out('');
  ctx.io.out(`  ${c.dim('ms per step; err = (predicted − measured) / measured')}`);
  ctx.io.out(
    `  measured max ${c.bold(formatMs(cmp.measuredMaxMs))} (GPU ${cmp.measuredMaxGpu ?? '–'}) \u00b7 predicted max ${formatMs(cmp.predictedMaxMs)} \u00b7 error of the max ${signedPct(cmp.predictedMaxMs, cmp.measuredMaxMs)}`,
  );
  ctx.io.out(
    `  per-GPU MAPE: fwd ${pct(cmp.mape.fwd)}, bwd ${pct(cmp.mape.bwd)}, fwd+bwd ${pct(cmp.mape.compute)}, total ${pct(cmp.mape.total)} \u00b7 GPU order Kendall \u03c4 ${Number.isFinite(cmp.gpuTau) ? cmp.gpuTau.toFixed(2) : '–'}`,
  );
  if (!commMeasured)
    ctx.io.out(c.dim('  communication is predicted, not measured (one GPU measures each set in turn; with as many GPUs as the plan, measure times the all-to-all too)'));
  if (rounds > 1) ctx.io.out(c.dim(`  ${rounds} rounds per set, shuffled; medians shown; spread = (max − min) / median of fwd+bwd over the rounds`));
}
