/**
 * The learned placement policy as a planner strategy (DreamShard's idea, Zha et
 * al. 2022; our own network and training, models/policy): shards are placed one
 * at a time, pinned ones first, then by predicted single-shard cost descending;
 * for each, the policy network scores every GPU that can host it (memory, pin,
 * one shard of a table per GPU) from the GPU's pooled state and the shard's
 * features, and the shard goes to the argmax. The split of tables into column
 * or row shards is not the policy's business: it places the shards of the
 * layouts the planner chose (table-wise unless a table cannot be).
 *
 * One cost-model call per placed shard (the chosen GPU's new cost), against
 * the cost greedy's one per candidate GPU.
 */
import shippedSidecar from '../../../models/policy-v1.json';
import { shardMemoryBytes, usableMemoryBytes } from '../cost/memory';
import type { PlanControl } from './control';
import { soloCosts } from './greedy';
import { finishPass } from './leastLoaded';
import { localSearch } from './localSearch';
import { makeRoom } from './makeRoom';
import { unplacedFree } from './placementOf';
import { placementOrder, POLICY_GPU_SCALARS, shardFeatures, taskScales } from './policyFeatures';
import { PolicyNetwork } from './policyNetwork';
import { validatePolicySidecar } from './policySidecar';
import type { PlanState } from './state';

export type LoadedPolicy = { ok: true; policy: PolicyNetwork } | { ok: false; error: string };

let shipped: LoadedPolicy | undefined;

/**
 * The policy shipped in models/policy-v1.json, bundled into the program (a
 * ~60 KB JSON import: no file lookup at run time). Validated once; a bad file
 * is an error message, not a throw.
 */
export function shippedPolicy(): LoadedPolicy {
  if (!shipped) {
    const v = validatePolicySidecar(shippedSidecar as unknown);
    shipped = v.ok ? { ok: true, policy: new PolicyNetwork(v.sidecar) } : { ok: false, error: `the shipped placement policy is unusable: ${v.error}` };
  }
  return shipped;
}

/**
 * Places the unplaced shards among `shards` into `state` with the policy
 * (greedy argmax roll-out). Shards already on a GPU (pinned, kept) count in the
 * GPUs' state. Returns the shards no GPU could host (memory): callers repair
 * them with makeRoom or report them.
 */
