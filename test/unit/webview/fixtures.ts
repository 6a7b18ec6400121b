/**
 * A `shardlens/balance` answer for the webview and extension tests: 4 GPUs,
 * the written placement unbalanced (GPU 0 slow, GPU 3 over its memory), the
 * proposed plan balanced. Numbers in ms per step and bytes; each side's step
 * is the critical path over its GPUs' phases.
 */
import { PHASES, type PhaseTimes } from '../../../server/src/cost/phases';
import type { BalanceResult, BalanceSide, SweepResultPayload, SweepRowResult } from '../../../server/src/lsp/protocol';

const GIB = 2 ** 30;
const CAP = 68 * GIB;

/** A GPU's communication split over the phases: 20% input dist, 30% output dist, 30% gradient dist, 20% DP all-reduce. */
function phasesOf(fwdMs: number, bwdMs: number, commMs: number): PhaseTimes {
  return { input_dist: 0.2 * commMs, forward: fwdMs, output_dist: 0.3 * commMs, grad_dist: 0.3 * commMs, backward: bwdMs, dp_sync: 0.2 * commMs };
}

function side(strategy: BalanceSide['strategy'], rows: Array<[number, string[], number, number, number, number]>): BalanceSide {
  const gpus = rows.map(([gpu, tables, fwdMs, bwdMs, commMs, memGiB]) => ({
    gpu,
    tables,
    fwdMs,
    bwdMs,
    commMs,
    totalMs: fwdMs + bwdMs + commMs,
    memoryBytes: memGiB * GIB,
    capacityBytes: CAP,
    phaseMs: phasesOf(fwdMs, bwdMs, commMs),
  }));
  const totals = gpus.map((g) => g.totalMs);
  const phases = PHASES.map((name) => {
    const best = gpus.reduce((a, b) => (b.phaseMs[name] > a.phaseMs[name] ? b : a));
    return { name, maxMs: best.phaseMs[name], gpu: best.gpu };
  });
  const maxMs = phases.reduce((a, p) => a + p.maxMs, 0);
  const maxGpuMs = Math.max(...totals);
  const meanMs = totals.reduce((a, b) => a + b, 0) / totals.length;
  return {
    strategy,
    gpus,
    maxMs,
    meanMs,
    maxGpuMs,
    phases,
    imbalance: maxGpuMs / meanMs,
    feasible: gpus.every((g) => g.memoryBytes <= g.capacityBytes),
    reasons: gpus.filter((g) => g.memoryBytes > g.capacityBytes).map((g) => `GPU ${g.gpu} is over memory`),
  };
}

/**
 * `sampleBalance` with the cost model's ± on every GPU: `rel` × its fwd + bwd;
 * the step's ±: `rel` × the forward and backward phases' slowest GPUs' ms (the
 * compute on the critical path, as cost/stepCost.ts stepUncertaintyMs).
 */
export function withUncertainty(r: BalanceResult, rel: number): BalanceResult {
  for (const s of [r.current, r.proposed]) {
    if (!s) continue;
    for (const g of s.gpus) g.uncertaintyMs = rel * (g.fwdMs + g.bwdMs);
    s.maxUncertaintyMs = s.phases.filter((p) => p.name === 'forward' || p.name === 'backward').reduce((a, p) => a + rel * p.maxMs, 0);
  }
  return r;
}

