/**
 * A (partial) assignment of catalog shards to GPUs with running per-GPU sums:
 * memory (bytes), compute (ms, from the prepared SetScorer) and the step's
 * communication phases (ms, from StepOracle). Planners mutate it and ask
 * what-if questions without allocating. The objective is the step's critical
 * path (cost/stepCost.ts):
 *   step = max input_dist + max forward + 2 × max output_dist + max backward + dp_sync
 * (gradient dist mirrors output dist rank by rank), with Σ_rank total² as the
 * tie-breaker between plans of equal step time.
 *
 * Free shards (table, column, table_column) move one at a time. Group layouts
 * (row, table_row, grid, data_parallel) go on fixed ranks all at once.
 * Compute of a rank is the model's score of every shard on it; what-ifs score
 * only its free shards and add the rest's last measured contribution
 * (fixed_g = score(all) − score(free)), so a rank holding many replicas costs
 * one small model call per what-if. Mutations rescore exactly.
 */
import type { ComputeCost, SetScorer } from '../cost/types';
import { isFree, type Catalog, type Layout } from './catalog';
import { StepOracle } from './stepOracle';

/**
 * Group placements touching more GPUs than this are estimated (and settled
 * later) when the caller allows it: a row-wise table on 128 GPUs would cost
 * 128 model calls per try; a table_row host (≤ 16 GPUs) is scored exactly.
 */
const ESTIMATE_ABOVE = 16;

/** gpuOf value of a data-parallel replica: on every rank. */
export const EVERYWHERE = -2;

/** The per-rank phases a plan's maxima are taken over. */
const IN = 0;
const FWD = 1;
const OUT = 2;
const BWD = 3;
const NPH = 4;

export class PlanState {
  readonly n: number;
  readonly hosts: number;
  /** Every shard scored on g (free shards and group blocks/replicas). */
  readonly members: number[][];
  /** Free shards on g. */
  readonly free: number[][];
  /** GPU of each catalog shard: -1 not placed, EVERYWHERE for a replica. */
  readonly gpuOf: number[];
  readonly mem: Float64Array;
  readonly hostMem: Float64Array;
  /** Exact compute of all members, and of the free members alone. */
  readonly fwd: Float64Array;
  readonly bwd: Float64Array;
  readonly freeFwd: Float64Array;
  readonly freeBwd: Float64Array;
  /** Communication phases per rank. */
  readonly inMs: Float64Array;
  readonly outMs: Float64Array;
  /** Row-block groups' share of outMs, per rank. */
  readonly groupPart: Float64Array;
  dpMs = 0;
  /** Per rank: Σ of its phases (input + forward + 2 × output + backward + dp). */
  readonly total: Float64Array;
  oracle: StepOracle;
  /** Current layout of each table (undefined: table not in the plan). */
  readonly layoutOf: (Layout | undefined)[];
  /** Group layouts: the hosts they are on once placed (row: every host; data_parallel: []); undefined when not placed. */
  readonly hostsOf: (number[] | undefined)[];
  /** Single-shard fwd / bwd / fwd+bwd ms (greedy.ts soloCosts); per rank Σ over its free shards. */
  solo: Float64Array = new Float64Array(0);
  soloF: Float64Array = new Float64Array(0);
  soloB: Float64Array = new Float64Array(0);
  readonly soloSumF: Float64Array;
  readonly soloSumB: Float64Array;
  /**
   * The placed free shards of each table, as a list threaded through the
   * shards (sibHead per table, sibNext per shard, -1 ends it) with the GPU
   * each is on (sibGpu), for the one-shard-of-a-table-per-GPU rule. Sized by
   * tables + shards, not tables × GPUs: a per-(GPU, table) count array was
   * 400 M entries (800 MB, copied by every clone) at 100,000 tables on 4,096
   * GPUs. A table's list is as long as its placed free shards (≤ its parts).
   */
  private sibHead: Int32Array;
  private sibNext: Int32Array;
  private sibGpu: Int32Array;
  /** table_column tables: the host their shards are on (-1: none placed), and how many are placed. */
  private readonly lockHost: Int32Array;
  private readonly placedFree: Int32Array;
  /** Phase maxima, their ranks, per-host maxima and the three hosts with the highest maxima. */
  readonly phaseMax = new Float64Array(NPH);
  readonly phaseArg = new Int32Array(NPH);
  private readonly hostMax: Float64Array[];
  private readonly top: Int32Array;
  sumSq = 0;
  /** GPUs whose compute placeFast estimated (settle() rescores them). */
  private readonly dirty = new Set<number>();
  private readonly scratch: number[] = [];
  // What-if scratch.
  private readonly tIds = new Float64Array(2);
  private readonly tPooled = new Float64Array(2);
  whatSq = 0;

