/**
 * Row-block statistics (server/src/cost/rowBlocks.ts) against a simulation of
 * the campaign's index generator (models/shardlens_cost/indexgen.py: bounded
 * power law over ranks, rank hashed to a row, or row = rank for sorted ids) cut
 * into contiguous row blocks. The simulation draws the indices, so the expected
 * values are checked against what the generator actually produces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRng } from '../../../server/src/plan/rng';
import { HASH_ADD, HASH_MULT, blockCacheProfile, blockLookupShare, rowBlockStats } from '../../../server/src/cost/rowBlocks';
import { expectedUnique, hotShare, hottestRowShare } from '../../../server/src/cost/indexStats';
import type { IdOrder } from '../../../server/src/config/types';
import type { Shard } from '../../../server/src/cost/types';

/** Ranks drawn as indexgen.power_law_ranks does (inverse CDF of the continuous law). */
function drawRanks(n: number, rows: number, alpha: number, seed: number): Int32Array {
  const rng = seededRng(seed);
  const out = new Int32Array(n);
  const e = 1 - alpha;
  for (let i = 0; i < n; i++) {
    const u = rng();
    let x: number;
    if (alpha === 0) x = 1 + u * rows;
    else if (Math.abs(alpha - 1) < 1e-9) x = Math.exp(u * Math.log(rows + 1));
    else x = (1 + u * ((rows + 1) ** e - 1)) ** (1 / e);
    out[i] = Math.min(rows - 1, Math.max(0, Math.floor(x) - 1));
  }
  return out;
}

const rowOf = (rank: number, rows: number, ids: IdOrder) => (ids === 'sorted' ? rank : (rank * HASH_MULT + HASH_ADD) % rows);

/** TorchRec's row-wise block sizes: ⌈rows / parts⌉, the last block takes the rest. */
function torchrecBlocks(rows: number, parts: number): { offset: number; rows: number }[] {
  const size = Math.ceil(rows / parts);
  return Array.from({ length: parts }, (_, i) => ({ offset: i * size, rows: Math.max(0, Math.min(size, rows - i * size)) })).filter((b) => b.rows > 0);
}

interface Observed {
  lookups: number;
  unique: number;
  hotShare: number;
  hottest: number;
}

/**
 * Per block: lookups, distinct rows, the share of its lookups on its hottest 1%
 * of rows (its k most probable rows = the k lowest ranks it holds, the
 * population figure the models use) and the lookups of its most probable row.
 */
function simulate(rows: number, alpha: number, n: number, ids: IdOrder, blocks: { offset: number; rows: number }[], seed = 1): Observed[] {
  const ranks = drawRanks(n, rows, alpha, seed);
  const blockOf = (row: number) => blocks.findIndex((b) => row >= b.offset && row < b.offset + b.rows);
  // The k lowest ranks of each block (scan ranks in order until each block has its k).
  const need = blocks.map((b) => Math.max(1, Math.floor(0.01 * b.rows)));
  const hotRanks = blocks.map(() => new Set<number>());
  const hottestRank = blocks.map(() => -1);
  let missing = blocks.length;
  for (let r = 0; r < rows && missing > 0; r++) {
    const b = blockOf(rowOf(r, rows, ids));
    if (hottestRank[b] < 0) hottestRank[b] = r;
    if (hotRanks[b].size < need[b]) {
      hotRanks[b].add(r);
      if (hotRanks[b].size === need[b]) missing--;
    }
  }
  const obs = blocks.map(() => ({ lookups: 0, rowsSeen: new Set<number>(), hot: 0, hottest: 0 }));
  for (const r of ranks) {
    const row = rowOf(r, rows, ids);
    const b = blockOf(row);
    const o = obs[b];
    o.lookups++;
    o.rowsSeen.add(row);
    if (hotRanks[b].has(r)) o.hot++;
    if (r === hottestRank[b]) o.hottest++;
  }
  return obs.map((o) => ({ lookups: o.lookups, unique: o.rowsSeen.size, hotShare: o.lookups ? o.hot / o.lookups : 0, hottest: o.hottest }));
}

function blockShard(rows: number, alpha: number, pooling: number, ids: IdOrder, b: { offset: number; rows: number }): Shard {
  const block = { offset: b.offset, tableRows: rows, ids };
  return {
    table: 't',
    rows: b.rows,
    dim: 64,
    dtypeBytes: 4,
    kernel: 'torch_embedding_bag',
    zipf: alpha,
    pooling: pooling * blockLookupShare(rows, alpha, block, b.rows),
    block,
  };
}

