/**
 * TorchRec's planner cost model, `EmbeddingPerfEstimator`, re-derived from its
 * source (no code copied): the per-shard forward/backward compute and comms of
 * torchrec/distributed/planner/shard_estimators.py (`_get_tw_sharding_perf`,
 * `_get_rw_sharding_perf`, `_get_twrw_sharding_perf`, `_get_dp_sharding_perf`)
 * with the constants and `kernel_bw_lookup` of
 * torchrec/distributed/planner/constants.py. Read at meta-pytorch/torchrec
 * commit 143c14460172978bb41b6b92af9369ff413ad048 (constants.py) and the
 * snapshot a48cef79 described in docs/research/torchrec-planner.md §3, whose
 * §3.7 golden vectors (from planner/tests/test_shard_estimators.py) the unit
 * tests reproduce (test/unit/cost/torchrecEstimator.test.ts).
 *
 * Units: TorchRec's, bytes per millisecond for bandwidths (GiB = 2^30), so
 * every time is in ms. `batchSize` is TorchRec's per-rank (local) batch; the
 * formulas multiply by world size.
 *
 * It is the baseline the FBGEMM model (fbgemm.ts) is measured against on
 * published figures, and a `CostModel` (`TorchRecEstimatorModel`) for planners
 * that want to price as TorchRec's own planner does.
 */
import type { DeviceSpec } from '../config/types';
import type { PublishedRecord } from './publishedRecords';
import type { ComputeCost, CostEnv, CostModel, SetScorer, Shard } from './types';

const GIB = 1024 ** 3;

/** constants.py values (bandwidths in bytes/ms). */
export const TORCHREC_CONSTANTS = {
  /** HBM_MEM_BW: 897 GiB/s, a V100-era default. */
  hbmMemBw: (897 * GIB) / 1000,
  /** DDR_MEM_BW: 51 GiB/s. */
  ddrMemBw: (51 * GIB) / 1000,
  /** HBM_TO_DDR_MEM_BW: 32 GiB/s (PCIe shared with the NIC). */
  hbmToDdrMemBw: (32 * GIB) / 1000,
  /** INTRA_NODE_BANDWIDTH: 600 GiB/s. */
  intraNodeBw: (600 * GIB) / 1000,
  /** CROSS_NODE_BANDWIDTH: 12.5 GiB/s. */
  crossNodeBw: (12.5 * GIB) / 1000,
  /** BIGINT_DTYPE: ids are counted as int64. */
  bigintBytes: 8,
  /** UVM_CACHING_RATIO: default cache load factor. */
  uvmCachingRatio: 0.2,
  /** BATCHED_COPY_PERF_FACTOR (row-wise backward copy). */
  batchedCopyPerfFactor: 2.455,
  /** FULL_BLOCK_EMB_DIM: FBGEMM warp of 32 threads × 4-wide vectors. */
  fullBlockEmbDim: 128,
  /** HALF_BLOCK_PENALTY for 64 ≤ dim < 128. */
  halfBlockPenalty: 1.15,
  /** QUARTER_BLOCK_PENALTY for dim < 64. */
  quarterBlockPenalty: 1.75,
  /** BWD_COMPUTE_MULTIPLIER: backward = 2 × forward, "includes fused optimizers". */
  bwdComputeMultiplier: 2,
  /** WEIGHTED_FEATURE_BWD_COMPUTE_MULTIPLIER. */
  weightedFeatureBwdComputeMultiplier: 1,
  /** WEIGHTED_KERNEL_MULTIPLIER: per-id weight-gradient kernel. */
  weightedKernelMultiplier: 1.1,
  /** DP_ELEMENTWISE_KERNELS_PERF_FACTOR: data-parallel optimizer kernels. */
  dpElementwiseKernelsPerfFactor: 9.22,
  /** Table-wise lookups are charged at least 32 columns ("minimum embedding dim ... due to kernel usage"). */
  minLookupDim: 32,
} as const;