  constructor(
    readonly cat: Catalog,
    public scorer: SetScorer,
    from?: PlanState,
  ) {
    this.n = cat.gpus;
    this.hosts = Math.max(1, cat.hosts);
    const T = cat.tables.length;
    if (from) {
      this.members = from.members.map((m) => m.slice());
      this.free = from.free.map((m) => m.slice());
      this.gpuOf = from.gpuOf.slice();
      this.mem = from.mem.slice();
      this.hostMem = from.hostMem.slice();
      this.fwd = from.fwd.slice();
      this.bwd = from.bwd.slice();
      this.freeFwd = from.freeFwd.slice();
      this.freeBwd = from.freeBwd.slice();
      this.inMs = from.inMs.slice();
      this.outMs = from.outMs.slice();
      this.groupPart = from.groupPart.slice();
      this.dpMs = from.dpMs;
      this.total = from.total.slice();
      this.oracle = from.oracle.clone();
      this.layoutOf = from.layoutOf.slice();
      this.hostsOf = from.hostsOf.map((h) => h && h.slice());
      this.solo = from.solo;
      this.soloF = from.soloF;
      this.soloB = from.soloB;
      this.soloSumF = from.soloSumF.slice();
      this.soloSumB = from.soloSumB.slice();
      this.sibHead = from.sibHead.slice();
      this.sibNext = from.sibNext.slice();
      this.sibGpu = from.sibGpu.slice();
      this.lockHost = from.lockHost.slice();
      this.placedFree = from.placedFree.slice();
      this.phaseMax.set(from.phaseMax);
      this.phaseArg.set(from.phaseArg);
      this.hostMax = from.hostMax.map((x) => x.slice());
      this.top = from.top.slice();
      this.sumSq = from.sumSq;
      for (const g of from.dirty) this.dirty.add(g);
      return;
    }
    const n = this.n;
    this.members = Array.from({ length: n }, () => []);
    this.free = Array.from({ length: n }, () => []);
    this.gpuOf = new Array<number>(cat.shards.length).fill(-1);
    this.mem = new Float64Array(n);
    this.hostMem = new Float64Array(n);
    this.fwd = new Float64Array(n);
    this.bwd = new Float64Array(n);
    this.freeFwd = new Float64Array(n);
    this.freeBwd = new Float64Array(n);
    this.inMs = new Float64Array(n);
    this.outMs = new Float64Array(n);
    this.groupPart = new Float64Array(n);
    this.total = new Float64Array(n);
    this.oracle = new StepOracle(cat.env, n);
    this.layoutOf = new Array<Layout | undefined>(T).fill(undefined);
    this.hostsOf = new Array<number[] | undefined>(T).fill(undefined);
    this.soloSumF = new Float64Array(n);
    this.soloSumB = new Float64Array(n);
    this.sibHead = new Int32Array(T).fill(-1);
    this.sibNext = new Int32Array(cat.shards.length).fill(-1);
    this.sibGpu = new Int32Array(cat.shards.length).fill(-1);
    this.lockHost = new Int32Array(T).fill(-1);
    this.placedFree = new Int32Array(T);
    this.hostMax = Array.from({ length: NPH }, () => new Float64Array(this.hosts));
    this.top = new Int32Array(NPH * 3).fill(-1);
  }

  clone(): PlanState {
    return new PlanState(this.cat, this.scorer, this);
  }

  gpuOfShard(s: number): number {
    return s < this.gpuOf.length ? this.gpuOf[s] : -1;
  }

  hostOfGpu(g: number): number {
    return this.oracle.hostOf[g];
  }

  // ------------------------------------------------------------ objective

  /** The step's embedding ms (critical path) of the current state. */
  step(): number {
    const m = this.phaseMax;
    return m[IN] + m[FWD] + 2 * m[OUT] + m[BWD] + this.dpMs;
  }

  /** Max over ranks of the per-rank total (the busiest rank). */
  maxTotal(): number {
    let m = 0;
    for (let g = 0; g < this.n; g++) if (this.total[g] > m) m = this.total[g];
    return m;
  }

  argMax(): number {
    let best = 0;
    for (let g = 1; g < this.n; g++) if (this.total[g] > this.total[best]) best = g;
    return best;
  }

  /** Ranks that set a phase maximum (the critical ranks), busiest phase first, distinct. */
  criticalRanks(): number[] {
    const order = [OUT, FWD, BWD, IN].sort((a, b) => this.phaseMax[b] * (b === OUT ? 2 : 1) - this.phaseMax[a] * (a === OUT ? 2 : 1));
    const out: number[] = [];
    for (const p of order) {
      const g = this.phaseArg[p];
      if (this.phaseMax[p] > 0 && g >= 0 && !out.includes(g)) out.push(g);
    }
    return out;
  }

