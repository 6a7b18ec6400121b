/**
 * The JSON sidecar written next to each ONNX cost model by
 * models/shardlens_cost/export.py: feature list and normalisation, GPU type,
 * data provenance, held-out metrics and the network's weights as plain arrays.
 * `parseSidecar` checks everything the engine relies on and returns a message
 * instead of throwing, so a bad file becomes a warning and the analytic model.
 */
import { KERNELS, type Kernel } from '../config/types';
import { FEATURE_NAMES, FEATURE_VERSION } from './features';
import { ANALYTIC_CONSTANTS, type AnalyticConstants } from './analytic';
import { checkLinear, type LinearWeights } from './denseLayers';
import { checkBands, type ErrorBands } from './errorBands';
import { parseTrainingRanges, type TrainingRanges } from './trainingRanges';

/** Sidecar format version this engine reads (export.py SIDECAR_VERSION). */
export const SIDECAR_VERSION = 1;

/** One nn.Linear: weight[out][in], bias[out]. */

export interface MemberWeights {
  /** 3 layers, each followed by ReLU. */
  encoder: LinearWeights[];
  /** 2 layers: Linear+ReLU, Linear → ln(ms). */
  head_fwd: LinearWeights[];
  head_bwd: LinearWeights[];
}

export interface HeldOutMetric {
  mape: number;
  median_ape: number;
  p90_ape: number;
  spearman: number;
  n: number;
}

export interface CostModelSidecar {
  format: 'shardlens-cost-model';
  sidecar_version: number;
  /** Shown to users, e.g. "h100-cost-v1". */
  name: string;
  /** ShardLens device type the data was measured on, e.g. "H100-80GB". */
  gpu_type: string;
  /**
   * The embedding kernel the data measured, which is the kernel this model
   * prices. Absent in older sidecars: torch_embedding_bag (what the collector
   * measures unless told otherwise); read it with `sidecarKernel`.
   */
  kernel?: Kernel;
  onnx: { file: string; sha256: string; opset: number };
  feature_version: number;
  feature_names: string[];
  normalization: { mean: number[]; std: number[] };
  architecture: { num_features: number; members: number; hidden: number; emb: number; head: number };
  data?: { file: string; sha256: string; records?: number; split?: string };
  training?: { command?: string; export_command?: string };
  metrics?: { heldout?: Record<'fwd' | 'bwd' | 'fwd_bwd', HeldOutMetric> | null };
  /** What the training sets covered (export.py; absent in older sidecars: then no range guard). */
  training_ranges?: unknown;
  /** Held-out error by predicted size (export.py; absent in older sidecars: then no ±). */
  uncertainty?: ErrorBands;
  /**
   * Present when the network predicts ln(measured / analytic): the analytic
   * model (analytic.ts) with these constants is the base, fed to the ONNX
   * graph as `base_log` and multiplied in by the JS evaluator.
   */
  base?: { model: 'analytic'; constants: AnalyticConstants };
  weights: MemberWeights[];
}

/** The sidecar's training ranges, when it has usable ones. */
export function sidecarRanges(s: CostModelSidecar): TrainingRanges | undefined {
  if (s.training_ranges === undefined) return undefined;
  const r = parseTrainingRanges(s.training_ranges);
  return r.ok ? r.ranges : undefined;
}

export type SidecarResult = { ok: true; sidecar: CostModelSidecar } | { ok: false; error: string };

function isNumArray(v: unknown, len?: number): v is number[] {
  return Array.isArray(v) && (len === undefined || v.length === len) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
}

