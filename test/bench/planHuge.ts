/**
 * The huge row of the planner benchmark (`npm run bench:plan -- --huge`,
 * optionally `--budget MS`, default the CLI's 30,000; `--huge-tables N`,
 * `--huge-gpus N` for other sizes): 100,000 tables on 4,096 GPUs, every
 * strategy in a child process of its own (planHugeChild.ts) so each one's
 * peak RSS is its own, under the time budget. Prints per strategy the wall
 * time and how far it ran over the budget, the peak RSS, the step (scored by
 * the model that planned it) and the plan's note. Takes several minutes.
 */
import { spawn } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_PLAN_BUDGET_MS } from '../../server/src/plan/budget';
import { STRATEGIES, type Strategy } from '../../server/src/plan/types';

interface ChildResult {
  strategy: Strategy;
  tables: number;
  wallMs: number;
  peakRss: number;
  setupRss: number;
  step: number;
  feasible: boolean;
  notes: string[];
  reasons: string[];
}

function argNumber(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : NaN;
  return Number.isFinite(v) && v >= 0 ? v : fallback;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}
function lpad(s: string, n: number): string {
  return s.length >= n ? s : ' '.repeat(n - s.length) + s;
}
const mb = (b: number) => `${Math.round(b / 2 ** 20).toLocaleString('en-US')}`;

/** Runs one strategy in a child; kills it after `killMs` (reported, not thrown). */
function runChild(strategy: Strategy, tables: number, gpus: number, budgetMs: number, killMs: number): Promise<ChildResult | { strategy: Strategy; error: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'planHugeChild.ts'), strategy, String(tables), String(gpus), String(budgetMs)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), killMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as ChildResult);
      else resolve({ strategy, error: signal ? `killed (${signal}) after ${(killMs / 1000).toFixed(0)} s` : `exit ${code}: ${err.trim().split('\n').slice(-1)[0] ?? ''}` });
    });
  });
}

export async function runHuge(): Promise<void> {
  const tables = argNumber('--huge-tables', 100_000);
  const gpus = argNumber('--huge-gpus', 4096);
  const budgetMs = argNumber('--budget', DEFAULT_PLAN_BUDGET_MS);
  // A strategy that ignored its budget is stopped here and reported as such.
  const killMs = Math.max(3 * budgetMs, 60_000) + 120_000;
  console.log(
    `Huge task: ${tables.toLocaleString('en-US')} tables (the tasks' DLRM-like pool) on ${gpus.toLocaleString('en-US')} H100s, seed 0, budget ${budgetMs.toLocaleString('en-US')} ms per strategy (0 = none), one child process each`,
  );
  console.log(
    `machine: ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} at start; times are wall time of planConfig; peak RSS is the child's high-water mark (config and model included)`,
  );
  console.log(
    `  ${pad('strategy', 12)}${lpad('wall s', 9)}${lpad('vs budget', 11)}${lpad('peak MB', 9)}${lpad('set-up MB', 11)}${lpad('step ms', 10)}${lpad('feasible', 10)}  note`,
  );
  for (const s of STRATEGIES) {
    const r = await runChild(s, tables, gpus, budgetMs, killMs);
    if ('error' in r) {
      console.log(`  ${pad(s, 12)}${lpad('—', 9)}  ${r.error}`);
      continue;
    }
    const over = budgetMs > 0 ? `${r.wallMs >= budgetMs ? '+' : ''}${((100 * (r.wallMs - budgetMs)) / budgetMs).toFixed(1)}%` : '—';
    const note = r.notes[0] ?? (r.feasible ? '' : (r.reasons[0] ?? ''));
    console.log(
      `  ${pad(s, 12)}${lpad((r.wallMs / 1000).toFixed(1), 9)}${lpad(over, 11)}${lpad(mb(r.peakRss), 9)}${lpad(mb(r.setupRss), 11)}${lpad(r.feasible ? r.step.toFixed(2) : '—', 10)}${lpad(r.feasible ? 'yes' : 'no', 10)}  ${note}`,
    );
  }
  console.log(
    `load average at the end: ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
}