  /** Sum of squared totals: the tie-breaker between plans with the same step time. */
  spread(): number {
    return this.sumSq;
  }

  // ------------------------------------------------------------ capacity

  private fits(g: number, s: number): boolean {
    const cat = this.cat;
    return this.mem[g] + cat.mem[s] <= cat.capacity && this.hostMem[g] + cat.hostMem[s] <= cat.hostCapacity;
  }

  /** Whether free shard s may go on GPU g: memory, pin, no sibling there, table_column host. */
  canHost(g: number, s: number): boolean {
    return this.allowedOn(g, s) && this.fits(g, s);
  }

  /** Like canHost but ignoring memory (for reporting and forced placement). */
  allowedOn(g: number, s: number): boolean {
    const cat = this.cat;
    const t = cat.tableOf[s];
    const pin = cat.tables[t].pin;
    if (pin !== undefined && pin !== g) return false;
    if (this.placedFree[t] > 0 && this.hasSibling(g, t)) return false;
    if (cat.kindOf[s] === 'table_column' && this.placedFree[t] > 0 && this.lockHost[t] !== this.hostOfGpu(g)) return false;
    return true;
  }

  /** Whether a free shard of table t is on GPU g. */
  private hasSibling(g: number, t: number): boolean {
    for (let x = this.sibHead[t]; x >= 0; x = this.sibNext[x]) if (this.sibGpu[x] === g) return true;
    return false;
  }

  private linkSibling(s: number, t: number, g: number): void {
    if (s >= this.sibNext.length) {
      // The catalog grew (a layout search adds layouts): grow by doubling.
      const size = Math.max(s + 1, 2 * this.sibNext.length);
      const next = new Int32Array(size).fill(-1);
      next.set(this.sibNext);
      this.sibNext = next;
      const gpu = new Int32Array(size).fill(-1);
      gpu.set(this.sibGpu);
      this.sibGpu = gpu;
    }
    this.sibGpu[s] = g;
    this.sibNext[s] = this.sibHead[t];
    this.sibHead[t] = s;
  }

  private unlinkSibling(s: number, t: number): void {
    let prev = -1;
    for (let x = this.sibHead[t]; x >= 0; prev = x, x = this.sibNext[x]) {
      if (x !== s) continue;
      if (prev < 0) this.sibHead[t] = this.sibNext[x];
      else this.sibNext[prev] = this.sibNext[x];
      this.sibNext[x] = -1;
      this.sibGpu[x] = -1;
      return;
    }
  }

  /** Entries held per structure (for the test that state memory is sized by shards, not tables × GPUs). */
  allocationSizes(): Record<string, number> {
    let members = 0;
    let free = 0;
    for (const m of this.members) members += m.length;
    for (const m of this.free) free += m.length;
    return {
      members,
      free,
      gpuOf: this.gpuOf.length,
      sibHead: this.sibHead.length,
      sibNext: this.sibNext.length,
      sibGpu: this.sibGpu.length,
      lockHost: this.lockHost.length,
      placedFree: this.placedFree.length,
      layoutOf: this.layoutOf.length,
      hostsOf: this.hostsOf.length,
      perGpu:
        this.mem.length +
        this.hostMem.length +
        this.fwd.length +
        this.bwd.length +
        this.freeFwd.length +
        this.freeBwd.length +
        this.inMs.length +
        this.outMs.length +
        this.groupPart.length +
        this.total.length +
        this.soloSumF.length +
        this.soloSumB.length,
      perHost: this.hostMax.reduce((a, h) => a + h.length, 0),
      oracle: this.oracle.allocationSize(),
      solo: this.solo.length + this.soloF.length + this.soloB.length,
    };
  }

  /** The rank of each shard of a group layout placed on `hosts`. */
  groupRanks(layout: Layout, hosts: readonly number[]): number[] | undefined {
    const cat = this.cat;
    switch (layout.kind) {
      case 'row':
        return layout.shards.length === this.n ? layout.shards.map((_, i) => i) : undefined;
      case 'data_parallel':
        return undefined;
      case 'table_row': {
        const ranks = cat.hostRanks(hosts[0]);
        return ranks.length === layout.shards.length ? ranks : undefined;
      }
      case 'grid': {
        if (hosts.length !== layout.parts) return undefined;
        const out: number[] = [];
        for (const h of hosts) {
          const ranks = cat.hostRanks(h);
          if (ranks.length !== layout.rowsPer) return undefined;
          out.push(...ranks);
        }
        return out;
      }
      default:
        return undefined;
    }
  }

