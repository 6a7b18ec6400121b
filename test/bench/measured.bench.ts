/**
 * `npm run bench:measured` (needs a GPU): plans MEASURED on a GPU, not scored
 * by the model that made them. For the small/medium bench:plan tasks
 * (tasks.ts) and the 8 predicted-busiest GPUs of examples/dlrm-856.shard.yaml,
 * every plan of the baselines, greedy, search, best (and torchrec, when the
 * planner has it) is written as set specs; the collector (models/, Python +
 * PyTorch) times each GPU's set; the report gives per task the measured max
 * per strategy, the measured gain of each over the best baseline and over
 * torchrec, the predicted-vs-measured per-GPU error and Kendall τ between
 * predicted and measured plan maxima.
 *
 * Every table runs PyTorch's embedding_bag (kernel torch_embedding_bag) with a
 * plain SGD step (optimizer sgd): what a GPU machine without FBGEMM runs, what
 * the H100 campaign measured and the shipped learned model knows. Plans are
 * made for that config (so predictions and measurements price the same work).
 *
 * Phases (--phase, default all):
 *   prepare  plan everything, write OUT/specs.jsonl (identical sets once,
 *            most useful first: seed-0 tasks, dlrm-856, seeds 1 and 2) and
 *            OUT/plans.json; CPU only
 *   measure  run the collector on OUT/specs.jsonl for at most --budget-s
 *            seconds, appending to OUT/measured.jsonl as it goes; the same
 *            command as models/scripts/measure-plans.sh, which runs on a GPU
 *            machine without Node
 *   report   join OUT/plans.json with the measurements (--measured FILE, default
 *            OUT/measured.jsonl); print the tables; with a GPU's measurements
 *            write models/data/measured-plans-<gpu>.jsonl (the collector's
 *            lines), …-<gpu>.plans.jsonl (per task/strategy/GPU, predicted and
 *            measured) and …-<gpu>.env.json (environment and commands)
 * Options: --out DIR (default models/build/measured), --budget-s S (480),
 * --device cuda|cpu, --tiny (two tiny tasks: the smoke test with --device cpu),
 * --reps N (3) --warmup N (1), --measured FILE, --no-write.
 * Without a GPU, `all` and `measure` refuse (exit 2) unless --device cpu.
 */
import { execSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { columnsOf, renderTable } from '../../server/src/cli/textTable';
import { diskFileReader } from '../../server/src/io/diskFileReader';
import { probePython, pythonCommand, runPython } from '../../server/src/io/python';
import { loadConfig } from '../../server/src/config/load';
import { GPU_PRESETS } from '../../server/src/config/presets';
import type { ShardConfig } from '../../server/src/config/types';
import { kendallTau, mape, median } from '../../server/src/cost/accuracy';
import { loadCostModel } from '../../server/src/cost/registry';
import { diskModelFiles } from '../../server/src/io/modelFiles';
import type { CostModel } from '../../server/src/cost/types';
import { busiestGpus, joinPlan, parseMeasuredLines } from '../../server/src/plan/measuredJoin';
import { placementSpecs, type SetSpec } from '../../server/src/plan/measureSpec';
import { planConfig } from '../../server/src/plan/planner';
import { STRATEGIES, type Strategy } from '../../server/src/plan/types';
import { BENCH_TASKS, makeTask, type TaskSpec } from './tasks';

const REPO = path.resolve(__dirname, '../..');
const MODELS = path.join(REPO, 'models');
const BASELINES: Strategy[] = ['random', 'round-robin', 'size', 'dim', 'lookup', 'size-lookup'];
const CANDIDATES = [...BASELINES, 'greedy', 'search', 'best', 'torchrec'];
const BUSIEST = 8;

// ---------------------------------------------------------------- options

function opt(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);
const phase = opt('phase', 'all')!;
const tiny = flag('tiny');
const device = opt('device', 'cuda')!;
const outDir = path.resolve(process.cwd(), opt('out', tiny ? 'models/build/measured-tiny' : 'models/build/measured')!);
const budgetS = Number(opt('budget-s', '480'));
const reps = Number(opt('reps', tiny ? '1' : '3'));
const warmup = Number(opt('warmup', tiny ? '0' : '1'));
const noWrite = flag('no-write') || tiny || device !== 'cuda';

// ---------------------------------------------------------------- tasks

interface BenchTask {
  name: string;
  config: ShardConfig;
  gpus?: 'busiest';
  size: string;
}

/** The config measured: every table on PyTorch's embedding_bag with SGD. */
function torchSgd(c: ShardConfig): ShardConfig {
  return { ...c, optimizer: 'sgd', kernel: 'torch_embedding_bag', tables: c.tables.map((t) => ({ ...t, kernel: 'torch_embedding_bag' })) };
}

function tinyTask(spec: TaskSpec): BenchTask {
  const c = makeTask(spec);
  return {
    name: `tiny-${spec.tables}/${spec.gpus}#${spec.seed}`,
    size: 'tiny',
    config: torchSgd({ ...c, batchSize: 256, tables: c.tables.map((t) => ({ ...t, rows: Math.min(t.rows, 20_000), pooling: Math.min(t.pooling, 6) })) }),
  };
}

function dlrm856(): BenchTask {
  const file = path.join(REPO, 'examples', 'dlrm-856.shard.yaml');
  const loaded = loadConfig(file, readFileSync(file, 'utf8'), diskFileReader());
  if (!loaded.config) throw new Error(`${file} did not load`);
  return { name: 'dlrm-856/64 (8 busiest GPUs)', config: torchSgd({ ...loaded.config, placement: undefined }), gpus: 'busiest', size: 'dlrm-856' };
}

function tasks(): BenchTask[] {
  if (tiny) return [tinyTask({ name: 't', tables: 8, gpus: 2, seed: 0, size: 'small' }), tinyTask({ name: 't', tables: 12, gpus: 4, seed: 1, size: 'small' })];
  const sm = BENCH_TASKS.filter((t) => t.size !== 'large');
  const bySeed = (s: number) => sm.filter((t) => t.seed === s).map((t): BenchTask => ({ name: t.name, size: t.size, config: torchSgd(makeTask(t)) }));
  return [...bySeed(0), dlrm856(), ...bySeed(1), ...bySeed(2)];
}

// ---------------------------------------------------------------- prepare

interface PlannedGpu {
  gpu: number;
  spec: string;
  tables: number;
  fwd_ms: number;
  bwd_ms: number;
  comm_ms: number;
  total_ms: number;
}
interface PlannedStrategy {
  strategy: string;
  feasible: boolean;
  predicted_max_ms: number;
  plan_ms: number;
  gpus: PlannedGpu[];
  reasons: string[];
}
interface PlannedTask {
  task: string;
  size: string;
  gpus: number;
  tables: number;
  busiest?: boolean;
  strategies: PlannedStrategy[];
}
interface PlansFile {
  cost_model: string;
  config: string;
  strategies: string[];
  reps: number;
  warmup: number;
  tasks: PlannedTask[];
  estimate_s: number;
  sets: number;
}

/** A set's content key: identical shard sets across plans are measured once. */
function contentKey(s: SetSpec): string {
  const tables = s.tables.map((t) => JSON.stringify([t.name, t.shard, t.rows, t.dim, t.pooling, t.alpha, t.dtype, t.kernel, t.optimizer, t.bags, t.block ?? null])).sort();
  return JSON.stringify([s.batch, s.optimizer, tables]);
}

async function model(): Promise<CostModel> {
  const { model: m, warning } = await loadCostModel(
    { type: 'H100-80GB', count: 8, perHost: 8, reserve: 0.15, ...GPU_PRESETS['H100-80GB'] },
    { files: diskModelFiles, modelsDir: MODELS },
  );
  if (warning) console.warn(`note: ${warning}`);
  return m;
}

async function prepare(): Promise<PlansFile> {
  const m = await model();
  const strategies = CANDIDATES.filter((s) => (STRATEGIES as readonly string[]).includes(s)) as Strategy[];
  if (!strategies.includes('torchrec' as Strategy)) console.log('note: the planner has no torchrec strategy yet; gains over torchrec are not reported');
  const specs: SetSpec[] = [];
  const byKey = new Map<string, string>();
  const planned: PlannedTask[] = [];
  let estimate = 0;
  for (const task of tasks()) {
    const pt: PlannedTask = { task: task.name, size: task.size, gpus: task.config.devices.count, tables: task.config.tables.length, strategies: [] };
    if (task.gpus === 'busiest') pt.busiest = true;
    for (const strategy of strategies) {
      const t0 = performance.now();
      const plan = await planConfig(task.config, strategy, m, { seed: 0, timeBudgetMs: task.gpus === 'busiest' ? 20_000 : undefined });
      const planMs = performance.now() - t0;
      const ps: PlannedStrategy = { strategy, feasible: plan.feasible, predicted_max_ms: plan.maxMs, plan_ms: planMs, gpus: [], reasons: plan.reasons.slice(0, 3) };
      if (plan.feasible) {
        const only = task.gpus === 'busiest' ? busiestGpus(plan, BUSIEST) : undefined;
        for (const s of placementSpecs(task.config, plan.placement, { plan: `${task.name}|${strategy}`, gpus: only })) {
          const key = contentKey(s);
          let id = byKey.get(key);
          if (!id) {
            id = `s${specs.length}`;
            byKey.set(key, id);
            // Bench sets run one at a time: the spec's own id is its plan.
            specs.push({ ...s, id, plan: id, rank: 0, world: 1 });
            const g = plan.gpus[s.rank];
            // GPU seconds: (warm-up + timed runs) of forward, and of forward + backward, + ~0.15 s to build the set.
            estimate += ((reps + warmup) * (2 * g.fwdMs + g.bwdMs)) / 1e3 + 0.15;
          }
          const g = plan.gpus[s.rank];
          ps.gpus.push({ gpu: s.rank, spec: id, tables: s.tables.length, fwd_ms: g.fwdMs, bwd_ms: g.bwdMs, comm_ms: g.commMs, total_ms: g.totalMs });
        }
      }
      pt.strategies.push(ps);
    }
    planned.push(pt);
    console.log(
      `planned ${task.name}: ${pt.strategies.filter((s) => s.feasible).length}/${strategies.length} feasible; ${specs.length} distinct sets so far, ~${estimate.toFixed(0)} GPU-s`,
    );
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'specs.jsonl'), specs.map((s) => JSON.stringify(s)).join('\n') + '\n');
  const file: PlansFile = {
    cost_model: m.name,
    config: 'kernel torch_embedding_bag, optimizer sgd',
    strategies,
    reps,
    warmup,
    tasks: planned,
    estimate_s: estimate,
    sets: specs.length,
  };
  writeFileSync(path.join(outDir, 'plans.json'), JSON.stringify(file, null, 1) + '\n');
  console.log(
    `wrote ${specs.length} set specs (${path.relative(REPO, outDir)}/specs.jsonl); estimated GPU time ${estimate.toFixed(0)} s at ${reps} timed runs + ${warmup} warm-up (budget ${budgetS} s: later sets are left out when it runs out)`,
  );
  return file;
}