export async function policyPlace(state: PlanState, shards: readonly number[], solo: ArrayLike<number>, ctl: PlanControl, policy: PolicyNetwork): Promise<number[]> {
  const cat = state.cat;
  const n = state.n;
  const e = policy.emb;
  const h = policy.hidden;
  if (n === 0) return shards.filter((s) => state.gpuOfShard(s) < 0);

  const placed: number[] = [];
  for (const m of state.free) placed.push(...m);
  const todo = shards.filter((s) => state.gpuOfShard(s) < 0);
  const all = [...placed, ...todo];
  const dimBytes = (s: number) => cat.shards[s].dim * cat.shards[s].dtypeBytes;
  // The policy was trained on weights + optimizer state over HBM × (1 − reserve)
  // (models/policy/simulator.py), so its memory features keep that accounting;
  // where a shard may go (canHost) uses the full one.
  const usable = usableMemoryBytes(cat.config.devices);
  const tensorBytes = (s: number) => shardMemoryBytes(cat.shards[s].rows, cat.shards[s].dim, cat.shards[s].dtypeBytes, cat.config.optimizer);
  const gpuTensor = new Float64Array(n);
  for (let g = 0; g < n; g++) for (const s of state.free[g]) gpuTensor[g] += tensorBytes(s);
  const scales = taskScales(
    all.map((s) => solo[s]),
    all.map(dimBytes),
    n,
  );

  const encOf = new Map<number, { x: number[]; enc: Float64Array }>();
  const encode = (s: number) => {
    let v = encOf.get(s);
    if (!v) {
      const x = shardFeatures(cat.shards[s], solo[s], tensorBytes(s), usable, scales);
      v = { x, enc: policy.encode(x) };
      encOf.set(s, v);
    }
    return v;
  };

  // Per GPU: pooled [sum | max] of encodings, scalars, cached W1 part (without
  // the cost scalar: every GPU's all-to-all time moves with any GPU's load).
  const pooled = Array.from({ length: n }, () => new Float64Array(2 * e));
  const scalars = new Float64Array(POLICY_GPU_SCALARS.length);
  const gpuPart = Array.from({ length: n }, () => new Float64Array(h));
  const cost = new Float64Array(n);
  const refresh = (g: number) => {
    scalars[0] = gpuTensor[g] / usable;
    scalars[1] = 0;
    scalars[2] = state.oracle.pooled[g] / scales.dim;
    scalars[3] = state.free[g].length / scales.count;
    policy.gpuPart(pooled[g], scalars, gpuPart[g]);
  };
  const pool = (g: number, enc: Float64Array) => {
    const p = pooled[g];
    for (let j = 0; j < e; j++) {
      p[j] += enc[j];
      if (enc[j] > p[e + j]) p[e + j] = enc[j];
    }
  };
  for (let g = 0; g < n; g++) {
    for (const s of state.free[g]) pool(g, encode(s).enc);
    refresh(g);
  }

  let total = 0;
  for (const s of all) total += solo[s];
  if (!(total > 0)) total = 1;
  let remaining = 0;
  for (const s of todo) remaining += solo[s];

  const order = placementOrder(todo, solo, (s) => cat.tables[cat.tableOf[s]].pin !== undefined);
  const tablePart = new Float64Array(h);
  const stepPart = new Float64Array(h);
  const fits = new Uint8Array(n);
  const unplaced: number[] = [];
  for (let i = 0; i < order.length; i++) {
    if ((i & 63) === 63) {
      await ctl.tick();
      // Out of time: the rest (the lighter shards) by least load.
      if (ctl.outOfTime('the policy roll-out')) {
        state.settle();
        unplaced.push(...finishPass(state, order.slice(i), order.length, ctl));
        break;
      }
    }
    const s = order[i];
    let cmin = Infinity;
    let cmax = 0;
    for (let g = 0; g < n; g++) {
      // The cost input the policy was trained on (models/policy/simulator.py):
      // compute + the pooled all-to-all forward and backward, without the ids
      // all-to-all and row-block groups of the planner's step.
      cost[g] = (state.fwd[g] + state.bwd[g] + 2 * state.oracle.pooledMs(g)) / scales.cost;
      if (cost[g] > cmax) cmax = cost[g];
      fits[g] = state.canHost(g, s) ? 1 : 0;
      if (fits[g] && cost[g] < cmin) cmin = cost[g];
    }
    if (cmin === Infinity) {
      unplaced.push(s);
      remaining -= solo[s];
      continue;
    }
    const { x, enc } = encode(s);
    policy.stepPart(policy.tablePart(enc, x, tablePart), cmin, cmax, remaining / total, stepPart);
    let best = -1;
    let bestLogit = -Infinity;
    for (let g = 0; g < n; g++) {
      if (!fits[g]) continue;
      const l = policy.logitFast(gpuPart[g], stepPart, cost[g]);
      if (l > bestLogit) {
        bestLogit = l;
        best = g;
      }
    }
    // NaN logits (a cost model answering NaN) must not drop the shard: first GPU with room.
    if (best < 0) best = fits.indexOf(1);
    state.placeFast(s, best);
    gpuTensor[best] += tensorBytes(s);
    pool(best, enc);
    refresh(best);
    remaining -= solo[s];
  }
  state.settle();
  return unplaced;
}

export interface PolicySearchOptions {
  /** Predicted single-shard costs (soloCosts), when the caller has them. */
  solo?: Float64Array;
  /** Defaults to the shipped policy. */
  policy?: PolicyNetwork;
  /**
   * Refine the roll-out with the planner's local search (moves and swaps off
   * the max GPU). Default true: on the benchmark the bare roll-out is ~6%
   * behind the cost greedy on 20–100 tables (equal at 856); refined, it is
   * within ~5% of the search there (equal at 856) in 15–20% of the search's
   * time (test/bench/policy.bench.ts). False gives the bare roll-out.
   */
  refine?: boolean;
}

/**
 * The 'policy' strategy from a planner base state (layouts chosen, fixed
 * shards placed): policy roll-out, memory repair (makeRoom), then local search
 * unless `refine` is false. Same shape as search.ts costGreedy/gridSearch. Throws only when no
 * policy is given and the shipped one is unusable (planConfig turns it into a reason).
 */
export async function policySearch(base: PlanState, ctl: PlanControl, opts: PolicySearchOptions = {}): Promise<PlanState> {
  let policy = opts.policy;
  if (!policy) {
    const loaded = shippedPolicy();
    if (!loaded.ok) throw new Error(loaded.error);
    policy = loaded.policy;
  }
  const solo = opts.solo ?? (await soloCosts(base, ctl));
  const state = base.clone();
  await policyPlace(state, unplacedFree(state), solo, ctl, policy);
  await makeRoom(state, solo, ctl);
  if (opts.refine !== false) await localSearch(state, ctl, { solo });
  return state;
}