  /** Whether a group layout fits on `hosts` (memory of every target rank). */
  canPlaceGroup(layout: Layout, hosts: readonly number[]): boolean {
    const cat = this.cat;
    if (cat.tables[layout.table].pin !== undefined) return false;
    if (layout.kind === 'data_parallel') {
      const s = layout.shards[0];
      for (let g = 0; g < this.n; g++) if (!this.fits(g, s)) return false;
      return true;
    }
    const ranks = this.groupRanks(layout, hosts);
    if (!ranks) return false;
    return layout.shards.every((s, i) => this.fits(ranks[i], s));
  }

  // ------------------------------------------------------------ solo costs

  /** Sets the per-shard solo costs (and the per-GPU sums over free shards) used by the estimates. */
  setSolo(soloF: Float64Array, soloB: Float64Array): void {
    this.soloF = soloF;
    this.soloB = soloB;
    const solo = new Float64Array(soloF.length);
    for (let i = 0; i < solo.length; i++) solo[i] = soloF[i] + soloB[i];
    this.solo = solo;
    for (let g = 0; g < this.n; g++) {
      let f = 0;
      let b = 0;
      for (const x of this.free[g]) {
        f += soloF[x] ?? 0;
        b += soloB[x] ?? 0;
      }
      this.soloSumF[g] = f;
      this.soloSumB[g] = b;
    }
  }

  // ------------------------------------------------------------ mutations

  private attach(s: number, g: number, isFreeShard: boolean): void {
    const cat = this.cat;
    this.members[g].push(s);
    this.mem[g] += cat.mem[s];
    this.hostMem[g] += cat.hostMem[s];
    this.oracle.addShard(g, cat.ids[s], cat.pooled[s], 1);
    if (isFreeShard) {
      const t = cat.tableOf[s];
      this.free[g].push(s);
      this.linkSibling(s, t, g);
      if (this.placedFree[t]++ === 0) this.lockHost[t] = this.hostOfGpu(g);
      this.soloSumF[g] += this.soloF[s] ?? 0;
      this.soloSumB[g] += this.soloB[s] ?? 0;
    }
  }

  private detach(s: number, g: number, isFreeShard: boolean): void {
    const cat = this.cat;
    removeItem(this.members[g], s);
    this.mem[g] -= cat.mem[s];
    this.hostMem[g] -= cat.hostMem[s];
    this.oracle.addShard(g, cat.ids[s], cat.pooled[s], -1);
    if (isFreeShard) {
      const t = cat.tableOf[s];
      removeItem(this.free[g], s);
      this.unlinkSibling(s, t);
      if (--this.placedFree[t] === 0) this.lockHost[t] = -1;
      this.soloSumF[g] -= this.soloF[s] ?? 0;
      this.soloSumB[g] -= this.soloB[s] ?? 0;
    }
    if (this.members[g].length === 0) {
      this.mem[g] = 0;
      this.hostMem[g] = 0;
    }
    if (this.free[g].length === 0) {
      this.soloSumF[g] = 0;
      this.soloSumB[g] = 0;
    }
  }

  /**
   * Puts free shard s on GPU g for a constructive pass: g's compute becomes
   * its free shards' (`free` when the caller just asked the model, else one
   * call on the free set) plus its last measured fixed part, and g is marked
   * for an exact rescore at `settle()`. Call settle() before anything that
   * needs exact numbers (local search, reports).
   */
  placeFast(s: number, g: number, free?: ComputeCost): void {
    while (this.gpuOf.length <= s) this.gpuOf.push(-1);
    const fixedF = this.fwd[g] - this.freeFwd[g];
    const fixedB = this.bwd[g] - this.freeBwd[g];
    this.attach(s, g, true);
    this.gpuOf[s] = g;
    const f = free ?? this.scorer.score(this.free[g]);
    this.freeFwd[g] = f.fwdMs;
    this.freeBwd[g] = f.bwdMs;
    this.fwd[g] = f.fwdMs + fixedF;
    this.bwd[g] = f.bwdMs + fixedB;
    if (this.free[g].length !== this.members[g].length) this.dirty.add(g);
    this.refreshComm();
  }

  /** Puts free shard s on GPU g without scoring anything: for bulk loading; call refreshAll() after. */
  placeQuiet(s: number, g: number): void {
    while (this.gpuOf.length <= s) this.gpuOf.push(-1);
    this.attach(s, g, true);
    this.gpuOf[s] = g;
  }

  /** Rescores GPUs `gpus` exactly (their free part too) and then every rank's communication, once. */
  rescoreGpus(gpus: Iterable<number>): void {
    for (const g of gpus) {
      this.rescore(g, true);
      this.dirty.delete(g);
    }
    this.refreshComm();
  }

