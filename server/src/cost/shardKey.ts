/**
 * The memo key of a shard: one string per distinct cost input, i.e. every
 * field of `Shard` that a cost model reads (its table name is not one). The
 * memo caches of the models, the guard and the engine key on it, so two shards
 * with the same key must cost the same: the kernel, the cache load factor, a
 * data-parallel replica's bags and a row block's position are all part of it.
 */
import type { Shard } from './types';

export function shardCostKey(s: Shard): string {
  const block = s.block ? `${s.block.offset}/${s.block.tableRows}/${s.block.ids}` : '';
  return `${s.rows}|${s.dim}|${s.pooling}|${s.zipf}|${s.dtypeBytes}|${s.kernel}|${s.cacheLoadFactor ?? ''}|${s.bags ?? ''}|${block}|${s.histogram?.join(',') ?? ''}`;
}
