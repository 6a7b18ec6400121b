/** A test-double cost model and model caches for the engine tests (sweep, plan diff, gate). */
import { createCostModelCache, type CostModels } from '../../../server/src/engine';
import type { DeviceSpec } from '../../../server/src/config/types';
import type { ComputeCost, CostEnv, CostModel, Shard } from '../../../server/src/cost/types';

/**
 * Cost proportional to rows × dim × pooling (ms), summed over a set, divided by
 * the device's HBM bandwidth relative to an H100 so that GPU types differ.
 */
export class LinearModel implements CostModel {
  readonly source = 'analytic' as const;
  predicts = 0;
  constructor(readonly name = 'fake: linear') {}
  private cost(s: Shard, env: CostEnv): ComputeCost {
    const w = ((s.rows * s.dim * s.pooling) / 1e9) * (3350 / env.device.hbmGBps);
    return { fwdMs: w, bwdMs: 2 * w };
  }
  async predict(sets: readonly (readonly Shard[])[], env: CostEnv): Promise<ComputeCost[]> {
    this.predicts++;
    return sets.map((set) =>
      set.reduce(
        (a, s) => {
          const c = this.cost(s, env);
          return { fwdMs: a.fwdMs + c.fwdMs, bwdMs: a.bwdMs + c.bwdMs };
        },
        { fwdMs: 0, bwdMs: 0 },
      ),
    );
  }
  prepare(shards: readonly Shard[], env: CostEnv) {
    return {
      score: (members: readonly number[]) =>
        members.reduce(
          (a, i) => {
            const c = this.cost(shards[i], env);
            return { fwdMs: a.fwdMs + c.fwdMs, bwdMs: a.bwdMs + c.bwdMs };
          },
          { fwdMs: 0, bwdMs: 0 },
        ),
    };
  }
}

/** One model per GPU type (named after it), and the devices each load was asked for. */
export function modelsPerType(): { models: CostModels; byType: Map<string, LinearModel>; asked: DeviceSpec[] } {
  const byType = new Map<string, LinearModel>();
  const asked: DeviceSpec[] = [];
  const models = createCostModelCache(async (device) => {
    asked.push(device);
    let m = byType.get(device.type);
    if (!m) {
      m = new LinearModel(`fake: ${device.type}`);
      byType.set(device.type, m);
    }
    return { model: m };
  });
  return { models, byType, asked };
}