  /** Rescores exactly every GPU placeFast touched. */
  settle(): void {
    if (this.dirty.size === 0) return;
    for (const g of this.dirty) this.rescore(g, false);
    this.dirty.clear();
    this.refreshComm();
  }

  /** Puts free shard s on GPU g (rescoring g exactly). */
  place(s: number, g: number): void {
    while (this.gpuOf.length <= s) this.gpuOf.push(-1);
    this.attach(s, g, true);
    this.gpuOf[s] = g;
    this.rescore(g, true);
    this.refreshComm();
  }

  unplace(s: number): void {
    const g = this.gpuOfShard(s);
    if (g < 0) return;
    this.detach(s, g, true);
    this.gpuOf[s] = -1;
    this.rescore(g, true);
    this.refreshComm();
  }

  move(s: number, to: number): void {
    const from = this.gpuOfShard(s);
    if (from < 0) {
      this.place(s, to);
      return;
    }
    this.detach(s, from, true);
    this.attach(s, to, true);
    this.gpuOf[s] = to;
    this.rescore(from, true);
    this.rescore(to, true);
    this.refreshComm();
  }

  /** Swaps free shards s (on a) and t (on b). */
  swap(s: number, t: number): void {
    const a = this.gpuOfShard(s);
    const b = this.gpuOfShard(t);
    this.detach(s, a, true);
    this.detach(t, b, true);
    this.attach(s, b, true);
    this.attach(t, a, true);
    this.gpuOf[s] = b;
    this.gpuOf[t] = a;
    this.rescore(a, true);
    this.rescore(b, true);
    this.refreshComm();
  }

  /**
   * Places a group layout (row, table_row, grid, data_parallel) of table t on
   * `hosts` (row: ignored; data_parallel: every rank). With `rescore` false the
   * caller rescores later (refreshAll), for bulk loading. False when it does
   * not fit (nothing changes).
   */
  placeGroup(t: number, hosts: readonly number[], rescore: boolean | 'estimate' = true): boolean {
    const layout = this.layoutOf[t];
    if (!layout || isFree(layout.kind) || this.hostsOf[t]) return false;
    if (!this.canPlaceGroup(layout, hosts)) return false;
    const touched = this.groupApply(layout, hosts, 1);
    this.hostsOf[t] = layout.kind === 'row' ? Array.from({ length: this.hosts }, (_, h) => h) : hosts.slice();
    if (rescore === 'estimate' && touched.length > ESTIMATE_ABOVE) {
      // A block adds about its solo cost scaled by the GPU's fusion factor;
      // settle() makes it exact.
      for (const g of touched) {
        const ff = this.soloSumF[g] > 0 && this.freeFwd[g] > 0 ? this.freeFwd[g] / this.soloSumF[g] : 1;
        const fb = this.soloSumB[g] > 0 && this.freeBwd[g] > 0 ? this.freeBwd[g] / this.soloSumB[g] : 1;
        const s = layout.kind === 'data_parallel' ? layout.shards[0] : this.blockOn(layout, g);
        this.fwd[g] += ff * (this.soloF[s] ?? 0);
        this.bwd[g] += fb * (this.soloB[s] ?? 0);
        this.dirty.add(g);
      }
      this.refreshComm();
    } else if (rescore) {
      for (const g of touched) this.rescore(g, false);
      this.refreshComm();
    }
    return true;
  }

  /** The shard of a placed group layout on GPU g (its first when not there). */
  private blockOn(layout: Layout, g: number): number {
    for (const s of layout.shards) if (this.gpuOf[s] === g) return s;
    return layout.shards[0];
  }

  /**
   * The exact step if free shard s (not placed) went on GPU g: one model call
   * on g's shards with s, and every rank's communication (the totals move).
   * Nothing changes. Also sets `whatSq`.
   */
  insertStepExact(g: number, s: number): number {
    const f0 = this.fwd[g];
    const b0 = this.bwd[g];
    const ff0 = this.freeFwd[g];
    const fb0 = this.freeBwd[g];
    while (this.gpuOf.length <= s) this.gpuOf.push(-1);
    this.attach(s, g, true);
    const c = this.scorer.score(this.members[g]);
    this.fwd[g] = c.fwdMs;
    this.bwd[g] = c.bwdMs;
    this.refreshComm();
    const v = this.step();
    const sq = this.sumSq;
    this.detach(s, g, true);
    this.fwd[g] = f0;
    this.bwd[g] = b0;
    this.freeFwd[g] = ff0;
    this.freeBwd[g] = fb0;
    this.refreshComm();
    this.whatSq = sq;
    return v;
  }