/** |a − b| within `rel` of b, or within `abs` (for small counts). */
function near(a: number, b: number, rel: number, abs = 0): boolean {
  return Math.abs(a - b) <= Math.max(rel * Math.abs(b), abs);
}

for (const [ids, alpha] of [
  ['hashed', 1.05],
  ['hashed', 0.6],
  ['hashed', 0],
  ['sorted', 1.05],
  ['sorted', 0.8],
] as [IdOrder, number][]) {
  test(`row blocks (${ids} ids, alpha ${alpha}) match the index generator cut into blocks`, () => {
    const rows = 1_000_003;
    const bags = 32_768;
    const pooling = 8;
    const n = bags * pooling;
    const blocks = torchrecBlocks(rows, 8);
    const sim = simulate(rows, alpha, n, ids, blocks);
    blocks.forEach((b, i) => {
      const s = rowBlockStats(blockShard(rows, alpha, pooling, ids, b), bags)!;
      const o = sim[i];
      const where = `block ${i} (${b.offset}+${b.rows})`;
      // Counts are binomial (≈ Poisson) around their expectation: allow 1% of
      // the count or 4 standard deviations, whichever is larger.
      assert.ok(near(s.lookups, o.lookups, 0.01, 4 * Math.sqrt(o.lookups)), `${where} lookups: model ${s.lookups.toFixed(0)} vs simulated ${o.lookups}`);
      assert.ok(near(s.unique, o.unique, 0.01, 4 * Math.sqrt(o.unique)), `${where} distinct rows: model ${s.unique.toFixed(0)} vs simulated ${o.unique}`);
      assert.ok(
        near(s.hotShare, o.hotShare, 0.03, 4 * Math.sqrt((o.hotShare * (1 - o.hotShare)) / o.lookups)),
        `${where} hot share: model ${s.hotShare.toFixed(4)} vs simulated ${o.hotShare.toFixed(4)}`,
      );
      assert.ok(near(s.hottestLookups, o.hottest, 0.02, 4 * Math.sqrt(o.hottest) + 2), `${where} hottest row: model ${s.hottestLookups.toFixed(1)} vs simulated ${o.hottest}`);
    });
  });
}

test('hashed ids: one block holds the hottest row and gets more than its row share of the lookups', () => {
  const rows = 1_000_003;
  const alpha = 1.05;
  const bags = 65_536;
  const pooling = 10;
  const n = bags * pooling;
  const blocks = torchrecBlocks(rows, 8);
  const stats = blocks.map((b) => rowBlockStats(blockShard(rows, alpha, pooling, 'hashed', b), bags)!);
  const head = stats.reduce((a, s, i) => (s.hottestLookups > stats[a].hottestLookups ? i : a), 0);
  const rank0Row = HASH_ADD % rows;
  assert.ok(rank0Row >= blocks[head].offset && rank0Row < blocks[head].offset + blocks[head].rows, 'the head block holds rank 0');
  // The proportional model (pooling × rows_i / rows, same skew) this replaces:
  const proportionalLookups = n * (blocks[head].rows / rows);
  const proportionalHottest = proportionalLookups * hottestRowShare(blocks[head].rows, alpha);
  assert.ok(stats[head].lookups > 1.3 * proportionalLookups, `head block lookups ${stats[head].lookups.toFixed(0)} vs proportional ${proportionalLookups.toFixed(0)}`);
  assert.ok(stats[head].hottestLookups > 3 * proportionalHottest, `head block hottest ${stats[head].hottestLookups.toFixed(0)} vs proportional ${proportionalHottest.toFixed(0)}`);
  // The hottest row is the table's: n × p_0.
  assert.ok(near(stats[head].hottestLookups, n * hottestRowShare(rows, alpha), 1e-9));
  // Shares partition the table's lookups.
  const total = stats.reduce((a, s) => a + s.share, 0);
  assert.ok(Math.abs(total - 1) < 1e-6, `shares sum to ${total}`);
});

test('sorted ids: the first block holds the head, later blocks get the tail', () => {
  const rows = 4_000_000;
  const blocks = torchrecBlocks(rows, 4);
  const stats = blocks.map((b) => rowBlockStats(blockShard(rows, 1.0, 4, 'sorted', b), 16_384)!);
  assert.ok(stats[0].share > 0.5, `first block share ${stats[0].share}`);
  for (let i = 1; i < stats.length; i++) {
    assert.ok(stats[i].share < stats[i - 1].share, 'shares fall block by block');
    assert.ok(stats[i].hottestLookups < stats[0].hottestLookups);
  }
  assert.ok(Math.abs(stats.reduce((a, s) => a + s.share, 0) - 1) < 1e-6);
});

