/**
 * TorchRec's GreedyPerfPartitioner (torchrec/distributed/planner/partitioners.py;
 * docs/research/torchrec-planner.md §1.7), re-implemented from its documented
 * behaviour with its default sort_by = STORAGE:
 * 1. uniform options (data_parallel, row_wise): shard i → rank i; a shard that
 *    does not fit fails the partition;
 * 2. the rest by total storage, largest first:
 *    device (table_wise, column_wise): each shard to the least-loaded rank
 *      where it fits, ranks in a min-heap keyed by (perf, rank mod
 *      local_world_size, rank);
 *    host (table_row_wise, table_column_wise): hosts by ascending total perf,
 *      the first whose total storage holds the option and whose ranks take
 *      it (row blocks one per rank in order, column shards by the heap);
 *    multi_host (grid_shard): consecutive hosts in perf order, row blocks
 *      one per rank.
 * Deviations: two column shards of one table never share a rank (TorchRec
 * allows it; a ShardLens placement lists one GPU per shard); a pinned table
 * goes to its GPU (TorchRec has no pins).
 */
import { IndexHeap } from '../indexHeap';
import type { ShardingOption } from './options';
import { optionShards, totalStorage } from './options';

export interface Topology {
  n: number;
  perHost: number;
  /** HBM and host bytes per rank for shards. */
  hbm: number;
  ddr: number;
}

export interface Partition {
  /** Per option of the proposal, the rank of each shard (uniform options share one list: read only). */
  ranks: (readonly number[])[];
  /** Σ perf per rank. */
  perf: Float64Array;
}

class Devices {
  readonly hbm: Float64Array;
  readonly ddr: Float64Array;
  readonly perf: Float64Array;
  constructor(
    readonly topo: Topology,
    from?: Devices,
  ) {
    this.hbm = from ? from.hbm.slice() : new Float64Array(topo.n).fill(topo.hbm);
    this.ddr = from ? from.ddr.slice() : new Float64Array(topo.n).fill(topo.ddr);
    this.perf = from ? from.perf.slice() : new Float64Array(topo.n);
  }
  fits(g: number, hbm: number, ddr: number): boolean {
    return this.hbm[g] >= hbm && this.ddr[g] >= ddr;
  }
  take(g: number, hbm: number, ddr: number, perf: number): void {
    this.hbm[g] -= hbm;
    this.ddr[g] -= ddr;
    this.perf[g] += perf;
  }
  copyFrom(o: Devices, ranks: readonly number[]): void {
    for (const g of ranks) {
      this.hbm[g] = o.hbm[g];
      this.ddr[g] = o.ddr[g];
      this.perf[g] = o.perf[g];
    }
  }
}

/** Ranks by (perf, rank mod width, rank): a min-heap that reads `d.perf` as it changes. */
function rankHeap(d: Devices, ranks: readonly number[], width: number): IndexHeap {
  const p = d.perf;
  return new IndexHeap(ranks, (x, y) => (p[x] !== p[y] ? p[x] < p[y] : x % width !== y % width ? x % width < y % width : x < y));
}

function hostRanks(topo: Topology, h: number): number[] {
  const first = h * topo.perHost;
  return Array.from({ length: Math.max(0, Math.min(topo.perHost, topo.n - first)) }, (_, i) => first + i);
}

/** Shards of `o` to the heap's least-loaded ranks; undefined when one does not fit. */
function devicePartition(o: ShardingOption, d: Devices, heap: IndexHeap): readonly number[] | undefined {
  if (o.pin !== undefined) {
    const s = o.runs[0]?.shard;
    if (!s || o.count !== 1 || !(o.pin >= 0 && o.pin < d.topo.n) || !d.fits(o.pin, s.hbm, s.ddr)) return undefined;
    d.take(o.pin, s.hbm, s.ddr, s.perf);
    heap.rebuild();
    return [o.pin];
  }
  const ranks: number[] = [];
  for (const s of optionShards(o)) {
    const popped: number[] = [];
    let got = -1;
    while (heap.size > 0) {
      const g = heap.pop();
      if (d.fits(g, s.hbm, s.ddr) && !ranks.includes(g)) {
        got = g;
        break;
      }
      popped.push(g);
    }
    for (const g of popped) heap.push(g);
    if (got < 0) return undefined;
    d.take(got, s.hbm, s.ddr, s.perf);
    heap.push(got);
    ranks.push(got);
  }
  return ranks;
}

