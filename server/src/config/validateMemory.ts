/**
 * Memory rules, in bytes, with the same accounting as the planners and
 * evaluatePlacement (cost/memory.ts: weights + optimizer state, caches and
 * I/O buffers per shard; per GPU, HBM × (1 − reserve) − dense_bytes − the ids
 * reservation for shards; host memory for UVM-cached weights): reservations
 * that leave nothing for tables, a table that fits no GPU under its allowed
 * sharding, tables that exceed the whole cluster, and GPUs over HBM or host
 * memory in the written placement.
 */
import { formatBytes } from './byteUnits';
// The one layering exception (CONTRIBUTING.md "Layering"): memory errors must use
// exactly the byte accounting and shard geometry the planners use, or `check`
// and `plan` disagree about what fits. That accounting lives in cost/memory.ts
// and cost/shards.ts (it needs the Shard type and row-block statistics of cost/).
// Moving these checks out of loadConfig into the engine removes the exception.
// eslint-disable-next-line @typescript-eslint/no-restricted-imports -- see above: one home for memory accounting
import { memoryBudget, shardStorage, tableStorage, type MemoryBudget, type StorageContext } from '../cost/memory';
// eslint-disable-next-line @typescript-eslint/no-restricted-imports -- see above: the planners' shard geometry
import { largestShardForStorage, placementShards, replicaShard } from '../cost/shards';
import { canSplitColumns } from './splitGeometry';
import { entryRanks } from './placementRanks';
import { ALL_SHARDING_KINDS } from './shardingKinds';
import type { DeviceSpec, Optimizer, PlacementEntry, Range, ShardingKind, TableSpec } from './types';
import type { TableRead } from './validateTables';
import type { PlacementRead } from './validatePlacement';
import { report, type Sink } from './yamlSource';

/** What the memory rules need besides the tables. */
export interface MemoryContext {
  device: DeviceSpec;
  optimizer: Optimizer;
  batchSize: number;
  denseBytes: number;
}

function storageCtx(m: MemoryContext): StorageContext {
  return { optimizer: m.optimizer, batchSize: m.batchSize, count: m.device.count, perHost: m.device.perHost };
}

export function budgetOf(m: MemoryContext, tables: readonly TableSpec[]): MemoryBudget {
  return memoryBudget({ devices: m.device, tables: tables as TableSpec[], batchSize: m.batchSize, denseBytes: m.denseBytes });
}

/** Hosts holding per_host GPUs (a partly filled last host is not one). */
function fullHosts(device: DeviceSpec): number {
  return Math.floor(device.count / Math.max(1, Math.min(device.count, device.perHost)));
}

/** The entry of `kind` that spreads a table widest (undefined when the kind cannot cut it). */
function widest(t: TableSpec, kind: ShardingKind, device: DeviceSpec): PlacementEntry | undefined {
  const n = device.count;
  const per = Math.max(1, Math.min(n, device.perHost));
  const most = (limit: number) => {
    for (let p = limit; p >= 1; p--) if (canSplitColumns(t.dim, p)) return p;
    return 1;
  };
  switch (kind) {
    case 'table':
      return { kind, gpu: 0 };
    case 'data_parallel':
      return { kind };
    case 'row':
      return { kind, gpus: Array.from({ length: n }, (_, g) => g) };
    case 'table_row':
      return { kind, host: 0 };
    case 'column':
      return { kind, gpus: Array.from({ length: most(n) }, (_, g) => g) };
    case 'table_column':
      return { kind, gpus: Array.from({ length: most(per) }, (_, g) => g) };
    case 'grid': {
      // Column blocks go to full hosts only: each is row-split over a host's
      // per_host GPUs (TorchRec's grid_shard assumes equal hosts; the planners cut it so).
      const c = most(fullHosts(device));
      return c >= 2 ? { kind, hosts: Array.from({ length: c }, (_, h) => h) } : undefined;
    }
  }
}

/**
 * HBM (and host) bytes of the largest shard of an entry (cost/shards.ts
 * largestShardForStorage: placementShards' geometry without pricing every row
 * block's lookups, so checking 10,000 tables against 512 GPUs stays fast).
 */
export function largestShard(t: TableSpec, e: PlacementEntry, m: MemoryContext): { hbm: number; host: number } | undefined {
  const largest = largestShardForStorage(t, e, { count: m.device.count, perHost: m.device.perHost, batchSize: m.batchSize });
  if (!largest) return undefined;
  const kind = largest.count === 1 && e.kind !== 'data_parallel' ? 'table' : e.kind;
  const s = shardStorage(largest.shard, kind, t.pooling, storageCtx(m));
  return { hbm: s.hbm, host: s.host };
}

