/**
 * `npm run bench:cost`: accuracy and speed of the cost models.
 *
 * Accuracy: on the held-out split of models/data/h100/embedding-costs.jsonl
 * (ids in models/data/h100-split.json, written by the trainer; never trained
 * on), for forward, backward and their sum: mean / median / 90th-percentile
 * absolute percentage error and Spearman rank correlation of
 *   - the learned model (models/h100-cost.onnx via onnxruntime-node),
 *   - the analytic model (AnalyticCostModel),
 *   - a log-linear regression baseline fitted here on the training split
 *     (per-table ln ms = w·features, set cost = sum over its tables).
 * Trust: how often each model's ± covers the held-out measurements, the
 * learned ensemble's spread against its error, and the invariant counts of
 * every served model over random configs (costTrust.ts; BENCH_INVARIANT_CASES
 * sets the cases per model, default 150).
 * Speed: one `predict` call scoring a 1,000-table plan on 128 GPUs (ONNX), and
 * `prepare` + scoring the same 128 sets in JS; medians over 20 runs.
 *
 * Data path: $SHARDLENS_H100_DATA or models/data/h100/embedding-costs.jsonl.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { GPU_PRESETS } from '../../server/src/config/presets';
import type { DeviceSpec } from '../../server/src/config/types';
import { AnalyticCostModel } from '../../server/src/cost/analytic';
import { shardFeatures, NUM_FEATURES } from '../../server/src/cost/features';
import { parseJsonlSets, predictJsonlSets, type JsonlSet } from '../../server/src/cost/jsonlSets';
import { loadCostModel } from '../../server/src/cost/registry';
import { diskModelFiles } from '../../server/src/io/modelFiles';
import type { ComputeCost, CostEnv, Shard } from '../../server/src/cost/types';
import { columnsOf, renderMarkdownTable } from '../../server/src/cli/textTable';
import { printPublishedTable } from './fbgemmPublished';
import { noiseFloor } from './noiseFloor';
import { printInvariants, printUncertainty } from './costTrust';
import { percentile, spearman } from './stats';

const REPO = path.resolve(__dirname, '../..');
const MODELS = path.join(REPO, 'models');
const DATA = process.env.SHARDLENS_H100_DATA ?? path.resolve(REPO, 'models/data/h100/embedding-costs.jsonl');
const SPLIT = path.join(MODELS, 'data', 'h100-split.json');

const H100: DeviceSpec = { type: 'H100-80GB', count: 128, perHost: 8, reserve: 0.15, ...GPU_PRESETS['H100-80GB'] };

// ---- metrics (same definitions as models/shardlens_cost/metrics.py) ----
interface Summary {
  mape: number;
  median: number;
  p90: number;
  rho: number;
}
function summary(pred: number[], truth: number[]): Summary {
  const ape = pred.map((p, i) => Math.abs(p - truth[i]) / truth[i]);
  return { mape: ape.reduce((a, b) => a + b, 0) / ape.length, median: percentile(ape, 0.5), p90: percentile(ape, 0.9), rho: spearman(pred, truth) };
}

// ---- log-linear baseline: ridge regression of per-table ln ms on features ----
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[piv][c])) piv = r;
    [m[c], m[piv]] = [m[piv], m[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  return m.map((row, i) => row[n] / row[i]);
}
function fitLogLinear(rows: { x: number[]; y: number }[], ridge = 1e-3): (x: number[]) => number {
  const d = NUM_FEATURES + 1;
  const xtx = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  const xty = new Array<number>(d).fill(0);
  for (const { x, y } of rows) {
    const v = [1, ...x];
    for (let i = 0; i < d; i++) {
      xty[i] += v[i] * y;
      for (let j = 0; j < d; j++) xtx[i][j] += v[i] * v[j];
    }
  }
  for (let i = 1; i < d; i++) xtx[i][i] += ridge * rows.length;
  const w = solve(xtx, xty);
  return (x) => Math.exp(w[0] + x.reduce((s, v, i) => s + v * w[i + 1], 0));
}
class LogLinearBaseline {
  readonly name = 'log-linear (sum of tables)';
  private fwd: (x: number[]) => number;
  private bwd: (x: number[]) => number;
  constructor(train: JsonlSet[]) {
    const f: { x: number[]; y: number }[] = [];
    const b: { x: number[]; y: number }[] = [];
    for (const s of train) {
      const one = (shard: Shard, c: ComputeCost) => {
        const x = shardFeatures(shard, s.env.batchSize);
        f.push({ x, y: Math.log(c.fwdMs) });
        b.push({ x, y: Math.log(c.bwdMs) });
      };
      if (s.shards.length === 1 && s.measured) one(s.shards[0], s.measured);
      s.singles?.forEach((c, i) => one(s.shards[i], c));
    }
    this.fwd = fitLogLinear(f);
    this.bwd = fitLogLinear(b);
  }
  predict(shards: readonly Shard[], env: CostEnv): ComputeCost {
    let fwdMs = 0;
    let bwdMs = 0;
    for (const s of shards) {
      const x = shardFeatures(s, env.batchSize);
      fwdMs += this.fwd(x);
      bwdMs += this.bwd(x);
    }
    return { fwdMs, bwdMs };
  }
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

/** Which kernel a row's model prices: the kernels of the sets it scored. */
function kernelsOf(sets: readonly JsonlSet[]): string {
  return [...new Set(sets.flatMap((s) => s.shards.map((sh) => sh.kernel)))].join(', ');
}

