/**
 * Analytic statistics of one table's indices in one training step, from config
 * numbers only: rows E, lookups n = batch × pooling, power-law exponent alpha.
 *
 * Index model (the measurement campaign's generator, models/data/h100/README.md;
 * the same scheme as NVIDIA cuEmbed's `datagen`): a continuous power law with
 * density ∝ x^−alpha on [1, E+1), rank = floor(x) − 1, then the rank is hashed
 * to a row (a bijection, so statistics over ranks equal those over rows). The
 * probability of rank r is p_r = F(r+2) − F(r+1) with the CDF F of `powerCdf`.
 * alpha = 0 is uniform.
 *
 * Distinct rows use the Poisson approximation E[U] = Σ_r (1 − e^(−n·p_r))
 * (perf-models.md §3.3). Ranks below EXACT_RANKS are summed one by one; above
 * it ranks are grouped in geometric buckets (ratio BUCKET_RATIO) whose per-rank
 * mass varies by under 2%, so a table costs O(log E) steps (≈ 700 for 5e7 rows).
 * Median relative error of `expectedUnique` vs the observed `unique` of the
 * 5,043 tables in models/data/h100/embedding-costs.jsonl: ≈ 0.05%
 * (test/unit/cost/indexStats.test.ts).
 *
 * Mirrored number for number by models/shardlens_cost/indexstats.py (the
 * learned model's features): change both together.
 */

import { characteristicTime, occupancy } from './cheApproximation';

/** Ranks summed exactly before geometric bucketing starts. */
export const EXACT_RANKS = 64;
/** Ratio between consecutive bucket edges above EXACT_RANKS. */
export const BUCKET_RATIO = 1.02;
/**
 * Coarser buckets for Che's fixed point (iterated several times per call):
 * hit rates within 1e-3 of BUCKET_RATIO's, ~5× faster.
 */
const CHE_BUCKET_RATIO = 1.1;
/** "Hot rows" = the hottest 1% of a table's rows (the data's `top1pct_share`). */
export const HOT_ROW_FRACTION = 0.01;

/** Python's round(): half to even, so both mirrors pick the same integer row count. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

function rowCount(rows: number): number {
  return Math.max(1, roundHalfEven(rows));
}

/** P(continuous rank variable < x) for x in [1, rows+1]. */
export function powerCdf(x: number, rows: number, alpha: number): number {
  if (alpha === 0) return (x - 1) / rows;
  if (Math.abs(alpha - 1) < 1e-9) return Math.log(x) / Math.log(rows + 1);
  const e = 1 - alpha;
  return (x ** e - 1) / ((rows + 1) ** e - 1);
}

/**
 * The rank distribution as (count, per-rank probability) groups: the first
 * EXACT_RANKS ranks alone, then geometric buckets. Σ count·p = 1.
 */
function rankBuckets(nRows: number, alpha: number, ratio = BUCKET_RATIO): { count: number[]; p: number[] } {
  const count: number[] = [];
  const p: number[] = [];
  const exact = Math.min(nRows, EXACT_RANKS);
  // powerCdf at each edge once (each bucket starts where the last ended), with
  // its normaliser hoisted: the same doubles as calling powerCdf twice per
  // bucket, at a quarter of the pow() calls (this is most of a shard's first
  // pricing: ~700 buckets for 5e7 rows).
  const cdf = cdfOf(nRows, alpha);
  let prev = cdf(1);
  for (let r = 0; r < exact; r++) {
    const next = cdf(r + 2);
    count.push(1);
    p.push(next - prev);
    prev = next;
  }
  let r0 = exact;
  while (r0 < nRows) {
    const r1 = Math.min(nRows, Math.max(r0 + 1, Math.ceil(r0 * ratio)));
    const next = cdf(r1 + 1);
    count.push(r1 - r0);
    p.push((next - prev) / (r1 - r0));
    prev = next;
    r0 = r1;
  }
  return { count, p };
}

/** `x => powerCdf(x, rows, alpha)` with the rows-only terms computed once (bit-identical results). */
function cdfOf(rows: number, alpha: number): (x: number) => number {
  if (alpha === 0) return (x) => (x - 1) / rows;
  if (Math.abs(alpha - 1) < 1e-9) {
    const d = Math.log(rows + 1);
    return (x) => Math.log(x) / d;
  }
  const e = 1 - alpha;
  const d = (rows + 1) ** e - 1;
  return (x) => (x ** e - 1) / d;
}

/**
 * Expected distinct rows touched by `lookups` index draws from a table of
 * `rows` rows with power-law exponent `alpha` (0 = uniform).
 * Bounded by rows and lookups. Example: rows = lookups = 1e6, alpha 0 → 632,121.
 */
export function expectedUnique(rows: number, lookups: number, alpha: number): number {
  const nRows = rowCount(rows);
  if (!(lookups > 0)) return 0;
  const exact = Math.min(nRows, EXACT_RANKS);
  const cdf = cdfOf(nRows, alpha);
  let prev = cdf(1);
  let u = 0;
  for (let r = 0; r < exact; r++) {
    const next = cdf(r + 2);
    u += -Math.expm1(-lookups * (next - prev));
    prev = next;
  }
  let r0 = exact;
  while (r0 < nRows) {
    const r1 = Math.min(nRows, Math.max(r0 + 1, Math.ceil(r0 * BUCKET_RATIO)));
    const next = cdf(r1 + 1);
    const meanP = (next - prev) / (r1 - r0);
    u += (r1 - r0) * -Math.expm1(-lookups * meanP);
    prev = next;
    r0 = r1;
  }
  return Math.min(u, lookups, nRows);
}