/**
 * Shard i on ranks[i]; undefined when a shard does not fit. Returns `ranks`
 * itself, not a copy: every row-wise and data-parallel option of a plan
 * shares the one all-ranks list (callers never mutate it).
 */
function uniformPartition(o: ShardingOption, d: Devices, ranks: readonly number[]): readonly number[] | undefined {
  if (o.count !== ranks.length) return undefined;
  let i = 0;
  for (const r of o.runs) for (let k = 0; k < r.count; k++, i++) if (!d.fits(ranks[i], r.shard.hbm, r.shard.ddr)) return undefined;
  i = 0;
  for (const r of o.runs) for (let k = 0; k < r.count; k++, i++) d.take(ranks[i], r.shard.hbm, r.shard.ddr, r.shard.perf);
  return ranks;
}

function hostsByPerf(topo: Topology, d: Devices): number[] {
  const hosts = Math.ceil(topo.n / topo.perHost);
  const perf = new Float64Array(hosts);
  for (let g = 0; g < topo.n; g++) perf[Math.floor(g / topo.perHost)] += d.perf[g];
  return Array.from({ length: hosts }, (_, h) => h).sort((a, b) => perf[a] - perf[b] || a - b);
}

/** An option's total storage, computed once. */
const storageCache = new WeakMap<ShardingOption, { hbm: number; ddr: number }>();
function storageOf(o: ShardingOption): { hbm: number; ddr: number } {
  let s = storageCache.get(o);
  if (!s) {
    s = totalStorage(o);
    storageCache.set(o, s);
  }
  return s;
}

function hostPartition(o: ShardingOption, d: Devices, topo: Topology): readonly number[] | undefined {
  const need = storageOf(o);
  for (const h of hostsByPerf(topo, d)) {
    const ranks = hostRanks(topo, h);
    let hbm = 0;
    let ddr = 0;
    for (const g of ranks) {
      hbm += d.hbm[g];
      ddr += d.ddr[g];
    }
    if (need.hbm > hbm || need.ddr > ddr) continue;
    const trial = new Devices(topo, d);
    const got = o.type === 'table_row_wise' ? uniformPartition(o, trial, ranks) : devicePartition(o, trial, rankHeap(trial, ranks, ranks.length));
    if (got) {
      d.copyFrom(trial, ranks);
      return got;
    }
  }
  return undefined;
}

function multiHostPartition(o: ShardingOption, d: Devices, topo: Topology): readonly number[] | undefined {
  const perHost = topo.perHost;
  if (o.count % perHost !== 0) return undefined;
  const k = o.count / perHost;
  const order = hostsByPerf(topo, d);
  if (k > order.length) return undefined;
  for (let i = 0; i + k <= order.length; i++) {
    const ranks = order.slice(i, i + k).flatMap((h) => hostRanks(topo, h));
    const trial = new Devices(topo, d);
    const got = uniformPartition(o, trial, ranks);
    if (got) {
      d.copyFrom(trial, ranks);
      return got;
    }
  }
  return undefined;
}

/** Partitions a proposal (one option per table); undefined when some shard finds no room. */
export function partition(proposal: readonly ShardingOption[], topo: Topology): Partition | undefined {
  const d = new Devices(topo);
  const ranks: (readonly number[])[] = new Array(proposal.length);
  const all = Array.from({ length: topo.n }, (_, g) => g);
  for (let i = 0; i < proposal.length; i++) {
    const o = proposal[i];
    if (o.partitionBy !== 'uniform') continue;
    const got = uniformPartition(o, d, all);
    if (!got) return undefined;
    ranks[i] = got;
  }
  const rest = proposal.map((o, i) => [o, i] as const).filter(([o]) => o.partitionBy !== 'uniform');
  const storage = rest.map(([o]) => storageOf(o));
  const order = rest.map((_, j) => j).sort((a, b) => storage[b].hbm - storage[a].hbm || storage[b].ddr - storage[a].ddr || rest[a][1] - rest[b][1]);
  let heap: IndexHeap | undefined;
  for (const j of order) {
    const [o, i] = rest[j];
    let got: readonly number[] | undefined;
    if (o.partitionBy === 'device') {
      heap ??= rankHeap(d, all, topo.perHost);
      got = devicePartition(o, d, heap);
    } else {
      got = o.partitionBy === 'host' ? hostPartition(o, d, topo) : multiHostPartition(o, d, topo);
      heap = undefined; // the ranks' perf changed outside the heap
    }
    if (!got) return undefined;
    ranks[i] = got;
  }
  return { ranks, perf: d.perf };
}