/**
 * The largest shard a table needs when spread as far as its allowed kinds let
 * it (HBM bytes, and host bytes for UVM): row over every GPU, table_row over
 * one host, column widths (multiples of 4) over every GPU or one host, grid
 * blocks over the hosts; data-parallel and table-wise hold it whole.
 * undefined when no allowed kind can be laid out on the cluster (only grid,
 * and fewer than 2 hosts or a dim that does not split into 4-wide blocks).
 */
export function smallestFootprint(t: TableSpec, m: MemoryContext): { hbm: number; host: number } | undefined {
  const kinds = t.pin !== undefined ? ['table' as const] : t.sharding?.length ? t.sharding : ALL_SHARDING_KINDS;
  let best: { hbm: number; host: number } | undefined;
  for (const k of kinds) {
    const e = widest(t, k, m.device);
    const s = e && largestShard(t, e, m);
    if (s && (!best || s.hbm < best.hbm)) best = s;
  }
  return best;
}

/** SL052 when the reservations leave no HBM for tables; SL036 per table no GPU can hold; SL037 when all tables together exceed the cluster. */
export function checkTableMemory(file: string, tables: readonly Pick<TableRead, 'spec' | 'name'>[], tablesKey: Range, m: MemoryContext, out: Sink): void {
  const budget = budgetOf(
    m,
    tables.map((t) => t.spec),
  );
  const usable = budget.shardBytes;
  const device = m.device;
  if (usable <= 0) {
    report(
      out,
      file,
      tablesKey,
      'SL052',
      `No HBM is left for tables: a ${device.type} has ${formatBytes(device.memoryBytes)}, less reserve ${device.reserve} (${formatBytes(budget.reserveBytes)}), dense_bytes ${formatBytes(budget.denseBytes)} and the ids reservation ${formatBytes(budget.kjtBytes)} (20 × 8 B × pooling × local batch, as TorchRec reserves it). Lower dense_bytes, reserve or batch_size, or use bigger GPUs.`,
    );
    return;
  }
  let total = 0;
  let totalHost = 0;
  const needs: { name: string; hbm: number; host: number }[] = [];
  for (const t of tables) {
    const tensor = tableStorage(t.spec, m.optimizer);
    total += tensor.hbm;
    totalHost += tensor.host;
    const need = smallestFootprint(t.spec, m);
    if (!need) {
      const hosts = fullHosts(device);
      report(
        out,
        file,
        t.name,
        'SL036',
        `Table '${t.spec.name}' cannot be laid out on this cluster with sharding [${t.spec.sharding.join(', ')}]: grid (grid_shard) puts one block of columns, a multiple of 4 wide, on each of at least 2 full hosts of ${device.perHost} GPUs, and the cluster has ${hosts}${hosts >= 2 ? ` (dim ${t.spec.dim} does not split into ${hosts} such blocks)` : ''}. Allow another kind (row, table_row, column) or add hosts.`,
      );
      continue;
    }
    needs.push({ name: t.spec.name, ...need });
    if (need.hbm > usable || need.host > budget.hostBytes) {
      const how =
        t.spec.pin !== undefined ? `pinned whole to GPU ${t.spec.pin}` : `with sharding [${t.spec.sharding.join(', ')}] over ${device.count} GPU${device.count === 1 ? '' : 's'}`;
      const canRow = t.spec.sharding.includes('row');
      const advice = canRow
        ? 'Add GPUs, lower rows/dim, use fp16, lower reserve, dense_bytes or batch_size.'
        : "Allow 'row' (row_wise) in sharding, add GPUs, or shrink the table.";
      const where =
        need.hbm > usable
          ? `${formatBytes(need.hbm)} on one GPU (weights, optimizer state and I/O buffers) ${how}, but a ${device.type} has ${formatBytes(usable)} for shards (after reserve ${device.reserve}, dense_bytes and the ids reservation)`
          : `${formatBytes(need.host)} of host memory on one GPU for its UVM-cached weights ${how}, but a ${device.type} has ${formatBytes(budget.hostBytes)} (host_memory_bytes)`;
      report(out, file, t.name, 'SL036', `Table '${t.spec.name}' needs at least ${where}. ${advice}`);
    }
  }
  const capacity = usable * device.count;
  if (total > capacity) {
    report(
      out,
      file,
      tablesKey,
      'SL037',
      `The tables need ${formatBytes(total)} of HBM (weights + ${m.optimizer} state) but ${device.count} × ${device.type} hold ${formatBytes(capacity)} for shards. Add GPUs, use fp16, shrink tables or lower reserve or dense_bytes.`,
    );
  }
  const hostCapacity = budget.hostBytes * device.count;
  if (totalHost > hostCapacity) {
    report(
      out,
      file,
      tablesKey,
      'SL037',
      `The UVM-cached tables need ${formatBytes(totalHost)} of host memory (weights + ${m.optimizer} state) but ${device.count} × ${device.type} hold ${formatBytes(hostCapacity)} (host_memory_bytes per GPU). Add GPUs, raise host_memory_bytes, or move tables back to HBM (kernel fbgemm_tbe).`,
    );
  }
  checkCrowding(file, needs, tablesKey, usable, budget.hostBytes, device, out);
}

