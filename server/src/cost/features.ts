/**
 * Per-shard features of the learned cost model, from config numbers only.
 * Mirrors models/shardlens_cost/features.py exactly (float64 both sides;
 * test/unit/learned/features.test.ts compares them on
 * models/fixtures/features.json). Change both together and bump
 * FEATURE_VERSION: model sidecars record it and the loader refuses a model
 * whose features differ.
 */
import { expectedUnique, hotShare, hottestRowShare, HOT_ROW_FRACTION } from './indexStats';
import { rowBlockStats } from './rowBlocks';
import type { Shard } from './types';

export const FEATURE_VERSION = 1;

export const FEATURE_NAMES: readonly string[] = [
  'log_rows', // ln rows
  'log_dim', // ln dim (elements)
  'log_pooling', // ln mean bag length
  'log_batch', // ln bags per step
  'dtype_bytes', // 2 (fp16) or 4 (fp32), divided by 4
  'alpha', // power-law exponent, 0 = uniform
  'log_lookups', // ln(batch × pooling)
  'unique_frac', // expected distinct rows / lookups
  'log_unique', // ln(1 + expected distinct rows)
  'coverage', // expected distinct rows / rows
  'hot_share', // share of lookups on the hottest 1% of rows
  'log_hottest_count', // ln(1 + expected lookups of the hottest row): PyTorch's sparse-gradient coalesce serialises duplicates
  'log_lookup_bytes', // ln(lookups × dim × bytes): forward gather traffic
  'log_unique_bytes', // ln(1 + unique × dim × bytes): backward update traffic
  'log_table_bytes', // ln(rows × dim × bytes): L2 residency
  'log_output_bytes', // ln(batch × dim × bytes): pooled output written
];
export const NUM_FEATURES = FEATURE_NAMES.length;

/** Bins of the 17-bin reuse histogram (DreamShard; Lin et al. TPDS'24). */
export const HIST_BINS = 17;

/**
 * Representative reuse count of histogram bin j: bin 0 = count 1, bin j =
 * counts in (2^(j-1), 2^j] (mean of its integers), bin 16 = counts > 2^15
 * (taken as 1.5 × 2^15).
 */
export function histBinCount(j: number): number {
  if (j === 0) return 1;
  if (j === HIST_BINS - 1) return 1.5 * 2 ** 15;
  return (2 ** (j - 1) + 1 + 2 ** j) / 2;
}

/**
 * Distinct rows, hot-row share and hottest-row lookups implied by a reuse
 * histogram (fractions of distinct rows per bin): mean reuse = Σ h_j c_j, so
 * distinct rows = lookups / mean reuse.
 */
export function histogramStats(hist: readonly number[], rows: number, lookups: number): { unique: number; hot: number; hottest: number } {
  const total = hist.reduce((a, b) => a + b, 0);
  if (total <= 0 || lookups <= 0) return { unique: 0, hot: 0, hottest: 0 };
  const h = hist.map((v) => v / total);
  let meanReuse = 0;
  for (let j = 0; j < HIST_BINS; j++) meanReuse += h[j] * histBinCount(j);
  const unique = Math.min(lookups / meanReuse, rows, lookups);
  let remaining = Math.max(1, Math.floor(HOT_ROW_FRACTION * rows));
  let hot = 0;
  let hottest = 0;
  for (let j = HIST_BINS - 1; j >= 0; j--) {
    const nRows = h[j] * unique;
    if (nRows <= 0) continue;
    if (hottest === 0) hottest = histBinCount(j);
    const take = Math.min(remaining, nRows);
    hot += take * histBinCount(j);
    remaining -= take;
    if (remaining <= 0) break;
  }
  return { unique, hot: Math.min(1, hot / lookups), hottest };
}

/** Raw (un-normalised) features of one shard; `batchSize` = bags per step. */
export function tableFeatures(rowsIn: number, dimIn: number, poolingIn: number, alpha: number, dtypeBytes: number, batchIn: number, histogram?: readonly number[]): number[] {
  const rows = Math.max(1, rowsIn);
  const dim = Math.max(1, dimIn);
  const pooling = Math.max(1e-3, poolingIn);
  const batch = Math.max(1, batchIn);
  const lookups = batch * pooling;
  let unique: number;
  let hot: number;
  let hottest: number;
  if (histogram && histogram.length === HIST_BINS && histogram.reduce((a, b) => a + b, 0) > 0) {
    ({ unique, hot, hottest } = histogramStats(histogram, rows, lookups));
  } else {
    unique = expectedUnique(rows, lookups, alpha);
    hot = hotShare(rows, lookups, alpha);
    hottest = lookups * hottestRowShare(rows, alpha);
  }
  return featureRow(rows, dim, pooling, alpha, dtypeBytes, batch, unique, hot, hottest);
}

/** The feature vector from the index statistics (in FEATURE_NAMES order). */
function featureRow(rowsIn: number, dimIn: number, poolingIn: number, alpha: number, dtypeBytes: number, batchIn: number, unique: number, hot: number, hottest: number): number[] {
  const rows = Math.max(1, rowsIn);
  const dim = Math.max(1, dimIn);
  const pooling = Math.max(1e-3, poolingIn);
  const batch = Math.max(1, batchIn);
  const lookups = batch * pooling;
  return [
    Math.log(rows),
    Math.log(dim),
    Math.log(pooling),
    Math.log(batch),
    dtypeBytes / 4,
    alpha,
    Math.log(lookups),
    unique / lookups,
    Math.log1p(unique),
    unique / rows,
    hot,
    Math.log1p(hottest),
    Math.log(lookups * dim * dtypeBytes),
    Math.log1p(unique * dim * dtypeBytes),
    Math.log(rows * dim * dtypeBytes),
    Math.log(batch * dim * dtypeBytes),
  ];
}

/**
 * Features of one shard. A whole table or column shard is a table to the
 * network (`tableFeatures`, the Python mirror); a row block gets its own
 * distinct rows, hot share and hottest-row lookups (rowBlocks.ts) in place of
 * the whole-table power-law figures, and its rows and lookups. A data-parallel
 * replica is priced at its local bags.
 */
export function shardFeatures(shard: Shard, batchSize: number): number[] {
  const bags = shard.bags ?? batchSize;
  const block = rowBlockStats(shard, bags);
  if (!block) return tableFeatures(shard.rows, shard.dim, shard.pooling, shard.zipf, shard.dtypeBytes, bags, shard.histogram);
  return featureRow(shard.rows, shard.dim, shard.pooling, shard.zipf, shard.dtypeBytes, bags, block.unique, block.hotShare, block.hottestLookups);
}
