/**
 * Index statistics of one row block of a table (a row, table_row or grid
 * shard): how many of the table's lookups land in rows [offset, offset + rows),
 * how many distinct rows they touch, the share on the block's hottest 1% of
 * rows and the lookups of its hottest row. Every cost model prices a block
 * from these, not from a `rows / tableRows` share of the table's numbers.
 *
 * Index model (the measurement campaign's generator; models/data/h100/README.md,
 * models/shardlens_cost/indexgen.py, and indexStats.ts for the rank law):
 * rank r has probability p_r = F(r+2) − F(r+1) under the bounded power law, and
 * - `ids: hashed` (default): rank r is stored in row (r·2654435761 + 12345) mod
 *   rows, so the head is scattered: the block that receives rank 0 holds the
 *   hottest row whatever its position, and the other blocks get a thinned share
 *   of the tail;
 * - `ids: sorted` (ids assigned by frequency): row = rank, so the first block
 *   holds the head.
 *
 * Hashed blocks are computed exactly for the hottest `exactRanks` ranks (every
 * rank's row is computed, so the block knows which hot ranks it holds) and by
 * uniform thinning for the rest: the block holds rows − (exact ranks it got) of
 * the remaining ranks, a hash-uniform sample of them, so each geometric bucket
 * of tail ranks contributes that fraction of its count. The validation is a
 * simulation of the generator cut into blocks (test/unit/cost/rowBlocks.test.ts).
 *
 * A table given by a reuse `histogram:` has no rank order: its blocks keep the
 * proportional rows/tableRows share (`blockLookupShare`) and no block statistics.
 */
import { characteristicTime } from './cheApproximation';
import { HOT_ROW_FRACTION, powerCdf } from './indexStats';
import type { RowBlock, Shard } from './types';

/** The hash of the campaign's generator (indexgen.py HASH_MULT, HASH_ADD): Knuth's multiplicative constant. */
export const HASH_MULT = 2654435761;
export const HASH_ADD = 12345;

/** Ratio between consecutive tail bucket edges (as indexStats.BUCKET_RATIO). */
const BUCKET_RATIO = 1.02;
/** Hottest ranks placed one by one in a hashed table: at least this many… */
const MIN_EXACT_RANKS = 4096;
/** …and about this many per block, so every block's own head is exact. */
const EXACT_RANKS_PER_BLOCK = 64;
/**
 * Upper bound on exact ranks: r·HASH_MULT + HASH_ADD must stay below 2^53 to
 * be an exact integer in a double (2^53 / 2654435761 ≈ 3.39e6).
 */
const MAX_EXACT_RANKS = 2_000_000;

/**
 * The rows of a block grouped by probability: `count[i]` rows, each drawn with
 * probability `p[i]` per lookup of the table (not of the block). Σ count·p is
 * the block's share of the table's lookups.
 */
export interface RowGroups {
  count: number[];
  p: number[];
}

/** What a cost model needs about one row block in one step. */
export interface BlockStats {
  /** Share of the table's lookups that land in this block (0..1). */
  share: number;
  /** Lookups of this block per step: bags × pooling × share. */
  lookups: number;
  /** Expected distinct rows of this block touched per step. */
  unique: number;
  /** Share of this block's lookups on its hottest 1% of rows (population figure, as indexStats.hotShare). */
  hotShare: number;
  /** Expected lookups of this block's hottest row per step. */
  hottestLookups: number;
  /** The block's rows grouped by probability, hottest first (for cache hit rates). */
  groups: RowGroups;
}

function rowCount(rows: number): number {
  return Number.isFinite(rows) && rows >= 1 ? Math.round(rows) : 1;
}

/** Probability of rank r (0-based) of a table of `nRows` rows. */
function rankP(r: number, nRows: number, alpha: number): number {
  return powerCdf(r + 2, nRows, alpha) - powerCdf(r + 1, nRows, alpha);
}

/** The block's [start, end) rows, clamped into the table. */
function span(block: RowBlock, rows: number, nRows: number): [number, number] {
  const start = Math.min(nRows - 1, Math.max(0, Math.floor(Number.isFinite(block.offset) ? block.offset : 0)));
  const end = Math.min(nRows, start + Math.max(1, rowCount(rows)));
  return [start, end];
}

