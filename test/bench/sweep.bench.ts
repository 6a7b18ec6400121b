/**
 * `npm run bench:sweep`: wall time of the what-if sweep a user runs,
 * `shardlens sweep examples/dlrm-856.shard.yaml --gpus 16,32,64,128` (856
 * tables, the default 'best' strategy and 5 s soft limit per plan), as a fresh
 * process (spawn, model load, four plans, JSON out), and the planner time of
 * each cluster. Also with a second GPU type (eight clusters). Prints medians
 * over BENCH_RUNS (default 3) runs and the machine's load average before and
 * after, since other work on the machine slows every number here. No
 * thresholds: numbers only.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import { CLI, ROOT, ensureBuilt } from '../integration/lsp/lspClient';
import { columnsOf, renderTable } from '../../server/src/cli/textTable';
import { median } from './stats';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const FILE = path.join('examples', 'dlrm-856.shard.yaml');
const COUNTS = '16,32,64,128';

interface Row {
  type: string;
  gpus: number;
  max_ms: number | null;
  feasible: boolean;
  gpu_seconds_per_step: number | null;
  elapsed_ms: number;
  memory_fraction: number | null;
}

function load(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
}

function sweep(types: string): { wallMs: number; rows: Row[] } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, 'sweep', FILE, '--gpus', COUNTS, '--type', types, '--format', 'json'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const wallMs = performance.now() - t0;
  if (r.status !== 0 && r.status !== 1) throw new Error(`sweep exited ${r.status}: ${r.stderr}`);
  return { wallMs, rows: JSON.parse(r.stdout).rows };
}

function main(): void {
  ensureBuilt();
  console.log(`bench:sweep · ${FILE} · --gpus ${COUNTS} · ${RUNS} runs · ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'})`);
  console.log(`load average (1 / 5 / 15 min) before: ${load()}`);
  for (const types of ['H100-80GB', 'H100-80GB,A100-80GB']) {
    const runs = Array.from({ length: RUNS }, () => sweep(types));
    console.log(
      `\n--type ${types}: wall time of the command (spawn → JSON), median ${(median(runs.map((r) => r.wallMs)) / 1000).toFixed(1)} s (runs: ${runs.map((r) => (r.wallMs / 1000).toFixed(1)).join(', ')} s); load now ${load()}`,
    );
    console.log(
      renderTable(
        [...columnsOf(['type', 'GPUs', 'step ms', 'memory']), { header: 'feasible', align: 'left' }, ...columnsOf(['GPU·s/step', 'plan ms (median)'], 0)],
        runs[0].rows.map((row, i) => [
          row.type,
          String(row.gpus),
          row.max_ms === null ? '–' : row.max_ms.toFixed(3),
          row.memory_fraction === null ? '–' : `${(row.memory_fraction * 100).toFixed(0)}%`,
          row.feasible ? 'yes' : 'no',
          row.gpu_seconds_per_step === null ? '–' : row.gpu_seconds_per_step.toFixed(3),
          median(runs.map((r) => r.rows[i].elapsed_ms)).toFixed(0),
        ]),
      ),
    );
  }
  console.log(`\nload average after: ${load()}`);
}

main();