export function sampleBalance(): BalanceResult {
  return {
    uri: 'file:///ws/examples/criteo.shard.yaml',
    version: 7,
    costModel: 'learned: h100-cost-v1',
    devices: '4 \u00d7 H100-80GB',
    current: side('best', [
      [0, ['user_id', 'item_id'], 4.0, 8.0, 1.0, 30],
      [1, ['cat_1'], 1.0, 2.0, 0.5, 10],
      [2, ['cat_2'], 1.0, 2.5, 0.5, 12],
      [3, ['cat_3', 'huge'], 1.5, 3.0, 0.5, 70],
    ]),
    proposed: side('best', [
      [0, ['user_id'], 2.5, 5.0, 0.8, 20],
      [1, ['item_id', 'cat_1'], 2.2, 4.6, 0.9, 25],
      [2, ['cat_2', 'cat_3'], 2.0, 4.2, 0.7, 22],
      [3, ['huge'], 1.8, 3.9, 0.6, 55],
    ]),
    locations: {
      user_id: { item: { start: { line: 9, character: 2 }, end: { line: 14, character: 0 } }, placement: { start: { line: 40, character: 2 }, end: { line: 40, character: 12 } } },
      item_id: { item: { start: { line: 14, character: 2 }, end: { line: 19, character: 0 } } },
      cat_1: { item: { start: { line: 19, character: 2 }, end: { line: 22, character: 0 } } },
    },
    errors: 0,
  };
}

/**
 * `sampleBalance` with a move budget of 3 ("Replan (≤ 3 moves)"): item_id off
 * GPU 0 (2.1 ms), cat_3 off GPU 3 (0.4 ms), and huge split over two GPUs with
 * no gain of its own (it only pays together with cat_3's move).
 */
export function withMoveBudget(r: BalanceResult): BalanceResult {
  r.moveBudget = {
    maxMoves: 3,
    moves: [
      { table: 'item_id', from: '0', to: '1', gainMs: 2.1, required: false, range: { start: { line: 41, character: 2 }, end: { line: 41, character: 12 } } },
      { table: 'cat_3', from: '3', to: '2', gainMs: 0.4, required: false },
      { table: 'huge', from: '3', to: '{column: [3, 1]}', required: false },
    ],
    requiredMoves: 0,
    tooFewMoves: false,
    jointGainMs: 0.3,
    fullMaxMs: r.proposed!.maxMs,
    fullMoves: 4,
    method: 'local-search',
    side: side('best', [
      [0, ['user_id'], 2.5, 5.0, 0.8, 20],
      [1, ['item_id', 'cat_1', 'huge'], 2.4, 4.8, 0.9, 30],
      [2, ['cat_2', 'cat_3'], 2.0, 4.2, 0.7, 22],
      [3, ['huge'], 2.0, 4.4, 0.6, 40],
    ]),
  };
  return r;
}

/**
 * A `shardlens/sweep` answer: two GPU types × three counts; 1 × A100-80GB is
 * infeasible (over memory). Numbers in ms per step; GPU-seconds = ms / 1000 × GPUs.
 */
export function sampleSweep(): SweepResultPayload {
  const row = (type: string, gpus: number, maxMs: number | undefined, memoryFraction: number, costModel: string): SweepRowResult => {
    const r: SweepRowResult = { type, gpus, memoryFraction, feasible: maxMs !== undefined, strategy: 'best', costModel, elapsedMs: 100 + gpus };
    if (maxMs !== undefined) {
      r.maxMs = maxMs;
      r.meanMs = maxMs * 0.9;
      r.gpuSecondsPerStep = (maxMs / 1000) * gpus;
    } else r.reason = 'no GPU has room for table giant within memory, pins and allowed sharding';
    return r;
  };
  return {
    uri: 'file:///ws/examples/criteo.shard.yaml',
    version: 3,
    strategy: 'best',
    planBudgetMs: 5000,
    elapsedMs: 2345,
    rows: [
      row('H100-80GB', 1, 40, 0.8, 'learned: h100-cost-v2'),
      row('H100-80GB', 2, 22, 0.4, 'learned: h100-cost-v2'),
      row('H100-80GB', 4, 13, 0.2, 'learned: h100-cost-v2'),
      row('A100-80GB', 1, undefined, 1.05, 'analytic: A100-80GB'),
      row('A100-80GB', 2, 35, 0.52, 'analytic: A100-80GB'),
      row('A100-80GB', 4, 20, 0.26, 'analytic: A100-80GB'),
    ],
  };
}
