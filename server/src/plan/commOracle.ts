/**
 * Per-GPU communication time for the search loops. The truth is
 * cost/comm.ts's `commMs` over every GPU's load; calling it for each what-if
 * costs O(GPUs) and allocates, which dominated planning time (≈60% of 856
 * tables on 128 GPUs). So the oracle keeps the sums `commMs` is made of (per-GPU
 * bytes S_k, per-host sums, the total) and evaluates one GPU in O(1) with the
 * same per-GPU formula, importing its constants. It checks itself against
 * `commMs` on the first refresh and every VERIFY_EVERY-th after; on any
 * mismatch it switches to calling `commMs` for everything (slower, still
 * exact), so a change to comm.ts can never make plans disagree with reports.
 */
import {
  commMs, INTER_HOST_LATENCY_MS, INTRA_HOST_LATENCY_MS, NETWORK_EFFICIENCY, NVLINK_EFFICIENCY, type CommLoad,
} from '../cost/comm';
import type { CostEnv } from '../cost/types';

const VERIFY_EVERY = 64;

function finite(x: number): number {
  return Number.isFinite(x) && x > 0 ? x : 0;
}

export class CommOracle {
  readonly n: number;
  private readonly out: Float64Array;
  private readonly row: Float64Array;
  private readonly s: Float64Array;
  private readonly hostOf: Int32Array;
  private readonly hostSum: Float64Array;
  private readonly hostSize: Float64Array;
  private total = 0;
  private readonly b: number;
  private readonly nvl: number;
  private readonly net: number;
  /** False once the O(1) formula disagreed with commMs: everything goes through commMs. */
  private fast = true;
  private refreshes = 0;
  private readonly loads: CommLoad[];
  /** GPUs whose comm a pair what-if recomputed (reused). */
  readonly touched: number[] = [];

  constructor(gpus: number, private readonly env: CostEnv) {
    this.n = gpus;
    this.out = new Float64Array(gpus);
    this.row = new Float64Array(gpus);
    this.s = new Float64Array(gpus);
    const dev = env.device;
    const perHost = Math.max(1, Math.min(gpus, Math.floor(dev?.perHost) || gpus));
    this.hostOf = Int32Array.from({ length: gpus }, (_, k) => Math.floor(k / perHost));
    const hosts = Math.max(1, Math.ceil(gpus / perHost));
    this.hostSum = new Float64Array(hosts);
    this.hostSize = new Float64Array(hosts);
    for (let k = 0; k < gpus; k++) this.hostSize[this.hostOf[k]]++;
    const batch = env.batchSize > 0 && Number.isFinite(env.batchSize) ? env.batchSize : 0;
    this.b = gpus > 0 ? batch / gpus : 0;
    this.nvl = (dev?.nvlinkGBps > 0 ? dev.nvlinkGBps : 0) * 1e9 * NVLINK_EFFICIENCY;
    this.net = (dev?.networkGBps > 0 ? dev.networkGBps : 0) * 1e9 * NETWORK_EFFICIENCY;
    this.loads = Array.from({ length: gpus }, () => ({ outBytesPerBag: 0, rowShardBytesPerBag: 0 }));
  }

  /** Sets GPU g's load (bytes per bag). */
  set(g: number, outBytes: number, rowBytes: number): void {
    const o = finite(outBytes);
    const r = finite(rowBytes);
    const d = o + r - this.s[g];
    this.out[g] = o; this.row[g] = r; this.s[g] = o + r;
    this.hostSum[this.hostOf[g]] += d;
    this.total += d;
  }

  /** One GPU's fwd (= bwd) comm ms from its bytes, its host's sum and the cluster total (comm.ts formula). */
  private gpuMs(k: number, sk: number, hostSum: number, total: number): number {
    const n = this.n;
    if (n <= 1 || total <= 0 || this.b <= 0) return 0;
    const size = this.hostSize[this.hostOf[k]];
    const intra = this.b * Math.max(sk * (size - 1), hostSum - sk);
    const inter = this.b * Math.max(sk * (n - size), total - hostSum);
    const tIntra = intra > 0 ? (this.nvl > 0 ? intra / this.nvl : Infinity) : 0;
    const tInter = inter > 0 ? (this.net > 0 ? inter / this.net : Infinity) : 0;
    const latency = inter > 0 ? INTER_HOST_LATENCY_MS : intra > 0 ? INTRA_HOST_LATENCY_MS : 0;
    const ms = Math.max(tIntra, tInter) * 1e3 + latency;
    return Number.isFinite(ms) ? ms : 0;
  }

