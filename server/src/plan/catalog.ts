/**
 * The planning problem in flat arrays: every shard a plan may use (whole
 * tables, column shards, row blocks, data-parallel replicas of the layouts
 * under consideration), with its memory (bytes, as cost/memory.ts accounts
 * for it) and communication loads (bytes per bag, as cost/stepCost.ts counts
 * them) precomputed, so the search loops only index arrays. The cost model is
 * prepared once over `shards` (CostModel.prepare) and scores sets of these
 * indices.
 *
 * Layout kinds and how their shards are placed:
 *   table, column, table_column  free shards: the search puts each on a GPU
 *                                (table_column: all on one host);
 *   row                          one row block per rank, block i on rank i
 *                                (TorchRec's row_wise spans every rank);
 *   table_row                    one row block per rank of the chosen host;
 *   grid                         column block c row-blocked over host c's ranks;
 *   data_parallel                one replica (serving batch / N) on every rank.
 */
import { hostCount, hostRanks } from '../config/placementRanks';
import type { ShardConfig, ShardingKind, TableSpec } from '../config/types';
import { commConstants, type CommConstants } from '../cost/comm';
import { memoryBudget, shardStorage, storageContext, type StorageContext } from '../cost/memory';
import { canSplitColumns, columnShards, replicaShard, rowShards, tableShard } from '../cost/shards';
import { dpGradientBytes, idsBytesPerBag, pooledBytesPerBag } from '../cost/stepCost';
import type { CostEnv, Shard } from '../cost/types';

/** How one table is cut. */
export interface Layout {
  table: number;
  kind: ShardingKind;
  /** Free kinds: shard count; row: ranks; table_row: the host's ranks; grid: column blocks; data_parallel: 1. */
  parts: number;
  /** Catalog indices of its shards, in order (grid: block-major, column block c's row blocks together). */
  shards: number[];
  /** table_row / grid: ranks per host the layout was cut for; row: N. */
  rowsPer: number;
  /** Pooled bytes per bag reduce-scattered per row-block group (row, table_row: D·w; grid: D/C·w). */
  groupBytes: number;
  /** data_parallel: gradient bytes all-reduced. */
  dpBytes: number;
}

/** Layout kinds whose shards the search places one by one. */
export function isFree(kind: ShardingKind): boolean {
  return kind === 'table' || kind === 'column' || kind === 'table_column';
}

export function envOf(config: ShardConfig): CostEnv {
  return { batchSize: config.batchSize, optimizer: config.optimizer, device: config.devices };
}

/** Column parts whose width stays a multiple of 4 (docs/config-format.md: dim is a multiple of 4). */
export function validColumnParts(dim: number, parts: number): boolean {
  return Number.isInteger(parts) && parts >= 2 && canSplitColumns(dim, parts);
}

export class Catalog {
  readonly shards: Shard[] = [];
  /** Per shard: index of its table in `tables`. */
  readonly tableOf: number[] = [];
  readonly kindOf: ShardingKind[] = [];
  /** Per shard: HBM bytes on its GPU (tensor, cache, I/O buffers). */
  readonly mem: number[] = [];
  /** Per shard: host (UVM) bytes. */
  readonly hostMem: number[] = [];
  /** Per shard: ids + lengths bytes per bag it receives (0 for data-parallel replicas). */
  readonly ids: number[] = [];
  /** Per shard: pooled bytes per bag it all-to-alls (free shards; row blocks reduce-scatter instead). */
  readonly pooled: number[] = [];
  /** Per shard: the first shard of its layout (group layouts' blocks are priced alike from it). */
  readonly firstOf: number[] = [];
  readonly gpus: number;
  readonly hosts: number;
  /** HBM per GPU for shards (after reserve, dense and KJT reservations). */
  readonly capacity: number;
  /** Host memory per GPU for UVM-held weights. */
  readonly hostCapacity: number;
  readonly env: CostEnv;
  readonly comm: Readonly<CommConstants>;
  readonly tables: TableSpec[];
  readonly tableIndex = new Map<string, number>();
  private readonly layouts: Map<string, Layout>[];
  private readonly storage: StorageContext;

  constructor(readonly config: ShardConfig) {
    this.tables = config.tables;
    this.gpus = Math.max(0, Math.floor(config.devices.count));
    this.hosts = this.gpus > 0 ? hostCount(config.devices) : 0;
    const budget = memoryBudget(config);
    this.capacity = budget.shardBytes;
    this.hostCapacity = budget.hostBytes;
    this.env = envOf(config);
    this.comm = commConstants(this.env);
    this.storage = storageContext(config);
    this.layouts = this.tables.map(() => new Map());
    this.tables.forEach((t, i) => {
      if (!this.tableIndex.has(t.name)) this.tableIndex.set(t.name, i);
    });
  }

