/**
 * `--strategy torchrec`: TorchRec's EmbeddingShardingPlanner loop
 * (torchrec/distributed/planner/planners.py; docs/research/torchrec-planner.md
 * §1.8), re-implemented from its documented behaviour, no code copied:
 * reserve storage (HeuristicalStorageReservation: cost/memory.ts
 * memoryBudget), enumerate options (options.ts), price them (pricing.ts),
 * then for each proposer in TorchRec's default order, until it has nothing
 * more: skip duplicate proposals, partition (partitioner.ts), rate the plan
 * by its max per-rank perf (NoopPerfModel), keep the lowest, feed back.
 * The result is the plan a TorchRec user gets; ShardLens then scores it with
 * the step model like any other plan.
 */
import { hostOf } from '../../config/placementRanks';
import type { Placement, PlacementEntry, ShardConfig } from '../../config/types';
import { memoryBudget } from '../../cost/memory';
import type { CostModel } from '../../cost/types';
import type { PlanControl } from '../control';
import { formatBytes } from '../../config/byteUnits';
import { enumerateOptionsPolled, type ShardingOption } from './options';
import { partition, type Topology } from './partitioner';
import { modelPricing, type TorchRecPricing } from './pricing';
import { greedyProposer, gridSearchProposer, uniformProposer, type Proposer } from './proposers';

/**
 * Greedy proposals in a row that may fail to beat the best rating before the
 * proposer stops (TorchRec's `threshold`; its default is unbounded, which
 * takes minutes at 1,000 tables: ShardLens bounds it so planning stays
 * interactive).
 */
export const GREEDY_PATIENCE = 100;

export interface TorchRecResult {
  placement: Placement;
  reasons: string[];
  /** TorchRec's rating of the chosen plan: max over ranks of Σ shard perf, ms. */
  rating: number;
  /** Proposals partitioned, and how many fitted. */
  proposals: number;
  plans: number;
  pricing: string;
}

/** `allRanks`: 0…N−1, shared by every row-wise entry of the plan (entries are read, never mutated). */
function entryOf(o: ShardingOption, ranks: readonly number[], config: ShardConfig, allRanks: number[]): PlacementEntry {
  const shape = config.devices;
  switch (o.type) {
    case 'data_parallel':
      return { kind: 'data_parallel' };
    case 'table_wise':
      return { kind: 'table', gpu: ranks[0] };
    case 'column_wise':
      return { kind: 'column', gpus: ranks.slice() };
    case 'table_column_wise':
      return { kind: 'table_column', gpus: ranks.slice() };
    case 'row_wise':
      return { kind: 'row', gpus: allRanks };
    case 'table_row_wise':
      return { kind: 'table_row', host: hostOf(ranks[0], shape) };
    case 'grid_shard': {
      const hosts: number[] = [];
      for (let c = 0; c < ranks.length; c += o.rowsPer) hosts.push(hostOf(ranks[c], shape));
      return { kind: 'grid', hosts };
    }
  }
}