function accuracyRows(name: string, pred: ComputeCost[], sets: JsonlSet[]): string[][] {
  const m = sets.map((s) => s.measured!);
  const parts: [string, number[], number[]][] = [
    ['fwd', pred.map((p) => p.fwdMs), m.map((x) => x.fwdMs)],
    ['bwd', pred.map((p) => p.bwdMs), m.map((x) => x.bwdMs)],
    ['fwd+bwd', pred.map((p) => p.fwdMs + p.bwdMs), m.map((x) => x.fwdMs + x.bwdMs)],
  ];
  return parts.map(([what, p, t]) => {
    const s = summary(p, t);
    return [name, kernelsOf(sets), what, pct(s.mape), pct(s.median), pct(s.p90), s.rho.toFixed(3)];
  });
}

/** A Markdown table: the first three columns (names) left, the figures right. */
function printTable(header: string[], rows: string[][]): void {
  console.log(renderMarkdownTable(columnsOf(header, 3), rows));
}

/** Deterministic synthetic plan: `tables` tables round-robin over `gpus` GPUs. */
function syntheticPlan(tables: number, gpus: number): Shard[][] {
  let seed = 12345;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const dims = [4, 8, 16, 32, 64, 128, 256];
  const sets: Shard[][] = Array.from({ length: gpus }, () => []);
  for (let t = 0; t < tables; t++) {
    sets[t % gpus].push({
      table: `t${t}`,
      rows: Math.round(Math.exp(Math.log(1e3) + rnd() * Math.log(5e4))),
      dim: dims[Math.floor(rnd() * dims.length)],
      pooling: Math.exp(Math.log(0.5) + rnd() * Math.log(200)),
      zipf: rnd() < 0.15 ? 0 : 1.3 * rnd(),
      dtypeBytes: rnd() < 0.2 ? 2 : 4,
      kernel: 'torch_embedding_bag',
    });
  }
  return sets;
}

/** Median wall ms and median process CPU ms (user+sys, all threads) of `runs` calls.
 * CPU time is shown because a shared machine's wall time varies with load. */
async function timed(runs: number, fn: () => unknown | Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { wall: percentile(wall, 0.5), cpu: percentile(cpu, 0.5) };
}