  /** Takes a placed group layout off its ranks. */
  unplaceGroup(t: number, rescore = true): void {
    const layout = this.layoutOf[t];
    const hosts = this.hostsOf[t];
    if (!layout || !hosts || isFree(layout.kind)) return;
    const touched = this.groupApply(layout, hosts, -1);
    this.hostsOf[t] = undefined;
    if (rescore) {
      for (const g of touched) this.rescore(g, false);
      this.refreshComm();
    }
  }

  private groupApply(layout: Layout, hosts: readonly number[], sign: 1 | -1): number[] {
    const o = this.oracle;
    while (this.gpuOf.length <= Math.max(...layout.shards)) this.gpuOf.push(-1);
    if (layout.kind === 'data_parallel') {
      const s = layout.shards[0];
      for (let g = 0; g < this.n; g++) {
        if (sign > 0) this.attach(s, g, false);
        else this.detach(s, g, false);
      }
      this.gpuOf[s] = sign > 0 ? EVERYWHERE : -1;
      o.addDp(layout.dpBytes, sign);
      return Array.from({ length: this.n }, (_, g) => g);
    }
    const ranks = this.groupRanks(layout, hosts)!;
    layout.shards.forEach((s, i) => {
      if (sign > 0) this.attach(s, ranks[i], false);
      else this.detach(s, ranks[i], false);
      this.gpuOf[s] = sign > 0 ? ranks[i] : -1;
    });
    if (layout.kind === 'row') o.addAllRow(layout.groupBytes, sign);
    else for (const h of hosts) o.addHostRow(h, layout.groupBytes, sign);
    return ranks;
  }

  /**
   * Places free shards in order where they fit (memory, pin, siblings) and
   * scores every GPU once at the end: for loading a whole start placement.
   * Returns the shards that did not fit.
   */
  placeBulk(items: readonly (readonly [number, number])[]): number[] {
    const rejected: number[] = [];
    for (const [s, g] of items) {
      if (g < 0 || g >= this.n || !this.canHost(g, s)) {
        rejected.push(s);
        continue;
      }
      while (this.gpuOf.length <= s) this.gpuOf.push(-1);
      this.attach(s, g, true);
      this.gpuOf[s] = g;
    }
    this.refreshAll();
    return rejected;
  }

  /** Sets table t's layout after removing the previous layout's shards (the new one is not placed). */
  setLayout(t: number, layout: Layout | undefined): void {
    const old = this.layoutOf[t];
    if (old) {
      if (isFree(old.kind)) for (const s of old.shards) this.unplace(s);
      else this.unplaceGroup(t);
    }
    this.layoutOf[t] = layout;
    this.hostsOf[t] = undefined;
  }

  // ------------------------------------------------------------ scoring

  /** Exact compute of GPU g; its free shards' compute too when they changed. */
  private rescore(g: number, freeChanged: boolean): void {
    const all = this.members[g].length > 0 ? this.scorer.score(this.members[g]) : { fwdMs: 0, bwdMs: 0 };
    this.fwd[g] = all.fwdMs;
    this.bwd[g] = all.bwdMs;
    if (this.free[g].length === this.members[g].length) {
      this.freeFwd[g] = all.fwdMs;
      this.freeBwd[g] = all.bwdMs;
    } else if (freeChanged) {
      const f = this.free[g].length > 0 ? this.scorer.score(this.free[g]) : { fwdMs: 0, bwdMs: 0 };
      this.freeFwd[g] = f.fwdMs;
      this.freeBwd[g] = f.bwdMs;
    }
  }

  /** Rescores every GPU and every phase (after the scorer or loads changed wholesale). */
  refreshAll(): void {
    for (let g = 0; g < this.n; g++) this.rescore(g, true);
    this.refreshComm();
  }

  /** Recomputes every rank's communication, totals and the phase maxima (O(GPUs)). */
  refreshComm(): void {
    const o = this.oracle;
    const groupByHost = new Float64Array(this.hosts);
    for (let h = 0; h < this.hosts; h++) groupByHost[h] = o.groupMs(h);
    this.dpMs = o.dpMs();
    let sq = 0;
    for (let k = 0; k < this.n; k++) {
      this.inMs[k] = o.inMs(k);
      this.groupPart[k] = groupByHost[o.hostOf[k]];
      this.outMs[k] = o.pooledMs(k) + this.groupPart[k];
      const t = this.inMs[k] + this.fwd[k] + 2 * this.outMs[k] + this.bwd[k] + this.dpMs;
      this.total[k] = t;
      sq += t * t;
    }
    this.sumSq = sq;
    this.refreshMaxima();
  }