/** Ranks summed one by one for a hashed table of `nRows` rows cut into blocks of `blockRows`. */
function exactRankCount(nRows: number, blockRows: number): number {
  const blocks = Math.ceil(nRows / Math.max(1, blockRows));
  return Math.min(nRows, MAX_EXACT_RANKS, Math.max(MIN_EXACT_RANKS, EXACT_RANKS_PER_BLOCK * blocks));
}

/**
 * The hottest `k` ranks of a hashed table, ordered by the row each is stored
 * in: `rows[i]` ascending, `ranks[i]` the rank stored there. One sort per
 * table and cut (O(k log k)), then every block finds its exact ranks by binary
 * search instead of scanning all k: a table cut into 512 blocks took ~0.5 s
 * with a scan per block.
 */
interface HashedHead {
  rows: Float64Array;
  ranks: Int32Array;
}

/**
 * Bounded memo of hashed heads: a table's blocks are priced together, so a few
 * entries suffice; at most ~8M ranks are held (≈ 100 MB worst case).
 */
const HEAD_ENTRIES = 16;
/** Exact ranks stay below MAX_EXACT_RANKS ≤ 2^21, so a (row, rank) pair packs into a double while rows < 2^32. */
const RANK_SPAN = 2 ** 21;
const PACK_LIMIT = 2 ** 32;
const HEAD_RANKS_LIMIT = 8_000_000;
const headMemo = new Map<string, HashedHead>();
let headRanks = 0;

function hashedHead(nRows: number, k: number): HashedHead {
  const key = `${nRows}|${k}`;
  const hit = headMemo.get(key);
  if (hit) return hit;
  const head: HashedHead = { rows: new Float64Array(k), ranks: new Int32Array(k) };
  if (nRows < PACK_LIMIT) {
    // (row, rank) packed into one exact double and sorted natively: row · 2^21 + rank < 2^53.
    const packed = new Float64Array(k);
    for (let r = 0; r < k; r++) packed[r] = ((r * HASH_MULT + HASH_ADD) % nRows) * RANK_SPAN + r;
    packed.sort();
    for (let i = 0; i < k; i++) {
      const rank = packed[i] % RANK_SPAN;
      head.ranks[i] = rank;
      head.rows[i] = (packed[i] - rank) / RANK_SPAN;
    }
  } else {
    const rowOf = new Float64Array(k);
    for (let r = 0; r < k; r++) rowOf[r] = (r * HASH_MULT + HASH_ADD) % nRows;
    const order = new Int32Array(k);
    for (let r = 0; r < k; r++) order[r] = r;
    order.sort((x, y) => rowOf[x] - rowOf[y]);
    head.ranks.set(order);
    for (let i = 0; i < k; i++) head.rows[i] = rowOf[order[i]];
  }
  if (headMemo.size >= HEAD_ENTRIES || headRanks + k > HEAD_RANKS_LIMIT) {
    headMemo.clear();
    headRanks = 0;
  }
  headMemo.set(key, head);
  headRanks += k;
  return head;
}