// ---------------------------------------------------------------- measure

function collectorArgs(specs: string, out: string, env: string): string[] {
  return [
    '-m',
    'shardlens_cost.collector',
    '--specs',
    specs,
    '--out',
    out,
    '--env-out',
    env,
    '--device',
    device,
    '--reps',
    String(reps),
    '--warmup',
    String(warmup),
    '--time-budget-s',
    String(budgetS),
  ];
}

/** Exit status 2 when this machine cannot measure (no PyTorch, or no GPU with --device cuda). */
function checkMachine(): number {
  const probe = probePython(pythonCommand());
  if (!probe.ok) {
    console.error(`bench:measured: ${probe.why}`);
    return 2;
  }
  if (device === 'cuda' && !probe.cuda) {
    console.error(
      `bench:measured needs a GPU: PyTorch ${probe.torch} at ${probe.executable} sees no CUDA device.\n` +
        '  Here (no GPU): npm run bench:measured -- --phase prepare\n' +
        '  On the GPU machine (Python + PyTorch only): bash models/scripts/measure-plans.sh models/build/measured OUT_DIR 480\n' +
        '  Back here: npm run bench:measured -- --phase report --measured OUT_DIR/measured.jsonl\n' +
        '  (or --device cpu --tiny for the functional smoke test)',
    );
    return 2;
  }
  return 0;
}

