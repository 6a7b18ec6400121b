/**
 * Predicted vs measured, per GPU and per plan: joins a scored plan
 * (PlanResult, from evaluatePlacement or planConfig) with the collector's
 * measured lines (spec mode, one line per GPU set and round). The one place
 * that decides how a measured GPU total is formed, for `shardlens measure`
 * and `bench:measured` alike:
 *
 *   measured total = predicted total − predicted fwd − predicted bwd
 *                    − (predicted comm, when comm was measured)
 *                    + measured fwd + measured bwd (+ measured comm)
 *
 * i.e. the measured phases replace their predictions and any phase that was
 * not measured (communication on one GPU, other phases a GpuReport may carry)
 * keeps its predicted value, flagged by `commMeasured`. Several rounds of one
 * set (--repeats) are reduced to their median. GpuReport fields are read
 * defensively (a missing number counts as 0). Pure.
 */
import { ape, kendallTau, mape, median, type Pair } from '../cost/accuracy';
import type { GpuReport, PlanResult } from './types';

/** One measured set, as read from a collector line (spec mode). */
export interface MeasuredSet {
  id: string;
  fwdMs: number;
  bwdMs: number;
  /** This GPU's all-to-all, forward + backward, when measured under torchrun. */
  commMs?: number;
  /** Rounds that went into the medians. */
  rounds: number;
  /** (max − min) / median of fwd + bwd over the rounds; absent with one round. */
  spread?: number;
}

export interface MeasuredLineError {
  line: number;
  message: string;
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

/**
 * Reads collector output (JSONL). Lines with an `error` (out of memory) or
 * without timings become errors with their line number; several rounds of an
 * id are reduced to medians. Never throws.
 */
export function parseMeasuredLines(text: string): { sets: Map<string, MeasuredSet>; errors: MeasuredLineError[] } {
  const rounds = new Map<string, { fwd: number[]; bwd: number[]; comm: number[] }>();
  const errors: MeasuredLineError[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (!raw.trim()) return;
    let rec: unknown;
    try {
      rec = JSON.parse(raw);
    } catch (e) {
      errors.push({ line, message: `invalid JSON (${(e as Error).message})` });
      return;
    }
    if (!rec || typeof rec !== 'object' || Array.isArray(rec)) {
      errors.push({ line, message: 'expected a JSON object' });
      return;
    }
    const r = rec as Record<string, unknown>;
    const id = typeof r.id === 'string' ? r.id : undefined;
    if (!id) {
      errors.push({ line, message: 'no "id"' });
      return;
    }
    if (typeof r.error === 'string') {
      errors.push({ line, message: `${id}: ${r.error}` });
      return;
    }
    const fwd = num(r.fwd_ms);
    const bwd = num(r.bwd_ms);
    if (fwd === undefined || bwd === undefined) {
      errors.push({ line, message: `${id}: no fwd_ms/bwd_ms` });
      return;
    }
    const acc = rounds.get(id) ?? { fwd: [], bwd: [], comm: [] };
    acc.fwd.push(fwd);
    acc.bwd.push(bwd);
    const c = r.comm && typeof r.comm === 'object' ? (r.comm as Record<string, unknown>) : undefined;
    const cf = num(c?.fwd_ms);
    const cb = num(c?.bwd_ms);
    if (cf !== undefined && cb !== undefined) acc.comm.push(cf + cb);
    rounds.set(id, acc);
  });
  const sets = new Map<string, MeasuredSet>();
  for (const [id, acc] of rounds) {
    const set: MeasuredSet = { id, fwdMs: median(acc.fwd), bwdMs: median(acc.bwd), rounds: acc.fwd.length };
    if (acc.comm.length) set.commMs = median(acc.comm);
    if (acc.fwd.length > 1) {
      const totals = acc.fwd.map((f, i) => f + acc.bwd[i]);
      const m = median(totals);
      if (m > 0) set.spread = (Math.max(...totals) - Math.min(...totals)) / m;
    }
    sets.set(id, set);
  }
  return { sets, errors };
}

export interface PhaseMs {
  fwdMs: number;
  bwdMs: number;
  commMs: number;
  totalMs: number;
}

export interface GpuComparison {
  gpu: number;
  tables: number;
  predicted: PhaseMs;
  /** Absent when this GPU was not measured (not asked for, out of memory, or out of time). */
  measured?: PhaseMs & { commMeasured: boolean; rounds: number; spread?: number };
  /** APE of each phase (NaN where a side is 0). */
  error?: { fwd: number; bwd: number; compute: number; comm?: number; total: number };
}

