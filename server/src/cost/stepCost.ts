/**
 * The embedding part of one training step as it runs, phase by phase, per
 * rank. Every collective synchronises the ranks, so a phase lasts as long as
 * its slowest rank and the step's embedding time is the critical path
 *   step = Σ_phase max_rank phase_ms[rank]
 * (TorchRec's stats print the same "critical path" for comms;
 * docs/research/torchrec-planner.md §5). Phases, in order:
 *   input_dist   all-to-all of ids and lengths to the shards that look them up
 *                (data-parallel tables read their local batch: none);
 *   forward      embedding lookups (the cost model's fwdMs);
 *   output_dist  pooled all-to-all (table, column, table_column shards),
 *                reduce-scatter of row blocks' partial sums over their group
 *                (row: all ranks; table_row and grid blocks: one host) and,
 *                for groups narrower than the cluster, the all-to-all that
 *                brings the reduced sums to the bags' owners;
 *   grad_dist    the backward mirror: gradient all-to-all, all-gather for row
 *                blocks (the same volumes reversed, so the same times);
 *   backward     backward + fused optimizer (the cost model's bwdMs);
 *   dp_sync      all-reduce of the data-parallel tables' dense gradients
 *                (2(N−1)/N of their bytes) and their element-wise optimizer.
 * Units: ms; loads in bytes per bag unless named otherwise.
 */
import { hostOf, type RankShape } from '../config/placementRanks';
import type { PlacementEntry, TableSpec } from '../config/types';
import { allReduceMs, allToAllMs, exchangeMs, hostSize, linksOf, ringMs, type CommConstants, type Links } from './comm';
import { tableWeightBytes } from './memory';
import { PHASES, type PhaseName, type PhaseTimes } from './phases';
import type { ComputeCost, CostEnv, Shard } from './types';

export { PHASES, PHASE_TITLES, type PhaseName, type PhaseTimes } from './phases';

/**
 * TorchRec prices the data-parallel optimizer as 9.22 passes over the table
 * bytes at the dense kernel's bandwidth (half of HBM): planner constants.py
 * DP_ELEMENTWISE_KERNELS_PERF_FACTOR = 9.22, kernel_bw_lookup dense = 0.5 ×
 * HBM; i.e. 18.44 table-byte passes at HBM peak.
 */
export const DP_OPTIMIZER_BYTE_PASSES = 9.22 / 0.5;

/** A set of ranks that reduce-scatter row blocks' partial sums together. */
export interface RowGroup {
  ranks: number[];
  /** Σ pooled width × dtype bytes of the tables (or column blocks) row-blocked over exactly these ranks. */
  bytesPerBag: number;
}

/** Where the step's bytes are, per rank. */
export interface StepLoads {
  n: number;
  /** Ids + lengths per bag sent to each rank's model-parallel shards. */
  ids: Float64Array;
  /** Pooled bytes per bag each rank all-to-alls (table, column, table_column shards). */
  pooled: Float64Array;
  /** Row-block groups by their ranks (key: the ranks joined by commas). */
  groups: Map<string, RowGroup>;
  /** Σ rows × dim × dtype bytes of the data-parallel tables (their gradient). */
  dpBytes: number;
}

export function emptyLoads(n: number): StepLoads {
  return { n, ids: new Float64Array(n), pooled: new Float64Array(n), groups: new Map(), dpBytes: 0 };
}

/** Ids and lengths bytes per bag a shard receives: pooling ids plus one length per bag. */
export function idsBytesPerBag(shard: Shard, k: Readonly<CommConstants>): number {
  const pooling = Number.isFinite(shard.pooling) && shard.pooling > 0 ? shard.pooling : 0;
  return pooling * k.indexBytes + k.lengthBytes;
}

/** Pooled bytes per bag a shard outputs (its width × dtype bytes). */
export function pooledBytesPerBag(shard: Shard): number {
  return shard.dim * shard.dtypeBytes;
}

/** The gradient bytes a data-parallel table all-reduces: one gradient per weight (memory.ts). */
export function dpGradientBytes(table: TableSpec): number {
  return tableWeightBytes(table);
}

function addGroup(loads: StepLoads, ranks: number[], bytes: number): void {
  const key = ranks.join(',');
  const g = loads.groups.get(key);
  if (g) g.bytesPerBag += bytes;
  else loads.groups.set(key, { ranks: ranks.slice(), bytesPerBag: bytes });
}

/**
 * Adds one placed table (its entry and the shards placementShards made for it)
 * to the loads. Ranks outside 0..n−1 are skipped (the caller reports them).
 */
