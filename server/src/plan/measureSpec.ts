/**
 * A placement → the set specs the collector measures (`shardlens measure`,
 * `bench:measured`): one JSON line per GPU with every shard it runs, in the
 * geometry the cost models price (cost/shards.ts `placementShards`, the same
 * call evaluatePlacement makes). Format: docs/cli.md "Measure and
 * calibrate: files and formats"; the collector's reader is models/shardlens_cost/setspec.py.
 * Pure: the caller writes the lines.
 */
import { type Dtype, type Kernel, type Optimizer, type Placement, type ShardConfig } from '../config/types';
import { placementShards } from '../cost/shards';
import { pooledBytesPerBag } from '../cost/stepCost';

/** One shard as the collector builds it. */
export interface SpecTable {
  name: string;
  /** This shard's index among its table's shards, and how many there are. */
  shard: number;
  shards: number;
  rows: number;
  dim: number;
  /** Mean lookups per bag that land on this shard. */
  pooling: number;
  /** Power-law exponent of the ids (the config's zipf). */
  alpha: number;
  dtype: Dtype;
  kernel: Kernel;
  optimizer: Optimizer;
  /** Bags per step this shard serves: the global batch, or batch / N for a data-parallel replica. */
  bags: number;
  /** A row block: where its rows sit; the collector draws the whole table's lookups and keeps the block's. */
  block?: { offset: number; table_rows: number; table_pooling: number; ids: 'hashed' | 'sorted' };
  cache_load_factor?: number;
}

/** One GPU's set: one line of the spec file. */
export interface SetSpec {
  id: string;
  /** Lines of one plan share it; under torchrun the plan's ranks measure together. */
  plan: string;
  rank: number;
  /** GPUs in the plan. */
  world: number;
  /** Global bags per step (the config's batch_size). */
  batch: number;
  /** The config's devices.type: which GPU type the measurements calibrate. */
  device_type: string;
  optimizer: Optimizer;
  dtype: Dtype;
  /** Pooled bytes per bag this GPU exchanges (cost/stepCost.ts loads): table/column shards, row blocks. */
  pooled_bytes_per_bag: { out: number; row: number };
  tables: SpecTable[];
}

export interface SpecOptions {
  /** Id stem of the lines: `<plan>/gpu<k>`. */
  plan: string;
  /** Only these GPUs (e.g. the busiest); default every GPU. */
  gpus?: readonly number[];
}

/**
 * The set spec of every GPU (or of `opts.gpus`) under `placement`. Tables with
 * no placement entry, or whose entry gives no shards, are left out (the plan
 * that is measured says they are unplaced); GPUs with nothing on them get an
 * empty set (it measures as 0 ms).
 */
export function placementSpecs(config: ShardConfig, placement: Placement, opts: SpecOptions): SetSpec[] {
  const n = Math.max(0, Math.floor(config.devices.count));
  const shape = { count: n, perHost: config.devices.perHost, batchSize: config.batchSize };
  const sets: SetSpec[] = Array.from({ length: n }, (_, g) => ({
    id: `${opts.plan}/gpu${g}`,
    plan: opts.plan,
    rank: g,
    world: n,
    batch: config.batchSize,
    device_type: config.devices.type,
    optimizer: config.optimizer,
    dtype: config.dtype,
    pooled_bytes_per_bag: { out: 0, row: 0 },
    tables: [],
  }));
  const seen = new Set<string>();
  for (const table of config.tables) {
    if (seen.has(table.name)) continue;
    seen.add(table.name);
    const entry = placement.get(table.name);
    if (!entry) continue;
    const shards = placementShards(table, entry, shape);
    shards.forEach(({ gpu, shard }, i) => {
      const set = sets[gpu];
      if (!set) return;
      const spec: SpecTable = {
        name: table.name,
        shard: i,
        shards: shards.length,
        rows: shard.rows,
        dim: shard.dim,
        pooling: shard.pooling,
        alpha: shard.zipf,
        dtype: table.dtype,
        kernel: shard.kernel,
        optimizer: config.optimizer,
        bags: shard.bags ?? config.batchSize,
      };
      if (shard.block) {
        spec.block = { offset: shard.block.offset, table_rows: shard.block.tableRows, table_pooling: table.pooling, ids: shard.block.ids };
      }
      if (shard.kernel === 'fbgemm_tbe_uvm_caching' && shard.cacheLoadFactor !== undefined) spec.cache_load_factor = shard.cacheLoadFactor;
      // An empty row block (TorchRec's trailing blocks, 0 rows) has nothing to
      // look up, so nothing to measure; its rank still takes part in the
      // block's reduce-scatter, so its pooled bytes count.
      if (shard.rows > 0) set.tables.push(spec);
      const bytes = pooledBytesPerBag(shard);
      if (shard.block) set.pooled_bytes_per_bag.row += bytes;
      else set.pooled_bytes_per_bag.out += bytes;
    });
  }
  const only = opts.gpus ? new Set(opts.gpus) : undefined;
  return only ? sets.filter((s) => only.has(s.rank)) : sets;
}