export async function torchrecPlacement(config: ShardConfig, model: CostModel, ctl: PlanControl, pricing: TorchRecPricing = modelPricing(model)): Promise<TorchRecResult> {
  const reasons: string[] = [];
  const options = await enumerateOptionsPolled(config, ctl);
  options.forEach((o, t) => {
    if (o.length === 0 && config.tables.findIndex((x) => x.name === config.tables[t].name) === t) {
      reasons.push(`table ${config.tables[t].name}: no sharding type TorchRec can use is allowed for it`);
    }
  });
  const priced = await pricing.price(options, config, ctl);
  await ctl.tick();
  if (priced.priced < priced.of) {
    const n = (x: number) => x.toLocaleString('en-US');
    reasons.push(
      `TorchRec's planner did not finish pricing its sharding options within the time budget (${n(priced.priced)} of ${n(priced.of)} distinct shards priced): no TorchRec plan; give it a larger budget`,
    );
    return { placement: new Map(), reasons, rating: 0, proposals: 0, plans: 0, pricing: pricing.name };
  }
  const budget = memoryBudget(config);
  const topo: Topology = {
    n: config.devices.count,
    perHost: Math.max(1, Math.min(config.devices.count, config.devices.perHost)),
    hbm: Math.max(0, budget.shardBytes),
    ddr: budget.hostBytes,
  };
  // A table none of whose options fits even an empty rank sinks every
  // proposal (TorchRec fails the whole plan); ShardLens reports it and plans
  // the rest.
  options.forEach((opts, t) => {
    if (opts.length === 0 || opts.some((o) => o.runs.every((r) => r.shard.hbm <= topo.hbm && r.shard.ddr <= topo.ddr))) return;
    const least = Math.min(...opts.map((o) => Math.max(...o.runs.map((r) => r.shard.hbm))));
    reasons.push(
      `table ${config.tables[t].name} needs at least ${formatBytes(least)} on one GPU under every sharding type allowed for it, but a GPU has ${formatBytes(topo.hbm)} for shards`,
    );
    options[t] = [];
  });
  const best = await search(options, topo, ctl);
  const placement: Placement = new Map();
  if (best) {
    const allRanks = Array.from({ length: config.devices.count }, (_, g) => g);
    best.proposal.forEach((i, t) => {
      if (i >= 0) placement.set(config.tables[t].name, entryOf(options[t][i], best!.ranks[t], config, allRanks));
    });
  } else if (options.some((o) => o.length > 0) && ctl.budgetHit) {
    reasons.push("TorchRec's planner ran out of the time budget before any of its proposals fit: no TorchRec plan; give it a larger budget");
  } else if (options.some((o) => o.length > 0)) {
    reasons.push(
      budget.shardBytes <= 0
        ? `no memory is left for tables: ${formatBytes(budget.hbmBytes)} per GPU minus reserve ${formatBytes(budget.reserveBytes)}, dense ${formatBytes(budget.denseBytes)} and ids ${formatBytes(budget.kjtBytes)} (TorchRec's INSUFFICIENT_STORAGE)`
        : `TorchRec's planner found no proposal that fits: the tables need more than ${config.devices.count} GPU(s) hold`,
    );
  }
  return { placement, reasons, rating: best?.rating ?? 0, proposals: best?.proposals ?? 0, plans: best?.plans ?? 0, pricing: pricing.name };
}

interface Best {
  proposal: number[];
  ranks: (readonly number[])[];
  rating: number;
  proposals: number;
  plans: number;
}

/**
 * A proposal's identity for skipping duplicates, as TorchRec does (it hashes
 * the options): two 32-bit FNV-1a hashes of the option indices, so a
 * 5,000-table proposal is not a 30 kB string.
 */
function proposalKey(p: readonly number[]): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ p.length;
  for (let i = 0; i < p.length; i++) {
    a = Math.imul(a ^ (p[i] + 1), 0x01000193);
    b = Math.imul(b ^ (p[i] * 31 + i), 0x85ebca6b);
  }
  return `${(a >>> 0).toString(36)}:${(b >>> 0).toString(36)}:${p.length}`;
}

/** The planner loop: every proposer in turn, duplicates skipped, the lowest rating kept. */
async function search(options: ShardingOption[][], topo: Topology, ctl: PlanControl): Promise<Best | undefined> {
  const proposers: Proposer[] = [
    gridSearchProposer(options),
    greedyProposer(options, true, GREEDY_PATIENCE),
    greedyProposer(options, false, GREEDY_PATIENCE),
    uniformProposer(options),
  ];
  const seen = new Map<string, number | undefined>();
  let best: Best | undefined;
  let proposals = 0;
  let plans = 0;
  for (const proposer of proposers) {
    for (let p = proposer.propose(); p; p = proposer.propose()) {
      await ctl.tick();
      const key = proposalKey(p);
      if (seen.has(key)) {
        proposer.feedback(seen.get(key));
        continue;
      }
      const chosen = p.map((i, t) => (i >= 0 ? options[t][i] : undefined));
      const live = chosen.filter((o): o is ShardingOption => o !== undefined);
      const part = partition(live, topo);
      proposals++;
      let rating: number | undefined;
      if (part) {
        plans++;
        rating = 0;
        for (const x of part.perf) if (x > rating) rating = x;
        if (!best || rating < best.rating) {
          const ranks: (readonly number[])[] = [];
          let j = 0;
          chosen.forEach((o, t) => {
            ranks[t] = o ? part.ranks[j++] : [];
          });
          best = { proposal: p, ranks, rating, proposals, plans };
        }
      }
      seen.set(key, rating);
      proposer.feedback(rating);
      if (ctl.outOfTime("TorchRec's proposal search")) break;
    }
    if (ctl.outOfTime("TorchRec's proposal search")) break;
  }
  if (best) {
    best.proposals = proposals;
    best.plans = plans;
  }
  return best;
}