/** Validate a parsed sidecar against this engine's feature list and layout. */
export function validateSidecar(raw: unknown): SidecarResult {
  const s = raw as Partial<CostModelSidecar> | null;
  if (!s || typeof s !== 'object') return { ok: false, error: 'sidecar is not a JSON object' };
  if (s.format !== 'shardlens-cost-model') return { ok: false, error: `sidecar format is ${JSON.stringify(s.format)}, expected "shardlens-cost-model"` };
  if (s.sidecar_version !== SIDECAR_VERSION) {
    return {
      ok: false,
      error: `sidecar version ${String(s.sidecar_version)} is not supported (this ShardLens reads version ${SIDECAR_VERSION}); re-export the model with this version's models/shardlens_cost/export.py`,
    };
  }
  if (s.feature_version !== FEATURE_VERSION || !Array.isArray(s.feature_names) || s.feature_names.join(',') !== FEATURE_NAMES.join(',')) {
    return {
      ok: false,
      error: `model features (version ${String(s.feature_version)}) do not match this ShardLens (version ${FEATURE_VERSION}: ${FEATURE_NAMES.length} features); retrain with this version's models/shardlens_cost`,
    };
  }
  if (typeof s.name !== 'string' || typeof s.gpu_type !== 'string') return { ok: false, error: 'sidecar lacks "name" or "gpu_type"' };
  if (s.kernel !== undefined && !(KERNELS as readonly unknown[]).includes(s.kernel)) {
    return { ok: false, error: `sidecar "kernel" is ${JSON.stringify(s.kernel)}; expected one of ${KERNELS.join(', ')} (or absent for torch_embedding_bag)` };
  }
  if (!s.onnx || typeof s.onnx.file !== 'string') return { ok: false, error: 'sidecar lacks "onnx.file"' };
  const f = FEATURE_NAMES.length;
  if (!s.normalization || !isNumArray(s.normalization.mean, f) || !isNumArray(s.normalization.std, f) || s.normalization.std.some((x) => x <= 0)) {
    return { ok: false, error: `sidecar normalization must hold ${f} means and ${f} positive stds` };
  }
  const a = s.architecture;
  if (!a || a.num_features !== f || ![a.members, a.hidden, a.emb, a.head].every((v) => Number.isInteger(v) && (v as number) > 0)) {
    return { ok: false, error: 'sidecar architecture is missing or does not match the feature count' };
  }
  if (!Array.isArray(s.weights) || s.weights.length !== a.members) return { ok: false, error: `sidecar must hold weights of ${a.members} members` };
  for (let k = 0; k < a.members; k++) {
    const m = s.weights[k] as Partial<MemberWeights>;
    const where = `weights[${k}]`;
    if (
      !m ||
      !Array.isArray(m.encoder) ||
      m.encoder.length !== 3 ||
      !Array.isArray(m.head_fwd) ||
      m.head_fwd.length !== 2 ||
      !Array.isArray(m.head_bwd) ||
      m.head_bwd.length !== 2
    ) {
      return { ok: false, error: `${where} must have 3 encoder layers and 2 layers per head` };
    }
    const err =
      checkLinear(m.encoder[0], f, a.hidden, `${where}.encoder[0]`) ??
      checkLinear(m.encoder[1], a.hidden, a.hidden, `${where}.encoder[1]`) ??
      checkLinear(m.encoder[2], a.hidden, a.emb, `${where}.encoder[2]`) ??
      checkLinear(m.head_fwd[0], 2 * a.emb, a.head, `${where}.head_fwd[0]`) ??
      checkLinear(m.head_fwd[1], a.head, 1, `${where}.head_fwd[1]`) ??
      checkLinear(m.head_bwd[0], 2 * a.emb, a.head, `${where}.head_bwd[0]`) ??
      checkLinear(m.head_bwd[1], a.head, 1, `${where}.head_bwd[1]`);
    if (err) return { ok: false, error: err };
  }
  if (s.training_ranges !== undefined) {
    const r = parseTrainingRanges(s.training_ranges);
    if (!r.ok) return { ok: false, error: `sidecar ${r.error}` };
  }
  if (s.uncertainty !== undefined) {
    const err = checkBands(s.uncertainty);
    if (err) return { ok: false, error: `sidecar ${err}` };
  }
  if (s.base !== undefined) {
    const b = s.base as unknown as { model?: unknown; constants?: Record<string, unknown> } | null;
    const missing = Object.keys(ANALYTIC_CONSTANTS).filter((k) => typeof b?.constants?.[k] !== 'number' || !Number.isFinite(b.constants[k] as number));
    if (!b || b.model !== 'analytic' || missing.length > 0) {
      return { ok: false, error: `sidecar base must be {"model": "analytic", "constants": {…}}${missing.length ? ` (missing ${missing.join(', ')})` : ''}` };
    }
  }
  return { ok: true, sidecar: s as CostModelSidecar };
}

/** The kernel a model prices: its sidecar's `kernel`, or torch_embedding_bag when absent. */
export function sidecarKernel(s: Pick<CostModelSidecar, 'kernel'>): Kernel {
  return s.kernel ?? 'torch_embedding_bag';
}

/** Parse and validate sidecar text. */
export function parseSidecar(text: string): SidecarResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `sidecar is not valid JSON (${(e as Error).message})` };
  }
  return validateSidecar(raw);
}
