/**
 * `npm run bench:moves`: the move budget a user runs,
 * `shardlens plan examples/dlrm-856.shard.yaml --max-moves N --format json`
 * (856 tables on 64 GPUs, written round-robin; the default 'best' strategy,
 * no time limit), as a fresh process (spawn, model load, the full plan, the
 * budgeted searches, JSON out), for N = 0, 5, 10, 20, 50 and every table.
 * Prints per N the step of the written placement and of the plan, the moves
 * used, which search won, and the wall time, median over BENCH_RUNS (default
 * 3) runs, with the machine's load average before and after (other work on
 * the machine slows every number here). Steps are predicted by the cost model
 * the output names, not measured. No thresholds: numbers only.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import { CLI, ROOT, ensureBuilt } from '../integration/lsp/lspClient';
import { median } from './stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const FILE = path.join('examples', 'dlrm-856.shard.yaml');
const BUDGETS = [0, 5, 10, 20, 50, 856];

interface Out {
  max_ms: number;
  cost_model: string;
  move_budget: { moves_used: number; written_max_ms: number | null; method: string; full_plan: { max_ms: number; moves: number } };
}

function load(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
}

function plan(n: number): { wallMs: number; out: Out } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'plan', FILE, '--max-moves', String(n), '--format', 'json'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`plan --max-moves ${n} exited ${r.status}: ${r.stderr}`);
  return { wallMs, out: JSON.parse(r.stdout) };
}

function main(): void {
  ensureBuilt();
  console.log(`bench:moves · shardlens plan ${FILE} --max-moves N · ${RUNS} runs · ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'})`);
  console.log(`load average (1 / 5 / 15 min) before: ${load()}\n`);
  console.log('     N   written ms   step ms   change   moves   search           wall s (median)   full plan');
  let model = '';
  for (const n of BUDGETS) {
    const runs = Array.from({ length: RUNS }, () => plan(n));
    const { out } = runs[0];
    const b = out.move_budget;
    model = out.cost_model;
    const before = b.written_max_ms ?? NaN;
    const change = `${(((out.max_ms - before) / before) * 100).toFixed(0)}%`;
    console.log(
      `  ${String(n).padStart(4)}   ${before.toFixed(3).padStart(10)}   ${out.max_ms.toFixed(3).padStart(7)}   ${change.padStart(6)}   ${String(b.moves_used).padStart(5)}   ${b.method.padEnd(15)}   ${(median(runs.map((r) => r.wallMs)) / 1000).toFixed(1).padStart(15)}   ${b.full_plan.max_ms.toFixed(3)} ms, ${b.full_plan.moves} moves`,
    );
  }
  console.log(`\nscored by ${model} (predicted, not measured); wall s = the whole command, the full plan included`);
  console.log(`load average after: ${load()}`);
}

main();
