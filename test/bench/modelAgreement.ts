/**
 * How much the planning model and the second model of a kernel agree
 * (secondModel.ts), on the tables a benchmark section plans: each table whole
 * (fwd + bwd ms, the config's global batch) priced by both, twice: alone, and
 * by its marginal cost (the table twice on one GPU minus once, as
 * plan/dataParallel.ts does: what moving it between GPUs changes, the launch
 * costs a GPU pays anyway left out).
 * - rank ρ: Spearman correlation of the per-table costs (1 = same order);
 * - scale: median of second / planning (the models' units differ: TorchRec's
 *   estimator is bandwidth-only, so its ms are not FBGEMM's);
 * - spread: exp(median |ln ratio − ln scale|) − 1, the per-table disagreement a
 *   common scale does not explain (what a plan tuned to one model's
 *   per-table numbers can lose under the other);
 * - out of range: tables the planning model prices outside what it was fitted
 *   on, the optimizer aside (guard.ts fades a learned model to its analytic
 *   base there, so the two models agree more by construction on those; the
 *   optimizer term is the analytic model's in both, learnedCorrections.ts).
 */
import type { ShardConfig } from '../../server/src/config/types';
import { tableShard } from '../../server/src/cost/shards';
import type { ComputeCost } from '../../server/src/cost/types';
import { envOf } from '../../server/src/plan/catalog';
import type { ModelPair } from './secondModel';
import { percentile, spearman } from './stats';

export interface Agreement {
  tables: number;
  alone: Stats;
  marginal: Stats;
  outOfRange: number;
}

export interface Stats {
  rho: number;
  scale: number;
  spread: number;
}

function stats(a: readonly number[], b: readonly number[]): Stats {
  const logs = a.map((x, i) => Math.log(b[i] / x)).filter(Number.isFinite);
  const mid = percentile(logs, 0.5);
  return {
    rho: spearman(a, b),
    scale: Math.exp(mid),
    spread:
      Math.exp(
        percentile(
          logs.map((x) => Math.abs(x - mid)),
          0.5,
        ),
      ) - 1,
  };
}

/** Agreement of the pair over the distinct tables (by name and shape) of `configs`. */
export async function modelAgreement(pair: ModelPair, configs: readonly ShardConfig[]): Promise<Agreement> {
  const alone: [number[], number[]] = [[], []];
  const marginal: [number[], number[]] = [[], []];
  let outOfRange = 0;
  const seen = new Set<string>();
  for (const cfg of configs) {
    const env = envOf(cfg);
    const shards = cfg.tables
      .filter((t) => {
        const key = `${t.rows}|${t.dim}|${t.pooling}|${t.zipf}|${t.kernel}|${cfg.batchSize}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      })
      .map((t) => tableShard(t));
    if (shards.length === 0) continue;
    const sets = [...shards.map((x) => [x]), ...shards.map((x) => [x, x])];
    const [p, s] = await Promise.all([pair.plan.predict(sets, env), pair.second.predict(sets, env)]);
    const total = (c: ComputeCost) => c.fwdMs + c.bwdMs;
    shards.forEach((shard, i) => {
      const j = shards.length + i;
      alone[0].push(total(p[i]));
      alone[1].push(total(s[i]));
      marginal[0].push(total(p[j]) - total(p[i]));
      marginal[1].push(total(s[j]) - total(s[i]));
      if ((pair.plan.rangeNotes?.(shard, env) ?? []).some((n) => n.level !== 'info' && n.input !== 'optimizer')) outOfRange++;
    });
  }
  return { tables: alone[0].length, alone: stats(...alone), marginal: stats(...marginal), outOfRange };
}