/** TorchRec compute kernels this estimator prices (torchrec/distributed/embedding_types.py). */
export type TorchRecKernel = 'dense' | 'fused' | 'fused_uvm' | 'fused_uvm_caching';
export type TorchRecSharding = 'data_parallel' | 'table_wise' | 'column_wise' | 'table_column_wise' | 'row_wise' | 'table_row_wise' | 'grid_shard';

/** The Topology fields the estimator reads (planner/types.py), bandwidths in bytes/ms. */
export interface TorchRecTopology {
  worldSize: number;
  localWorldSize: number;
  hbmMemBw: number;
  ddrMemBw: number;
  hbmToDdrMemBw: number;
  intraHostBw: number;
  interHostBw: number;
  bwdComputeMultiplier: number;
  weightedFeatureBwdComputeMultiplier: number;
}

/** TorchRec's default Topology on cuda: its constants.py bandwidths. */
export function defaultTopology(worldSize = 1, localWorldSize = worldSize): TorchRecTopology {
  return {
    worldSize,
    localWorldSize,
    hbmMemBw: TORCHREC_CONSTANTS.hbmMemBw,
    ddrMemBw: TORCHREC_CONSTANTS.ddrMemBw,
    hbmToDdrMemBw: TORCHREC_CONSTANTS.hbmToDdrMemBw,
    intraHostBw: TORCHREC_CONSTANTS.intraNodeBw,
    interHostBw: TORCHREC_CONSTANTS.crossNodeBw,
    bwdComputeMultiplier: TORCHREC_CONSTANTS.bwdComputeMultiplier,
    weightedFeatureBwdComputeMultiplier: TORCHREC_CONSTANTS.weightedFeatureBwdComputeMultiplier,
  };
}

/**
 * A Topology a user would write for this device: its HBM, NVLink and network
 * bandwidths (GB/s → bytes/ms); the host link and DDR stay TorchRec's defaults
 * (our presets carry neither).
 */
export function topologyForDevice(device: DeviceSpec, worldSize = 1, localWorldSize = worldSize): TorchRecTopology {
  const t = defaultTopology(worldSize, localWorldSize);
  const bpms = (gbps: number | undefined, fallback: number) => (typeof gbps === 'number' && gbps > 0 ? gbps * 1e6 : fallback);
  return {
    ...t,
    hbmMemBw: bpms(device.hbmGBps, t.hbmMemBw),
    intraHostBw: bpms(device.nvlinkGBps, t.intraHostBw),
    interHostBw: bpms(device.networkGBps, t.interHostBw),
  };
}

/** `kernel_bw_lookup` on cuda, bytes/ms. */
export function torchRecKernelBandwidth(
  kernel: TorchRecKernel,
  topo: TorchRecTopology,
  cachingRatio: number = TORCHREC_CONSTANTS.uvmCachingRatio,
  prefetchPipeline = false,
): number {
  switch (kernel) {
    case 'dense':
      return 0.5 * topo.hbmMemBw;
    case 'fused':
      return topo.hbmMemBw;
    case 'fused_uvm':
      return topo.hbmToDdrMemBw / 10;
    case 'fused_uvm_caching':
      // With the prefetch pipeline TorchRec prices a caching table at HBM speed.
      if (prefetchPipeline) return topo.hbmMemBw;
      return (cachingRatio * topo.hbmMemBw + (1 - cachingRatio) * topo.hbmToDdrMemBw) / 10;
  }
}

/** One shard of one table, in TorchRec's terms. */
export interface TorchRecShardInput {
  sharding: TorchRecSharding;
  kernel: TorchRecKernel;
  /** Per-rank (local) batch of each feature reading the table. */
  batchSizes: number[];
  /** Pooling factor of each feature. */
  poolingFactors: number[];
  /** num_poolings of each feature (default 1 each). */
  numPoolings?: number[];
  /** Shard columns. */
  dim: number;
  /** Shard rows (the table's rows for data-parallel). */
  rows: number;
  /** Table element bytes. */
  tableBytes: number;
  /** Comm element bytes (default: the table's). */
  fwdA2aBytes?: number;
  bwdA2aBytes?: number;
  fwdRsBytes?: number;
  bwdRsBytes?: number;
  /** Pooled (EmbeddingBagCollection) or sequence (EmbeddingCollection) output; default pooled. */
  pooled?: boolean;
  weighted?: boolean;
  inference?: boolean;
  cachingRatio?: number;
  prefetchPipeline?: boolean;
  /** Expected cache fetches (CacheStatistics); 0 without statistics. */
  expectedCacheFetches?: number;
}

