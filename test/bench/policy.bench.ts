/**
 * `npm run bench:policy`: the learned placement policy against the planner's
 * cost greedy and search, on the planner benchmark's tasks (test/bench/tasks.ts:
 * 20/50/100 tables on 2/4/8 GPUs × 3 seeds, 856 tables on 64 and 128 GPUs;
 * `--full` adds 5,000 on 256). For each task: predicted max-GPU ms (fwd + bwd +
 * comm, scored by evaluatePlacement) and planning wall time (median of runs in
 * this process) of
 *   - best baseline (lowest max of random, round-robin, size, dim, lookup, size-lookup),
 *   - greedy  (planConfig 'greedy': cost greedy + memory repair),
 *   - search  (planConfig 'search': greedy grid search + local search),
 *   - raw     (the bare policy roll-out + memory repair: policySearch with refine false),
 *   - policy  (planConfig 'policy': the same roll-out refined by the planner's local search).
 * Cost model: the shipped learned model (models/h100-cost.*) if it loads,
 * else the analytic one (`--analytic` forces it). Ratios < 1 = policy better.
 * `--quick`: seed 0 of each size only.
 */
import * as path from 'node:path';
import { columnsOf, renderTable } from '../../server/src/cli/textTable';
import { performance } from 'node:perf_hooks';
import type { ShardConfig } from '../../server/src/config/types';
import { AnalyticCostModel } from '../../server/src/cost/analytic';
import { loadCostModel } from '../../server/src/cost/registry';
import { diskModelFiles } from '../../server/src/io/modelFiles';
import type { CostModel } from '../../server/src/cost/types';
import { Catalog } from '../../server/src/plan/catalog';
import { PlanControl } from '../../server/src/plan/control';
import { evaluatePlacement } from '../../server/src/plan/evaluate';
import { initialLayouts } from '../../server/src/plan/layouts';
import { baseState, planConfig } from '../../server/src/plan/planner';
import { placementOf } from '../../server/src/plan/placementOf';
import { policySearch } from '../../server/src/plan/policy';
import type { PlanResult, Strategy } from '../../server/src/plan/types';
import { BENCH_TASKS, makeTask, type TaskSpec } from './tasks';

const MODELS = path.resolve(__dirname, '../../models');
const BASELINES: Strategy[] = ['random', 'round-robin', 'size', 'dim', 'lookup', 'size-lookup'];

/** The bare policy roll-out, framed as planConfig frames a strategy: catalog, layouts, run, evaluate. */
async function planPolicyRaw(config: ShardConfig, model: CostModel): Promise<PlanResult> {
  const t0 = performance.now();
  const cat = new Catalog(config);
  const initial = initialLayouts(cat);
  const base = baseState(cat, model.prepare(cat.shards, cat.env), initial.layouts);
  const state = await policySearch(base, new PlanControl(), { refine: false });
  const result = await evaluatePlacement(config, placementOf(state), model, 'policy');
  result.elapsedMs = performance.now() - t0;
  return result;
}

async function timed(run: () => Promise<PlanResult>, reps: number): Promise<PlanResult> {
  const results: PlanResult[] = [];
  for (let i = 0; i < reps; i++) results.push(await run());
  const times = results.map((r) => r.elapsedMs).sort((a, b) => a - b);
  return { ...results[0], elapsedMs: times[Math.floor(times.length / 2)] };
}