async function main(): Promise<void> {
  if (!existsSync(DATA)) {
    console.error(`bench:cost needs the measured data: ${DATA} not found (set SHARDLENS_H100_DATA).`);
    process.exit(1);
  }
  const text = readFileSync(DATA, 'utf8');
  const split = JSON.parse(readFileSync(SPLIT, 'utf8')) as { data: { sha256: string }; train: string[]; heldout: string[] };
  const sha = createHash('sha256').update(text).digest('hex');
  if (sha !== split.data.sha256) console.warn(`warning: ${DATA} differs from the file the split was made from (sha256 ${sha.slice(0, 12)}… vs ${split.data.sha256.slice(0, 12)}…)`);
  const { sets, errors } = parseJsonlSets(text, { device: H100 });
  if (errors.length) console.warn(`${errors.length} bad lines, e.g. ${errors[0].message}`);
  const heldIds = new Set(split.heldout);
  const trainIds = new Set(split.train);
  const held = sets.filter((s) => heldIds.has(s.id) && s.measured);
  const train = sets.filter((s) => trainIds.has(s.id) && s.measured);

  // The data measured PyTorch's embedding bag: the model registered for (H100, torch_embedding_bag).
  const { model: learned, warning } = await loadCostModel(H100, { files: diskModelFiles, modelsDir: MODELS, kernels: ['torch_embedding_bag'] });
  if (warning) console.warn(`warning: ${warning}`);
  const analytic = new AnalyticCostModel(H100.type);
  const baseline = new LogLinearBaseline(train);

  console.log(
    `\nAccuracy on the held-out split: ${held.length} sets (${held.filter((s) => s.shards.length > 1).length} multi-table) of ${path.basename(DATA)}; ` +
      `${train.length} training sets. APE = |predicted − measured| / measured.\n`,
  );
  const rows = [
    ...accuracyRows(learned.name, await predictJsonlSets(learned, held), held),
    ...accuracyRows(analytic.name, await predictJsonlSets(analytic, held), held),
    ...accuracyRows(
      baseline.name,
      held.map((s) => baseline.predict(s.shards, s.env)),
      held,
    ),
  ];
  printTable(['model', 'kernel', 'cost', 'MAPE', 'median APE', 'p90 APE', 'Spearman'], rows);

  // Sets under ~1 ms sit on the launch-overhead floor, where near-identical
  // configs measure ±20–40% apart; split the sum's error by measured size.
  const total = (s: JsonlSet) => s.measured!.fwdMs + s.measured!.bwdMs;
  const small = held.filter((s) => total(s) < 1);
  const large = held.filter((s) => total(s) >= 1);
  console.log(`\nfwd+bwd by measured size: ${small.length} held-out sets under 1 ms, ${large.length} at or above.\n`);
  const bySize: string[][] = [];
  for (const [name, predict] of [
    [learned.name, (xs: JsonlSet[]) => predictJsonlSets(learned, xs)],
    [analytic.name, (xs: JsonlSet[]) => predictJsonlSets(analytic, xs)],
    [baseline.name, async (xs: JsonlSet[]) => xs.map((s) => baseline.predict(s.shards, s.env))],
  ] as [string, (xs: JsonlSet[]) => Promise<ComputeCost[]>][]) {
    for (const [label, xs] of [
      ['< 1 ms', small],
      ['>= 1 ms', large],
    ] as [string, JsonlSet[]][]) {
      const p = await predict(xs);
      const r = accuracyRows(name, p, xs)[2];
      bySize.push([r[0], r[1], `fwd+bwd ${label}`, ...r.slice(3)]);
    }
  }
  printTable(['model', 'kernel', 'sets', 'MAPE', 'median APE', 'p90 APE', 'Spearman'], bySize);

  // ---- trust: the ± against held-out measurements, invariant counts (test/bench/costTrust.ts) ----
  await printUncertainty([learned, analytic], held, predictJsonlSets, printTable);
  await printInvariants(MODELS, printTable);

  const sample = path.join(MODELS, 'data', 'h200-sample.jsonl');
  if (existsSync(sample)) {
    const h200 = parseJsonlSets(readFileSync(sample, 'utf8'), { device: H100 }).sets.filter((s) => s.measured);
    console.log(`\nTransfer check: the H100 model on ${h200.length} sets measured on an H200 (models/data/h200-sample.jsonl; not a target, other GPU).\n`);
    printTable(['model', 'kernel', 'cost', 'MAPE', 'median APE', 'p90 APE', 'Spearman'], accuracyRows(learned.name, await predictJsonlSets(learned, h200), h200));
  }

  printPublishedTable();
  // Noise floor: the spread of repeated measurements, beside the model's error on the same sets.
  const noise = await noiseFloor(path.join(MODELS, 'data'), learned, H100);
  console.log('');
  if (noise.rows.length) {
    console.log(
      "Noise floor: the same sets measured several times in shuffled order (collector --repeats); error of one measurement vs the sets' median, beside the model's error vs that median.\n",
    );
    printTable(
      ['file', 'sets', 'rounds', 'median spread', 'noise MAPE', 'model MAPE'],
      noise.rows.map((r) => [r.file, String(r.sets), String(r.rounds), pct(r.medianSpread), pct(r.noiseMape), pct(r.modelMape)]),
    );
  } else {
    noise.lines.forEach((l) => console.log(l));
  }

  // ---- speed ----
  const plan = syntheticPlan(1000, 128);
  const env: CostEnv = { batchSize: 65536, optimizer: 'sgd', device: H100 };
  const flat = plan.flat();
  const members: number[][] = [];
  let k = 0;
  for (const s of plan) members.push(s.map(() => k++));
  const runs = 20;
  const coldPredict = await timed(1, () => learned.predict(plan, env));
  const warmPredict = await timed(runs, () => learned.predict(plan, env));
  const prepScore = await timed(runs, () => {
    const sc = learned.prepare(flat, env);
    for (const m of members) sc.score(m);
  });
  const scorer = learned.prepare(flat, env);
  const scoreOnly = await timed(runs, () => {
    for (const m of members) scorer.score(m);
  });
  const analyticPredict = await timed(runs, () => analytic.predict(plan, env));
  const size = (f: string) => (existsSync(f) ? `${(statSync(f).size / 1024).toFixed(0)} KiB` : 'missing');
  const load = os.loadavg()[0].toFixed(1);
  console.log(
    `\nSpeed: a 1,000-table plan on 128 GPUs (one set per GPU), batch 65,536; median of ${runs} runs; ` + `${os.cpus().length} CPUs, load average ${load} during the run.\n`,
  );
  const ms = (t: { wall: number; cpu: number }) => [t.wall.toFixed(2), t.cpu.toFixed(2)];
  const kernel = flat[0].kernel;
  printTable(
    ['what', 'kernel', 'how', 'wall ms', 'CPU ms'],
    [
      [learned.name, kernel, 'predict(): 1 ONNX call, first call (features computed)', ...ms(coldPredict)],
      [learned.name, kernel, 'predict(): 1 ONNX call, features cached', ...ms(warmPredict)],
      [learned.name, kernel, 'prepare() + score() of the 128 sets (JS)', ...ms(prepScore)],
      [learned.name, kernel, 'score() of the 128 sets, prepared (JS)', ...ms(scoreOnly)],
      [analytic.name, kernel, 'predict()', ...ms(analyticPredict)],
    ],
  );
  console.log(
    `\nModel files: models/h100-cost.onnx ${size(path.join(MODELS, 'h100-cost.onnx'))}, models/h100-cost.json (sidecar with weights) ${size(path.join(MODELS, 'h100-cost.json'))}.`,
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