  /** Ranks of host h. */
  hostRanks(h: number): number[] {
    return hostRanks(h, this.config.devices);
  }

  /** The shards a layout would have, without adding them. */
  private make(t: number, kind: ShardingKind, parts: number, rowsPer: number): Shard[] {
    const table = this.tables[t];
    switch (kind) {
      case 'table':
        return [tableShard(table)];
      case 'data_parallel':
        return [replicaShard(table, this.gpus > 0 ? this.config.batchSize / this.gpus : 0)];
      case 'column':
      case 'table_column':
        return columnShards(table, parts);
      case 'row':
        return rowShards(table, this.gpus);
      case 'table_row':
        return rowShards(table, rowsPer);
      case 'grid': {
        if (!canSplitColumns(table.dim, parts)) return [];
        const width = table.dim / parts;
        const blocks = rowShards({ ...table, dim: width }, rowsPer);
        return Array.from({ length: parts }, () => blocks.map((b) => ({ ...b, block: b.block && { ...b.block } }))).flat();
      }
    }
  }

  private key(kind: ShardingKind, parts: number, rowsPer: number): string {
    return `${kind}:${parts}:${rowsPer}`;
  }

  private normal(kind: ShardingKind, parts: number, rowsPer: number): [number, number] {
    switch (kind) {
      case 'table':
      case 'data_parallel':
        return [1, 1];
      case 'row':
        return [this.gpus, this.gpus];
      case 'table_row':
        return [rowsPer, rowsPer];
      case 'column':
      case 'table_column':
        return [parts, 1];
      case 'grid':
        return [parts, rowsPer];
    }
  }

  /**
   * The layout (created on first use) of table `t`: `parts` column shards or
   * grid column blocks; `rowsPer` the host size of table_row / grid layouts.
   * Undefined when the table cannot be cut that way.
   */
  layout(t: number, kind: ShardingKind, parts = 1, rowsPer = 1): Layout | undefined {
    const [p, r] = this.normal(kind, parts, rowsPer);
    const key = this.key(kind, p, r);
    const known = this.layouts[t].get(key);
    if (known) return known;
    const made = this.make(t, kind, p, r);
    if (made.length === 0) return undefined;
    const table = this.tables[t];
    const layout: Layout = {
      table: t,
      kind,
      parts: p,
      shards: [],
      rowsPer: r,
      groupBytes: kind === 'row' || kind === 'table_row' || kind === 'grid' ? pooledBytesPerBag(made[0]) : 0,
      dpBytes: kind === 'data_parallel' ? dpGradientBytes(table) : 0,
    };
    const first = this.shards.length;
    for (const s of made) {
      const idx = this.shards.length;
      this.firstOf.push(first);
      this.shards.push(s);
      this.tableOf.push(t);
      this.kindOf.push(kind);
      const st = shardStorage(s, kind, table.pooling, this.storage);
      this.mem.push(st.hbm);
      this.hostMem.push(st.host);
      this.ids.push(kind === 'data_parallel' ? 0 : idsBytesPerBag(s, this.comm));
      this.pooled.push(isFree(kind) ? pooledBytesPerBag(s) : 0);
      layout.shards.push(idx);
    }
    this.layouts[t].set(key, layout);
    return layout;
  }

  /** Whether the layout exists among the first `count` shards (i.e. was there when the model was prepared). */
  hasLayout(t: number, kind: ShardingKind, parts = 1, rowsPer = 1, count = this.shards.length): boolean {
    const [p, r] = this.normal(kind, parts, rowsPer);
    const l = this.layouts[t].get(this.key(kind, p, r));
    return l !== undefined && l.shards.every((s) => s < count);
  }

  /** The biggest HBM bytes one shard of the layout takes, without adding it to the catalog (Infinity when impossible). */
  shardBytes(t: number, kind: ShardingKind, parts = 1, rowsPer = 1): number {
    const [p, r] = this.normal(kind, parts, rowsPer);
    const known = this.layouts[t].get(this.key(kind, p, r));
    if (known) return Math.max(...known.shards.map((s) => this.mem[s]));
    const made = this.make(t, kind, p, r);
    if (made.length === 0) return Infinity;
    const table = this.tables[t];
    let worst = 0;
    for (const s of made) worst = Math.max(worst, shardStorage(s, kind, table.pooling, this.storage).hbm);
    return worst;
  }

  /** The biggest host bytes one shard of the layout takes. */
  shardHostBytes(t: number, kind: ShardingKind, parts = 1, rowsPer = 1): number {
    const [p, r] = this.normal(kind, parts, rowsPer);
    const made = this.make(t, kind, p, r);
    const table = this.tables[t];
    let worst = 0;
    for (const s of made) worst = Math.max(worst, shardStorage(s, kind, table.pooling, this.storage).host);
    return worst;
  }
}