const f1 = (x: number) => x.toFixed(1);
const pct = (a: number, b: number) => `${a <= b ? '' : '+'}${((a / b - 1) * 100).toFixed(1)}%`;
const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const tasks: TaskSpec[] = BENCH_TASKS.filter((t) => argv.includes('--full') || t.name !== 'dlrm-5000/256').filter((t) => !argv.includes('--quick') || t.seed === 0);
  let model: CostModel;
  if (argv.includes('--analytic')) model = new AnalyticCostModel('H100-80GB');
  else {
    const loaded = await loadCostModel(makeTask(tasks[0]).devices, { files: diskModelFiles, modelsDir: MODELS });
    model = loaded.model;
    if (loaded.warning) console.log(`note: ${loaded.warning}`);
  }
  console.log(`cost model: ${model.name}; times: median wall ms in this process (1 run for 856+ tables, else 3)\n`);
  const head = ['task', 'baseline', 'greedy', 'search', 'raw', 'policy', 'raw/greedy', 'raw/search', 'pol/search', 't greedy', 't search', 't raw', 't policy', 'feasible'];
  const cells: string[][] = [];
  const rows: { spec: TaskSpec; base: number; g: PlanResult; s: PlanResult; p: PlanResult; pl: PlanResult }[] = [];
  for (const spec of tasks) {
    const config = makeTask(spec);
    const reps = spec.tables >= 856 ? 1 : 3;
    let base = Infinity;
    for (const b of BASELINES) {
      const r = await planConfig(config, b, model, { seed: 0 });
      if (r.feasible) base = Math.min(base, r.maxMs);
    }
    const g = await timed(() => planConfig(config, 'greedy', model, { seed: 0 }), reps);
    const s = await timed(() => planConfig(config, 'search', model, { seed: 0 }), reps);
    const p = await timed(() => planPolicyRaw(config, model), reps);
    const pl = await timed(() => planConfig(config, 'policy', model, { seed: 0 }), reps);
    rows.push({ spec, base, g, s, p, pl });
    const feas = [g, s, p, pl].map((r) => (r.feasible ? 'y' : 'n')).join('');
    cells.push([
      spec.name,
      f1(base),
      f1(g.maxMs),
      f1(s.maxMs),
      f1(p.maxMs),
      f1(pl.maxMs),
      pct(p.maxMs, g.maxMs),
      pct(p.maxMs, s.maxMs),
      pct(pl.maxMs, s.maxMs),
      ms(g.elapsedMs),
      ms(s.elapsedMs),
      ms(p.elapsedMs),
      ms(pl.elapsedMs),
      feas,
    ]);
    console.error(`  planned ${spec.name}`);
  }
  console.log(renderTable(columnsOf(head), cells, ''));
  const geo = (xs: number[]) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
  for (const group of [['small', 'medium'], ['large']] as const) {
    const inGroup = rows.filter((r) => (group as readonly string[]).includes(r.spec.size));
    // Ratios only where every compared plan is feasible (a task no strategy can fit is left out).
    const sel = inGroup.filter((r) => Number.isFinite(r.base) && [r.g, r.s, r.p, r.pl].every((x) => x.feasible));
    if (sel.length === 0) continue;
    const left = inGroup.length - sel.length;
    console.log(`\n${group.join('+')} tasks (${sel.length}${left ? `; ${left} left out: some plan infeasible` : ''}), geometric means:`);
    console.log(
      `  max-GPU ms  raw/greedy ${geo(sel.map((r) => r.p.maxMs / r.g.maxMs)).toFixed(3)}, raw/search ${geo(sel.map((r) => r.p.maxMs / r.s.maxMs)).toFixed(3)}, ` +
        `policy/search ${geo(sel.map((r) => r.pl.maxMs / r.s.maxMs)).toFixed(3)}, raw/best baseline ${geo(sel.map((r) => r.p.maxMs / r.base)).toFixed(3)}, policy/best baseline ${geo(sel.map((r) => r.pl.maxMs / r.base)).toFixed(3)}, search/best baseline ${geo(sel.map((r) => r.s.maxMs / r.base)).toFixed(3)}`,
    );
    console.log(
      `  wall time   raw/greedy ${geo(sel.map((r) => r.p.elapsedMs / r.g.elapsedMs)).toFixed(2)}, raw/search ${geo(sel.map((r) => r.p.elapsedMs / r.s.elapsedMs)).toFixed(2)}, policy/search ${geo(sel.map((r) => r.pl.elapsedMs / r.s.elapsedMs)).toFixed(2)}`,
    );
    console.log(
      `  raw beats greedy on ${sel.filter((r) => r.p.maxMs < r.g.maxMs).length}/${sel.length}, search on ${sel.filter((r) => r.p.maxMs < r.s.maxMs).length}/${sel.length}; ` +
        `policy beats search on ${sel.filter((r) => r.pl.maxMs < r.s.maxMs).length}/${sel.length}, ties ${sel.filter((r) => r.pl.maxMs === r.s.maxMs).length}`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
