/**
 * The collectives of an embedding training step, per rank, in one place: the
 * step model (cost/stepCost.ts) and the planners' incremental oracle
 * (plan/stepOracle.ts) both call these functions, so plans and reports cannot
 * disagree. Units: bytes, ms; link rates in bytes per ms.
 *
 * All-to-all (ids forward, pooled embeddings forward, their gradients
 * backward). Rank k holds x_k bytes per bag of the exchanged data and owns
 * b = B / N local bags; it sends x_k for every other rank's bags and receives
 * every other rank's data for its own bags (perf-models.md §3.4, after
 * TorchRec's table-wise input and output dists):
 *   send_k = b · x_k · (N − 1),  recv_k = b · (Σx − x_k)
 * split into the peers of its host (NVLink) and the others (its NIC). Both
 * links run at once, so the slower one sets the time:
 *   t = max(max(send, recv)_intra / nvlink, max(send, recv)_inter / nic) + α.
 * The backward exchange reverses the volumes, so its busiest direction and
 * its time are the same.
 *
 * Ring reduce-scatter / all-gather / all-reduce over G ranks of a buffer of S
 * bytes: each rank moves (G − 1)/G · S (twice for all-reduce). Inside one host
 * the ring runs on NVLink; across hosts NCCL runs one ring per NIC, so a
 * host's crossings share its ranks' NICs and the bus bandwidth is
 * min(NVLink, ranks per host × NIC) (nccl-tests doc/PERFORMANCE.md defines
 * bus bandwidth this way; TorchRec's BasicCommsBandwidths gives all-reduce
 * inter_host_bw × local_world_size for the same reason, "1 NIC per GPU").
 */
import type { CostEnv } from './types';

/** Every number of the communication model that is not a device spec. */
export interface CommConstants {
  /** Achieved fraction of NVLink's per-direction bandwidth. */
  nvlinkEfficiency: number;
  /** Achieved fraction of the per-GPU network link. */
  networkEfficiency: number;
  /** Fixed cost of one collective inside a host, ms. */
  intraLatencyMs: number;
  /** Fixed cost of one collective that crosses hosts, ms. */
  interLatencyMs: number;
  /** Bytes per id in the input all-to-all. */
  indexBytes: number;
  /** Bytes per bag length in the input all-to-all. */
  lengthBytes: number;
  /** DDP gradient bucket: the data-parallel all-reduce pays one latency per bucket. */
  ddpBucketBytes: number;
  /** Where the numbers come from, shown with plans ("preset" or the measurement file they were fitted on). */
  source: string;
}

/**
 * Preset constants with sources:
 * - NVLink 0.8: 380 of 450 GB/s unidirectional measured with
 *   p2pBandwidthLatencyTest on 8× H100 SXM (NVIDIA/nccl issue #1264;
 *   perf-models.md §3.1) ≈ 0.84; all-to-all runs slightly below point-to-point.
 * - network 0.85: NCCL over InfiniBand NDR reaches ≈ 85–90% of line rate in
 *   nccl-tests bus bandwidth [approximate].
 * - latencies: NCCL small-message collectives take ~10–20 µs inside an NVLink
 *   node (nccl-tests; Lin et al. HiPC'22 model the same latency-bound regime);
 *   a network hop adds a few µs per exchange [approximate].
 * - ids int64 (TorchRec planner constants.py BIGINT_DTYPE = 8), lengths int32.
 * - 25 MiB: DistributedDataParallel's default bucket_cap_mb.
 * A fit on measured collectives replaces these (cost/commFit.ts), passed to
 * the models as CostEnv.comm.
 */
export const PRESET_COMM: Readonly<CommConstants> = {
  nvlinkEfficiency: 0.8,
  networkEfficiency: 0.85,
  intraLatencyMs: 0.015,
  interLatencyMs: 0.03,
  indexBytes: 8,
  lengthBytes: 4,
  ddpBucketBytes: 25 * 2 ** 20,
  source: 'preset',
};

/** The cluster as the collectives see it, derived once per (env, GPU count). */
export interface Links {
  /** Ranks. */
  n: number;
  /** Ranks per host (the last host may hold fewer). */
  perHost: number;
  hosts: number;
  /** Global bags per step B, and local bags b = B / N. */
  batch: number;
  bags: number;
  /** Achieved NVLink rate per direction, bytes per ms. */
  nvl: number;
  /** Achieved network rate per GPU per direction, bytes per ms. */
  net: number;
  k: Readonly<CommConstants>;
}

function pos(x: number | undefined): number {
  return typeof x === 'number' && Number.isFinite(x) && x > 0 ? x : 0;
}

