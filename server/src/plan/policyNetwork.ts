/**
 * The placement policy network evaluated in plain JS from the sidecar weights
 * (same maths as the ONNX graph, models/policy/net.py): one decision needs a
 * few thousand multiply-adds, far less than an ONNX session call costs.
 *
 * encode(x) = ReLU(E2 ReLU(E1 x)); the logit of GPU g for the next shard is
 * w2 · ReLU(W1 [pooled_g, scalars_g, cross_g, enc(x), x] + b1) + b2.
 * W1 is split by input block so a planner can cache each GPU's part (it only
 * changes when that GPU gets a shard) and the shard's part (once per decision);
 * the GPU's cost scalar (its all-to-all time moves whenever any GPU's load does)
 * and the cross features are added per candidate: hidden × (cross features + 3)
 * operations each.
 */
import { POLICY_CROSS_FEATURES, POLICY_GPU_SCALARS, POLICY_TABLE_FEATURES } from './policyFeatures';
import { applyDense, packLinear, type Dense } from '../cost/denseLayers';
import type { PolicySidecar } from './policySidecar';

/** Index of the per-GPU cost scalar in POLICY_GPU_SCALARS. */
const COST_SCALAR = POLICY_GPU_SCALARS.indexOf('cost');
const GAP_TO_MIN = POLICY_CROSS_FEATURES.indexOf('gap_to_min');
const GAP_TO_MAX = POLICY_CROSS_FEATURES.indexOf('gap_to_max');
const REMAINING = POLICY_CROSS_FEATURES.indexOf('remaining');

export class PolicyNetwork {
  readonly name: string;
  readonly emb: number;
  readonly hidden: number;
  private readonly enc1: Dense;
  private readonly enc2: Dense;
  private readonly w1: Dense;
  private readonly w2: Float64Array;
  private readonly b2: number;
  private readonly encScratch: Float64Array;
  /** Per hidden unit: the weight of a GPU's cost through the cost scalar and both gaps (see stepPart). */
  private readonly costCoef: Float64Array;
  /** Column offsets of the input blocks in W1. */
  private readonly gpuCols: number;
  private readonly costCol: number;
  private readonly crossFrom: number;
  private readonly tableFrom: number;

  constructor(sidecar: PolicySidecar) {
    this.name = sidecar.name;
    const a = sidecar.architecture;
    this.emb = a.emb;
    this.hidden = a.hidden;
    [this.enc1, this.enc2] = sidecar.weights.encoder.map((l) => packLinear(l));
    this.w1 = packLinear(sidecar.weights.score[0]);
    this.w2 = Float64Array.from(sidecar.weights.score[1].weight[0]);
    this.b2 = sidecar.weights.score[1].bias[0];
    this.encScratch = new Float64Array(a.enc_hidden);
    this.gpuCols = 2 * a.emb + POLICY_GPU_SCALARS.length;
    this.costCol = 2 * a.emb + COST_SCALAR;
    this.crossFrom = this.gpuCols;
    this.tableFrom = this.gpuCols + POLICY_CROSS_FEATURES.length;
    this.costCoef = new Float64Array(this.hidden);
    for (let o = 0; o < this.hidden; o++) {
      const row = o * this.w1.inDim;
      this.costCoef[o] = this.w1.w[row + this.costCol] + this.w1.w[row + this.crossFrom + GAP_TO_MIN] - this.w1.w[row + this.crossFrom + GAP_TO_MAX];
    }
  }

  /** Encoding of one shard's features (length emb, every entry ≥ 0). */
  encode(x: ArrayLike<number>): Float64Array {
    return applyDense(this.enc2, applyDense(this.enc1, x, this.encScratch, true), new Float64Array(this.emb), true);
  }

