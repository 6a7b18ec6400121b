/**
 * A (partial) assignment of catalog shards to GPUs with running per-GPU sums:
 * memory (bytes), communication load (bytes per bag), compute (ms, from the
 * prepared SetScorer) and communication (ms, from CommOracle). Planners mutate
 * it with place/unplace and ask what-if questions (cost of GPU g with shard s
 * added, removed or swapped) without allocating.
 */
import type { ComputeCost, SetScorer } from '../cost/types';
import type { Catalog, Layout } from './catalog';
import type { CommOracle } from './commOracle';

export class PlanState {
  readonly n: number;
  readonly members: number[][];
  /** GPU of each catalog shard, -1 when not placed. */
  readonly gpuOf: number[];
  readonly mem: Float64Array;
  readonly out: Float64Array;
  readonly rowb: Float64Array;
  readonly fwd: Float64Array;
  readonly bwd: Float64Array;
  readonly commFwd: Float64Array;
  readonly commBwd: Float64Array;
  readonly total: Float64Array;
  /**
   * Predicted fwd+bwd ms of each catalog shard alone (greedy.ts soloCosts), and
   * per GPU the sum over its shards: their ratio to the GPU's real cost is the
   * GPU's fusion factor, which ranks what-ifs without a cost-model call.
   */
  solo: Float64Array = new Float64Array(0);
  readonly soloSum: Float64Array;
  /** Current layout of each table (undefined: table not in the plan). */
  readonly layoutOf: (Layout | undefined)[];
  /** Shards of table t on GPU g: siblings[g * tables + t] (shards of one table never share a GPU). */
  private readonly siblings: Uint16Array;
  private readonly scratch: number[] = [];
  private readonly commScratch: Float64Array;
  private readonly mark: Uint8Array;

  constructor(readonly cat: Catalog, public scorer: SetScorer, readonly comm: CommOracle, from?: PlanState) {
    this.n = cat.gpus;
    this.commScratch = new Float64Array(this.n);
    this.mark = new Uint8Array(this.n);
    const T = cat.tables.length;
    if (from) {
      this.members = from.members.map((m) => m.slice());
      this.gpuOf = from.gpuOf.slice();
      this.mem = from.mem.slice(); this.out = from.out.slice(); this.rowb = from.rowb.slice();
      this.fwd = from.fwd.slice(); this.bwd = from.bwd.slice();
      this.commFwd = from.commFwd.slice(); this.commBwd = from.commBwd.slice();
      this.total = from.total.slice();
      this.solo = from.solo;
      this.soloSum = from.soloSum.slice();
      this.layoutOf = from.layoutOf.slice();
      this.siblings = from.siblings.slice();
    } else {
      this.members = Array.from({ length: this.n }, () => []);
      this.gpuOf = new Array<number>(cat.shards.length).fill(-1);
      this.mem = new Float64Array(this.n); this.out = new Float64Array(this.n); this.rowb = new Float64Array(this.n);
      this.fwd = new Float64Array(this.n); this.bwd = new Float64Array(this.n);
      this.commFwd = new Float64Array(this.n); this.commBwd = new Float64Array(this.n);
      this.total = new Float64Array(this.n);
      this.soloSum = new Float64Array(this.n);
      this.layoutOf = new Array<Layout | undefined>(T).fill(undefined);
      this.siblings = new Uint16Array(this.n * T);
    }
  }

  clone(): PlanState {
    const c = new PlanState(this.cat, this.scorer, this.comm, this);
    return c;
  }

  /** The comm oracle holds one load vector; call before what-ifs on a state that was not the last one mutated. */
  syncComm(): void {
    for (let g = 0; g < this.n; g++) this.comm.set(g, this.out[g], this.rowb[g]);
  }

  gpuOfShard(s: number): number {
    return s < this.gpuOf.length ? this.gpuOf[s] : -1;
  }

  /** Whether shard s may go on GPU g: memory, pin, no sibling shard of its table there. */
  canHost(g: number, s: number): boolean {
    const cat = this.cat;
    const t = cat.tableOf[s];
    const pin = cat.tables[t].pin;
    if (pin !== undefined && pin !== g) return false;
    if (this.siblings[g * cat.tables.length + t] > 0) return false;
    return this.mem[g] + cat.mem[s] <= cat.capacity;
  }