/** planner/types.py `Perf`, ms. */
export interface TorchRecPerf {
  fwdCompute: number;
  fwdComms: number;
  bwdCompute: number;
  bwdComms: number;
  prefetchCompute: number;
}

export function torchRecPerfTotal(p: TorchRecPerf): number {
  return p.fwdCompute + p.fwdComms + p.bwdCompute + p.bwdComms + p.prefetchCompute;
}

function blockUsagePenalty(dim: number): number {
  if (dim >= TORCHREC_CONSTANTS.fullBlockEmbDim) return 1;
  return dim >= 64 ? TORCHREC_CONSTANTS.halfBlockPenalty : TORCHREC_CONSTANTS.quarterBlockPenalty;
}

/** Lookups I = Σ L·P·B and outputs O = Σ P·B (I for sequence output), per rank. */
function inputsOutputs(s: TorchRecShardInput): { inputs: number; outputs: number } {
  const np = s.numPoolings ?? s.batchSizes.map(() => 1);
  let inputs = 0;
  let outputs = 0;
  s.batchSizes.forEach((b, i) => {
    inputs += (s.poolingFactors[i] ?? 0) * (np[i] ?? 1) * b;
    outputs += (np[i] ?? 1) * b;
  });
  return { inputs, outputs: s.pooled === false ? inputs : outputs };
}

/** Backward compute from forward: β (× β_w when weighted) plus the weighted kernel. */
function backwardCompute(fwd: number, s: TorchRecShardInput, topo: TorchRecTopology): number {
  let bwd = fwd * topo.bwdComputeMultiplier;
  if (s.weighted) bwd *= topo.weightedFeatureBwdComputeMultiplier;
  return bwd + (s.weighted ? fwd * TORCHREC_CONSTANTS.weightedKernelMultiplier : 0);
}

