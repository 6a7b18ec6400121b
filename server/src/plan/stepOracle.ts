/**
 * The communication phases of a plan under construction, per rank, kept as
 * the running sums cost/stepCost.ts computes them from (ids and pooled bytes
 * per bag per rank and per host, row-block group bytes, data-parallel
 * gradient bytes), so a planner asks for one rank's input or output dist in
 * O(1) instead of re-running the step model over every rank. It calls the
 * same functions as stepCost (comm.ts allToAllMs, stepCost.plannerGroupsMs,
 * dpSyncMs): the numbers are equal by construction, and a test holds the two
 * to each other on planner-made states.
 */
import { allToAllMs, hostSize, linksOf, type Links } from '../cost/comm';
import { dpSyncMs, plannerGroupsMs } from '../cost/stepCost';
import type { CostEnv } from '../cost/types';

// Bound once: these run per rank on every state change, and a module
// namespace lookup per call (as CommonJS interop compiles imports) shows in
// the planner's profile.
const a2a = allToAllMs;
const groups = plannerGroupsMs;

function pos(x: number): number {
  return Number.isFinite(x) && x > 0 ? x : 0;
}

export class StepOracle {
  readonly l: Links;
  readonly n: number;
  readonly hostOf: Int32Array;
  readonly size: Int32Array;
  /** Per rank: ids + lengths bytes per bag; pooled bytes per bag. */
  readonly ids: Float64Array;
  readonly pooled: Float64Array;
  /** Per host sums of the above, and table_row / grid group bytes per bag. */
  readonly hostIds: Float64Array;
  readonly hostPooled: Float64Array;
  readonly hostRow: Float64Array;
  totIds = 0;
  totPooled = 0;
  totRow = 0;
  /** Bytes per bag of row-wise tables (one group over every rank). */
  allRow = 0;
  /** Gradient bytes of data-parallel tables. */
  dpBytes = 0;

  constructor(
    private readonly env: CostEnv,
    n: number,
    from?: StepOracle,
  ) {
    this.l = linksOf(env, n);
    this.n = n;
    const H = this.l.hosts;
    if (from) {
      this.hostOf = from.hostOf;
      this.size = from.size;
      this.ids = from.ids.slice();
      this.pooled = from.pooled.slice();
      this.hostIds = from.hostIds.slice();
      this.hostPooled = from.hostPooled.slice();
      this.hostRow = from.hostRow.slice();
      this.totIds = from.totIds;
      this.totPooled = from.totPooled;
      this.totRow = from.totRow;
      this.allRow = from.allRow;
      this.dpBytes = from.dpBytes;
      return;
    }
    this.hostOf = Int32Array.from({ length: n }, (_, k) => Math.floor(k / this.l.perHost));
    this.size = Int32Array.from({ length: n }, (_, k) => hostSize(this.l, this.hostOf[k]));
    this.ids = new Float64Array(n);
    this.pooled = new Float64Array(n);
    this.hostIds = new Float64Array(H);
    this.hostPooled = new Float64Array(H);
    this.hostRow = new Float64Array(H);
  }

  /** Entries held (per rank and per host arrays): O(GPUs), whatever the tables. */
  allocationSize(): number {
    return this.hostOf.length + this.size.length + this.ids.length + this.pooled.length + this.hostIds.length + this.hostPooled.length + this.hostRow.length;
  }

  clone(): StepOracle {
    return new StepOracle(this.env, this.n, this);
  }

  /** Adds (sign +1) or removes (−1) a shard's ids and pooled bytes on rank g. */
  addShard(g: number, ids: number, pooled: number, sign: 1 | -1): void {
    const h = this.hostOf[g];
    const di = sign * pos(ids);
    const dp = sign * pos(pooled);
    this.ids[g] += di;
    this.hostIds[h] += di;
    this.totIds += di;
    this.pooled[g] += dp;
    this.hostPooled[h] += dp;
    this.totPooled += dp;
    if (this.ids[g] < 1e-9) this.ids[g] = 0;
    if (this.pooled[g] < 1e-9) this.pooled[g] = 0;
  }

  /** Adds or removes a host group's (table_row / grid block) bytes per bag. */
  addHostRow(h: number, bytes: number, sign: 1 | -1): void {
    const d = sign * pos(bytes);
    this.hostRow[h] += d;
    this.totRow += d;
    if (this.hostRow[h] < 1e-9) this.hostRow[h] = 0;
  }

  addAllRow(bytes: number, sign: 1 | -1): void {
    this.allRow = Math.max(0, this.allRow + sign * pos(bytes));
  }

  addDp(bytes: number, sign: 1 | -1): void {
    this.dpBytes = Math.max(0, this.dpBytes + sign * pos(bytes));
  }

  /** Input dist ms of rank k with its ids x and its host's sum hs. */
  inMs(k: number, x = this.ids[k], hs = this.hostIds[this.hostOf[k]], total = this.totIds): number {
    return a2a(this.l, x, hs, total, this.size[k]);
  }

  /** Pooled all-to-all ms of rank k (without row-block groups). */
  pooledMs(k: number, x = this.pooled[k], hs = this.hostPooled[this.hostOf[k]], total = this.totPooled): number {
    return a2a(this.l, x, hs, total, this.size[k]);
  }

  /** Row-block groups' ms of a rank on host h. */
  groupMs(h: number): number {
    return groups(this.l, h, this.allRow, this.hostRow[h], this.totRow);
  }

  /** The data-parallel phase ms (every rank). */
  dpMs(): number {
    return dpSyncMs(this.l, this.env, this.dpBytes);
  }
}
