/**
 * The learned cost network evaluated in plain JS from the sidecar's weights:
 * the same maths as the ONNX graph (models/shardlens_cost/net.py), split so
 * planners can encode every shard once and then score thousands of candidate
 * sets with only the pooling and the small heads (no ONNX call per set).
 *
 * Per member k: e = ReLU(L3(ReLU(L2(ReLU(L1((x - mean) / std)))))) per table;
 * pooled = [sum of e over the set, max of e over the set];
 * ln fwd = Hf2(ReLU(Hf1(pooled))), ln bwd likewise; output exp(mean over members), ms.
 *
 * The heads' first layer is linear in the sum half of `pooled`:
 * W·[Σe; max e] = Σ(W_sum·e) + W_max·(max e). `encode` therefore also stores
 * W_sum·e per table, and `score` only sums those, leaving the matrix product
 * for the max half: about half the per-set work.
 */
import { applyDense as dense, packLinear as pack, type Dense, type LinearWeights } from './denseLayers';
import type { ComputeCost } from './types';
import type { CostModelSidecar } from './learnedSidecar';

interface Head {
  sumPart: Dense;
  maxPart: Dense;
  out: Dense;
}
interface Member {
  enc: Dense[];
  fwd: Head;
  bwd: Head;
}

function head(layers: LinearWeights[], emb: number): Head {
  return { sumPart: pack(layers[0], [0, emb]), maxPart: pack(layers[0], [emb, 2 * emb]), out: pack(layers[1]) };
}

export class CostNetwork {
  readonly members: number;
  readonly emb: number;
  readonly head: number;
  /** Floats per member in an encoding: e (emb), W_sum·e of the fwd head, of the bwd head. */
  private readonly stride: number;
  private readonly nets: Member[];
  private readonly mean: Float64Array;
  private readonly std: Float64Array;
  // Scratch buffers reused across calls (the evaluator is synchronous).
  private readonly z: Float64Array;
  private readonly h1: Float64Array;
  private readonly h2: Float64Array;
  private readonly mx: Float64Array;
  private readonly hf: Float64Array;
  private readonly hb: Float64Array;
  private readonly one = new Float64Array(1);

  constructor(sidecar: CostModelSidecar) {
    const a = sidecar.architecture;
    this.members = a.members;
    this.emb = a.emb;
    this.head = a.head;
    this.stride = a.emb + 2 * a.head;
    this.mean = Float64Array.from(sidecar.normalization.mean);
    this.std = Float64Array.from(sidecar.normalization.std);
    this.nets = sidecar.weights.map((m) => ({
      enc: m.encoder.map((l) => pack(l)),
      fwd: head(m.head_fwd, a.emb),
      bwd: head(m.head_bwd, a.emb),
    }));
    this.z = new Float64Array(a.num_features);
    this.h1 = new Float64Array(a.hidden);
    this.h2 = new Float64Array(a.hidden);
    this.mx = new Float64Array(a.emb);
    this.hf = new Float64Array(a.head);
    this.hb = new Float64Array(a.head);
  }

  /** Per-table encoding for all members (opaque to callers; input of `score`). */
  encode(features: ArrayLike<number>): Float64Array {
    const { emb, head, stride } = this;
    const out = new Float64Array(this.members * stride);
    for (let i = 0; i < this.z.length; i++) this.z[i] = (features[i] - this.mean[i]) / this.std[i];
    for (let k = 0; k < this.members; k++) {
      const net = this.nets[k];
      const base = k * stride;
      const e = out.subarray(base, base + emb);
      dense(net.enc[0], this.z, this.h1, true);
      dense(net.enc[1], this.h1, this.h2, true);
      dense(net.enc[2], this.h2, e, true);
      dense(net.fwd.sumPart, e, out.subarray(base + emb, base + emb + head), false, false);
      dense(net.bwd.sumPart, e, out.subarray(base + emb + head, base + stride), false, false);
    }
    return out;
  }

  /** Cost of the tables whose encodings are given, fused on one GPU. Empty → 0 ms. */
  score(encodings: readonly Float64Array[]): ComputeCost {
    const c = this.scoreWithSpread(encodings);
    return { fwdMs: c.fwdMs, bwdMs: c.bwdMs };
  }

  /**
   * `score` plus the ensemble's spread: the standard deviation over members of
   * ln(fwd_k + bwd_k), each member's own total (0 for one member). `baseLog`
   * (ln ms of fwd and bwd) is added to each member's outputs first, for a
   * network that corrects a base model.
   */
  scoreWithSpread(encodings: readonly Float64Array[], baseLog: readonly [number, number] = [0, 0]): ComputeCost & { spread: number } {
    if (encodings.length === 0) return { fwdMs: 0, bwdMs: 0, spread: 0 };
    const { emb, head, stride, mx, hf, hb } = this;
    let lf = 0;
    let lb = 0;
    let st = 0;
    let st2 = 0;
    for (let k = 0; k < this.members; k++) {
      const net = this.nets[k];
      const base = k * stride;
      // Encodings are ReLU outputs (>= 0), so 0 is a neutral start for the max.
      mx.fill(0);
      hf.set(net.fwd.sumPart.b);
      hb.set(net.bwd.sumPart.b);
      for (const enc of encodings) {
        for (let j = 0; j < emb; j++) {
          const v = enc[base + j];
          if (v > mx[j]) mx[j] = v;
        }
        const pf = base + emb;
        const pb = pf + head;
        for (let j = 0; j < head; j++) {
          hf[j] += enc[pf + j];
          hb[j] += enc[pb + j];
        }
      }
      const f = this.finishHead(net.fwd, hf) + baseLog[0];
      const b = this.finishHead(net.bwd, hb) + baseLog[1];
      lf += f;
      lb += b;
      const t = Math.log(Math.exp(f) + Math.exp(b));
      st += t;
      st2 += t * t;
    }
    const m = this.members;
    const spread = m > 1 ? Math.sqrt(Math.max(0, (st2 - (st * st) / m) / (m - 1))) : 0;
    return { fwdMs: Math.exp(lf / m), bwdMs: Math.exp(lb / m), spread };
  }

  /** ln ms of one head from its accumulated sum part `acc` (bias included). */
  private finishHead(h: Head, acc: Float64Array): number {
    const { w, inDim, outDim } = h.maxPart;
    const mx = this.mx;
    for (let o = 0; o < outDim; o++) {
      let v = acc[o];
      const base = o * inDim;
      for (let i = 0; i < inDim; i++) v += w[base + i] * mx[i];
      acc[o] = v < 0 ? 0 : v;
    }
    dense(h.out, acc, this.one, false);
    return this.one[0];
  }
}
