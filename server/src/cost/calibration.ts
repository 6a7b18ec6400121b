/**
 * A per-GPU-type, per-kernel correction of a cost model, fitted on a user's
 * own measurements (`shardlens calibrate`), and the CostModel wrapper that
 * applies it (`calibrated(model, calibration)`). The correction is a line in
 * log space for forward and for backward separately:
 *
 *   ln ms' = offset + scale · ln ms        (ms' = e^offset · ms^scale)
 *
 * two numbers per phase, so a few dozen measured sets pin it down; scale ≠ 1
 * lets small and large sets move differently (a GPU faster in bandwidth but
 * with the same launch floor). A set whose shards run on several kernels is
 * corrected kernel by kernel: each kernel's shards are priced alone by the base
 * model, corrected, and the base model's set cost is scaled by the ratio
 * (corrected sum / base sum), which keeps the base model's view of how the
 * kernels share the GPU. File format: docs/cli.md "Measure and calibrate: files and formats".
 * Pure: reading the file is the registry's job (calibrationFile.ts).
 */
import { KERNELS, type Kernel } from '../config/types';
import type { ComputeCost, CostEnv, CostModel, SetScorer, Shard } from './types';

export const CALIBRATION_FORMAT = 'shardlens-calibration';
export const CALIBRATION_VERSION = 1;

/** ln ms' = offset + scale · ln ms. */
export interface LogLine {
  scale: number;
  offset: number;
}

export interface KernelCorrection {
  fwd: LogLine;
  bwd: LogLine;
  /** Sets the correction was fitted on, and held out to check it. */
  train: number;
  heldout: number;
  /** Forward + backward MAPE (fractions) of the base model and of the corrected one. */
  mape: { train_before: number; train_after: number; heldout_before: number; heldout_after: number };
}

export interface GpuCalibration {
  /** The cost model the corrections apply to (its name when fitted); the registry applies them to that model only. */
  base_model: string;
  kernels: Partial<Record<Kernel, KernelCorrection>>;
}

export interface CalibrationFile {
  format: typeof CALIBRATION_FORMAT;
  version: typeof CALIBRATION_VERSION;
  created: string;
  /** Where the measurements came from: file, its sha256, sets used, the command. */
  provenance: { measurements: string; sha256: string; sets: number; command: string; environment?: unknown };
  gpus: Record<string, GpuCalibration>;
}

/** e^offset · ms^scale; 0 and non-finite inputs pass through. */
export function applyLine(ms: number, line: LogLine | undefined): number {
  if (!line || !(ms > 0) || !Number.isFinite(ms)) return ms;
  const out = Math.exp(line.offset + line.scale * Math.log(ms));
  return Number.isFinite(out) ? out : ms;
}

/**
 * The corrected cost. The base model's relative ± is kept: the correction
 * moves the level the user measured, and the file holds no error band of
 * its own (only MAPEs), so the model's band is the honest ± left.
 */
export function correctCost(c: ComputeCost, k: KernelCorrection | undefined): ComputeCost {
  if (!k) return c;
  const out: ComputeCost = { fwdMs: applyLine(c.fwdMs, k.fwd), bwdMs: applyLine(c.bwdMs, k.bwd) };
  if (c.uncertainty !== undefined) out.uncertainty = c.uncertainty;
  return out;
}

/** Measurements (training sets) behind a GPU type's calibration. */
export function calibrationSize(cal: GpuCalibration): number {
  return Object.values(cal.kernels).reduce((n, k) => n + (k?.train ?? 0), 0);
}

/** What a calibrated model carries for hover and status. */
export interface CalibrationInfo {
  measurements: number;
  file: string;
  kernels: Kernel[];
}

export interface CalibratedCostModel extends CostModel {
  readonly calibration: CalibrationInfo;
  readonly base: CostModel;
}

/** "Calibrated on N measurements (…)" for a calibrated model; undefined otherwise. */
export function calibrationNote(model: CostModel | undefined): string | undefined {
  const info = (model as Partial<CalibratedCostModel> | undefined)?.calibration;
  if (!info) return undefined;
  return `Calibrated on ${info.measurements} measurement${info.measurements === 1 ? '' : 's'} (${info.kernels.join(', ')}; ${info.file})`;
}

/** Kernel → indices of `shards` members running it. */
function byKernel(members: readonly number[], kernelOf: (i: number) => Kernel): Map<Kernel, number[]> {
  const m = new Map<Kernel, number[]>();
  for (const i of members) {
    const k = kernelOf(i);
    const list = m.get(k);
    if (list) list.push(i);
    else m.set(k, [i]);
  }
  return m;
}

function ratio(corrected: number, base: number): number {
  return base > 0 ? corrected / base : 1;
}

