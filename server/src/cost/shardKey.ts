/**
 * One string per distinct cost input of a shard: every field of `Shard` that a
 * cost model reads (not its table name). The memo caches of the models and the
 * engine key on it, so two shards with the same key must cost the same: a row
 * block's position and a data-parallel replica's bags are part of it.
 */
import type { Shard } from './types';

export function shardCostKey(s: Shard): string {
  const b = s.block;
  return `${s.rows}|${s.dim}|${s.pooling}|${s.zipf}|${s.dtypeBytes}|${s.kernel}|${s.cacheLoadFactor ?? ''}|${s.bags ?? ''}|`
    + `${b ? `${b.offset}/${b.tableRows}/${b.ids}` : ''}|${s.histogram ? s.histogram.join(',') : ''}`;
}