/** The constants in force: the env's fitted ones when given, else the preset. */
export function commConstants(env: CostEnv | undefined): Readonly<CommConstants> {
  return env?.comm ?? PRESET_COMM;
}

export function linksOf(env: CostEnv, n: number): Links {
  const dev = env?.device;
  const k = commConstants(env);
  const count = Math.max(0, Math.floor(n) || 0);
  const perHost = Math.max(1, Math.min(Math.max(1, count), Math.floor(dev?.perHost) || count || 1));
  const batch = pos(env?.batchSize);
  return {
    n: count,
    perHost,
    hosts: Math.max(1, Math.ceil(count / perHost)),
    batch,
    bags: count > 0 ? batch / count : 0,
    nvl: pos(dev?.nvlinkGBps) * 1e6 * k.nvlinkEfficiency,
    net: pos(dev?.networkGBps) * 1e6 * k.networkEfficiency,
    k,
  };
}

/** Ranks on host h. */
export function hostSize(l: Links, h: number): number {
  return Math.max(0, Math.min(l.perHost, l.n - h * l.perHost));
}

function over(bytes: number, rate: number): number {
  return bytes > 0 ? (rate > 0 ? bytes / rate : 0) : 0;
}

/**
 * One rank's exchange with its peers: the bigger of send and receive on each
 * link, both links at once, plus one latency (the inter-host one when anything
 * crosses hosts). 0 when nothing moves.
 */
export function exchangeMs(l: Links, sendIntra: number, recvIntra: number, sendInter: number, recvInter: number): number {
  const intra = Math.max(pos(sendIntra), pos(recvIntra));
  const inter = Math.max(pos(sendInter), pos(recvInter));
  if (intra <= 0 && inter <= 0) return 0;
  const ms = Math.max(over(intra, l.nvl), over(inter, l.net)) + (inter > 0 ? l.k.interLatencyMs : l.k.intraLatencyMs);
  return Number.isFinite(ms) ? ms : 0;
}

/**
 * The bytes one rank moves over one link in an all-to-all: the bigger of what
 * it sends and what it receives there. b = its local bags, n = ranks, x = its
 * bytes per bag, hostSum = Σ x over its host, total = Σ x over all ranks,
 * size = ranks on its host:
 *   intra: max(b·x·(size − 1), b·(hostSum − x))
 *   inter: max(b·x·(n − size), b·(total − hostSum))
 * The fit of the link constants (commFit.ts) regresses measured times on these.
 */
export function allToAllVolume(link: 'intra' | 'inter', b: number, n: number, x: number, hostSum: number, total: number, size: number): number {
  return link === 'intra' ? Math.max(b * x * (size - 1), b * (hostSum - x)) : Math.max(b * x * (n - size), b * (total - hostSum));
}

/**
 * One all-to-all on one rank: x = its bytes per bag, hostSum = Σ x over its
 * host, total = Σ x over all ranks, size = ranks on its host.
 */
export function allToAllMs(l: Links, x: number, hostSum: number, total: number, size: number): number {
  if (l.n <= 1 || l.bags <= 0 || !(total > 0)) return 0;
  const b = l.bags;
  return exchangeMs(l, allToAllVolume('intra', b, l.n, x, hostSum, total, size), 0, allToAllVolume('inter', b, l.n, x, hostSum, total, size), 0);
}

/**
 * One ring reduce-scatter or all-gather of a buffer of `bytes` over `group`
 * ranks spanning `hosts` hosts with up to `perHost` of them per host.
 */
export function ringMs(l: Links, bytes: number, group: number, hosts: number, perHost: number): number {
  if (group <= 1 || !(bytes > 0)) return 0;
  const bus = hosts <= 1 ? l.nvl : Math.min(l.nvl, Math.max(1, perHost) * l.net);
  const ms = over(((group - 1) / group) * bytes, bus) + (hosts <= 1 ? l.k.intraLatencyMs : l.k.interLatencyMs);
  return Number.isFinite(ms) ? ms : 0;
}

/**
 * Ring all-reduce of `bytes` over all ranks: twice a reduce-scatter's volume,
 * one latency per DDP bucket.
 */
export function allReduceMs(l: Links, bytes: number): number {
  if (l.n <= 1 || !(bytes > 0)) return 0;
  const bus = l.hosts <= 1 ? l.nvl : Math.min(l.nvl, l.perHost * l.net);
  const buckets = Math.max(1, Math.ceil(bytes / l.k.ddpBucketBytes));
  const ms = over(((2 * (l.n - 1)) / l.n) * bytes, bus) + buckets * (l.hosts <= 1 ? l.k.intraLatencyMs : l.k.interLatencyMs);
  return Number.isFinite(ms) ? ms : 0;
}