  private phaseValue(p: number, k: number): number {
    return p === IN ? this.inMs[k] : p === FWD ? this.fwd[k] : p === OUT ? this.outMs[k] : this.bwd[k];
  }

  private refreshMaxima(): void {
    for (let p = 0; p < NPH; p++) {
      const hm = this.hostMax[p];
      hm.fill(0);
      let best = 0;
      let arg = 0;
      for (let k = 0; k < this.n; k++) {
        const v = this.phaseValue(p, k);
        const h = this.oracle.hostOf[k];
        if (v > hm[h]) hm[h] = v;
        if (v > best) {
          best = v;
          arg = k;
        }
      }
      this.phaseMax[p] = best;
      this.phaseArg[p] = arg;
      // Three hosts with the highest maxima.
      let a = -1;
      let b = -1;
      let c = -1;
      for (let h = 0; h < this.hosts; h++) {
        const v = hm[h];
        if (a < 0 || v > hm[a]) {
          c = b;
          b = a;
          a = h;
        } else if (b < 0 || v > hm[b]) {
          c = b;
          b = h;
        } else if (c < 0 || v > hm[c]) c = h;
      }
      this.top[p * 3] = a;
      this.top[p * 3 + 1] = b;
      this.top[p * 3 + 2] = c;
    }
  }

  /** Max of phase p over hosts other than x and y. */
  private maxExcluding(p: number, x: number, y: number): number {
    for (let i = 0; i < 3; i++) {
      const h = this.top[p * 3 + i];
      if (h < 0) return 0;
      if (h !== x && h !== y) return this.hostMax[p][h];
    }
    // More than three hosts, the top three excluded or equal: scan.
    let m = 0;
    for (let h = 0; h < this.hosts; h++) if (h !== x && h !== y && this.hostMax[p][h] > m) m = this.hostMax[p][h];
    return m;
  }

  // ------------------------------------------------------------ what-ifs

  /** Compute of all GPU g's shards with its free set changed: one model call on the free set, plus the rest's measured part. */
  computeSwap(g: number, remove: number, add: number): ComputeCost {
    const sc = this.scratch;
    sc.length = 0;
    for (const x of this.free[g]) if (x !== remove) sc.push(x);
    if (add >= 0) sc.push(add);
    const f = sc.length > 0 ? this.scorer.score(sc) : { fwdMs: 0, bwdMs: 0 };
    return { fwdMs: f.fwdMs + this.fwd[g] - this.freeFwd[g], bwdMs: f.bwdMs + this.bwd[g] - this.freeBwd[g] };
  }

  /** Compute of GPU g with free shard s added (one model call). */
  computeWith(g: number, s: number): ComputeCost {
    return this.computeSwap(g, -1, s);
  }

  /** Compute of GPU g's free shards with s added (one model call on the free set). */
  freeWith(g: number, s: number): ComputeCost {
    const sc = this.scratch;
    sc.length = 0;
    for (const x of this.free[g]) sc.push(x);
    sc.push(s);
    return this.scorer.score(sc);
  }

  /** A free-set compute plus GPU g's last measured fixed part (its group blocks and replicas). */
  withFixed(g: number, free: ComputeCost): ComputeCost {
    return { fwdMs: free.fwdMs + this.fwd[g] - this.freeFwd[g], bwdMs: free.bwdMs + this.bwd[g] - this.freeBwd[g] };
  }

  /** Estimated compute of GPU g with free shard `remove` off and `add` on, no model call (fusion factor × solo costs). */
  estimateSwap(g: number, remove: number, add: number, into: Float64Array): void {
    const ff = this.soloSumF[g] > 0 && this.freeFwd[g] > 0 ? this.freeFwd[g] / this.soloSumF[g] : 1;
    const fb = this.soloSumB[g] > 0 && this.freeBwd[g] > 0 ? this.freeBwd[g] / this.soloSumB[g] : 1;
    const dF = (add >= 0 ? (this.soloF[add] ?? 0) : 0) - (remove >= 0 ? (this.soloF[remove] ?? 0) : 0);
    const dB = (add >= 0 ? (this.soloB[add] ?? 0) : 0) - (remove >= 0 ? (this.soloB[remove] ?? 0) : 0);
    into[0] = Math.max(0, this.fwd[g] + ff * dF);
    into[1] = Math.max(0, this.bwd[g] + fb * dB);
  }

  private readonly ca = new Float64Array(2);
  private readonly cb = new Float64Array(2);

