/**
 * Per-GPU compute costs of a written placement, memoised per cost model and
 * shard set. An edit changes one table, so one GPU's set: the other GPUs'
 * numbers are reused instead of running the model over every GPU again (at
 * 10,000 tables on 512 GPUs one batched ONNX call over all sets took ~170 ms
 * per keystroke; npm run bench:lsp).
 */
import { shardCostKey } from '../cost/shardKey';
import type { ComputeCost, CostModel } from '../cost/types';
import type { ComputeFn } from '../plan/evaluate';

/** Bound on memoised sets per model: keys are ~30 B per shard, so tens of MB at most. */
const MEMO_LIMIT = 20_000;
const memo = new WeakMap<CostModel, Map<string, ComputeCost>>();

/** A ComputeFn for assessPlacement that predicts only the sets not seen before with this model and env. */
export function memoizedCompute(model: CostModel): ComputeFn {
  return async (sets, env) => {
    let cache = memo.get(model);
    if (!cache) {
      cache = new Map();
      memo.set(model, cache);
    }
    const envKey = JSON.stringify(env);
    const keys = sets.map((set) => `${envKey}#${set.map(shardCostKey).join(';')}`);
    const missing: number[] = [];
    keys.forEach((k, i) => {
      if (!cache.has(k)) missing.push(i);
    });
    const fresh =
      missing.length > 0
        ? await model.predict(
            missing.map((i) => sets[i]),
            env,
          )
        : [];
    const out = keys.map((k) => cache.get(k));
    missing.forEach((i, j) => {
      out[i] = fresh[j];
    });
    if (cache.size + missing.length > MEMO_LIMIT) cache.clear();
    missing.forEach((i, j) => cache.set(keys[i], fresh[j]));
    return out as ComputeCost[];
  };
}
