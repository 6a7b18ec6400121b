/**
 * Fits the six fitted constants of the analytic cost model
 * (server/src/cost/analytic.ts ANALYTIC_CONSTANTS) on the measured H100 sets
 * and prints them with the accuracy on the held-out split.
 *
 *   node --import tsx test/bench/fit-analytic.ts [path/to/embedding-costs.jsonl]
 *
 * Split: the learned model's (models/shardlens_cost/data.py): a set is held
 * out when int(sha256(id)[:8], 16) % 100 < 20. Training examples: the
 * training sets plus each table of a training multi-table set measured alone
 * (`singles`). Loss: squared log error, forward and backward fitted
 * separately (their constants are disjoint) by Nelder–Mead in log space.
 * Deterministic: same data → same constants.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GPU_PRESETS } from '../../server/src/config/presets';
import type { DeviceSpec } from '../../server/src/config/types';
import { ANALYTIC_CONSTANTS, scorerFromTraffic, shardTraffic, type AnalyticConstants, type ShardTraffic } from '../../server/src/cost/analytic';
import { parseJsonlSets } from '../../server/src/cost/jsonlSets';
import type { ComputeCost, CostEnv } from '../../server/src/cost/types';

export function isHeldOut(id: string, percent = 20): boolean {
  return parseInt(createHash('sha256').update(id).digest('hex').slice(0, 8), 16) % 100 < percent;
}

export interface Example {
  traffic: ShardTraffic[];
  env: CostEnv;
  measured: ComputeCost;
  heldOut: boolean;
}

export function h100(): DeviceSpec {
  return { type: 'H100-80GB', count: 1, perHost: 1, reserve: 0.15, ...GPU_PRESETS['H100-80GB'] };
}

/** Measured sets (and singles of training sets) with their constant-free traffic. */
export function loadExamples(file: string): Example[] {
  const { sets } = parseJsonlSets(readFileSync(file, 'utf8'), { device: h100() });
  const out: Example[] = [];
  for (const s of sets) {
    if (!s.measured) continue;
    const traffic = s.shards.map((sh) => shardTraffic(sh, s.env));
    const heldOut = isHeldOut(s.id);
    out.push({ traffic, env: s.env, measured: s.measured, heldOut });
    if (!heldOut && s.singles) s.singles.forEach((m, i) => out.push({ traffic: [traffic[i]], env: s.env, measured: m, heldOut: false }));
  }
  return out;
}

export function predictAll(ex: readonly Example[], k: AnalyticConstants): ComputeCost[] {
  return ex.map((e) => scorerFromTraffic(e.traffic, e.env, k).score(e.traffic.map((_, i) => i)));
}

export function nelderMead(f: (x: number[]) => number, x0: number[], iters = 600, step = 0.5): number[] {
  const n = x0.length;
  let simplex = [x0, ...x0.map((_, i) => x0.map((v, j) => (i === j ? v + step : v)))].map((x) => ({ x, y: f(x) }));
  for (let it = 0; it < iters; it++) {
    simplex.sort((a, b) => a.y - b.y);
    const best = simplex[0];
    const worst = simplex[n];
    const c = x0.map((_, j) => simplex.slice(0, n).reduce((s, p) => s + p.x[j], 0) / n);
    const at = (t: number) => c.map((v, j) => v + t * (worst.x[j] - v));
    const r = at(-1);
    const yr = f(r);
    if (yr < best.y) {
      const e = at(-2);
      const ye = f(e);
      simplex[n] = ye < yr ? { x: e, y: ye } : { x: r, y: yr };
    } else if (yr < simplex[n - 1].y) {
      simplex[n] = { x: r, y: yr };
    } else {
      const ct = at(yr < worst.y ? -0.5 : 0.5);
      const yc = f(ct);
      if (yc < Math.min(yr, worst.y)) simplex[n] = { x: ct, y: yc };
      else simplex = simplex.map((p, i) => (i === 0 ? p : { x: p.x.map((v, j) => best.x[j] + 0.5 * (v - best.x[j])), y: 0 })).map((p, i) => (i === 0 ? p : { x: p.x, y: f(p.x) }));
    }
  }
  simplex.sort((a, b) => a.y - b.y);
  return simplex[0].x;
}

export interface Accuracy {
  gmean: number;
  mape: number;
  median: number;
}

export function accuracy(pred: readonly number[], meas: readonly number[]): Accuracy {
  const logs = pred.map((p, i) => Math.abs(Math.log(p / meas[i])));
  const ape = pred.map((p, i) => Math.abs(p - meas[i]) / meas[i]);
  const sorted = [...ape].sort((a, b) => a - b);
  return {
    gmean: Math.exp(logs.reduce((a, b) => a + b, 0) / logs.length),
    mape: ape.reduce((a, b) => a + b, 0) / ape.length,
    median: sorted[sorted.length >> 1],
  };
}

function report(label: string, ex: readonly Example[], k: AnalyticConstants): void {
  const p = predictAll(ex, k);
  const f = accuracy(
    p.map((x) => x.fwdMs),
    ex.map((e) => e.measured.fwdMs),
  );
  const b = accuracy(
    p.map((x) => x.bwdMs),
    ex.map((e) => e.measured.bwdMs),
  );
  const s = accuracy(
    p.map((x) => x.fwdMs + x.bwdMs),
    ex.map((e) => e.measured.fwdMs + e.measured.bwdMs),
  );
  const fmt = (a: Accuracy) => `gmean ×${a.gmean.toFixed(3)}  MAPE ${(100 * a.mape).toFixed(1)}%  median APE ${(100 * a.median).toFixed(1)}%`;
  console.log(`${label} (${ex.length} sets)\n  fwd      ${fmt(f)}\n  bwd      ${fmt(b)}\n  fwd+bwd  ${fmt(s)}`);
}

function main(): void {
  const file = process.argv[2] ?? path.resolve(__dirname, '../../models/data/h100/embedding-costs.jsonl');
  const all = loadExamples(file);
  const train = all.filter((e) => !e.heldOut);
  const held = all.filter((e) => e.heldOut);
  const sqLog = (pred: number[], meas: number[]) => pred.reduce((a, p, i) => a + Math.log(p / meas[i]) ** 2, 0) / pred.length;

  const fwdKeys = ['t0FwdMs', 'chunkRatePerSm', 'bagOverhead'] as const;
  const bwdKeys = ['t0BwdMs', 'bwdLookupRatePerSm', 'dupUs'] as const;
  const k: AnalyticConstants = { ...ANALYTIC_CONSTANTS };
  const fit = (keys: readonly (keyof AnalyticConstants)[], pick: (c: ComputeCost) => number) => {
    const meas = train.map((e) => pick(e.measured));
    const x = nelderMead(
      (lx) => {
        const trial = { ...k };
        keys.forEach((key, i) => {
          trial[key] = Math.exp(lx[i]);
        });
        return sqLog(predictAll(train, trial).map(pick), meas);
      },
      keys.map((key) => Math.log(k[key])),
    );
    keys.forEach((key, i) => {
      k[key] = Math.exp(x[i]);
    });
  };
  report('before fit, held-out', held, k);
  fit(fwdKeys, (c) => c.fwdMs);
  fit(bwdKeys, (c) => c.bwdMs);
  console.log('fitted constants:');
  for (const key of [...fwdKeys, ...bwdKeys]) console.log(`  ${key}: ${Number(k[key].toPrecision(4))},`);
  report('training split', train, k);
  report('held-out split', held, k);
  report('all (training + held-out)', all, k);
}

if (require.main === module) main();
