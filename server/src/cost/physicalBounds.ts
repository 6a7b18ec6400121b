/**
 * Bounds that no embedding kernel on the device can beat or exceed, per shard
 * and summed per GPU: the last line of defence against a number no GPU could
 * take (guard.ts clamps every model's output into them). Deliberately loose:
 * they catch formulas and networks that have left physics, not modelling error.
 *
 * LOWER (fwd and bwd alike): the bytes any kernel must move at the device's
 * peak HBM bandwidth — the pooled output (bags × dim × bytes; backward reads the
 * same size of output gradient) and the int64 indices (8 B per lookup) — and
 * one kernel launch, LAUNCH_MS per GPU.
 * UPPER: every shard its own chain of kernels with generous fixed costs
 * (CHAIN_FWD_MS, CHAIN_BWD_MS), and every lookup handled one after another,
 * nothing in parallel: a dependent HBM round trip (SERIAL_LOOKUP_US) plus
 * streaming the row through one SM (SERIAL_BYTES_GBPS) per lookup, forward;
 * backward touches each lookup BWD_PASSES times (gather the output gradient,
 * sort, coalesce, update). Real kernels are orders of magnitude faster; a
 * number above this is a broken model.
 */
import type { ComputeCost, CostEnv, Shard } from './types';

/** One kernel launch, ms: CUDA launch latency is ~2–5 µs (NVIDIA CUDA C++ Best Practices Guide, "Kernel launch overhead"). */
export const LAUNCH_MS = 0.002;
/** A dependent HBM access, µs: ~0.5–0.8 µs of latency measured by pointer chasing on A100/H100 (Chips and Cheese, "Nvidia's H100: Funny L2 and Tons of Bandwidth", 2023); rounded up. */
export const SERIAL_LOOKUP_US = 1;
/** Bandwidth one SM streams a row at, GB/s: 3,350 GB/s over 132 SMs ≈ 25 GB/s per SM on H100; a tenth of it for a single warp. */
export const SERIAL_BYTES_GBPS = 2.5;
/** Passes over the lookups in a backward + update. */
export const BWD_PASSES = 4;
/**
 * Fixed ms of one shard's forward / backward kernel chain, as a ceiling: the
 * H100 campaign's smallest sets take 0.03 ms forward and 0.29 ms backward
 * (PyTorch's sparse backward launches ~10 kernels and syncs with the host;
 * models/data/h100); these allow over 10× that per shard.
 */
export const CHAIN_FWD_MS = 0.5;
export const CHAIN_BWD_MS = 5;

export interface ShardBounds {
  loMs: number;
  hiMs: number;
  hiBwdMs: number;
}

function finite(x: number | undefined, fallback = 0): number {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0 ? x : fallback;
}

/** Lower and upper per-shard bounds (without the launch) under `env`. */
export function shardBounds(s: Shard, env: CostEnv): ShardBounds {
  const bags = finite(s.bags ?? env.batchSize);
  const n = bags * finite(s.pooling);
  const w = s.dtypeBytes === 2 ? 2 : 4;
  const dim = Math.max(1, finite(s.dim, 1));
  const hbm = finite(env.device?.hbmGBps) * 1e9;
  const loMs = hbm > 0 ? ((bags * dim * w + 8 * n) / hbm) * 1e3 : 0;
  const rb = dim * w;
  const perLookupMs = SERIAL_LOOKUP_US * 1e-3 + (rb / (SERIAL_BYTES_GBPS * 1e9)) * 1e3;
  const serialMs = n * perLookupMs + ((bags * dim * w) / (SERIAL_BYTES_GBPS * 1e9)) * 1e3;
  return { loMs, hiMs: CHAIN_FWD_MS + serialMs, hiBwdMs: CHAIN_BWD_MS + BWD_PASSES * serialMs };
}

/** Bounds of a GPU's set from its shards' bounds: sums, plus one launch each way when the set is not empty. */
export function setBounds(bounds: readonly ShardBounds[]): { lo: ComputeCost; hi: ComputeCost } {
  if (bounds.length === 0) return { lo: { fwdMs: 0, bwdMs: 0 }, hi: { fwdMs: 0, bwdMs: 0 } };
  let lo = LAUNCH_MS;
  let hiF = LAUNCH_MS;
  let hiB = LAUNCH_MS;
  for (const b of bounds) {
    lo += b.loMs;
    hiF += b.hiMs;
    hiB += b.hiBwdMs;
  }
  return { lo: { fwdMs: lo, bwdMs: lo }, hi: { fwdMs: hiF, bwdMs: hiB } };
}
