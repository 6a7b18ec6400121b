/**
 * Fits calibration corrections (cost/calibration.ts) from measured sets: per
 * GPU type and kernel, a log-space line for forward and one for backward,
 * fitted on a training part and checked on a held-out part of the sets.
 *
 * - Split: a set is held out iff FNV-1a(id) % 100 < HELDOUT_PERCENT, so the
 *   split is the same on every run and every machine, and repeated rounds of
 *   one set (same id) never straddle it.
 * - Minimum: MIN_TRAIN training and MIN_HELDOUT held-out sets per GPU type
 *   and kernel, else that group is refused (two numbers per phase from fewer
 *   sets would fit noise; the noise floor of repeated measurements is several
 *   percent: `npm run bench:cost`).
 * - Ridge toward the identity: scale is pulled to 1 with weight RIDGE × n, so
 *   a narrow range of set sizes gives an offset (a plain scale factor), not a
 *   wild slope; the scale is kept within [MIN_SCALE, MAX_SCALE].
 * - No over-fitting: a correction that does not lower the held-out forward +
 *   backward MAPE is not kept (status 'no_gain').
 * Pure.
 */
import type { Kernel } from '../config/types';
import { mape } from './accuracy';
import { applyLine, type KernelCorrection, type LogLine } from './calibration';
import type { ComputeCost } from './types';

export const HELDOUT_PERCENT = 25;
export const MIN_TRAIN = 15;
export const MIN_HELDOUT = 5;
export const RIDGE = 0.1;
export const MIN_SCALE = 0.5;
export const MAX_SCALE = 2;

export interface CalibrationSample {
  id: string;
  gpuType: string;
  kernel: Kernel;
  predicted: ComputeCost;
  measured: ComputeCost;
}

export interface GroupFit {
  gpuType: string;
  kernel: Kernel;
  status: 'fitted' | 'too_few' | 'no_gain';
  train: number;
  heldout: number;
  /** Present when status is 'fitted' or 'no_gain' (then for the report only, not written). */
  correction?: KernelCorrection;
  message?: string;
}

/** 32-bit FNV-1a of a string (http://www.isthe.com/chongo/tech/comp/fnv/). */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function isHeldOut(id: string): boolean {
  return fnv1a(id) % 100 < HELDOUT_PERCENT;
}

/** Least squares of ln measured on ln predicted, centred, scale ridged toward 1. */
export function fitLine(pairs: readonly { predicted: number; measured: number }[], ridge = RIDGE): LogLine {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const p of pairs) {
    if (p.predicted > 0 && p.measured > 0 && Number.isFinite(p.predicted) && Number.isFinite(p.measured)) {
      xs.push(Math.log(p.predicted));
      ys.push(Math.log(p.measured));
    }
  }
  const n = xs.length;
  if (n === 0) return { scale: 1, offset: 0 };
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
  }
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, (sxy + ridge * n) / (sxx + ridge * n)));
  return { scale, offset: my - scale * mx };
}

function sumMape(samples: readonly CalibrationSample[], cost: (s: CalibrationSample) => ComputeCost): number {
  return mape(
    samples.map((s) => {
      const c = cost(s);
      return { predicted: c.fwdMs + c.bwdMs, measured: s.measured.fwdMs + s.measured.bwdMs };
    }),
  );
}

/** One fit per (GPU type, kernel) present in `samples`, in first-seen order. */
export function fitCalibration(samples: readonly CalibrationSample[]): GroupFit[] {
  const groups = new Map<string, CalibrationSample[]>();
  for (const s of samples) {
    const key = `${s.gpuType}\u0000${s.kernel}`;
    const g = groups.get(key);
    if (g) g.push(s);
    else groups.set(key, [s]);
  }
  const out: GroupFit[] = [];
  for (const group of groups.values()) {
    const { gpuType, kernel } = group[0];
    const train = group.filter((s) => !isHeldOut(s.id));
    const held = group.filter((s) => isHeldOut(s.id));
    if (train.length < MIN_TRAIN || held.length < MIN_HELDOUT) {
      out.push({
        gpuType,
        kernel,
        status: 'too_few',
        train: train.length,
        heldout: held.length,
        message:
          `${gpuType} / ${kernel}: ${group.length} measured sets (${train.length} to fit, ${held.length} held out); ` +
          `a correction needs at least ${MIN_TRAIN} to fit and ${MIN_HELDOUT} held out — measure more plans (shardlens measure)`,
      });
      continue;
    }
    const fwd = fitLine(train.map((s) => ({ predicted: s.predicted.fwdMs, measured: s.measured.fwdMs })));
    const bwd = fitLine(train.map((s) => ({ predicted: s.predicted.bwdMs, measured: s.measured.bwdMs })));
    const corr = (s: CalibrationSample) => ({ fwdMs: applyLine(s.predicted.fwdMs, fwd), bwdMs: applyLine(s.predicted.bwdMs, bwd) });
    const correction: KernelCorrection = {
      fwd,
      bwd,
      train: train.length,
      heldout: held.length,
      mape: {
        train_before: sumMape(train, (s) => s.predicted),
        train_after: sumMape(train, corr),
        heldout_before: sumMape(held, (s) => s.predicted),
        heldout_after: sumMape(held, corr),
      },
    };
    const gain = correction.mape.heldout_after < correction.mape.heldout_before;
    out.push({
      gpuType,
      kernel,
      status: gain ? 'fitted' : 'no_gain',
      train: train.length,
      heldout: held.length,
      correction,
      ...(gain
        ? {}
        : {
            message:
              `${gpuType} / ${kernel}: the correction does not lower the held-out error ` +
              `(${(100 * correction.mape.heldout_before).toFixed(1)}% → ${(100 * correction.mape.heldout_after).toFixed(1)}%); not kept`,
          }),
    });
  }
  return out;
}
