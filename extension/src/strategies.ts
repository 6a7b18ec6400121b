/**
 * The planning strategies offered by "Replan With Strategy…" and the
 * `shardlens.replan.strategy` setting, with one line each on what they do
 * (docs/architecture.md "Planners"). package.json's enum/enumDescriptions repeat this list
 * (a manifest is static JSON); test/unit/extension/manifest.test.ts keeps the two equal.
 */
import type { StrategyName } from '../../server/src/lsp/protocol';

export const STRATEGY_DESCRIPTIONS: Readonly<Record<StrategyName, string>> = {
  best: 'Runs the cost-driven strategies over every sharding kind and keeps the plan with the lowest predicted step time (critical path; default).',
  search: "NeuroShard-style grid search: cost-driven greedy under several dim-balance caps, best kept, then local search on the step's critical path.",
  column: 'Grid search, then beam search over how tables are cut (column, row, table-row, grid, data-parallel) on the critical ranks; splits kept only when they pay.',
  torchrec: "TorchRec's own planner re-implemented (enumerator, grid/greedy/uniform proposers, greedy-perf partitioner) over the same costs: the plan a TorchRec user gets.",
  greedy: "Cost-driven greedy: tables by predicted cost, heaviest first, each onto the GPU where the step's critical path grows least.",
  'size-lookup': 'Baseline: greedy by dim × pooling × log10(rows), no cost model.',
  lookup: 'Baseline: greedy by dim × pooling (lookup bytes per bag), no cost model.',
  dim: 'Baseline: greedy by embedding dimension, no cost model.',
  size: 'Baseline: greedy by table size (bytes), no cost model.',
  'round-robin': 'Baseline: table i on GPU i mod N (next GPU with room if full).',
  random: 'Baseline: tables placed on random GPUs that have room (seeded, reproducible).',
  policy: 'DreamShard-style learned placement policy (needs a shipped policy model).',
};

/** In the order the quick pick shows them: recommended first, baselines last. */
export const STRATEGY_ORDER = Object.keys(STRATEGY_DESCRIPTIONS) as StrategyName[];

export function isStrategyName(x: unknown): x is StrategyName {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(STRATEGY_DESCRIPTIONS, x);
}