export function addEntryLoads(
  loads: StepLoads,
  table: TableSpec,
  entry: PlacementEntry,
  placed: readonly { gpu: number; shard: Shard }[],
  shape: RankShape,
  k: Readonly<CommConstants>,
): void {
  const ok = (g: number) => Number.isInteger(g) && g >= 0 && g < loads.n;
  if (entry.kind === 'data_parallel') {
    if (placed.length > 0) loads.dpBytes += dpGradientBytes(table);
    return;
  }
  const blocks = placed.length > 1 && placed.every((p) => p.shard.block);
  for (const { gpu, shard } of placed) {
    if (!ok(gpu)) continue;
    loads.ids[gpu] += idsBytesPerBag(shard, k);
    if (!blocks) loads.pooled[gpu] += pooledBytesPerBag(shard);
  }
  if (!blocks || !placed.every((p) => ok(p.gpu))) return;
  if (entry.kind === 'grid') {
    // One group per column block: the block's run of ranks on its host.
    const byHost = new Map<number, { ranks: number[]; bytes: number }>();
    for (const { gpu, shard } of placed) {
      const h = hostOf(gpu, shape);
      const e = byHost.get(h) ?? { ranks: [], bytes: pooledBytesPerBag(shard) };
      e.ranks.push(gpu);
      byHost.set(h, e);
    }
    for (const e of byHost.values()) addGroup(loads, e.ranks, e.bytes);
  } else {
    addGroup(
      loads,
      placed.map((p) => p.gpu),
      pooledBytesPerBag(placed[0].shard),
    );
  }
}

/** Sums of a per-rank vector per host, and in total. */
function hostSums(l: Links, x: Float64Array): { host: Float64Array; total: number } {
  const host = new Float64Array(l.hosts);
  let total = 0;
  for (let k = 0; k < l.n; k++) {
    host[Math.floor(k / l.perHost)] += x[k];
    total += x[k];
  }
  return { host, total };
}

/** ms of the data-parallel phase (the same on every rank). */
export function dpSyncMs(l: Links, env: CostEnv, dpBytes: number): number {
  if (!(dpBytes > 0)) return 0;
  const hbm = (env?.device?.hbmGBps ?? 0) * 1e6; // bytes per ms
  const optimizer = hbm > 0 ? (DP_OPTIMIZER_BYTE_PASSES * dpBytes) / hbm : 0;
  return allReduceMs(l, dpBytes) + optimizer;
}

/**
 * Row-block groups' share of one rank's output dist, for the two group shapes
 * the planners make: one group over every rank (row) with `allBytes`, and one
 * group per host (table_row, grid) with hostBytes[h]; `hostTotal` = Σ hostBytes.
 */
export function plannerGroupsMs(l: Links, h: number, allBytes: number, hostBytes: number, hostTotal: number): number {
  let ms = allBytes > 0 ? ringMs(l, l.batch * allBytes, l.n, l.hosts, l.perHost) : 0;
  const p = hostSize(l, h);
  if (hostBytes > 0) ms += ringMs(l, l.batch * hostBytes, p, 1, p);
  // Reduced sums go to the owners of the bags on other hosts.
  const send = hostBytes > 0 && p > 0 ? (l.batch / p) * hostBytes * ((l.n - p) / l.n) : 0;
  const recv = l.bags * (hostTotal - hostBytes);
  ms += exchangeMs(l, 0, 0, send, recv);
  return ms;
}

/** One rank's output (= gradient) dist for any row-block groups: ring per group it is in, plus the redistribution exchange. */
function groupsMs(l: Links, groups: readonly RowGroup[], shape: RankShape): Float64Array {
  const n = l.n;
  const ring = new Float64Array(n);
  const sendIntra = new Float64Array(n);
  const sendInter = new Float64Array(n);
  const recvIntra = new Float64Array(n);
  const recvInter = new Float64Array(n);
  const member = new Uint8Array(n);
  for (const g of groups) {
    const ranks = g.ranks.filter((r) => r >= 0 && r < n);
    const G = ranks.length;
    if (G === 0 || !(g.bytesPerBag > 0)) continue;
    const perHostCount = new Map<number, number>();
    for (const r of ranks) {
      member[r] = 1;
      perHostCount.set(hostOf(r, shape), (perHostCount.get(hostOf(r, shape)) ?? 0) + 1);
    }
    const spanned = perHostCount.size;
    const widest = Math.max(...perHostCount.values());
    const ringT = ringMs(l, l.batch * g.bytesPerBag, G, spanned, widest);
    const slice = (l.batch / G) * g.bytesPerBag;
    const singleHost = spanned === 1 ? hostOf(ranks[0], shape) : -1;
    for (let k = 0; k < n; k++) {
      const h = Math.floor(k / l.perHost);
      if (member[k]) {
        ring[k] += ringT;
        const size = hostSize(l, h);
        const inHost = perHostCount.get(h) ?? 0;
        sendIntra[k] += (slice * (size - inHost)) / n;
        sendInter[k] += (slice * (n - size - (G - inHost))) / n;
      } else if (singleHost === h) {
        recvIntra[k] += l.bags * g.bytesPerBag;
      } else {
        recvInter[k] += l.bags * g.bytesPerBag;
      }
    }
    for (const r of ranks) member[r] = 0;
  }
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) out[k] = ring[k] + exchangeMs(l, sendIntra[k], recvIntra[k], sendInter[k], recvInter[k]);
  return out;
}