/** The Perf of one shard (EmbeddingPerfEstimator's per-shard formulas). */
export function torchRecShardPerf(s: TorchRecShardInput, topo: TorchRecTopology): TorchRecPerf {
  const W = topo.worldSize;
  const w = topo.localWorldSize;
  const e = s.tableBytes;
  const fwdA2a = s.fwdA2aBytes ?? e;
  const bwdA2a = s.bwdA2aBytes ?? e;
  const fwdRs = s.fwdRsBytes ?? e;
  const bwdRs = s.bwdRsBytes ?? e;
  const pooled = s.pooled !== false;
  const bw = torchRecKernelBandwidth(s.kernel, topo, s.cachingRatio, s.prefetchPipeline);
  const { inputs, outputs } = inputsOutputs(s);
  const d = s.dim;
  const prefetchBytes = (fetches: number) => (fetches * d * e) / topo.hbmToDdrMemBw;
  const fetches = s.expectedCacheFetches ?? 0;
  const inputRead = (lookups: number) => Math.ceil(lookups * TORCHREC_CONSTANTS.bigintBytes) * (s.weighted ? 2 : 1);

  if (s.sharding === 'data_parallel') {
    const fwdCompute = (inputRead(inputs) + inputs * d * e + outputs * d * e) / bw;
    if (s.inference) return { fwdCompute, fwdComms: 0, bwdCompute: 0, bwdComms: 0, prefetchCompute: 0 };
    const tableBytes = s.rows * d * e;
    const hosts = Math.min(W / w, 2);
    let allReduce = (tableBytes * (2 * hosts - 1)) / hosts / (topo.interHostBw * w);
    if (W > 2 * w) allReduce *= 2;
    const optimizerKernels = (TORCHREC_CONSTANTS.dpElementwiseKernelsPerfFactor * tableBytes) / bw;
    return { fwdCompute, fwdComms: 0, bwdCompute: backwardCompute(fwdCompute, s, topo), bwdComms: allReduce + optimizerKernels, prefetchCompute: 0 };
  }

  if (s.sharding === 'table_wise' || s.sharding === 'column_wise' || s.sharding === 'table_column_wise') {
    const lookups = inputs * W;
    const lookupBytes = lookups * Math.max(d, TORCHREC_CONSTANTS.minLookupDim) * e;
    const fwdOut = outputs * W * d * fwdA2a;
    const bwdOut = outputs * W * d * bwdA2a;
    const commsBw = W > w ? topo.interHostBw : topo.intraHostBw;
    const fwdCompute = ((inputRead(lookups) + lookupBytes + fwdOut) * blockUsagePenalty(d)) / bw;
    const fwdComms = fwdOut / commsBw;
    if (s.inference) return { fwdCompute, fwdComms, bwdCompute: 0, bwdComms: 0, prefetchCompute: 0 };
    return { fwdCompute, fwdComms, bwdCompute: backwardCompute(fwdCompute, s, topo), bwdComms: bwdOut / commsBw, prefetchCompute: prefetchBytes(fetches) };
  }

  // Row-wise and table-row-wise (grid shards are priced as table-row-wise).
  const rowWise = s.sharding === 'row_wise';
  const perShardInputs = inputs / (rowWise ? W : w);
  const outs = pooled ? outputs : perShardInputs;
  const lookups = perShardInputs * W;
  const lookupBytes = lookups * d * e;
  const fwdOut = outs * W * d * (pooled ? fwdRs : fwdA2a);
  const bwdOut = outs * W * d * (pooled ? bwdRs : bwdA2a);
  const fwdCompute = (inputRead(lookups) + lookupBytes + fwdOut) / bw;
  let fwdComms: number;
  let bwdComms: number;
  if (rowWise) {
    const commsBw = W > w ? topo.interHostBw : topo.intraHostBw;
    fwdComms = fwdOut / commsBw;
    bwdComms = bwdOut / commsBw;
  } else {
    fwdComms = fwdOut / topo.intraHostBw;
    bwdComms = bwdOut / topo.intraHostBw;
    if (W > w) {
      const crossFwd = outs * W * d * fwdA2a;
      const crossBwd = outs * W * d * bwdA2a;
      fwdComms += (crossFwd * (w / W)) / topo.interHostBw;
      bwdComms += (crossBwd * (w / W)) / topo.interHostBw;
    }
  }
  if (s.inference) return { fwdCompute, fwdComms, bwdCompute: 0, bwdComms: 0, prefetchCompute: 0 };
  bwdComms += (bwdOut * TORCHREC_CONSTANTS.batchedCopyPerfFactor) / bw;
  return {
    fwdCompute,
    fwdComms,
    bwdCompute: backwardCompute(fwdCompute, s, topo),
    bwdComms,
    prefetchCompute: prefetchBytes(fetches / (rowWise ? W : w)),
  };
}

/** Which HBM bandwidth the adapter prices with. */
export type TorchRecBandwidth =
  /** The device preset's HBM (a Topology written for the hardware). */
  | 'device'
  /** TorchRec's default HBM_MEM_BW, 897 GiB/s. */
  | 'torchrec-default';

/**
 * A shard of ours in TorchRec's terms, on one rank (world size 1, so the local
 * batch is the shard's global batch): a row block is row-wise (no 32-column
 * minimum, no block penalty), a data-parallel replica (`bags` set) is
 * data-parallel with TorchRec's `dense` kernel, anything else table-wise.
 */
export function torchRecInputForShard(shard: Shard, env: CostEnv): TorchRecShardInput {
  const kernel: TorchRecKernel = shard.kernel === 'fbgemm_tbe_uvm_caching' ? 'fused_uvm_caching' : shard.kernel === 'torch_embedding_bag' ? 'dense' : 'fused';
  const dp = !shard.block && shard.bags !== undefined;
  const batch = Math.max(0, shard.bags ?? env.batchSize);
  return {
    sharding: shard.block ? 'row_wise' : dp ? 'data_parallel' : 'table_wise',
    kernel: dp ? 'dense' : kernel,
    batchSizes: [batch],
    poolingFactors: [Math.max(0, shard.pooling)],
    dim: shard.dim,
    rows: shard.rows,
    tableBytes: shard.dtypeBytes,
    ...(kernel === 'fused_uvm_caching' ? { cachingRatio: shard.cacheLoadFactor ?? TORCHREC_CONSTANTS.uvmCachingRatio } : {}),
  };
}