async function measure(): Promise<number> {
  const specs = path.join(outDir, 'specs.jsonl');
  if (!existsSync(specs)) {
    console.error(`bench:measured: ${specs} not found; run --phase prepare first`);
    return 2;
  }
  const out = path.join(outDir, 'measured.jsonl');
  writeFileSync(out, '');
  const code = await runPython(pythonCommand(), collectorArgs(specs, out, path.join(outDir, 'env.json')), {
    cwd: MODELS,
    onLine: (l) => {
      if (/^rank|error|Error|Traceback/.test(l)) console.error(`  ${l}`);
    },
  });
  return code === 0 ? 0 : 1;
}

// ---------------------------------------------------------------- report

function pct(x: number): string {
  return Number.isFinite(x) ? `${x >= 0 ? '+' : '\u2212'}${Math.abs(100 * x).toFixed(1)}%` : '—';
}
function ms(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : '—';
}
function mean(xs: number[]): number {
  const f = xs.filter(Number.isFinite);
  return f.length ? f.reduce((a, b) => a + b, 0) / f.length : NaN;
}

interface TaskResult {
  task: string;
  size: string;
  complete: boolean;
  gainBest: number;
  gainTorchrec: number;
  mape: number;
  tau: number;
  bestIsMeasuredBest: boolean;
}

