/**
 * Communication per GPU per step for model-parallel embeddings: the forward
 * all-to-all of pooled embeddings (each GPU's table/column shards produce the
 * pooled vectors of the GLOBAL batch and send every other GPU its local
 * batch's share) and the backward all-to-all of their gradients (the same
 * volumes reversed). Units: bytes, GB/s (1e9 B/s), ms.
 *
 * Volumes (perf-models.md §3.4, after TorchRec's table-wise output dist):
 *   b = batch / N local bags per GPU; S_k = pooled bytes per bag GPU k owns
 *   (Σ dim × dtype bytes of its shards);
 *   send_k = b · S_k · (N − 1)          (its outputs for every other GPU's bags)
 *   recv_k = b · (ΣS − S_k)             (everyone else's outputs for its own bags)
 * Row shards hold part of a table's rows for the whole global batch, so their
 * partial pooled sums (full width D) must be reduce-scattered to the bags'
 * owners: per GPU that moves (N−1)/N · B · D · y = (N−1) · b · D · y, the same
 * volume as an all-to-all of a width-D output (TorchRec row-wise sharding's
 * output dist is this reduce-scatter over all ranks). They therefore count
 * into S_k like table shards; the backward sends each row shard the gradient
 * of the full batch (the same volume reversed).
 *
 * Time: peers inside the host (per_host GPUs) are reached over NVLink, the
 * rest over the network; both run at once, so the slower part dominates:
 *   t = max(intra / (nvlink · η_nvl), inter / (network · η_net)) + α
 * with intra/inter = max(send, recv) of the bytes to/from those peers.
 * Index (KJT input) distribution is not counted: the CommLoad contract carries
 * pooled bytes only.
 */
import type { CostEnv } from './types';

/** One GPU's share of the pooled outputs, bytes per bag. */
export interface CommLoad {
  /** Σ dim × dtype bytes of its table and column shards. */
  outBytesPerBag: number;
  /** Σ dim × dtype bytes of its row shards (partial sums of full width). */
  rowShardBytesPerBag: number;
}

/**
 * Achieved fraction of NVLink's per-direction bandwidth: 380 of 450 GB/s
 * unidirectional measured with p2pBandwidthLatencyTest on 8× H100 SXM
 * (NVIDIA/nccl issue #1264; perf-models.md §3.1) ≈ 0.84; all-to-all runs
 * slightly below point-to-point, hence 0.8.
 */
export const NVLINK_EFFICIENCY = 0.8;
/**
 * Achieved fraction of the per-GPU network link: NCCL over InfiniBand NDR
 * reaches ≈ 85–90% of line rate in nccl-tests busBW [approximate].
 */
export const NETWORK_EFFICIENCY = 0.85;
/**
 * Fixed cost per collective, ms: NCCL all-to-all small-message times are
 * ~10–20 µs inside an NVLink node (nccl-tests; Lin et al. HiPC'22 model the
 * same constant "latency-bound" regime below the linearity point).
 */
export const INTRA_HOST_LATENCY_MS = 0.015;
/** Across hosts the network hop adds a few µs per peer exchange [approximate]. */
export const INTER_HOST_LATENCY_MS = 0.03;

/**
 * Forward and backward all-to-all ms for every GPU. loads[k] is GPU k's load;
 * GPUs k·per_host … share host k / per_host. One GPU (or no bytes) → 0.
 * O(N): host sums are computed once. Never throws; bad numbers give 0.
 */
export function commMs(loads: readonly CommLoad[], env: CostEnv): { fwdMs: number; bwdMs: number }[] {
  const n = loads.length;
  const zero = () => loads.map(() => ({ fwdMs: 0, bwdMs: 0 }));
  if (n <= 1) return zero();
  const dev = env.device;
  const perHost = Math.max(1, Math.min(n, Math.floor(dev?.perHost) || n));
  const batch = env.batchSize > 0 && Number.isFinite(env.batchSize) ? env.batchSize : 0;
  const b = batch / n;
  const nvl = (dev?.nvlinkGBps > 0 ? dev.nvlinkGBps : 0) * 1e9 * NVLINK_EFFICIENCY;
  const net = (dev?.networkGBps > 0 ? dev.networkGBps : 0) * 1e9 * NETWORK_EFFICIENCY;

  const s = loads.map((l) => finite(l?.outBytesPerBag) + finite(l?.rowShardBytesPerBag));
  const total = s.reduce((a, x) => a + x, 0);
  if (total <= 0 || b <= 0) return zero();
  const hosts = Math.ceil(n / perHost);
  const hostSum = new Array<number>(hosts).fill(0);
  const hostSize = new Array<number>(hosts).fill(0);
  s.forEach((x, k) => { hostSum[Math.floor(k / perHost)] += x; hostSize[Math.floor(k / perHost)] += 1; });

  return s.map((sk, k) => {
    const h = Math.floor(k / perHost);
    const localPeers = hostSize[h] - 1;
    const remotePeers = n - hostSize[h];
    const intra = b * Math.max(sk * localPeers, hostSum[h] - sk);
    const inter = b * Math.max(sk * remotePeers, total - hostSum[h]);
    const tIntra = intra > 0 ? (nvl > 0 ? intra / nvl : Infinity) : 0;
    const tInter = inter > 0 ? (net > 0 ? inter / net : Infinity) : 0;
    const latency = inter > 0 ? INTER_HOST_LATENCY_MS : intra > 0 ? INTRA_HOST_LATENCY_MS : 0;
    let ms = Math.max(tIntra, tInter) * 1e3 + latency;
    if (!Number.isFinite(ms)) ms = 0;
    // Backward: the gradients of the same pooled outputs, volumes reversed
    // (send ↔ recv), so the busiest direction and the time are the same.
    return { fwdMs: ms, bwdMs: ms };
  });
}

function finite(x: number | undefined): number {
  return typeof x === 'number' && Number.isFinite(x) && x > 0 ? x : 0;
}