/**
 * SL037 when more tables than there are GPUs need over half of one GPU each,
 * however they are split: every layout of such a table has a shard of more
 * than half a GPU (its smallest footprint is the least over its allowed
 * layouts of the largest shard), two such shards never share a GPU, so each
 * needs a GPU of its own. Per memory (HBM, host). A bound any packing obeys,
 * not a packing: a clean check does not promise that tightly filled GPUs pack.
 */
function checkCrowding(
  file: string,
  needs: readonly { name: string; hbm: number; host: number }[],
  tablesKey: Range,
  usable: number,
  hostBytes: number,
  device: DeviceSpec,
  out: Sink,
): void {
  for (const [what, cap, of] of [
    ['HBM for shards', usable, (n: { hbm: number }) => n.hbm],
    ['host memory', hostBytes, (n: { host: number }) => n.host],
  ] as const) {
    const big = needs.filter((n) => of(n) > cap / 2 && of(n) <= cap);
    if (big.length <= device.count) continue;
    const names =
      big
        .slice(0, 4)
        .map((n) => `'${n.name}'`)
        .join(', ') + (big.length > 4 ? `, … (${big.length} in all)` : '');
    report(
      out,
      file,
      tablesKey,
      'SL037',
      `${big.length} tables need more than half of a GPU's ${what} (${formatBytes(cap / 2)}) even split as far as their sharding allows (${names}): no two fit on one GPU, and the cluster has ${device.count}. Add GPUs, allow more sharding kinds, or shrink the tables.`,
    );
  }
}

/**
 * SL054 on each table pinned to a GPU whose pinned tables together (whole, as
 * a pin keeps them, with I/O buffers) exceed its HBM for shards or its host
 * memory: no placement can keep every pin.
 */
export function checkPinnedMemory(file: string, tables: readonly Pick<TableRead, 'spec' | 'name'>[], m: MemoryContext, out: Sink): void {
  const budget = budgetOf(
    m,
    tables.map((t) => t.spec),
  );
  const usable = budget.shardBytes;
  if (usable <= 0) return; // SL052 said so
  const byGpu = new Map<number, { names: Pick<TableRead, 'spec' | 'name'>[]; hbm: number; host: number }>();
  for (const t of tables) {
    const pin = t.spec.pin;
    if (pin === undefined || !(pin >= 0 && pin < m.device.count)) continue;
    const s = largestShard(t.spec, { kind: 'table', gpu: pin }, m);
    if (!s) continue;
    const g = byGpu.get(pin) ?? { names: [], hbm: 0, host: 0 };
    g.names.push(t);
    g.hbm += s.hbm;
    g.host += s.host;
    byGpu.set(pin, g);
  }
  for (const [gpu, g] of byGpu) {
    if (g.names.length < 2) continue; // one table alone over a GPU is SL036
    const overHbm = g.hbm > usable;
    const overHost = g.host > budget.hostBytes;
    if (!overHbm && !overHost) continue;
    const list = g.names.map((t) => `'${t.spec.name}'`).join(', ');
    const why = overHbm
      ? `${formatBytes(g.hbm)} of HBM but GPU ${gpu} has ${formatBytes(usable)} for shards (after reserve ${m.device.reserve}, dense_bytes and the ids reservation)`
      : `${formatBytes(g.host)} of host memory for their UVM-cached weights but GPU ${gpu} has ${formatBytes(budget.hostBytes)} (host_memory_bytes)`;
    for (const t of g.names) {
      report(out, file, t.name, 'SL054', `The tables pinned to GPU ${gpu} (${list}) need ${why}. Pin some elsewhere or remove a pin.`);
    }
  }
}