  /** W1's GPU block times [pooled sum, pooled max, scalars except cost] (length hidden), written into `out`. */
  gpuPart(pooled: ArrayLike<number>, scalars: ArrayLike<number>, out: Float64Array): Float64Array {
    const { w, inDim } = this.w1;
    const twoE = 2 * this.emb;
    for (let o = 0; o < this.hidden; o++) {
      const base = o * inDim;
      let acc = 0;
      for (let i = 0; i < twoE; i++) acc += w[base + i] * pooled[i];
      for (let i = 0; i < scalars.length; i++) if (i !== COST_SCALAR) acc += w[base + twoE + i] * scalars[i];
      out[o] = acc;
    }
    return out;
  }

  /** W1's shard block times [encoding, features] plus b1 (length hidden), written into `out`. */
  tablePart(enc: ArrayLike<number>, x: ArrayLike<number>, out: Float64Array): Float64Array {
    const { w, b, inDim } = this.w1;
    const from = this.tableFrom;
    const e = this.emb;
    for (let o = 0; o < this.hidden; o++) {
      const base = o * inDim + from;
      let acc = b[o];
      for (let i = 0; i < e; i++) acc += w[base + i] * enc[i];
      for (let i = 0; i < POLICY_TABLE_FEATURES.length; i++) acc += w[base + e + i] * x[i];
      out[o] = acc;
    }
    return out;
  }

  /** Logit of one candidate from its cached parts, its cost scalar and its cross features. */
  logit(gpuPart: ArrayLike<number>, tablePart: ArrayLike<number>, cost: number, cross: ArrayLike<number>): number {
    const { w, inDim } = this.w1;
    const from = this.crossFrom;
    const c = POLICY_CROSS_FEATURES.length;
    let out = this.b2;
    for (let o = 0; o < this.hidden; o++) {
      const row = o * inDim;
      const base = row + from;
      let acc = gpuPart[o] + tablePart[o] + w[row + this.costCol] * cost;
      for (let i = 0; i < c; i++) acc += w[base + i] * cross[i];
      if (acc > 0) out += this.w2[o] * acc;
    }
    return out;
  }

  /**
   * The decision's constant part: tablePart plus the cross features' terms that
   * do not depend on the candidate. The cross features are linear in the GPU's
   * cost c (gap_to_min = c − cmin, gap_to_max = cmax − c, remaining fixed), so
   * a candidate's pre-activation is gpuPart + stepPart + costCoef · c.
   */
  stepPart(tablePart: ArrayLike<number>, cmin: number, cmax: number, remaining: number, out: Float64Array): Float64Array {
    const { w, inDim } = this.w1;
    for (let o = 0; o < this.hidden; o++) {
      const base = o * inDim + this.crossFrom;
      out[o] = tablePart[o] - w[base + GAP_TO_MIN] * cmin + w[base + GAP_TO_MAX] * cmax + w[base + REMAINING] * remaining;
    }
    return out;
  }

  /** Logit of one candidate with cost scalar `cost` (the same value as logit() with the matching cross features). */
  logitFast(gpuPart: ArrayLike<number>, stepPart: ArrayLike<number>, cost: number): number {
    let out = this.b2;
    const k = this.costCoef;
    for (let o = 0; o < this.hidden; o++) {
      const acc = gpuPart[o] + stepPart[o] + k[o] * cost;
      if (acc > 0) out += this.w2[o] * acc;
    }
    return out;
  }

  /** Straight evaluation of every GPU's logit (what the ONNX graph computes), for tests and one-offs. */
  logits(
    x: ArrayLike<number>,
    pooled: readonly ArrayLike<number>[],
    scalars: readonly ArrayLike<number>[],
    cross: readonly ArrayLike<number>[],
  ): { logits: number[]; enc: Float64Array } {
    const enc = this.encode(x);
    const tp = this.tablePart(enc, x, new Float64Array(this.hidden));
    const gp = new Float64Array(this.hidden);
    const logits = pooled.map((p, g) => this.logit(this.gpuPart(p, scalars[g], gp), tp, scalars[g][COST_SCALAR], cross[g]));
    return { logits, enc };
  }
}