/** JSONL text of spec lines (one per line, trailing newline). */
export function specLines(specs: readonly SetSpec[]): string {
  return specs.map((s) => JSON.stringify(s)).join('\n') + (specs.length ? '\n' : '');
}

/** The kernels and optimizers a spec set needs (for refusing what the machine cannot run). */
export function specNeeds(specs: readonly SetSpec[]): { kernels: Set<Kernel>; optimizerByKernel: Map<Kernel, Set<Optimizer>> } {
  const kernels = new Set<Kernel>();
  const optimizerByKernel = new Map<Kernel, Set<Optimizer>>();
  for (const s of specs) {
    for (const t of s.tables) {
      kernels.add(t.kernel);
      const set = optimizerByKernel.get(t.kernel) ?? new Set<Optimizer>();
      set.add(t.optimizer);
      optimizerByKernel.set(t.kernel, set);
    }
  }
  return { kernels, optimizerByKernel };
}

const FBGEMM_KERNELS: readonly Kernel[] = ['fbgemm_tbe', 'fbgemm_tbe_uvm_caching'];

/**
 * Why these specs cannot be measured on a machine with `has` (empty: they
 * can): an FBGEMM kernel without fbgemm_gpu (or on CPU), and row-wise Adagrad
 * on PyTorch's kernel (it exists only fused in FBGEMM's TBE). Names the
 * kernel and a few tables, once per problem.
 */
export function cannotRun(specs: readonly SetSpec[], has: { fbgemm: boolean; cpu: boolean }): string[] {
  const tablesBy = new Map<string, Set<string>>();
  const note = (key: string, table: string) => {
    const s = tablesBy.get(key) ?? new Set<string>();
    s.add(table);
    tablesBy.set(key, s);
  };
  for (const s of specs) {
    for (const t of s.tables) {
      if (FBGEMM_KERNELS.includes(t.kernel) && (!has.fbgemm || has.cpu)) note(`kernel:${t.kernel}`, t.name);
      if (t.kernel === 'torch_embedding_bag' && t.optimizer === 'rowwise_adagrad') note('rowwise', t.name);
    }
  }
  const names = (set: Set<string>) => {
    const all = [...set];
    return all.slice(0, 3).join(', ') + (all.length > 3 ? ` and ${all.length - 3} more` : '');
  };
  const out: string[] = [];
  for (const [key, tables] of tablesBy) {
    if (key === 'rowwise') {
      out.push(
        `optimizer rowwise_adagrad exists only in FBGEMM's fused TBE, not with kernel torch_embedding_bag (tables ${names(tables)}); use optimizer sgd, adagrad or adam, or kernel fbgemm_tbe`,
      );
    } else {
      const kernel = key.slice('kernel:'.length);
      out.push(
        has.cpu
          ? `kernel ${kernel} (tables ${names(tables)}) runs only on a CUDA GPU; --cpu measures kernel torch_embedding_bag only`
          : `kernel ${kernel} (tables ${names(tables)}) needs FBGEMM (fbgemm_gpu), which this Python cannot import; install fbgemm_gpu, or write kernel: torch_embedding_bag to measure PyTorch's embedding_bag instead`,
      );
    }
  }
  return out;
}