/** Bytes each GPU holds under the written placement (HBM and host), and which entry contributes most HBM to each. */
export function placementLoads(
  placement: ReadonlyMap<string, PlacementEntry>,
  tables: ReadonlyMap<string, TableSpec>,
  m: MemoryContext,
): { bytes: Float64Array; hostBytes: Float64Array; largest: (string | undefined)[]; largestBytes: Float64Array } {
  const n = m.device.count;
  const bytes = new Float64Array(n);
  const hostBytes = new Float64Array(n);
  const largestBytes = new Float64Array(n);
  const largest: (string | undefined)[] = new Array(n).fill(undefined);
  const ctx = storageCtx(m);
  for (const [name, e] of placement) {
    const t = tables.get(name);
    if (!t) continue;
    const shards = placementShards(t, e, { count: n, perHost: m.device.perHost, batchSize: m.batchSize });
    const kind = shards.length === 1 && e.kind !== 'data_parallel' ? 'table' : e.kind;
    for (const { gpu, shard } of shards) {
      if (gpu < 0 || gpu >= n) continue;
      const s = shardStorage(shard, kind, t.pooling, ctx);
      bytes[gpu] += s.hbm;
      hostBytes[gpu] += s.host;
      if (s.hbm > largestBytes[gpu]) {
        largestBytes[gpu] = s.hbm;
        largest[gpu] = name;
      }
    }
  }
  return { bytes, hostBytes, largest, largestBytes };
}

/**
 * SL051 on each data-parallel entry whose replica (weights, optimizer state
 * and its I/O buffers, as TorchRec counts a data-parallel shard) exceeds one
 * GPU's space for shards: every GPU holds all of it. Returns the tables
 * reported, so SL047 does not repeat it on every GPU.
 */
export function checkReplicaMemory(file: string, read: PlacementRead, tables: ReadonlyMap<string, TableSpec>, m: MemoryContext, out: Sink): Set<string> {
  const budget = budgetOf(m, [...tables.values()]);
  const usable = Math.max(0, budget.shardBytes);
  const bags = m.device.count > 0 ? m.batchSize / m.device.count : 0;
  const reported = new Set<string>();
  for (const [name, e] of read.placement) {
    const t = tables.get(name);
    const where = read.entries.get(name);
    if (e.kind !== 'data_parallel' || !t || !where) continue;
    const need = shardStorage(replicaShard(t, bags), 'data_parallel', t.pooling, storageCtx(m)).hbm;
    if (need <= usable) continue;
    reported.add(name);
    const range = where.valueRange();
    const fixes = t.sharding.includes('row')
      ? [{ title: 'Split it by rows over every GPU: {row: all}', file, edits: [{ range, newText: '{row: all}' }], preferred: true }]
      : undefined;
    report(
      out,
      file,
      range,
      'SL051',
      `'${name}' is data-parallel, so every GPU holds a full replica of ${formatBytes(need)} (weights, ${m.optimizer} state and I/O buffers), but a ${m.device.type} has ${formatBytes(usable)} for shards (after reserve ${m.device.reserve}, dense_bytes and the ids reservation). Data-parallel suits small tables; split it instead ({row: all}, {table_row: {host: H}}).`,
      'error',
      fixes,
    );
  }
  return reported;
}

/**
 * SL047 once per GPU over HBM, SL053 once per GPU over host memory, on the GPU
 * index of its largest entry (SL047 not again for a replica SL051 reported).
 */
export function checkGpuMemory(
  file: string,
  read: PlacementRead,
  loads: ReturnType<typeof placementLoads>,
  m: MemoryContext,
  tables: readonly TableSpec[],
  out: Sink,
  alreadyReported: ReadonlySet<string> = new Set(),
): void {
  const budget = budgetOf(m, tables);
  const usable = Math.max(0, budget.shardBytes);
  const device = m.device;
  const rangeOf = (g: number, name: string | undefined): Range => {
    const entry = name ? read.entries.get(name) : undefined;
    const placed = name ? read.placement.get(name) : undefined;
    let range = entry?.range ?? read.section;
    if (entry && placed) {
      const i = entryRanks(placed, device).indexOf(g);
      range = entry.gpuRange(i) ?? entry.valueRange();
    }
    return range;
  };
  for (let g = 0; g < loads.bytes.length; g++) {
    if (loads.bytes[g] > usable && !alreadyReported.has(loads.largest[g]!)) {
      const name = loads.largest[g]!;
      report(
        out,
        file,
        rangeOf(g, name),
        'SL047',
        `GPU ${g} needs ${formatBytes(loads.bytes[g])} for its shards (weights, optimizer state, I/O buffers) but has ${formatBytes(usable)} (after reserve, dense_bytes and the ids reservation); its largest is '${name}' (${formatBytes(loads.largestBytes[g])}). Move tables off GPU ${g} or run Replan.`,
      );
    }
    if (loads.hostBytes[g] > budget.hostBytes) {
      report(
        out,
        file,
        rangeOf(g, loads.largest[g]),
        'SL053',
        `GPU ${g} needs ${formatBytes(loads.hostBytes[g])} of host memory for UVM-cached tables but has ${formatBytes(budget.hostBytes)} (host_memory_bytes). Move UVM tables off GPU ${g} or run Replan.`,
      );
    }
  }
}
