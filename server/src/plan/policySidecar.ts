/**
 * The JSON sidecar of the learned placement policy, written by
 * models/policy/export.py next to its ONNX file: feature lists, architecture,
 * provenance and the network's weights as plain arrays (the server evaluates
 * the tiny network in JS, see policyNetwork.ts). `validatePolicySidecar` checks
 * everything the planner relies on and returns a message instead of throwing.
 */
import { checkLinear, type LinearWeights } from '../cost/denseLayers';
import { POLICY_CROSS_FEATURES, POLICY_FEATURE_VERSION, POLICY_GPU_SCALARS, POLICY_TABLE_FEATURES } from './policyFeatures';

/** Sidecar format version this engine reads (models/policy/__init__.py POLICY_SIDECAR_VERSION). */
export const POLICY_SIDECAR_VERSION = 1;

/** One nn.Linear: weight[out][in], bias[out]. */

export interface PolicySidecar {
  format: 'shardlens-placement-policy';
  sidecar_version: number;
  /** Shown to users, e.g. "policy-v1". */
  name: string;
  feature_version: number;
  table_features: string[];
  gpu_scalars: string[];
  cross_features: string[];
  architecture: { num_features: number; emb: number; enc_hidden: number; hidden: number };
  onnx: { file: string; sha256: string; opset: number; inputs: string[]; outputs: string[] };
  training?: Record<string, unknown> | null;
  metrics?: Record<string, unknown> | null;
  /** encoder: 2 layers, ReLU after each; score: Linear+ReLU, Linear → logit. */
  weights: { encoder: LinearWeights[]; score: LinearWeights[] };
}

export type PolicySidecarResult = { ok: true; sidecar: PolicySidecar } | { ok: false; error: string };

function sameList(a: unknown, b: readonly string[]): boolean {
  return Array.isArray(a) && a.join(',') === b.join(',');
}

/** Input width of the score MLP: [pooled sum, pooled max, GPU scalars, cross, table encoding, table features]. */
export function scoreInputWidth(emb: number): number {
  return 3 * emb + POLICY_GPU_SCALARS.length + POLICY_CROSS_FEATURES.length + POLICY_TABLE_FEATURES.length;
}

export function validatePolicySidecar(raw: unknown): PolicySidecarResult {
  const s = raw as Partial<PolicySidecar> | null;
  if (!s || typeof s !== 'object') return { ok: false, error: 'policy sidecar is not a JSON object' };
  if (s.format !== 'shardlens-placement-policy') return { ok: false, error: `policy sidecar format is ${JSON.stringify(s.format)}, expected "shardlens-placement-policy"` };
  if (s.sidecar_version !== POLICY_SIDECAR_VERSION) {
    return {
      ok: false,
      error: `policy sidecar version ${String(s.sidecar_version)} is not supported (this ShardLens reads ${POLICY_SIDECAR_VERSION}); re-export with this version's models/policy/export.py`,
    };
  }
  if (
    s.feature_version !== POLICY_FEATURE_VERSION ||
    !sameList(s.table_features, POLICY_TABLE_FEATURES) ||
    !sameList(s.gpu_scalars, POLICY_GPU_SCALARS) ||
    !sameList(s.cross_features, POLICY_CROSS_FEATURES)
  ) {
    return {
      ok: false,
      error: `policy features (version ${String(s.feature_version)}) do not match this ShardLens (version ${POLICY_FEATURE_VERSION}); retrain with this version's models/policy`,
    };
  }
  if (typeof s.name !== 'string') return { ok: false, error: 'policy sidecar lacks "name"' };
  const a = s.architecture;
  if (!a || a.num_features !== POLICY_TABLE_FEATURES.length || ![a.emb, a.enc_hidden, a.hidden].every((v) => Number.isInteger(v) && (v as number) > 0)) {
    return { ok: false, error: 'policy sidecar architecture is missing or does not match the feature count' };
  }
  const w = s.weights;
  if (!w || !Array.isArray(w.encoder) || w.encoder.length !== 2 || !Array.isArray(w.score) || w.score.length !== 2) {
    return { ok: false, error: 'policy sidecar weights must hold 2 encoder layers and 2 score layers' };
  }
  const err =
    checkLinear(w.encoder[0], a.num_features, a.enc_hidden, 'encoder[0]') ??
    checkLinear(w.encoder[1], a.enc_hidden, a.emb, 'encoder[1]') ??
    checkLinear(w.score[0], scoreInputWidth(a.emb), a.hidden, 'score[0]') ??
    checkLinear(w.score[1], a.hidden, 1, 'score[1]');
  if (err) return { ok: false, error: `policy sidecar: ${err}` };
  return { ok: true, sidecar: s as PolicySidecar };
}
