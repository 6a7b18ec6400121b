/**
 * One table's cost, taken apart (`shardlens explain FILE TABLE`): per shard of
 * its written entry (or, unplaced, the table whole on GPU 0), where it sits,
 * what it does per step (cost/trafficBreakdown.ts: the analytic model of its
 * kernel counts lookups, distinct rows, hit rate and bytes), what it costs
 * (the served model's forward and backward of the shard alone on its GPU, its
 * ±), the collectives of the table alone (cost/stepCost.ts over this table's
 * loads only), and its memory (cost/memory.ts). Which model priced it, and
 * the range notes (SL110) of that model for the table. Pure over its inputs.
 */
import { renderEntry } from '../config/placementText';
import type { PlacementEntry, ShardConfig, TableSpec } from '../config/types';
import { commConstants } from '../cost/comm';
import { pricingOf, type KernelPricing } from '../cost/kernelDispatch';
import { ioBytes, shardMemoryBytes, tensorStorage } from '../cost/memory';
import { tableShard } from '../cost/shards';
import { addEntryLoads, emptyLoads, stepCost } from '../cost/stepCost';
import { trafficBreakdown, type TrafficBreakdown } from '../cost/trafficBreakdown';
import type { CostModel, RangeNote } from '../cost/types';
import { describeEntry, type ShardInfo } from './placementInfo';
import { costEnv } from './tableCosts';

export interface ShardCommMs {
  inputDist: number;
  outputDist: number;
  gradDist: number;
  dpSync: number;
  total: number;
}

export interface ShardMemory {
  /** HBM it takes: hbmTensorBytes + ioBytes. */
  hbmBytes: number;
  /** In HBM: weights + state, or for UVM caching the cache and its metadata. */
  hbmTensorBytes: number;
  /** The step's input and output buffers (in HBM). */
  ioBytes: number;
  /** Host memory (UVM caching): weights + state. */
  hostBytes: number;
  /** Weights and optimizer state held (fp32 state, as FBGEMM keeps it), wherever they live. */
  weightsBytes: number;
  stateBytes: number;
}

/** Where the shard sits (placementInfo.ts), and what it does and costs. */
export interface ShardExplanation extends Omit<ShardInfo, 'bytes' | 'shard'> {
  traffic: TrafficBreakdown;
  /** The served model's ms for the shard alone on its GPU (its launch included). */
  fwdMs: number;
  bwdMs: number;
  /** ± of fwdMs + bwdMs, ms (absent when the model reports none). */
  uncertaintyMs?: number;
  /** This shard's GPU's collectives for this table alone. */
  commMs: ShardCommMs;
  memory: ShardMemory;
}

export interface TableExplanation {
  table: TableSpec;
  optimizer: ShardConfig['optimizer'];
  batchSize: number;
  deviceType: string;
  entry: PlacementEntry;
  /** The entry as written in YAML, e.g. `{row: all}`. */
  entryText: string;
  /** TorchRec's name of its kind, e.g. `row_wise`. */
  torchrecKind: string;
  /** false: the table has no placement entry; it is shown whole on GPU 0. */
  placed: boolean;
  /** The model that priced the table's kernel, its source and notes. */
  pricing: KernelPricing;
  shards: ShardExplanation[];
  /** The model's notes on this table's inputs (warnings are SL110; level 'info' inside the measured range). */
  rangeNotes: RangeNote[];
}

/**
 * undefined when the config has no table `name`. `ignoreWritten`: explain it
 * whole on GPU 0 even when placed (its written entry is unusable).
 */
export async function explainTable(config: ShardConfig, model: CostModel, name: string, opts: { ignoreWritten?: boolean } = {}): Promise<TableExplanation | undefined> {
  const table = config.tables.find((t) => t.name === name);
  if (!table) return undefined;
  const written = opts.ignoreWritten ? undefined : config.placement?.get(name);
  const entry: PlacementEntry = written ?? { kind: 'table', gpu: 0 };
  const info = describeEntry(config, name, entry);
  if (!info) return undefined;
  const env = costEnv(config);
  const shape = { count: config.devices.count, perHost: config.devices.perHost };

  // The collectives of this table alone, per rank.
  const loads = emptyLoads(config.devices.count);
  addEntryLoads(
    loads,
    table,
    entry,
    info.shards.map((s) => ({ gpu: s.gpu, shard: s.shard })),
    shape,
    commConstants(env),
  );
  const step = stepCost(loads, [], env, shape);

  const priced = await model.predict(
    info.shards.map((s) => [s.shard]),
    env,
  );
  const ctx = { optimizer: config.optimizer, batchSize: config.batchSize, count: config.devices.count, perHost: config.devices.perHost };
  const shards = info.shards.map((s, i): ShardExplanation => {
    const cost = priced[i];
    const t = step.perGpu[s.gpu];
    const comm = t
      ? { inputDist: t.input_dist, outputDist: t.output_dist, gradDist: t.grad_dist, dpSync: t.dp_sync, total: t.input_dist + t.output_dist + t.grad_dist + t.dp_sync }
      : { inputDist: 0, outputDist: 0, gradDist: 0, dpSync: 0, total: 0 };
    const weights = shardMemoryBytes(s.shard.rows, s.shard.dim, s.shard.dtypeBytes, 'sgd');
    const tensor = tensorStorage(s.shard, config.optimizer);
    const io = ioBytes(s.shard, info.storedAs, table.pooling, ctx);
    const out: ShardExplanation = {
      gpu: s.gpu,
      host: s.host,
      rowStart: s.rowStart,
      rows: s.rows,
      colStart: s.colStart,
      cols: s.cols,
      bags: s.bags,
      traffic: trafficBreakdown(s.shard, env),
      fwdMs: cost.fwdMs,
      bwdMs: cost.bwdMs,
      commMs: comm,
      memory: {
        hbmBytes: tensor.hbm + io,
        hbmTensorBytes: tensor.hbm,
        ioBytes: io,
        hostBytes: tensor.host,
        weightsBytes: weights,
        stateBytes: shardMemoryBytes(s.shard.rows, s.shard.dim, s.shard.dtypeBytes, config.optimizer) - weights,
      },
    };
    if (cost.uncertainty !== undefined && Number.isFinite(cost.uncertainty)) out.uncertaintyMs = cost.uncertainty * (cost.fwdMs + cost.bwdMs);
    return out;
  });

  const [pricing] = pricingOf(model, [table.kernel], env);
  return {
    table,
    optimizer: config.optimizer,
    batchSize: config.batchSize,
    deviceType: config.devices.type,
    entry,
    entryText: renderEntry(entry, config.devices.count),
    torchrecKind: info.kind.torchrec,
    placed: written !== undefined,
    pricing,
    shards,
    rangeNotes: model.rangeNotes?.(tableShard(table), env, table.dtype) ?? [],
  };
}