  /** Like canHost but ignoring memory (for reporting and forced placement). */
  allowedOn(g: number, s: number): boolean {
    const t = this.cat.tableOf[s];
    const pin = this.cat.tables[t].pin;
    return (pin === undefined || pin === g) && this.siblings[g * this.cat.tables.length + t] === 0;
  }

  /** Sets the per-shard solo costs (and the per-GPU sums) used by the estimates. */
  setSolo(solo: Float64Array): void {
    this.solo = solo;
    for (let g = 0; g < this.n; g++) {
      let sum = 0;
      for (const x of this.members[g]) sum += solo[x] ?? 0;
      this.soloSum[g] = sum;
    }
  }

  /**
   * Puts shard s on GPU g. `known` is the compute cost of g with s added when
   * the caller just asked the model for it (saves a call).
   */
  place(s: number, g: number, known?: ComputeCost): void {
    while (this.gpuOf.length <= s) this.gpuOf.push(-1);
    const cat = this.cat;
    this.members[g].push(s);
    this.gpuOf[s] = g;
    this.siblings[g * cat.tables.length + cat.tableOf[s]]++;
    this.mem[g] += cat.mem[s]; this.out[g] += cat.out[s]; this.rowb[g] += cat.rowb[s];
    this.soloSum[g] += this.solo[s] ?? 0;
    if (known) { this.fwd[g] = known.fwdMs; this.bwd[g] = known.bwdMs; } else this.rescore(g);
    this.refreshComm(g);
  }

  unplace(s: number): void {
    const g = this.gpuOfShard(s);
    if (g < 0) return;
    const cat = this.cat;
    const m = this.members[g];
    const i = m.indexOf(s);
    m[i] = m[m.length - 1];
    m.pop();
    this.gpuOf[s] = -1;
    this.siblings[g * cat.tables.length + cat.tableOf[s]]--;
    this.mem[g] -= cat.mem[s]; this.out[g] -= cat.out[s]; this.rowb[g] -= cat.rowb[s];
    this.soloSum[g] -= this.solo[s] ?? 0;
    if (m.length === 0) { this.mem[g] = 0; this.out[g] = 0; this.rowb[g] = 0; this.soloSum[g] = 0; }
    this.rescore(g);
    this.refreshComm(g);
  }

  move(s: number, to: number): void {
    this.unplace(s);
    this.place(s, to);
  }

  /**
   * Places shards in order where they fit (memory, pin, siblings) and scores
   * each touched GPU once at the end: for loading a whole start placement.
   * Returns the shards that did not fit.
   */
  placeBulk(items: readonly (readonly [number, number])[]): number[] {
    const cat = this.cat;
    const rejected: number[] = [];
    for (const [s, g] of items) {
      if (g < 0 || g >= this.n || !this.canHost(g, s)) { rejected.push(s); continue; }
      while (this.gpuOf.length <= s) this.gpuOf.push(-1);
      this.members[g].push(s);
      this.gpuOf[s] = g;
      this.siblings[g * cat.tables.length + cat.tableOf[s]]++;
      this.mem[g] += cat.mem[s]; this.out[g] += cat.out[s]; this.rowb[g] += cat.rowb[s];
      this.soloSum[g] += this.solo[s] ?? 0;
    }
    this.refreshAll();
    return rejected;
  }

  /** Compute cost (one model call) of GPU g with shard s added. */
  computeWith(g: number, s: number): ComputeCost {
    const m = this.members[g];
    m.push(s);
    const c = this.scorer.score(m);
    m.pop();
    return c;
  }

  /** Fusion factor of GPU g: its real compute over the sum of its shards' solo costs (1 when empty). */
  private fusion(g: number): number {
    const sum = this.soloSum[g];
    const comp = this.fwd[g] + this.bwd[g];
    return sum > 0 && comp > 0 ? comp / sum : 1;
  }

  /** Estimated compute ms of GPU g with shard `remove` (or -1) off and `add` (or -1) on; no model call. */
  estimateSwap(g: number, remove: number, add: number): number {
    const f = this.fusion(g);
    const comp = this.fwd[g] + this.bwd[g] - (remove >= 0 ? f * (this.solo[remove] ?? 0) : 0) + (add >= 0 ? f * (this.solo[add] ?? 0) : 0);
    return comp > 0 ? comp : 0;
  }