function computeOf(p: TorchRecPerf): ComputeCost {
  const ok = (x: number) => (Number.isFinite(x) && x >= 0 ? x : 0);
  return { fwdMs: ok(p.fwdCompute), bwdMs: ok(p.bwdCompute) };
}

class TorchRecScorer implements SetScorer {
  constructor(private readonly costs: readonly ComputeCost[]) {}

  score(members: readonly number[]): ComputeCost {
    // TorchRec sums its shards' perf on a rank: no launch or fixed cost.
    let fwdMs = 0;
    let bwdMs = 0;
    for (const i of members) {
      const c = this.costs[i];
      if (!c) continue;
      fwdMs += c.fwdMs;
      bwdMs += c.bwdMs;
    }
    return { fwdMs, bwdMs };
  }
}

/**
 * TorchRec's estimator as a CostModel: compute time only (fwd_compute,
 * bwd_compute; TorchRec's comms and prefetch terms are left to the comm model).
 */
export class TorchRecEstimatorModel implements CostModel {
  readonly source = 'analytic' as const;
  private lastType?: string;

  constructor(
    private readonly deviceType?: string,
    private readonly bandwidth: TorchRecBandwidth = 'device',
  ) {}

  get name(): string {
    return `torchrec-estimator${this.bandwidth === 'torchrec-default' ? ' (897 GiB/s)' : ''}: ${this.deviceType ?? this.lastType ?? 'GPU'}`;
  }

  async predict(sets: readonly (readonly Shard[])[], env: CostEnv): Promise<ComputeCost[]> {
    const scorer = this.prepare(sets.flat(), env);
    let next = 0;
    return sets.map((set) => scorer.score(set.map(() => next++)));
  }

  prepare(shards: readonly Shard[], env: CostEnv): SetScorer {
    if (env?.device?.type) this.lastType = env.device.type;
    const topo = this.bandwidth === 'device' && env?.device ? topologyForDevice(env.device) : defaultTopology();
    return new TorchRecScorer(shards.map((s) => computeOf(torchRecShardPerf(torchRecInputForShard(s, env), topo))));
  }
}

const PRECISION_BYTES = { fp32: 4, fp16: 2, bf16: 2, int8: 1 } as const;

/**
 * What TorchRec's estimator says a published figure should be: the record's
 * tables as table-wise `fused` (or `fused_uvm_caching`) shards on one rank of
 * a Topology with the record GPU's HBM bandwidth (`torchrec-default`: 897 GiB/s),
 * pooled or sequence output as the record says, summed over tables.
 * Inference records are priced with `is_inference` (forward only).
 */
export function torchRecPublishedMs(r: PublishedRecord, bandwidth: TorchRecBandwidth = 'device'): ComputeCost {
  const topo = defaultTopology();
  if (bandwidth === 'device') topo.hbmMemBw = r.gpuSpec.hbmGBps * 1e6;
  const s = r.shape;
  const input: TorchRecShardInput = {
    sharding: 'table_wise',
    kernel: r.kernel === 'fbgemm_tbe_uvm_caching' ? 'fused_uvm_caching' : 'fused',
    batchSizes: [s.batch],
    poolingFactors: [s.pooling],
    dim: s.dim,
    rows: s.rows,
    // TorchRec charges the output write at the comm dtype, which is the table's
    // unless a quantized comm codec is set, whatever the output dtype.
    tableBytes: PRECISION_BYTES[r.weights],
    pooled: s.pooled,
    inference: r.op === 'tbe_inference_nbit',
    ...(s.cacheLoadFactor !== undefined ? { cachingRatio: s.cacheLoadFactor } : {}),
  };
  const p = torchRecShardPerf(input, topo);
  return { fwdMs: p.fwdCompute * s.tables, bwdMs: p.bwdCompute * s.tables };
}
