/**
 * The CI gate of `shardlens plan FILE --fail-if-worse 5%`: is the placement
 * written in the file more than P% slower per step than the plan the planner
 * finds for it (both scored by the same cost model)? Pure: two scored plans in,
 * a verdict with a sentence out.
 */
import type { PlanResult } from '../plan/types';
import { PHASE_TITLES } from '../cost/phases';
import { formatMs, formatPhases } from './format';

/** `5%`, `5`, `2.5 %` → 5, 5, 2.5 (percent); an error message otherwise. */
export function parsePercent(text: string): { ok: true; value: number } | { ok: false; error: string } {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  const value = m ? Number(m[1]) : NaN;
  if (!Number.isFinite(value) || value < 0 || value > 1000) return { ok: false, error: `'${text}' is not a percentage between 0% and 1000% (e.g. 5%)` };
  return { ok: true, value };
}

export interface GateGpu {
  gpu: number;
  ms: number;
}

export interface GateVerdict {
  passed: boolean;
  /** The allowed slack, percent. */
  thresholdPercent: number;
  /** Step time of the written placement, ms (absent when it could not be scored). */
  writtenMs?: number;
  /** Step time of the plan found, ms. */
  plannedMs: number;
  /** How far the written step time is above the plan's, percent (negative: below). */
  overPercent?: number;
  /** GPUs of the written placement whose own total (Σ of their phases) is over the allowed step time, slowest first. */
  gpus: GateGpu[];
  /** One sentence for people (and CI logs). */
  message: string;
}

/** GPUs named in a message before "and N more". */
const GPUS_NAMED = 8;

function gpuList(gpus: readonly GateGpu[]): string {
  const named = gpus
    .slice(0, GPUS_NAMED)
    .map((g) => `GPU ${g.gpu} (${formatMs(g.ms)})`)
    .join(', ');
  return gpus.length > GPUS_NAMED ? `${named} and ${gpus.length - GPUS_NAMED} more` : named;
}

/**
 * `written`: the file's placement scored (undefined when it is missing or
 * incomplete); `planned`: the plan found for the same config and model.
 */
export function worseGate(written: PlanResult | undefined, planned: PlanResult, thresholdPercent: number): GateVerdict {
  const base = { thresholdPercent, plannedMs: planned.maxMs, gpus: [] as GateGpu[] };
  if (!written || written.gpus.length === 0) {
    return { ...base, passed: false, message: 'the file has no complete placement to check: every table needs a placement entry (run Replan or `shardlens plan FILE --write`)' };
  }
  if (!written.feasible) {
    const why = written.reasons.slice(0, 2).join('; ');
    return {
      ...base,
      passed: false,
      writtenMs: written.maxMs,
      message: `the written placement is not feasible: ${why}${written.reasons.length > 2 ? ` (and ${written.reasons.length - 2} more)` : ''}`,
    };
  }
  if (!planned.feasible || planned.gpus.length === 0) {
    return {
      ...base,
      passed: true,
      writtenMs: written.maxMs,
      message: `the planner found no feasible plan to compare with; the written placement (${formatMs(written.maxMs)} per step) is feasible`,
    };
  }
  const allowedMs = planned.maxMs * (1 + thresholdPercent / 100);
  const overPercent = planned.maxMs > 0 ? (written.maxMs / planned.maxMs - 1) * 100 : 0;
  const gpus = written.gpus
    .filter((g) => g.totalMs > allowedMs)
    .map((g) => ({ gpu: g.gpu, ms: g.totalMs }))
    .sort((a, b) => b.ms - a.ms || a.gpu - b.gpu);
  const passed = written.maxMs <= allowedMs;
  const how = `the written placement's step time ${formatMs(written.maxMs)} is ${Math.abs(overPercent).toFixed(1)}% ${overPercent >= 0 ? 'above' : 'below'} the plan found (${formatMs(planned.maxMs)}; allowed ${thresholdPercent}%)`;
  // The step is the critical path (Σ over phases of the slowest GPU), so it can
  // exceed the allowance with no single GPU's own total over it: then the
  // phases and their slowest GPUs say where the time goes.
  const where =
    gpus.length > 0
      ? `; ${gpus.length === 1 ? 'this GPU is' : 'these GPUs are'} over ${formatMs(allowedMs)}: ${gpuList(gpus)}`
      : (written.phases ?? []).some((p) => p.maxMs > 0)
        ? `; its critical path: ${formatPhases(written.phases, PHASE_TITLES)}`
        : '';
  const message = passed ? how : `${how}${where}`;
  return { ...base, passed, writtenMs: written.maxMs, overPercent, gpus, message };
}
