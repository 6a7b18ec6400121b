/** Small hand-made configs and invariant checks shared by the planner tests. */
import assert from 'node:assert/strict';
import { entryRanks } from '../../../server/src/config/placementRanks';
import { renderEntry } from '../../../server/src/config/placementText';
import { DEFAULT_KERNEL, type Placement, type PlacementEntry, type ShardConfig, type TableSpec } from '../../../server/src/config/types';
import { memoryBudget, shardStorage, storageContext } from '../../../server/src/cost/memory';
import { placementShards } from '../../../server/src/cost/shards';
import { allowedKinds } from '../../../server/src/plan/evaluate';
import type { TorchRecExportOptions } from '../../../server/src/plan/torchrecExport';
import type { PlanResult } from '../../../server/src/plan/types';
import { h100 } from '../../bench/tasks';

export function table(name: string, rows: number, dim: number, extra: Partial<TableSpec> = {}): TableSpec {
  return { name, rows, dim, pooling: 4, zipf: 0.8, dtype: 'fp16', kernel: DEFAULT_KERNEL, ids: 'hashed', sharding: ['table', 'column', 'row'], ...extra };
}

export function config(tables: TableSpec[], gpus: number, extra: Partial<ShardConfig> = {}): ShardConfig {
  return { version: 1, batchSize: 65536, dtype: 'fp16', optimizer: 'rowwise_adagrad', kernel: DEFAULT_KERNEL, denseBytes: 0, devices: h100(gpus), tables, ...extra };
}

/**
 * Asserts every constraint a feasible plan must meet, recomputing memory from
 * the placement itself (cost/memory.ts accounting): all tables placed, memory within the space for shards,
 * pins, allowed kinds, column widths multiples of 4, GPUs distinct and in range.
 */
export function assertValidPlan(cfg: ShardConfig, plan: PlanResult): void {
  const n = cfg.devices.count;
  const cap = memoryBudget(cfg).shardBytes;
  const ctx = storageContext(cfg);
  const mem = new Array<number>(n).fill(0);
  for (const t of cfg.tables) {
    const e = plan.placement.get(t.name);
    assert.ok(e, `table ${t.name} is placed`);
    assert.ok(allowedKinds(t).includes(e.kind), `${t.name}: kind ${e.kind} is allowed (${t.sharding.join(',')})`);
    const gpus = entryRanks(e, cfg.devices);
    assert.equal(new Set(gpus).size, gpus.length, `${t.name}: distinct GPUs`);
    for (const g of gpus) assert.ok(Number.isInteger(g) && g >= 0 && g < n, `${t.name}: GPU ${g} in range`);
    if (t.pin !== undefined) assert.deepEqual(e, { kind: 'table', gpu: t.pin }, `${t.name} stays on its pin`);
    if (e.kind === 'column' || e.kind === 'table_column') {
      assert.equal(t.dim % gpus.length, 0, `${t.name}: dim splits evenly`);
      assert.equal((t.dim / gpus.length) % 4, 0, `${t.name}: column shards are multiples of 4 wide`);
    }
    const shards = placementShards(t, e, { ...cfg.devices, batchSize: cfg.batchSize });
    assert.ok(shards.length > 0, `${t.name}: its entry makes shards`);
    const kind = shards.length === 1 && e.kind !== 'data_parallel' ? 'table' : e.kind;
    shards.forEach(({ gpu, shard: s }) => {
      mem[gpu] += shardStorage(s, kind, t.pooling, ctx).hbm;
    });
  }
  mem.forEach((m, g) => assert.ok(m <= cap, `GPU ${g}: ${m} bytes within ${cap}`));
  assert.equal(plan.placement.size, cfg.tables.length, 'no extra placement entries');
  assert.equal(plan.gpus.length, n);
  plan.gpus.forEach((r, g) => assert.ok(Math.abs(r.memoryBytes - mem[g]) <= 1, `GPU ${g} reported memory matches`));
}

/** Tables whose written entry differs, counted independently of the engine: by the text each entry is written as. */
export function changedEntries(before: Placement, after: Placement): number {
  let n = 0;
  for (const name of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(name);
    const b = after.get(name);
    if (!a || !b || renderEntry(a) !== renderEntry(b)) n++;
  }
  return n;
}

/** Options of the TorchRec export tests: Python, the written placement. */
export const EXPORT_OPTIONS: TorchRecExportOptions = { format: 'python', origin: { kind: 'written' }, file: '/w/model.shard.yaml' };

/** A 16-GPU (2 hosts × 8) config with one table per kind, placed by hand. */
export function everyKind(): { cfg: ShardConfig; placement: Placement } {
  const cfg = config(
    [
      table('small', 1000, 64),
      table('whole', 1_000_000, 128),
      table('cols', 1_000_000, 128),
      table('rows', 10_000_000, 128),
      table('trow', 10_000_000, 128),
      table('tcol', 1_000_000, 128),
      table('grid', 10_000_000, 256),
      table('uvm', 50_000_000, 128, { kernel: 'fbgemm_tbe_uvm_caching', cacheLoadFactor: 0.2 }),
    ],
    16,
  );
  const placement = new Map<string, PlacementEntry>([
    ['small', { kind: 'data_parallel' }],
    ['whole', { kind: 'table', gpu: 3 }],
    ['cols', { kind: 'column', gpus: [0, 1] }],
    ['rows', { kind: 'row', gpus: Array.from({ length: 16 }, (_, g) => g) }],
    ['trow', { kind: 'table_row', host: 1 }],
    ['tcol', { kind: 'table_column', gpus: [8, 9] }],
    ['grid', { kind: 'grid', hosts: [0, 1] }],
    ['uvm', { kind: 'table', gpu: 5 }],
  ]);
  return { cfg, placement };
}