  /** Comm ms of GPU g with shard s added (no model call). */
  commWith(g: number, s: number): number {
    return this.comm.whatIf(g, this.out[g] + this.cat.out[s], this.rowb[g] + this.cat.rowb[s]);
  }

  private rescore(g: number): void {
    const c = this.scorer.score(this.members[g]);
    this.fwd[g] = c.fwdMs; this.bwd[g] = c.bwdMs;
  }

  /** One comm call updates every GPU (a load change moves the others' receive volume too). */
  private refreshComm(g: number): void {
    this.comm.set(g, this.out[g], this.rowb[g]);
    this.comm.all(this.commFwd, this.commBwd);
    for (let k = 0; k < this.n; k++) this.total[k] = this.fwd[k] + this.bwd[k] + this.commFwd[k] + this.commBwd[k];
  }

  /** Recomputes every GPU's compute and comm (after the scorer or loads changed wholesale). */
  refreshAll(): void {
    for (let g = 0; g < this.n; g++) { this.rescore(g); this.comm.set(g, this.out[g], this.rowb[g]); }
    this.comm.all(this.commFwd, this.commBwd);
    for (let k = 0; k < this.n; k++) this.total[k] = this.fwd[k] + this.bwd[k] + this.commFwd[k] + this.commBwd[k];
  }

  /** Predicted compute ms (fwd+bwd) of GPU g with shard `remove` (or -1) taken off and `add` (or -1) put on. */
  computeSwap(g: number, remove: number, add: number): number {
    const sc = this.scratch;
    sc.length = 0;
    for (const x of this.members[g]) if (x !== remove) sc.push(x);
    if (add >= 0) sc.push(add);
    if (sc.length === 0) return 0;
    const c = this.scorer.score(sc);
    return c.fwdMs + c.bwdMs;
  }

  /**
   * Predicted totals after shard `s` moves from a to b and, if t ≥ 0, shard t
   * moves from b to a: into[0] = a's, into[1] = b's, into[2] = the max over
   * every other GPU (their comm shifts with the host sums). Compute comes from
   * the model (two calls) when `exact`, else from the fusion-factor estimate
   * (no call). `computeA` may pass a's compute when the caller already has it.
   */
  exchangeTotals(a: number, s: number, b: number, t: number, into: Float64Array, exact = true, computeA = NaN): void {
    const cat = this.cat;
    const ca = !Number.isNaN(computeA) ? computeA : exact ? this.computeSwap(a, s, t) : this.estimateSwap(a, s, t);
    const cb = exact ? this.computeSwap(b, t, s) : this.estimateSwap(b, t, s);
    const tOut = t >= 0 ? cat.out[t] : 0;
    const tRow = t >= 0 ? cat.rowb[t] : 0;
    const comm = this.commScratch;
    const touched = this.comm.whatIfPair(
      a, Math.max(0, this.out[a] - cat.out[s] + tOut), Math.max(0, this.rowb[a] - cat.rowb[s] + tRow),
      b, Math.max(0, this.out[b] + cat.out[s] - tOut), Math.max(0, this.rowb[b] + cat.rowb[s] - tRow), comm,
    );
    into[0] = ca + comm[a];
    into[1] = cb + comm[b];
    const mark = this.mark;
    let others = 0;
    for (const k of touched) {
      mark[k] = 1;
      if (k === a || k === b) continue;
      const v = this.fwd[k] + this.bwd[k] + comm[k];
      if (v > others) others = v;
    }
    for (let g = 0; g < this.n; g++) {
      if (mark[g]) { mark[g] = 0; continue; }
      if (g !== a && g !== b && this.total[g] > others) others = this.total[g];
    }
    into[2] = others;
  }

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

  /** Sum of squared totals: the tie-breaker between plans with the same max. */
  spread(): number {
    let s = 0;
    for (let g = 0; g < this.n; g++) s += this.total[g] * this.total[g];
    return s;
  }

  /** Sets table t's layout (its shards unplaced) after removing the previous layout's shards. */
  setLayout(t: number, layout: Layout | undefined): void {
    const old = this.layoutOf[t];
    if (old) for (const s of old.shards) this.unplace(s);
    this.layoutOf[t] = layout;
  }
}