/**
 * Share of lookups that hit the hottest 1% of rows (at least one row), in the
 * index distribution itself: the probability mass of the top ⌊0.01·E⌋ ranks.
 * `lookups` is unused by this population figure (kept for a stable signature);
 * see `sampledHotShare` for the statistic of one finite batch.
 */
export function hotShare(rows: number, _lookups: number, alpha: number): number {
  const nRows = rowCount(rows);
  const k = Math.max(1, Math.floor(HOT_ROW_FRACTION * nRows));
  return Math.min(1, powerCdf(k + 1, nRows, alpha));
}

/**
 * The same share as measured on one batch of `lookups` draws (the data's
 * `top1pct_share`): the k = ⌊0.01·E⌋ rows with the most hits in the batch.
 * With few lookups per row, sampling noise makes the top-k counts exceed their
 * rows' expected counts, and when k ≥ U every touched row is "hot" (share 1).
 * Estimated by a mean-field count threshold: with row r's hits ~ Poisson(μ_r),
 * μ_r = n·p_r, find the count t where the expected number of rows with ≥ t hits
 * reaches k, and sum the expected hits above it (E[X·1{X≥t}] = μ·P(X ≥ t−1)).
 */
export function sampledHotShare(rows: number, lookups: number, alpha: number): number {
  const nRows = rowCount(rows);
  if (!(lookups > 0)) return 0;
  const k = Math.max(1, Math.floor(HOT_ROW_FRACTION * nRows));
  const unique = expectedUnique(nRows, lookups, alpha);
  if (k >= unique) return 1;
  const { count, p } = rankBuckets(nRows, alpha);
  const mu = p.map((pi) => pi * lookups);
  // Rows expected to have at least t hits.
  const rowsAtLeast = (t: number): number => {
    let s = 0;
    for (let i = 0; i < mu.length; i++) s += count[i] * poissonTail(mu[i], t);
    return s;
  };
  // Largest integer t with rowsAtLeast(t) ≥ k (rowsAtLeast(1) = unique > k).
  let lo = 1;
  let hi = 2;
  while (rowsAtLeast(hi) >= k) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (rowsAtLeast(mid) >= k) lo = mid;
    else hi = mid;
  }
  const t = lo;
  // Rows with ≥ t+1 hits count fully; the rest of the k slots hold t hits each.
  let above = 0;
  let rowsAbove = 0;
  for (let i = 0; i < mu.length; i++) {
    above += count[i] * mu[i] * poissonTail(mu[i], t);
    rowsAbove += count[i] * poissonTail(mu[i], t + 1);
  }
  const hits = above + Math.max(0, k - rowsAbove) * t;
  return Math.min(1, hits / lookups);
}

/**
 * P(X ≥ t) for X ~ Poisson(mu), integer t ≥ 0. Small t: 1 − Σ_{j<t} pmf
 * (exact); large t: normal approximation with continuity correction, whose
 * error at t > 40 is far below what the hot-share estimate needs.
 */
function poissonTail(mu: number, t: number): number {
  if (t <= 0) return 1;
  if (mu <= 0) return 0;
  if (t <= 40) {
    let term = Math.exp(-mu);
    let cdf = term;
    for (let j = 1; j < t; j++) {
      term *= mu / j;
      cdf += term;
    }
    return Math.max(0, 1 - cdf);
  }
  const z = (t - 0.5 - mu) / Math.sqrt(mu);
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Complementary error function (Numerical Recipes' erfcc, |error| < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886187 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Probability mass of the single hottest row (rank 0). */
export function hottestRowShare(rows: number, alpha: number): number {
  const nRows = rowCount(rows);
  return powerCdf(2, nRows, alpha);
}

/**
 * Expected share of one step's `lookups` that hit in a cache holding
 * `cacheRows` rows of this table (LRU-like, as a GPU L2 roughly is).
 *
 * Steady state: Che's approximation for LRU under independent references
 * (Che, Tung, Wang, IEEE JSAC 20(7), 2002; perf-models.md §4): solve
 * Σ_r (1 − e^(−p_r·τ)) = C for the characteristic time τ (in draws), then the
 * hit rate is Σ_r p_r (1 − e^(−p_r·τ)). The left side is `expectedUnique` with
 * τ draws, and the hit rate is 1 − dU/dτ, so both come from one pass.
 * One step starts cold (other kernels flush L2 between steps), so every
 * distinct row misses at least once: hits ≤ 1 − U/n (Lin et al. HiPC'22 count
 * these "cold misses" the same way).
 */
export function l2HitRate(rows: number, lookups: number, alpha: number, cacheRows: number): number {
  return cacheProfile(rows, lookups, alpha, cacheRows).hitRate;
}

/**
 * `l2HitRate` together with the distinct rows it implies, from one set of
 * coarse buckets (ratio CHE_BUCKET_RATIO: `unique` within ~0.5% of
 * `expectedUnique`, at a fifth of its cost). For cost models that need both.
 */
export function cacheProfile(rows: number, lookups: number, alpha: number, cacheRows: number): { unique: number; hitRate: number } {
  const nRows = rowCount(rows);
  if (!(lookups > 0)) return { unique: 0, hitRate: 0 };
  const { count, p } = rankBuckets(nRows, alpha, CHE_BUCKET_RATIO);
  const unique = Math.min(occupancy(count, p, lookups).u, lookups, nRows);
  const coldBound = Math.max(0, 1 - unique / lookups);
  if (!(cacheRows > 0)) return { unique, hitRate: 0 };
  if (cacheRows >= unique) return { unique, hitRate: coldBound };
  const che = Math.min(1, Math.max(0, 1 - characteristicTime(count, p, cacheRows).du));
  return { unique, hitRate: Math.min(che, coldBound) };
}