test('a uniform table splits in proportion to rows, whatever the id order', () => {
  for (const ids of ['hashed', 'sorted'] as IdOrder[]) {
    const rows = 100_000;
    for (const b of torchrecBlocks(rows, 3)) {
      const share = blockLookupShare(rows, 0, { offset: b.offset, tableRows: rows, ids }, b.rows);
      assert.ok(near(share, b.rows / rows, 1e-3), `${ids} share ${share} vs ${b.rows / rows}`);
    }
  }
});

test('one block covering the table gives the whole-table statistics', () => {
  const rows = 2_000_000;
  const alpha = 0.9;
  const bags = 16_384;
  const pooling = 5;
  const s = rowBlockStats(blockShard(rows, alpha, pooling, 'hashed', { offset: 0, rows }), bags)!;
  assert.ok(near(s.share, 1, 1e-9));
  assert.ok(near(s.unique, expectedUnique(rows, bags * pooling, alpha), 0.005));
  assert.ok(near(s.hotShare, hotShare(rows, bags * pooling, alpha), 0.005));
  assert.ok(near(s.hottestLookups, bags * pooling * hottestRowShare(rows, alpha), 1e-9));
});

test('histogram tables and whole tables have no block statistics; odd blocks stay finite', () => {
  const base: Shard = { table: 't', rows: 1000, dim: 16, pooling: 1, zipf: 1, dtypeBytes: 4, kernel: 'fbgemm_tbe' };
  assert.equal(rowBlockStats(base, 1000), undefined);
  assert.equal(rowBlockStats({ ...base, histogram: [1, ...new Array(16).fill(0)], block: { offset: 0, tableRows: 4000, ids: 'hashed' } }, 1000), undefined);
  assert.equal(blockLookupShare(4000, 1, { offset: 1000, tableRows: 4000, ids: 'hashed' }, 1000, [1, ...new Array(16).fill(0)]), 0.25);
  for (const block of [
    { offset: -5, tableRows: 10, ids: 'hashed' as const },
    { offset: 1e12, tableRows: 3, ids: 'sorted' as const },
    { offset: NaN, tableRows: NaN, ids: 'hashed' as const },
  ]) {
    const s = rowBlockStats({ ...base, block }, 1000)!;
    for (const v of [s.share, s.lookups, s.unique, s.hotShare, s.hottestLookups]) assert.ok(Number.isFinite(v) && v >= 0, JSON.stringify({ block, s }));
  }
});

test('a block cache profile: hits only on repeats, more hits for the hot block', () => {
  const rows = 1_000_003;
  const blocks = torchrecBlocks(rows, 8);
  const stats = blocks.map((b) => rowBlockStats(blockShard(rows, 1.05, 10, 'hashed', b), 65_536)!);
  const head = stats.reduce((a, s, i) => (s.hottestLookups > stats[a].hottestLookups ? i : a), 0);
  const other = (head + 1) % stats.length;
  const cache = 20_000;
  const hh = blockCacheProfile(stats[head], cache).hitRate;
  const ho = blockCacheProfile(stats[other], cache).hitRate;
  assert.ok(hh > ho, `head block hit rate ${hh} > other block ${ho}`);
  for (const s of stats) {
    const p = blockCacheProfile(s, cache);
    assert.ok(p.hitRate >= 0 && p.hitRate <= 1 - s.unique / s.lookups + 1e-12);
    assert.equal(blockCacheProfile(s, 0).hitRate, 0);
  }
});

test('a block lookup share does not depend on what was priced before (memoised row groups)', () => {
  // A table size no other test uses, so its row groups are not memoised yet.
  const rows = 316_227_767;
  const alpha = 0.9;
  const blocks = torchrecBlocks(rows, 8);
  const first = blocks.map((b) => blockLookupShare(rows, alpha, { offset: b.offset, tableRows: rows, ids: 'hashed' }, b.rows));
  // Pricing the blocks memoises their row groups, whose summed mass differs from
  // the telescoped share in the last bits; the share must not switch to it.
  for (const b of blocks) rowBlockStats(blockShard(rows, alpha, 4, 'hashed', b), 16_384);
  const again = blocks.map((b) => blockLookupShare(rows, alpha, { offset: b.offset, tableRows: rows, ids: 'hashed' }, b.rows));
  assert.deepEqual(again, first);
});