export interface PhaseSummary {
  name: PhaseName;
  /** The slowest rank's ms in this phase: its share of the critical path. */
  maxMs: number;
  /** That rank (the lowest index on ties). */
  gpu: number;
}

export interface StepCost {
  /** Per rank, per phase, ms. */
  perGpu: PhaseTimes[];
  phases: PhaseSummary[];
  /** Σ over phases of the max over ranks: the step's embedding time. */
  stepMs: number;
}

/** Total ms of one rank over every phase. */
export function phaseTotal(t: PhaseTimes): number {
  let s = 0;
  for (const p of PHASES) s += t[p];
  return s;
}

/** Communication ms of one rank (every phase but forward and backward). */
export function phaseComm(t: PhaseTimes): number {
  return t.input_dist + t.output_dist + t.grad_dist + t.dp_sync;
}

/**
 * The step, phase by phase, from the loads and each rank's compute. `shape`
 * gives hosts to row-block groups (defaults to the env's device).
 */
export function stepCost(loads: StepLoads, compute: readonly (ComputeCost | undefined)[], env: CostEnv, shape?: RankShape): StepCost {
  const n = loads.n;
  const l = linksOf(env, n);
  const rs: RankShape = shape ?? { count: n, perHost: l.perHost };
  const ids = hostSums(l, loads.ids);
  const pooled = hostSums(l, loads.pooled);
  const groups = groupsMs(l, [...loads.groups.values()], rs);
  const dp = dpSyncMs(l, env, loads.dpBytes);
  const perGpu: PhaseTimes[] = [];
  for (let k = 0; k < n; k++) {
    const h = Math.floor(k / l.perHost);
    const size = hostSize(l, h);
    const out = allToAllMs(l, loads.pooled[k], pooled.host[h], pooled.total, size) + groups[k];
    perGpu.push({
      input_dist: allToAllMs(l, loads.ids[k], ids.host[h], ids.total, size),
      forward: finite(compute[k]?.fwdMs),
      output_dist: out,
      grad_dist: out,
      backward: finite(compute[k]?.bwdMs),
      dp_sync: dp,
    });
  }
  return summarise(perGpu);
}

/** Phase maxima and the critical path of per-rank phase times. */
export function summarise(perGpu: PhaseTimes[]): StepCost {
  const phases = PHASES.map((name): PhaseSummary => {
    let maxMs = 0;
    let gpu = 0;
    perGpu.forEach((t, k) => {
      if (t[name] > maxMs) {
        maxMs = t[name];
        gpu = k;
      }
    });
    return { name, maxMs, gpu };
  });
  return { perGpu, phases, stepMs: phases.reduce((s, p) => s + p.maxMs, 0) };
}

/**
 * ± of the step, ms, from the cost model's relative uncertainty per rank
 * (ComputeCost.uncertainty; ~68% of measured sets within). The step is
 * Σ_phase max_rank, and only the compute phases carry model error (the
 * collectives are priced from link bandwidths, with no error band): the
 * forward phase contributes its slowest rank's fwdMs × that rank's
 * uncertainty, the backward phase its slowest rank's bwdMs × its uncertainty.
 * The two add linearly, as GpuReport.uncertaintyMs does for fwd + bwd: one
 * model's errors on forward and backward of the same sets move together.
 * undefined when the model reports no uncertainty, or the slowest rank of a
 * compute phase that takes time has none.
 */
export function stepUncertaintyMs(step: StepCost, compute: readonly (ComputeCost | undefined)[]): number | undefined {
  if (!compute.some((c) => c?.uncertainty !== undefined && Number.isFinite(c.uncertainty))) return undefined;
  let total = 0;
  for (const p of step.phases) {
    if (p.name !== 'forward' && p.name !== 'backward') continue;
    if (!(p.maxMs > 0)) continue;
    const u = compute[p.gpu]?.uncertainty;
    if (u === undefined || !Number.isFinite(u)) return undefined;
    total += u * p.maxMs;
  }
  return total;
}

function finite(x: number | undefined): number {
  return typeof x === 'number' && Number.isFinite(x) && x > 0 ? x : 0;
}
