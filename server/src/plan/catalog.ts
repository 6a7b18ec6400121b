/**
 * The planning problem in flat arrays: every shard a plan may use (whole
 * tables, and the column/row shards of the layouts under consideration), with
 * its memory (bytes) and communication load (bytes per bag) precomputed, so the
 * search loops only index arrays. The cost model is prepared once over
 * `shards` (CostModel.prepare) and scores sets of these indices.
 */
import type { ShardConfig, ShardingKind, TableSpec } from '../config/types';
import { shardMemoryBytes, usableMemoryBytes } from '../cost/memory';
import { columnShards, rowShards, tableShard } from '../cost/shards';
import type { CostEnv, Shard } from '../cost/types';

/** How one table is cut: table-wise (parts 1), or into `parts` column or row shards. */
export interface Layout {
  table: number;
  kind: ShardingKind;
  parts: number;
  /** Catalog indices of its shards, in order. */
  shards: number[];
}

export function envOf(config: ShardConfig): CostEnv {
  return { batchSize: config.batchSize, optimizer: config.optimizer, device: config.devices };
}

/** Column parts whose width stays a multiple of 4 (docs/design.md "dim multiple of 4"). */
export function validColumnParts(dim: number, parts: number): boolean {
  return Number.isInteger(parts) && parts >= 2 && dim % parts === 0 && (dim / parts) % 4 === 0;
}

/**
 * Pooled bytes per bag a shard sends in the all-to-all (table/column shards) or
 * reduce-scatters (row shards: partial sums of the full width): dim × dtype bytes.
 */
export function pooledBytesPerBag(s: Shard): number {
  return s.dim * s.dtypeBytes;
}

export class Catalog {
  readonly shards: Shard[] = [];
  /** Per shard: index of its table in `tables`. */
  readonly tableOf: number[] = [];
  readonly kindOf: ShardingKind[] = [];
  /** Per shard: bytes on its GPU (weights + optimizer state). */
  readonly mem: number[] = [];
  /** Per shard: pooled output bytes per bag that go through the all-to-all (table and column shards). */
  readonly out: number[] = [];
  /** Per shard: partial pooled-sum bytes per bag that a row shard reduce-scatters. */
  readonly rowb: number[] = [];
  readonly gpus: number;
  /** Usable bytes per GPU after the reserve. */
  readonly capacity: number;
  readonly env: CostEnv;
  readonly tables: TableSpec[];
  readonly tableIndex = new Map<string, number>();
  private readonly layouts: Map<string, Layout>[];

  constructor(readonly config: ShardConfig) {
    this.tables = config.tables;
    this.gpus = Math.max(0, Math.floor(config.devices.count));
    this.capacity = usableMemoryBytes(config.devices);
    this.env = envOf(config);
    this.layouts = this.tables.map(() => new Map());
    this.tables.forEach((t, i) => { if (!this.tableIndex.has(t.name)) this.tableIndex.set(t.name, i); });
  }

  /** The layout (created on first use) of table `t` cut into `parts` of `kind`. */
  layout(t: number, kind: ShardingKind, parts: number): Layout {
    const p = kind === 'table' ? 1 : parts;
    const key = `${kind}:${p}`;
    const known = this.layouts[t].get(key);
    if (known) return known;
    const table = this.tables[t];
    const made = kind === 'table' ? [tableShard(table)]
      : kind === 'column' ? columnShards(table, p)
        : rowShards(table, p);
    const layout: Layout = { table: t, kind, parts: p, shards: [] };
    for (const s of made) {
      const idx = this.shards.length;
      this.shards.push(s);
      this.tableOf.push(t);
      this.kindOf.push(kind);
      this.mem.push(shardMemoryBytes(s.rows, s.dim, s.dtypeBytes, this.config.optimizer));
      const bytes = pooledBytesPerBag(s);
      this.out.push(kind === 'row' ? 0 : bytes);
      this.rowb.push(kind === 'row' ? bytes : 0);
      layout.shards.push(idx);
    }
    this.layouts[t].set(key, layout);
    return layout;
  }

  /** Whether the layout exists among the first `count` shards (i.e. was there when the model was prepared). */
  hasLayout(t: number, kind: ShardingKind, parts: number, count = this.shards.length): boolean {
    const l = this.layouts[t].get(`${kind}:${kind === 'table' ? 1 : parts}`);
    return l !== undefined && l.shards.every((s) => s < count);
  }

  /** Memory of one shard of `table` under a layout, without adding it to the catalog. */
  shardBytes(t: number, kind: ShardingKind, parts: number): number {
    const table = this.tables[t];
    const made = kind === 'table' ? [tableShard(table)] : kind === 'column' ? columnShards(table, parts) : rowShards(table, parts);
    let worst = 0;
    for (const s of made) worst = Math.max(worst, shardMemoryBytes(s.rows, s.dim, s.dtypeBytes, this.config.optimizer));
    return worst;
  }
}
