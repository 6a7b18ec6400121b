/**
 * Planner benchmark (`npm run bench:plan`, `-- --quick` for a subset):
 * DreamShard-style tasks from a seeded DLRM-like table pool (tasks.ts), every
 * strategy on each: predicted max-GPU cost, max/mean, memory feasibility,
 * planning wall time, and the improvement over the best baseline on the same
 * task. Then averages over the small and medium tasks, the scale runs, and
 * incremental replanning after a one-table edit. Prices each table with the
 * model of its kernel (registry.ts: FBGEMM's TBE model for the tasks'
 * fbgemm_tbe; `-- --kernel torch_embedding_bag` for the learned H100 model,
 * `-- --kernel mixed` for both on every GPU); prints which.
 */
import * as path from 'node:path';
import type { Kernel, ShardConfig } from '../../server/src/config/types';
import { AnalyticCostModel } from '../../server/src/cost/analytic';
import { loadCostModel } from '../../server/src/cost/registry';
import type { CostModel } from '../../server/src/cost/types';
import { planConfig } from '../../server/src/plan/planner';
import { STRATEGIES, type PlanResult, type Strategy } from '../../server/src/plan/types';
import { BENCH_TASKS, QUICK_TASKS, h100, makeTask, type TaskSpec } from './tasks';

const BASELINES: Strategy[] = ['random', 'round-robin', 'size', 'dim', 'lookup', 'size-lookup'];
const quick = process.argv.includes('--quick');
/** `--kernel K` runs every table on kernel K (`mixed`: alternate torch_embedding_bag and fbgemm_tbe); default: the tasks' (fbgemm_tbe). */
const kernelArg = process.argv.includes('--kernel') ? process.argv[process.argv.indexOf('--kernel') + 1] : undefined;

function task(spec: TaskSpec): ShardConfig {
  const cfg = makeTask(spec);
  if (kernelArg) cfg.tables.forEach((t, i) => { t.kernel = (kernelArg === 'mixed' ? (i % 2 ? 'torch_embedding_bag' : 'fbgemm_tbe') : kernelArg) as Kernel; });
  return cfg;
}
const analyticOnly = process.argv.includes('--analytic');

function pad(s: string, n: number): string { return s.length >= n ? s : s + ' '.repeat(n - s.length); }
function lpad(s: string, n: number): string { return s.length >= n ? s : ' '.repeat(n - s.length) + s; }
function pct(x: number): string { return `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}%`; }
function median(xs: number[]): number { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; }

async function pickModel(): Promise<CostModel> {
  if (analyticOnly) return new AnalyticCostModel('H100-80GB');
  const { model, warning } = await loadCostModel(h100(8), { modelsDir: path.join(__dirname, '../../models') });
  console.log(`cost model: ${model.name} (${model.source})${warning ? ` — ${warning}` : ''}; tables on ${kernelArg ?? 'the tasks\' kernel (fbgemm_tbe)'}`);
  return model;
}

interface Row { task: TaskSpec; results: Map<Strategy, PlanResult & { wallMs: number }> }

async function runTask(spec: TaskSpec, model: CostModel): Promise<Row> {
  const cfg = task(spec);
  const results = new Map<Strategy, PlanResult & { wallMs: number }>();
  for (const s of STRATEGIES) {
    const t0 = performance.now();
    const r = await planConfig(cfg, s, model, { seed: spec.seed });
    results.set(s, { ...r, wallMs: performance.now() - t0 });
  }
  return { task: spec, results };
}

/** Lowest predicted max among the feasible baselines (the bar to beat). */
function bestBaseline(row: Row): { name: Strategy; max: number } | undefined {
  let best: { name: Strategy; max: number } | undefined;
  for (const b of BASELINES) {
    const r = row.results.get(b)!;
    if (r.feasible && (!best || r.maxMs < best.max)) best = { name: b, max: r.maxMs };
  }
  return best;
}

function printTask(row: Row): void {
  const bb = bestBaseline(row);
  console.log(`\n${row.task.name}  (${row.task.tables} tables, ${row.task.gpus} GPUs; best baseline: ${bb ? `${bb.name} ${bb.max.toFixed(2)} ms` : 'none feasible'})`);
  console.log(`  ${pad('strategy', 12)}${lpad('max ms', 10)}${lpad('max/mean', 10)}${lpad('feasible', 10)}${lpad('wall ms', 10)}${lpad('vs best baseline', 18)}`);
  for (const s of STRATEGIES) {
    const r = row.results.get(s)!;
    const gain = bb && r.feasible ? pct((bb.max - r.maxMs) / bb.max) : '—';
    const ratio = r.meanMs > 0 ? (r.maxMs / r.meanMs).toFixed(2) : '—';
    console.log(`  ${pad(s, 12)}${lpad(r.feasible ? r.maxMs.toFixed(2) : '—', 10)}${lpad(ratio, 10)}${lpad(r.feasible ? 'yes' : 'no', 10)}${lpad(r.wallMs.toFixed(0), 10)}${lpad(gain, 18)}`);
  }
}