function report(plans: PlansFile, measuredFile: string): TaskResult[] {
  const text = existsSync(measuredFile) ? readFileSync(measuredFile, 'utf8') : '';
  const { sets, errors } = parseMeasuredLines(text);
  const env = existsSync(path.join(path.dirname(measuredFile), 'env.json')) ? JSON.parse(readFileSync(path.join(path.dirname(measuredFile), 'env.json'), 'utf8')) : {};
  console.log(
    `\nMeasured plans: ${sets.size} of ${plans.sets} distinct sets measured (${errors.length} without timings) on ${env.gpu ?? env.device ?? 'unknown device'}` +
      ` (PyTorch ${env.torch ?? '?'}; ${plans.config}); predictions by ${plans.cost_model}. ms per step; "max" = max over the plan's GPUs of fwd + bwd` +
      ` measured + comm predicted (one GPU measures every set in turn).\n`,
  );
  const results: TaskResult[] = [];
  const joined: string[] = [];
  for (const t of plans.tasks) {
    const rows = t.strategies.map((s) => {
      const gpus = s.gpus.map((g) => ({
        gpu: g.gpu,
        tables: [] as string[],
        fwdMs: g.fwd_ms,
        bwdMs: g.bwd_ms,
        commMs: g.comm_ms,
        totalMs: g.total_ms,
        memoryBytes: 0,
        capacityBytes: 0,
      }));
      const specOf = new Map(s.gpus.map((g) => [g.gpu, g.spec]));
      const cmp = joinPlan({ gpus }, sets, (g) => specOf.get(g) ?? '');
      for (const g of cmp.gpus) {
        if (!g.measured) continue;
        joined.push(
          JSON.stringify({
            task: t.task,
            strategy: s.strategy,
            gpu: g.gpu,
            spec: specOf.get(g.gpu),
            cost_model: plans.cost_model,
            predicted: { fwd_ms: g.predicted.fwdMs, bwd_ms: g.predicted.bwdMs, comm_ms: g.predicted.commMs, total_ms: g.predicted.totalMs },
            measured: { fwd_ms: g.measured.fwdMs, bwd_ms: g.measured.bwdMs, comm_ms: g.measured.commMs, comm_measured: g.measured.commMeasured, total_ms: g.measured.totalMs },
          }),
        );
      }
      return { s, cmp, complete: s.feasible && cmp.measuredGpus === s.gpus.length && s.gpus.length > 0 };
    });
    const complete = rows.every((r) => r.complete || !r.s.feasible) && rows.some((r) => r.complete);
    const measuredMax = (name: string) => {
      const r = rows.find((x) => x.s.strategy === name);
      return r?.complete ? r.cmp.measuredMaxMs : NaN;
    };
    const baselines = BASELINES.map(measuredMax).filter(Number.isFinite);
    const bb = baselines.length ? Math.min(...baselines) : NaN;
    const tr = measuredMax('torchrec');
    console.log(
      `${t.task}  (${t.tables} tables, ${t.gpus} GPUs${t.busiest ? `; the ${BUSIEST} predicted-busiest GPUs of each plan measured` : ''})${complete ? '' : '  [incomplete: budget or memory]'}`,
    );
    console.log(
      renderTable(
        columnsOf(['strategy', 'pred max', 'meas max', 'max err', 'GPU MAPE', 'vs best baseline', 'vs torchrec']),
        rows.map((r) => {
          const m = r.complete ? r.cmp.measuredMaxMs : NaN;
          return [
            r.s.strategy,
            r.s.feasible ? ms(r.s.predicted_max_ms) : 'infeas.',
            ms(m),
            r.complete ? pct((r.cmp.predictedMaxMs - m) / m) : '—',
            r.complete ? pct(r.cmp.mape.compute).replace('+', '') : '—',
            pct((bb - m) / bb),
            pct((tr - m) / tr),
          ];
        }),
      ),
    );
    const done = rows.filter((r) => r.complete);
    const tau = kendallTau(done.map((r) => ({ predicted: r.s.predicted_max_ms, measured: r.cmp.measuredMaxMs })));
    const gpuPairs = done.flatMap((r) =>
      r.cmp.gpus.filter((g) => g.measured).map((g) => ({ predicted: g.predicted.fwdMs + g.predicted.bwdMs, measured: g.measured!.fwdMs + g.measured!.bwdMs })),
    );
    const bestMax = measuredMax('best');
    const measuredBest = Math.min(...done.map((r) => r.cmp.measuredMaxMs));
    const res: TaskResult = {
      task: t.task,
      size: t.size,
      complete,
      gainBest: (bb - bestMax) / bb,
      gainTorchrec: (tr - bestMax) / tr,
      mape: mape(gpuPairs),
      tau,
      bestIsMeasuredBest: bestMax === measuredBest,
    };
    console.log(
      `  Kendall \u03c4 (predicted vs measured max over ${done.length} plans) ${Number.isFinite(tau) ? tau.toFixed(2) : '—'} \u00b7 per-GPU fwd+bwd MAPE ${pct(res.mape).replace('+', '')}\n`,
    );
    results.push(res);
  }
  const full = results.filter((r) => r.complete);
  const groups: [string, TaskResult[]][] = [
    ['small + medium', full.filter((r) => r.size === 'small' || r.size === 'medium')],
    ['dlrm-856 (8 busiest)', full.filter((r) => r.size === 'dlrm-856')],
    ['tiny', full.filter((r) => r.size === 'tiny')],
  ];
  console.log('Summary over complete tasks (mean; gains measured, not predicted):');
  console.log(
    renderTable(
      columnsOf(['tasks', 'n', 'best vs best baseline', 'best vs torchrec', 'GPU MAPE', 'median \u03c4', 'best measured-best']),
      groups
        .filter(([, rs]) => rs.length > 0)
        .map(([name, rs]) => [
          name,
          String(rs.length),
          pct(mean(rs.map((r) => r.gainBest))),
          pct(mean(rs.map((r) => r.gainTorchrec))),
          pct(mean(rs.map((r) => r.mape))).replace('+', ''),
          Number.isFinite(median(rs.map((r) => r.tau))) ? median(rs.map((r) => r.tau)).toFixed(2) : '—',
          `${rs.filter((r) => r.bestIsMeasuredBest).length}/${rs.length}`,
        ]),
    ),
  );
  console.log('  targets (issue): best ≥ 15% over the best baseline and ≥ 5% over torchrec; per-GPU MAPE ≤ 10%');
  if (env.device === 'cpu') console.log('  CPU run: a functional check of the pipeline (CPU times against a GPU model), not a result.');
  writeFileSync(path.join(outDir, 'plans-measured.jsonl'), joined.join('\n') + (joined.length ? '\n' : ''));
  // Only a GPU's measurements become committed data (the collector's env says where it ran).
  if (!noWrite && sets.size > 0 && String(env.device ?? '').startsWith('cuda')) {
    const slug = String(env.gpu ?? 'gpu')
      .toLowerCase()
      .replace(/nvidia\s*/, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
    const base = path.join(MODELS, 'data', `measured-plans-${slug}`);
    copyFileSync(measuredFile, `${base}.jsonl`);
    writeFileSync(`${base}.plans.jsonl`, joined.join('\n') + '\n');
    let commit = '';
    try {
      commit = execSync('git rev-parse HEAD', { cwd: REPO, encoding: 'utf8' }).trim();
    } catch {
      /* not a checkout */
    }
    writeFileSync(
      `${base}.env.json`,
      JSON.stringify(
        {
          environment: env,
          commit,
          cost_model: plans.cost_model,
          config: plans.config,
          reps: plans.reps,
          warmup: plans.warmup,
          sets_measured: sets.size,
          sets_planned: plans.sets,
          commands: [
            'npm run bench:measured -- --phase prepare',
            `bash models/scripts/measure-plans.sh models/build/measured OUT_DIR ${budgetS}`,
            'npm run bench:measured -- --phase report --measured OUT_DIR/measured.jsonl',
          ],
        },
        null,
        2,
      ) + '\n',
    );
    console.log(`\nwrote ${path.relative(REPO, base)}.jsonl, .plans.jsonl and .env.json`);
  }
  return results;
}

async function main(): Promise<number> {
  if (!['all', 'prepare', 'measure', 'report'].includes(phase)) {
    console.error(`--phase must be all, prepare, measure or report, not ${phase}`);
    return 2;
  }
  if (device !== 'cuda' && device !== 'cpu') {
    console.error(`--device must be cuda or cpu, not ${device}`);
    return 2;
  }
  if (phase === 'all' || phase === 'measure') {
    const c = checkMachine();
    if (c !== 0) return c;
  }
  if (phase === 'all' || phase === 'prepare') await prepare();
  if (phase === 'all' || phase === 'measure') {
    const c = await measure();
    if (c !== 0) return c;
  }
  if (phase === 'all' || phase === 'report') {
    const plansFile = path.join(outDir, 'plans.json');
    if (!existsSync(plansFile)) {
      console.error(`bench:measured: ${plansFile} not found; run --phase prepare first`);
      return 2;
    }
    const results = report(JSON.parse(readFileSync(plansFile, 'utf8')) as PlansFile, path.resolve(process.cwd(), opt('measured', path.join(outDir, 'measured.jsonl'))!));
    if (!results.some((r) => r.complete)) {
      console.error('bench:measured: no task was measured completely');
      return 1;
    }
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exitCode = 1;
  },
);