export interface PlanComparison {
  gpus: GpuComparison[];
  measuredGpus: number;
  /** Predicted max over the measured GPUs, and over every GPU of the plan. */
  predictedMaxMs: number;
  predictedPlanMaxMs: number;
  /** Measured max over the measured GPUs (NaN when none was). */
  measuredMaxMs: number;
  measuredMaxGpu?: number;
  /** APE of the max: |predicted max − measured max| / measured max, both over the measured GPUs. */
  maxError: number;
  /** Per-GPU MAPE of forward, backward, forward + backward, and total. */
  mape: { fwd: number; bwd: number; compute: number; total: number };
  /** Kendall τ-b of predicted vs measured GPU totals (does the model find the busiest GPUs?). */
  gpuTau: number;
}

function n0(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function predictedOf(g: GpuReport): PhaseMs {
  const fwdMs = n0(g.fwdMs);
  const bwdMs = n0(g.bwdMs);
  const commMs = n0(g.commMs);
  const total = typeof g.totalMs === 'number' && Number.isFinite(g.totalMs) ? g.totalMs : fwdMs + bwdMs + commMs;
  return { fwdMs, bwdMs, commMs, totalMs: total };
}

/** `idOf(gpu)` = the measured set's id for that GPU (e.g. `<plan>/gpu3`). */
export function joinPlan(plan: Pick<PlanResult, 'gpus'>, measured: ReadonlyMap<string, MeasuredSet>, idOf: (gpu: number) => string): PlanComparison {
  const gpus: GpuComparison[] = (plan.gpus ?? []).map((g) => {
    const predicted = predictedOf(g);
    const out: GpuComparison = { gpu: g.gpu, tables: Array.isArray(g.tables) ? g.tables.length : 0, predicted };
    const m = measured.get(idOf(g.gpu));
    if (!m) return out;
    const commMeasured = m.commMs !== undefined;
    const commMs = commMeasured ? m.commMs! : predicted.commMs;
    const totalMs = predicted.totalMs - predicted.fwdMs - predicted.bwdMs - (commMeasured ? predicted.commMs : 0) + m.fwdMs + m.bwdMs + (commMeasured ? m.commMs! : 0);
    out.measured = { fwdMs: m.fwdMs, bwdMs: m.bwdMs, commMs, totalMs, commMeasured, rounds: m.rounds, ...(m.spread !== undefined ? { spread: m.spread } : {}) };
    out.error = {
      fwd: ape(predicted.fwdMs, m.fwdMs),
      bwd: ape(predicted.bwdMs, m.bwdMs),
      compute: ape(predicted.fwdMs + predicted.bwdMs, m.fwdMs + m.bwdMs),
      total: ape(predicted.totalMs, totalMs),
      ...(commMeasured ? { comm: ape(predicted.commMs, m.commMs!) } : {}),
    };
    return out;
  });
  const done = gpus.filter((g) => g.measured);
  let measuredMax = NaN;
  let measuredMaxGpu: number | undefined;
  for (const g of done) {
    if (!(g.measured!.totalMs <= measuredMax)) {
      measuredMax = g.measured!.totalMs;
      measuredMaxGpu = g.gpu;
    }
  }
  const predictedMax = done.reduce((m, g) => Math.max(m, g.predicted.totalMs), done.length ? 0 : NaN);
  const pairs = (f: (p: PhaseMs) => number): Pair[] => done.map((g) => ({ predicted: f(g.predicted), measured: f(g.measured!) }));
  return {
    gpus,
    measuredGpus: done.length,
    predictedMaxMs: predictedMax,
    predictedPlanMaxMs: gpus.reduce((m, g) => Math.max(m, g.predicted.totalMs), 0),
    measuredMaxMs: measuredMax,
    measuredMaxGpu,
    maxError: ape(predictedMax, measuredMax),
    mape: {
      fwd: mape(pairs((p) => p.fwdMs)),
      bwd: mape(pairs((p) => p.bwdMs)),
      compute: mape(pairs((p) => p.fwdMs + p.bwdMs)),
      total: mape(pairs((p) => p.totalMs)),
    },
    gpuTau: kendallTau(pairs((p) => p.totalMs)),
  };
}

/** The `count` GPUs with the highest predicted total (ties: lower GPU first). */
export function busiestGpus(plan: Pick<PlanResult, 'gpus'>, count: number): number[] {
  return [...(plan.gpus ?? [])]
    .sort((a, b) => n0(b.totalMs) - n0(a.totalMs) || a.gpu - b.gpu)
    .slice(0, Math.max(0, count))
    .map((g) => g.gpu);
}