/** Combines per-kernel sub-costs into the corrected set cost (see the file comment). */
function combine(base: ComputeCost, parts: { cost: ComputeCost; k: KernelCorrection | undefined }[]): ComputeCost {
  let bf = 0;
  let bb = 0;
  let cf = 0;
  let cb = 0;
  for (const { cost, k } of parts) {
    const c = correctCost(cost, k);
    bf += cost.fwdMs;
    bb += cost.bwdMs;
    cf += c.fwdMs;
    cb += c.bwdMs;
  }
  const out: ComputeCost = { fwdMs: base.fwdMs * ratio(cf, bf), bwdMs: base.bwdMs * ratio(cb, bb) };
  if (base.uncertainty !== undefined) out.uncertainty = base.uncertainty;
  return out;
}

/** `model` with `cal` applied per kernel; `info` is what hover shows. */
export function calibrated(model: CostModel, cal: GpuCalibration, info: { file: string }): CalibratedCostModel {
  const kernels = KERNELS.filter((k) => cal.kernels[k]);
  const correction = (k: Kernel) => cal.kernels[k];
  return {
    name: `${model.name} (calibrated)`,
    source: model.source,
    base: model,
    calibration: { measurements: calibrationSize(cal), file: info.file, kernels },
    // What the base model says about its inputs is unchanged by the correction.
    rangeNotes: (shard: Shard, env: CostEnv, dtype?: string) => model.rangeNotes?.(shard, env, dtype) ?? [],
    setSizeNote: (tables: number, kernel?: Kernel) => model.setSizeNote?.(tables, kernel),
    async predict(sets: readonly (readonly Shard[])[], env: CostEnv): Promise<ComputeCost[]> {
      const base = await model.predict(sets, env);
      // Mixed-kernel sets: price each kernel's shards alone, in one extra batched call.
      const subs: Shard[][] = [];
      const plan: { set: number; parts: { at: number; k: Kernel }[] }[] = [];
      sets.forEach((set, i) => {
        const groups = byKernel(
          set.map((_, j) => j),
          (j) => set[j].kernel,
        );
        if (groups.size <= 1) return;
        const parts = [...groups].map(([k, idx]) => {
          subs.push(idx.map((j) => set[j]));
          return { at: subs.length - 1, k };
        });
        plan.push({ set: i, parts });
      });
      const subCosts = subs.length ? await model.predict(subs, env) : [];
      const out = sets.map((set, i) => (set.length ? correctCost(base[i], correction(set[0].kernel)) : base[i]));
      for (const { set, parts } of plan) {
        out[set] = combine(
          base[set],
          parts.map(({ at, k }) => ({ cost: subCosts[at], k: correction(k) })),
        );
      }
      return out;
    },
    prepare(shards: readonly Shard[], env: CostEnv): SetScorer {
      const scorer = model.prepare(shards, env);
      return {
        score(members: readonly number[]): ComputeCost {
          const base = scorer.score(members);
          const groups = byKernel(members, (i) => shards[i].kernel);
          if (groups.size === 0) return base;
          if (groups.size === 1) return correctCost(base, correction(groups.keys().next().value as Kernel));
          return combine(
            base,
            [...groups].map(([k, idx]) => ({ cost: scorer.score(idx), k: correction(k) })),
          );
        },
      };
    },
  };
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function logLine(v: unknown, at: string): LogLine | string {
  if (!isObj(v)) return `${at} must be an object {scale, offset}`;
  const { scale, offset } = v;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0) return `${at}.scale must be a positive number`;
  if (typeof offset !== 'number' || !Number.isFinite(offset)) return `${at}.offset must be a number`;
  return { scale, offset };
}

/** Validates a calibration file's JSON text; the message says what is wrong where. */
export function parseCalibration(text: string): { ok: true; file: CalibrationFile } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `not JSON (${(e as Error).message})` };
  }
  if (!isObj(raw) || raw.format !== CALIBRATION_FORMAT) return { ok: false, error: `not a ShardLens calibration file (expected "format": "${CALIBRATION_FORMAT}")` };
  if (raw.version !== CALIBRATION_VERSION) return { ok: false, error: `calibration format version ${String(raw.version)} is not supported (expected ${CALIBRATION_VERSION})` };
  if (!isObj(raw.gpus)) return { ok: false, error: '"gpus" must map GPU types to corrections' };
  for (const [gpu, g] of Object.entries(raw.gpus)) {
    if (!isObj(g) || !isObj(g.kernels)) return { ok: false, error: `gpus.${gpu}.kernels must be an object` };
    if (typeof g.base_model !== 'string') return { ok: false, error: `gpus.${gpu}.base_model must name the cost model the corrections were fitted for` };
    for (const [k, c] of Object.entries(g.kernels)) {
      const at = `gpus.${gpu}.kernels.${k}`;
      if (!(KERNELS as readonly string[]).includes(k)) return { ok: false, error: `${at}: unknown kernel (kernels: ${KERNELS.join(', ')})` };
      if (!isObj(c)) return { ok: false, error: `${at} must be an object` };
      for (const phase of ['fwd', 'bwd'] as const) {
        const l = logLine(c[phase], `${at}.${phase}`);
        if (typeof l === 'string') return { ok: false, error: l };
      }
      if (typeof c.train !== 'number' || !(c.train >= 0)) return { ok: false, error: `${at}.train must be the number of training sets` };
    }
  }
  return { ok: true, file: raw as unknown as CalibrationFile };
}
