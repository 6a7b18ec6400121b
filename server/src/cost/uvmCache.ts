/**
 * Rows an HBM software cache must fetch from host memory per training step, for
 * FBGEMM's UVM-caching TBE (EmbeddingLocation.MANAGED_CACHING, TorchRec's
 * `fused_uvm_caching`): the cache holds `cacheRows` of a table's `rows`, keeps
 * its contents from step to step, and each step prefetches (deduplicated) the
 * distinct rows of the step that are not resident.
 *
 * Index model: the power law of cost/indexStats.ts (`powerCdf`, exponent
 * alpha over ranks; 0 = uniform). Cache model: Che's approximation for LRU
 * (Che, Tung, Wang, IEEE JSAC 20(7), 2002): the characteristic time τ (in
 * draws) solves Σ_r (1 − e^(−p_r·τ)) = C, and row r is resident with
 * probability 1 − e^(−p_r·τ). A step of n draws references row r with
 * probability 1 − e^(−p_r·n), so the expected misses per step are
 *   M = Σ_r (1 − e^(−p_r·n)) · e^(−p_r·τ).
 * Unlike the L2 model (`cacheProfile`), no cold start: the HBM cache persists
 * across steps. FBGEMM's cache is 32-way set associative (DEFAULT_ASSOC in
 * fbgemm_gpu/split_table_batched_embeddings_ops_training.py); LRU over the
 * whole cache is the usual approximation of that.
 */
import { characteristicTime } from './cheApproximation';
import { powerCdf } from './indexStats';
import type { BlockStats } from './rowBlocks';

/** Ratio between consecutive geometric rank buckets (as indexStats' coarse buckets). */
const BUCKET_RATIO = 1.1;
/** Ranks summed one by one before bucketing. */
const EXACT_RANKS = 64;

interface Buckets {
  count: number[];
  p: number[];
}

function buckets(rows: number, alpha: number): Buckets {
  const count: number[] = [];
  const p: number[] = [];
  const exact = Math.min(rows, EXACT_RANKS);
  for (let r = 0; r < exact; r++) {
    count.push(1);
    p.push(powerCdf(r + 2, rows, alpha) - powerCdf(r + 1, rows, alpha));
  }
  let r0 = exact;
  while (r0 < rows) {
    const r1 = Math.min(rows, Math.max(r0 + 1, Math.ceil(r0 * BUCKET_RATIO)));
    count.push(r1 - r0);
    p.push((powerCdf(r1 + 1, rows, alpha) - powerCdf(r0 + 1, rows, alpha)) / (r1 - r0));
    r0 = r1;
  }
  return { count, p };
}

/**
 * Expected distinct rows per step that miss a persistent LRU cache of
 * `cacheRows` rows (0 when the cache holds the whole table). Bounded by the
 * step's distinct rows. Non-increasing in `cacheRows`, non-decreasing in `lookups`.
 */
export function uvmCacheMisses(rows: number, lookups: number, alpha: number, cacheRows: number): number {
  const nRows = Math.max(1, Math.round(rows));
  if (!(lookups > 0)) return 0;
  if (cacheRows >= nRows) return 0;
  const { count, p } = buckets(nRows, alpha);
  return groupMisses(count, p, lookups, cacheRows);
}

/**
 * The same for one row block of a table (a row, table_row or grid shard under
 * fbgemm_tbe_uvm_caching): the block's own cache of `cacheRows` rows sees only
 * the block's lookups, drawn from its own rows (rowBlocks.ts groups), so the
 * block holding the head misses little and a tail block misses much.
 */
export function blockUvmCacheMisses(stats: BlockStats, cacheRows: number): number {
  const { groups, share, lookups } = stats;
  if (!(lookups > 0) || !(share > 0)) return 0;
  let rows = 0;
  for (const c of groups.count) rows += c;
  if (cacheRows >= rows) return 0;
  // Per-draw probabilities within the block (they sum to 1).
  return Math.min(
    groupMisses(
      groups.count,
      groups.p.map((x) => x / share),
      lookups,
      cacheRows,
    ),
    stats.unique,
  );
}

/** Expected misses per step of `lookups` draws over rows grouped as (count, per-draw p), in a persistent LRU of `cacheRows`. */
function groupMisses(count: readonly number[], p: readonly number[], lookups: number, cacheRows: number): number {
  // Occupancy is concave increasing with U(τ) ≤ τ: Newton converges (cheApproximation.ts).
  const c = Math.max(0, cacheRows);
  const tau = c > 0 ? characteristicTime(count, p, c).tau : 0;
  let misses = 0;
  let unique = 0;
  for (let i = 0; i < p.length; i++) {
    const touched = -Math.expm1(-p[i] * lookups);
    unique += count[i] * touched;
    misses += count[i] * touched * Math.exp(-p[i] * tau);
  }
  return Math.max(0, Math.min(misses, unique, lookups));
}