/** Timing of incremental replanning after one table changes and one is added. */
async function incremental(cfg: ShardConfig, model: CostModel, strategy: Strategy): Promise<{ fromScratchMs: number; incMs: number; before: number; after: number; fresh: number }> {
  const first = await planConfig(cfg, strategy, model, { seed: 0 });
  const edited = structuredClone(cfg);
  edited.tables[7] = { ...edited.tables[7], rows: edited.tables[7].rows * 4, pooling: edited.tables[7].pooling * 2 };
  edited.tables.push({ ...edited.tables[0], name: 'added_table', dim: 128, pooling: 20 });
  const times: number[] = [];
  let after = 0;
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = await planConfig(edited, strategy, model, { seed: 0, start: first.placement });
    times.push(performance.now() - t0);
    after = r.maxMs;
  }
  const t1 = performance.now();
  const fresh = await planConfig(edited, strategy, model, { seed: 0 });
  return { fromScratchMs: performance.now() - t1, incMs: median(times), before: first.maxMs, after, fresh: fresh.maxMs };
}

async function main(): Promise<void> {
  const model = await pickModel();
  console.log(`tasks: ${quick ? 'quick subset' : 'full'}; times are wall ms on this machine, one run each (single thread; the model's`);
  console.log('per-shard encodings are cached after the first strategy of a task, as in the language server)');
  const specs = quick ? QUICK_TASKS : BENCH_TASKS;
  const rows: Row[] = [];
  for (const spec of specs) {
    const row = await runTask(spec, model);
    rows.push(row);
    printTask(row);
  }

  const headline = rows.filter((r) => r.task.size !== 'large');
  console.log(`\nAverage over ${headline.length} small+medium tasks (improvement of predicted max over the best baseline of each task; higher is better):`);
  console.log(`  ${pad('strategy', 12)}${lpad('mean gain', 11)}${lpad('min gain', 10)}${lpad('feasible', 10)}${lpad('mean wall ms', 14)}`);
  for (const s of STRATEGIES) {
    const gains: number[] = [];
    let feasible = 0;
    const walls: number[] = [];
    for (const row of headline) {
      const r = row.results.get(s)!;
      const bb = bestBaseline(row);
      walls.push(r.wallMs);
      if (r.feasible) feasible++;
      if (bb && r.feasible) gains.push((bb.max - r.maxMs) / bb.max);
    }
    const mean = gains.length ? gains.reduce((a, b) => a + b, 0) / gains.length : NaN;
    console.log(`  ${pad(s, 12)}${lpad(gains.length ? pct(mean) : '—', 11)}${lpad(gains.length ? pct(Math.min(...gains)) : '—', 10)}${lpad(`${feasible}/${headline.length}`, 10)}${lpad((walls.reduce((a, b) => a + b, 0) / walls.length).toFixed(0), 14)}`);
  }

  const large = rows.filter((r) => r.task.size === 'large');
  if (large.length) {
    console.log('\nScale runs, median wall ms of 3 more runs each (targets: 856 tables on 128 GPUs < 1,000 ms, 5,000 on 256 < 10,000 ms):');
    for (const row of large) {
      const cfg = task(row.task);
      const cells: string[] = [];
      for (const s of ['greedy', 'search', 'column', 'best'] as Strategy[]) {
        const times: number[] = [];
        for (let i = 0; i < 3; i++) {
          const t0 = performance.now();
          await planConfig(cfg, s, model, { seed: row.task.seed });
          times.push(performance.now() - t0);
        }
        cells.push(`${s} ${median(times).toFixed(0)} ms`);
      }
      console.log(`  ${pad(row.task.name, 16)} ${cells.join(' · ')}`);
    }
  }

  const incCfg = task({ name: 'dlrm-856/64', tables: 856, gpus: 64, seed: 0, size: 'large' });
  console.log('\nIncremental replanning, 856 tables on 64 GPUs, after one table grows 4× and one is added (median of 3):');
  for (const s of ['search', 'best'] as Strategy[]) {
    const r = await incremental(incCfg, model, s);
    console.log(`  ${pad(s, 8)} from start ${r.incMs.toFixed(0)} ms (max ${r.after.toFixed(2)} ms) vs from scratch ${r.fromScratchMs.toFixed(0)} ms (max ${r.fresh.toFixed(2)} ms); before the edit ${r.before.toFixed(2)} ms`);
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
