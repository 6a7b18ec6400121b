/**
 * One strategy on one huge task, in its own process so its peak RSS is its
 * own (planHuge.ts, `npm run bench:plan -- --huge`, spawns one per strategy):
 *   node --import tsx test/bench/planHugeChild.ts STRATEGY TABLES GPUS BUDGET_MS
 * Prints one JSON line: planConfig's wall ms, the process's peak RSS in bytes
 * (process.resourceUsage().maxRSS is in KiB), the RSS after building the
 * config and loading the model (what every strategy pays before planning),
 * and the plan's step, feasibility, notes and first reasons.
 */
import * as path from 'node:path';
import { loadCostModel } from '../../server/src/cost/registry';
import { diskModelFiles } from '../../server/src/io/modelFiles';
import { planConfig } from '../../server/src/plan/planner';
import type { Strategy } from '../../server/src/plan/types';
import { makeTask } from './tasks';

async function main(): Promise<void> {
  const [strategy, tablesArg, gpusArg, budgetArg] = process.argv.slice(2);
  const tables = Number(tablesArg);
  const gpus = Number(gpusArg);
  const budget = Number(budgetArg);
  const cfg = makeTask({ name: `huge-${tables}/${gpus}`, tables, gpus, seed: 0, size: 'large' });
  const { model } = await loadCostModel(cfg.devices, { files: diskModelFiles, modelsDir: path.join(__dirname, '../../models') });
  const setupRss = process.memoryUsage().rss;
  const t0 = performance.now();
  const r = await planConfig(cfg, strategy as Strategy, model, { seed: 0, timeBudgetMs: budget > 0 ? budget : undefined });
  const wallMs = performance.now() - t0;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  console.log(
    JSON.stringify({
      strategy,
      tables: cfg.tables.length,
      gpus,
      budgetMs: budget,
      wallMs,
      peakRss,
      setupRss,
      step: r.maxMs,
      feasible: r.feasible,
      notes: r.notes ?? [],
      reasons: r.reasons.slice(0, 3),
    }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