  private exact(): { fwdMs: number; bwdMs: number }[] {
    for (let g = 0; g < this.n; g++) this.loads[g] = { outBytesPerBag: this.out[g], rowShardBytesPerBag: this.row[g] };
    return commMs(this.loads, this.env);
  }

  /** fwd and bwd comm ms of every GPU at the current loads. */
  all(intoFwd: Float64Array, intoBwd: Float64Array): void {
    const verify = this.fast && this.refreshes++ % VERIFY_EVERY === 0;
    if (!this.fast || verify) {
      const r = this.exact();
      for (let g = 0; g < this.n; g++) { intoFwd[g] = r[g].fwdMs; intoBwd[g] = r[g].bwdMs; }
      if (verify) {
        for (let g = 0; g < this.n && this.fast; g++) {
          const f = this.gpuMs(g, this.s[g], this.hostSum[this.hostOf[g]], this.total);
          const tol = 1e-9 * Math.max(1, Math.abs(f));
          if (Math.abs(f - r[g].fwdMs) > tol || Math.abs(f - r[g].bwdMs) > tol) this.fast = false;
        }
      }
      return;
    }
    for (let g = 0; g < this.n; g++) {
      const ms = this.gpuMs(g, this.s[g], this.hostSum[this.hostOf[g]], this.total);
      intoFwd[g] = ms; intoBwd[g] = ms;
    }
  }

  /**
   * fwd+bwd comm ms of GPU g if its load were (outBytes, rowBytes), the others
   * unchanged (the host sum and cluster total change with it: right for
   * placing a shard that was not on any GPU).
   */
  whatIf(g: number, outBytes: number, rowBytes: number): number {
    const sNew = finite(outBytes) + finite(rowBytes);
    if (this.fast) {
      const d = sNew - this.s[g];
      return 2 * this.gpuMs(g, sNew, this.hostSum[this.hostOf[g]] + d, this.total + d);
    }
    const r = this.exactWith(g, outBytes, rowBytes, -1, 0, 0);
    return r[g].fwdMs + r[g].bwdMs;
  }

  private exactWith(a: number, outA: number, rowA: number, b: number, outB: number, rowB: number): { fwdMs: number; bwdMs: number }[] {
    for (let g = 0; g < this.n; g++) this.loads[g] = { outBytesPerBag: this.out[g], rowShardBytesPerBag: this.row[g] };
    this.loads[a] = { outBytesPerBag: outA, rowShardBytesPerBag: rowA };
    if (b >= 0) this.loads[b] = { outBytesPerBag: outB, rowShardBytesPerBag: rowB };
    return commMs(this.loads, this.env);
  }

  /**
   * Comm ms (fwd+bwd) if GPUs a and b (a ≠ b) had the given loads: into[k] for
   * every k in `touched` (GPUs sharing a host with a or b, whose receive volume
   * moves too); the comm of every other GPU is unchanged.
   */
  whatIfPair(a: number, outA: number, rowA: number, b: number, outB: number, rowB: number, into: Float64Array): readonly number[] {
    const t = this.touched;
    t.length = 0;
    if (!this.fast) {
      const r = this.exactWith(a, outA, rowA, b, outB, rowB);
      for (let g = 0; g < this.n; g++) { into[g] = r[g].fwdMs + r[g].bwdMs; t.push(g); }
      return t;
    }
    const sa = finite(outA) + finite(rowA);
    const sb = finite(outB) + finite(rowB);
    const ha = this.hostOf[a];
    const hb = this.hostOf[b];
    const da = sa - this.s[a];
    const db = sb - this.s[b];
    const total = this.total + da + db;
    const sumA = this.hostSum[ha] + da + (hb === ha ? db : 0);
    const sumB = hb === ha ? sumA : this.hostSum[hb] + db;
    const total0 = this.total;
    for (let k = 0; k < this.n; k++) {
      const h = this.hostOf[k];
      if (h !== ha && h !== hb && total === total0) continue;
      const sk = k === a ? sa : k === b ? sb : this.s[k];
      const hs = h === ha ? sumA : h === hb ? sumB : this.hostSum[h];
      into[k] = 2 * this.gpuMs(k, sk, hs, total);
      t.push(k);
    }
    return t;
  }
}