  /**
   * The step (critical path) after free shard s moves from its GPU a to b
   * and, if t ≥ 0, free shard t moves from b to a. Compute from the model
   * (two small calls) when `exact`, else from the fusion-factor estimate.
   * Also sets `whatSq`, the Σ total² tie-breaker after the change.
   */
  exchangeStep(s: number, b: number, t: number, exact: boolean): number {
    const cat = this.cat;
    const a = this.gpuOf[s];
    const ca = this.ca;
    const cb = this.cb;
    if (exact) {
      const x = this.computeSwap(a, s, t);
      ca[0] = x.fwdMs;
      ca[1] = x.bwdMs;
      const y = this.computeSwap(b, t, s);
      cb[0] = y.fwdMs;
      cb[1] = y.bwdMs;
    } else {
      this.estimateSwap(a, s, t, ca);
      this.estimateSwap(b, t, s, cb);
    }
    const o = this.oracle;
    const dIds = cat.ids[s] - (t >= 0 ? cat.ids[t] : 0);
    const dPooled = cat.pooled[s] - (t >= 0 ? cat.pooled[t] : 0);
    const ha = o.hostOf[a];
    const hb = o.hostOf[b];
    this.tIds[0] = o.hostIds[ha] - (ha === hb ? 0 : dIds);
    this.tIds[1] = o.hostIds[hb] + (ha === hb ? 0 : dIds);
    this.tPooled[0] = o.hostPooled[ha] - (ha === hb ? 0 : dPooled);
    this.tPooled[1] = o.hostPooled[hb] + (ha === hb ? 0 : dPooled);
    let mIn = this.maxExcluding(IN, ha, hb);
    let mF = this.maxExcluding(FWD, ha, hb);
    let mO = this.maxExcluding(OUT, ha, hb);
    let mB = this.maxExcluding(BWD, ha, hb);
    let sq = this.sumSq;
    const per = this.oracle.l.perHost;
    for (let pass = 0; pass < (ha === hb ? 1 : 2); pass++) {
      const h = pass === 0 ? ha : hb;
      const hi = pass === 0 ? 0 : 1;
      const first = h * per;
      const last = Math.min(this.n, first + per);
      for (let k = first; k < last; k++) {
        let ids = o.ids[k];
        let pooled = o.pooled[k];
        let f = this.fwd[k];
        let bw = this.bwd[k];
        if (k === a) {
          ids -= dIds;
          pooled -= dPooled;
          f = ca[0];
          bw = ca[1];
        }
        if (k === b) {
          ids += dIds;
          pooled += dPooled;
          f = cb[0];
          bw = cb[1];
        }
        const inMs = o.inMs(k, Math.max(0, ids), this.tIds[hi], o.totIds);
        const outMs = o.pooledMs(k, Math.max(0, pooled), this.tPooled[hi], o.totPooled) + this.groupPart[k];
        if (inMs > mIn) mIn = inMs;
        if (f > mF) mF = f;
        if (outMs > mO) mO = outMs;
        if (bw > mB) mB = bw;
        const tot = inMs + f + 2 * outMs + bw + this.dpMs;
        sq += tot * tot - this.total[k] * this.total[k];
      }
    }
    this.whatSq = sq;
    return mIn + mF + 2 * mO + mB + this.dpMs;
  }

  /**
   * Greedy placement criterion for free shard s on GPU g: the step if only
   * g's numbers changed (the phase maxima raised to g's new values), and g's
   * new total as the tie-breaker (`whatSq`). `compute` is g's compute with s
   * (from computeWith), or undefined for the call-free estimate.
   */
  insertStep(g: number, s: number, compute?: ComputeCost): number {
    const cat = this.cat;
    const o = this.oracle;
    let f: number;
    let bw: number;
    if (compute) {
      f = compute.fwdMs;
      bw = compute.bwdMs;
    } else {
      this.estimateSwap(g, -1, s, this.ca);
      f = this.ca[0];
      bw = this.ca[1];
    }
    const h = o.hostOf[g];
    const inMs = o.inMs(g, o.ids[g] + cat.ids[s], o.hostIds[h] + cat.ids[s], o.totIds + cat.ids[s]);
    const outMs = o.pooledMs(g, o.pooled[g] + cat.pooled[s], o.hostPooled[h] + cat.pooled[s], o.totPooled + cat.pooled[s]) + this.groupPart[g];
    const m = this.phaseMax;
    this.whatSq = inMs + f + 2 * outMs + bw;
    return Math.max(m[IN], inMs) + Math.max(m[FWD], f) + 2 * Math.max(m[OUT], outMs) + Math.max(m[BWD], bw) + this.dpMs;
  }
}

function removeItem(list: number[], x: number): void {
  const i = list.lastIndexOf(x);
  if (i < 0) return;
  list[i] = list[list.length - 1];
  list.pop();
}
