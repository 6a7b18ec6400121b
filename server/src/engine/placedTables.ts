/**
 * Each table's cost under a placement (`shardlens plan --tables`): its kind,
 * GPUs, the time of its slowest shard priced alone on its GPU (for a
 * table-wise table: the table alone, the number of its code lens), that
 * shard's ±, the HBM of all its shards, the kernel and the model that priced
 * it. Shards come from describeEntry (cost/shards.ts placementShards) and are
 * priced in one batched predict, each shard a set of its own; `shardlens
 * explain` prices the same shards the same way, shard by shard.
 */
import { entryRanks } from '../config/placementRanks';
import type { Kernel, Placement, ShardConfig, ShardingKind } from '../config/types';
import { pricedBy } from '../cost/kernelDispatch';
import type { CostModel, Shard } from '../cost/types';
import { describeEntry } from './placementInfo';
import { costEnv } from './tableCosts';

export interface PlacedTableCost {
  name: string;
  kind: ShardingKind;
  /** Its GPUs in shard order. */
  gpus: number[];
  shards: number;
  /** The slowest shard (by fwd + bwd), alone on its GPU: ms, and its GPU. */
  fwdMs: number;
  bwdMs: number;
  slowestGpu: number;
  /** ± of that shard's fwd + bwd, ms; absent when the model reports none. */
  uncertaintyMs?: number;
  /** HBM of all its shards (weights + state or cache, I/O buffers), bytes. */
  memoryBytes: number;
  kernel: Kernel;
  /** The model that priced its kernel. */
  model: string;
}

/** The placed tables of `placement`, in config order (unplaced tables are left out). */
export async function placedTableCosts(config: ShardConfig, placement: Placement, model: CostModel): Promise<PlacedTableCost[]> {
  const infos = config.tables.flatMap((t) => {
    const entry = placement.get(t.name);
    const info = entry && describeEntry(config, t.name, entry);
    return info ? [{ table: t, info }] : [];
  });
  const sets: Shard[][] = infos.flatMap(({ info }) => info.shards.map((s) => [s.shard]));
  const priced = await model.predict(sets, costEnv(config));
  let next = 0;
  return infos.map(({ table, info }) => {
    let slowest = -1;
    let memory = 0;
    for (const s of info.shards) {
      const c = priced[next];
      if (slowest < 0 || c.fwdMs + c.bwdMs > priced[slowest].fwdMs + priced[slowest].bwdMs) slowest = next;
      memory += s.bytes;
      next++;
    }
    const c = slowest >= 0 ? priced[slowest] : { fwdMs: 0, bwdMs: 0 };
    const first = next - info.shards.length;
    const row: PlacedTableCost = {
      name: table.name,
      kind: info.entry.kind,
      gpus: entryRanks(info.entry, config.devices),
      shards: info.shards.length,
      fwdMs: c.fwdMs,
      bwdMs: c.bwdMs,
      slowestGpu: slowest >= 0 ? info.shards[slowest - first].gpu : -1,
      memoryBytes: memory,
      kernel: table.kernel,
      model: pricedBy(model, table.kernel),
    };
    if (c.uncertainty !== undefined && Number.isFinite(c.uncertainty)) row.uncertaintyMs = c.uncertainty * (c.fwdMs + c.bwdMs);
    return row;
  });
}
