/**
 * The machine-readable shapes of `shardlens measure --format json` and
 * `shardlens calibrate --format json` (docs/cli.md "Measure and
 * calibrate: files and formats"): snake_case keys, ms, errors as fractions (0.08 = 8%), null for a
 * number that cannot be computed (never NaN). One function per shape.
 */
import type { GroupFit } from '../cost/calibrationFit';
import type { GpuComparison, PlanComparison } from '../plan/measuredJoin';

/** A number, or null for NaN/±Infinity (JSON has no NaN). */
export function jnum(x: number | undefined): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

export type MeasureStatus = 'measured' | 'dry_run' | 'no_gpu' | 'cannot_run' | 'failed';

export interface PhaseJson {
  fwd_ms: number | null;
  bwd_ms: number | null;
  comm_ms: number | null;
  total_ms: number | null;
}

export interface MeasureGpuJson {
  gpu: number;
  tables: number;
  predicted: PhaseJson;
  measured: (PhaseJson & { comm_measured: boolean; rounds: number; spread: number | null }) | null;
  error: { fwd: number | null; bwd: number | null; compute: number | null; comm: number | null; total: number | null } | null;
}

export interface MeasureSummaryJson {
  measured_gpus: number;
  predicted_max_ms: number | null;
  measured_max_ms: number | null;
  measured_max_gpu: number | null;
  /** |predicted max − measured max| / measured max over the measured GPUs. */
  max_error: number | null;
  mape: { fwd: number | null; bwd: number | null; compute: number | null; total: number | null };
  gpu_kendall_tau: number | null;
}

export interface MeasureJson {
  file: string;
  status: MeasureStatus;
  /** Why it stopped (status other than 'measured'), in words. */
  message?: string;
  plan: { source: 'written' | 'planned'; strategy: string; cost_model: string; feasible: boolean; predicted_max_ms: number | null; gpus: number };
  files: { specs: string; plan: string; measured?: string; env?: string; report?: string };
  device?: { python: string; torch: string; gpu: string | null; gpus: number; fbgemm: boolean; cpu: boolean };
  rounds: number;
  gpus: MeasureGpuJson[];
  summary?: MeasureSummaryJson;
  /** Sets that could not be measured (e.g. out of memory), one line each. */
  problems: string[];
}

function phase(p: { fwdMs: number; bwdMs: number; commMs: number; totalMs: number }): PhaseJson {
  return { fwd_ms: jnum(p.fwdMs), bwd_ms: jnum(p.bwdMs), comm_ms: jnum(p.commMs), total_ms: jnum(p.totalMs) };
}

export function measureGpuJson(g: GpuComparison): MeasureGpuJson {
  return {
    gpu: g.gpu,
    tables: g.tables,
    predicted: phase(g.predicted),
    measured: g.measured ? { ...phase(g.measured), comm_measured: g.measured.commMeasured, rounds: g.measured.rounds, spread: jnum(g.measured.spread) } : null,
    error: g.error ? { fwd: jnum(g.error.fwd), bwd: jnum(g.error.bwd), compute: jnum(g.error.compute), comm: jnum(g.error.comm), total: jnum(g.error.total) } : null,
  };
}

export function measureSummaryJson(c: PlanComparison): MeasureSummaryJson {
  return {
    measured_gpus: c.measuredGpus,
    predicted_max_ms: jnum(c.predictedMaxMs),
    measured_max_ms: jnum(c.measuredMaxMs),
    measured_max_gpu: c.measuredMaxGpu ?? null,
    max_error: jnum(c.maxError),
    mape: { fwd: jnum(c.mape.fwd), bwd: jnum(c.mape.bwd), compute: jnum(c.mape.compute), total: jnum(c.mape.total) },
    gpu_kendall_tau: jnum(c.gpuTau),
  };
}

export interface CalibrateGroupJson {
  gpu_type: string;
  kernel: string;
  status: GroupFit['status'];
  train: number;
  heldout: number;
  fwd: { scale: number; offset: number } | null;
  bwd: { scale: number; offset: number } | null;
  /** Forward + backward MAPE before and after, on the training and the held-out sets. */
  mape: { train_before: number | null; train_after: number | null; heldout_before: number | null; heldout_after: number | null } | null;
  message: string | null;
}

export interface CalibrateJson {
  measurements: string;
  base_model: string;
  sets: number;
  skipped: string[];
  groups: CalibrateGroupJson[];
  /** Where the calibration was written; null when no group was kept. */
  written: string | null;
}

export function calibrateGroupJson(g: GroupFit): CalibrateGroupJson {
  const m = g.correction?.mape;
  return {
    gpu_type: g.gpuType,
    kernel: g.kernel,
    status: g.status,
    train: g.train,
    heldout: g.heldout,
    fwd: g.correction?.fwd ?? null,
    bwd: g.correction?.bwd ?? null,
    mape: m ? { train_before: jnum(m.train_before), train_after: jnum(m.train_after), heldout_before: jnum(m.heldout_before), heldout_after: jnum(m.heldout_after) } : null,
    message: g.message ?? null,
  };
}
