/**
 * The memo key of a shard: every number its cost depends on (its name does
 * not), for the caches that reuse predictions between edits. Any field a cost
 * model reads belongs here, or two different shards would share a number.
 */
import type { Shard } from './types';

export function shardCostKey(s: Shard): string {
  const block = s.block ? `${s.block.offset}/${s.block.tableRows}/${s.block.ids}` : '';
  return `${s.rows}|${s.dim}|${s.pooling}|${s.zipf}|${s.dtypeBytes}|${s.kernel}|${s.cacheLoadFactor ?? ''}|${s.bags ?? ''}|${block}|${s.histogram?.join(',') ?? ''}`;
}