/** First index i with rows[i] ≥ x. */
function lowerBound(rows: Float64Array, x: number): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (rows[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The exact (hottest k) ranks a hashed block [start, end) holds, in ascending rank order (= descending probability). */
function exactRanksIn(nRows: number, start: number, end: number): { k: number; ranks: Int32Array } {
  const k = exactRankCount(nRows, end - start);
  const head = hashedHead(nRows, k);
  const ranks = head.ranks.slice(lowerBound(head.rows, start), lowerBound(head.rows, end));
  ranks.sort();
  return { k, ranks };
}

/** Geometric buckets of ranks [from, to): (count, per-rank probability) pairs appended to `g`, scaled by `thin`. */
function pushBuckets(g: RowGroups, from: number, to: number, nRows: number, alpha: number, thin: number): void {
  let r0 = from;
  while (r0 < to) {
    const r1 = Math.min(to, Math.max(r0 + 1, Math.ceil(r0 * BUCKET_RATIO)));
    const c = r1 - r0;
    const p = (powerCdf(r1 + 1, nRows, alpha) - powerCdf(r0 + 1, nRows, alpha)) / c;
    if (c * thin > 0 && p > 0) {
      g.count.push(c * thin);
      g.p.push(p);
    }
    r0 = r1;
  }
}

/**
 * Rows of a hashed block by probability, hottest first: its exact hot ranks
 * merged with the thinned tail buckets (both already in falling probability,
 * so a merge, not a sort; ties keep the exact rank first).
 */
function hashedGroups(nRows: number, alpha: number, start: number, end: number): RowGroups {
  const { k, ranks } = exactRanksIn(nRows, start, end);
  const tail: RowGroups = { count: [], p: [] };
  const tailRanks = nRows - k;
  if (tailRanks > 0) {
    // The hash is a bijection on [0, nRows) (HASH_MULT is prime), so the
    // block's other rows are exactly (its rows − exact ranks it got) of the
    // tail ranks, spread over them uniformly.
    const thin = Math.max(0, end - start - ranks.length) / tailRanks;
    pushBuckets(tail, k, nRows, nRows, alpha, thin);
  }
  const g: RowGroups = { count: [], p: [] };
  let i = 0;
  let j = 0;
  while (i < ranks.length || j < tail.p.length) {
    const pe = i < ranks.length ? rankP(ranks[i], nRows, alpha) : -Infinity;
    if (j >= tail.p.length || pe >= tail.p[j]) {
      g.count.push(1);
      g.p.push(pe);
      i++;
    } else {
      g.count.push(tail.count[j]);
      g.p.push(tail.p[j]);
      j++;
    }
  }
  return g;
}

/** Rows of a frequency-sorted block: ranks [start, end) themselves, hottest first. */
function sortedGroups(nRows: number, alpha: number, start: number, end: number): RowGroups {
  const g: RowGroups = { count: [], p: [] };
  const exactEnd = Math.min(end, start + EXACT_RANKS_PER_BLOCK);
  for (let r = start; r < exactEnd; r++) {
    g.count.push(1);
    g.p.push(rankP(r, nRows, alpha));
  }
  pushBuckets(g, exactEnd, end, nRows, alpha, 1);
  return sortGroups(g);
}

/** Order groups hottest first (a stable sort keeps ties in their order). */
function sortGroups(g: RowGroups): RowGroups {
  const idx = g.p.map((_, i) => i).sort((a, b) => g.p[b] - g.p[a] || a - b);
  return { count: idx.map((i) => g.count[i]), p: idx.map((i) => g.p[i]) };
}

/** Population share of lookups on the `k` most probable rows, over the groups' total. */
function topShare(g: RowGroups, k: number, total: number): number {
  if (!(total > 0)) return 0;
  let left = k;
  let mass = 0;
  for (let i = 0; i < g.p.length && left > 0; i++) {
    const take = Math.min(left, g.count[i]);
    mass += take * g.p[i];
    left -= take;
  }
  return Math.min(1, mass / total);
}

/**
 * Share of a table's lookups that land in rows [offset, offset + rows): the
 * probability mass of the ranks the block holds. Batch-independent, so the
 * shard's pooling can carry it (shards.ts): pooling × share = the block's
 * lookups per bag. A histogram table (no rank order) gets rows / tableRows.
 * The masses telescope (Σ over ranks [a, b) of p_r = F(b+1) − F(a+1)), so the
 * share costs a binary search, not the block's row groups: planners cut every
 * large table many ways.
 */
export function blockLookupShare(tableRows: number, alpha: number, block: RowBlock, rows: number, histogram?: readonly number[]): number {
  const nRows = rowCount(tableRows);
  const [start, end] = span(block, rows, nRows);
  if (histogram && histogram.length > 0) return (end - start) / nRows;
  const a = Number.isFinite(alpha) && alpha > 0 ? alpha : 0;
  // Always this formula, never the row groups' memoised sum of the same mass:
  // the two differ in the last bits, and taking whichever happens to be
  // memoised made a plan depend on what the process had priced before.
  if (block.ids === 'sorted') return Math.min(1, powerCdf(end + 1, nRows, a) - powerCdf(start + 1, nRows, a));
  const { k, ranks } = exactRanksIn(nRows, start, end);
  let share = 0;
  for (let i = 0; i < ranks.length; i++) share += rankP(ranks[i], nRows, a);
  const tailRanks = nRows - k;
  if (tailRanks > 0) {
    const thin = Math.max(0, end - start - ranks.length) / tailRanks;
    share += thin * (powerCdf(nRows + 1, nRows, a) - powerCdf(k + 1, nRows, a));
  }
  return Math.min(1, share);
}

// Groups depend on (table rows, alpha, ids, block span) only, not on the batch:
// memoised so a plan's many candidates reuse them. Bounded like the other caches.
const GROUPS_LIMIT = 20_000;
const groupsMemo = new Map<string, { groups: RowGroups; share: number; hotShare: number }>();

function groupsKey(nRows: number, alpha: number, ids: RowBlock['ids'], start: number, end: number): string {
  return `${nRows}|${alpha}|${ids}|${start}|${end}`;
}

function rowGroupsOf(nRows: number, alpha: number, ids: RowBlock['ids'], start: number, end: number): { groups: RowGroups; share: number; hotShare: number } {
  const a = Number.isFinite(alpha) && alpha > 0 ? alpha : 0;
  const key = groupsKey(nRows, a, ids, start, end);
  let hit = groupsMemo.get(key);
  if (!hit) {
    const groups = ids === 'sorted' ? sortedGroups(nRows, a, start, end) : hashedGroups(nRows, a, start, end);
    let share = 0;
    for (let i = 0; i < groups.p.length; i++) share += groups.count[i] * groups.p[i];
    const k = Math.max(1, Math.floor(HOT_ROW_FRACTION * (end - start)));
    hit = { groups, share: Math.min(1, share), hotShare: topShare(groups, k, share) };
    if (groupsMemo.size >= GROUPS_LIMIT) groupsMemo.clear();
    groupsMemo.set(key, hit);
  }
  return hit;
}

/**
 * The statistics of a row-block shard when it serves `bags` bags per step, or
 * undefined for a shard that is not a row block (or is given by a histogram):
 * the caller then uses the whole-table statistics of rows / pooling / zipf.
 * The table's lookups per step are bags × tablePooling, where the shard's
 * pooling already carries the block's share (tablePooling = pooling / share).
 */
export function rowBlockStats(shard: Shard, bags: number): BlockStats | undefined {
  const block = shard.block;
  if (!block || (shard.histogram && shard.histogram.length > 0)) return undefined;
  const nRows = rowCount(block.tableRows);
  const [start, end] = span(block, shard.rows, nRows);
  const { groups, share, hotShare } = rowGroupsOf(nRows, shard.zipf, block.ids, start, end);
  const b = Number.isFinite(bags) && bags > 0 ? bags : 0;
  const pooling = Number.isFinite(shard.pooling) && shard.pooling > 0 ? shard.pooling : 0;
  const lookups = b * pooling;
  // The table's draws per step: the block's lookups over its share.
  const n = share > 0 ? lookups / share : 0;
  let unique = 0;
  for (let i = 0; i < groups.p.length; i++) unique += groups.count[i] * -Math.expm1(-n * groups.p[i]);
  const hottestLookups = groups.p.length > 0 ? n * groups.p[0] : 0;
  return { share, lookups, unique: Math.min(unique, lookups, end - start), hotShare, hottestLookups, groups };
}

/**
 * Distinct rows and L2 hit rate of a block's `lookups` in a cache of
 * `cacheRows` rows: Che's approximation (indexStats.cacheProfile) over the
 * block's own row groups, cold misses included.
 */
export function blockCacheProfile(stats: BlockStats, cacheRows: number): { unique: number; hitRate: number } {
  const { groups, share, lookups } = stats;
  if (!(lookups > 0) || !(share > 0)) return { unique: 0, hitRate: 0 };
  // Per-draw probabilities within the block (they sum to 1).
  const p = groups.p.map((x) => x / share);
  const count = groups.count;
  const unique = stats.unique;
  const coldBound = Math.max(0, 1 - unique / lookups);
  if (!(cacheRows > 0)) return { unique, hitRate: 0 };
  if (cacheRows >= unique) return { unique, hitRate: coldBound };
  const che = Math.min(1, Math.max(0, 1 - characteristicTime(count, p, cacheRows).du));
  return { unique, hitRate: Math.min(che, coldBound) };
}
