/**
 * Shared helpers for the policy tests: the shipped policy files and fixtures
 * (written by models/policy/export.py), and a planner base state for a config
 * built the way planner.ts builds it (Catalog, initial layouts, PlanState).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import type { ShardConfig } from '../../../server/src/config/types';
import type { CostModel } from '../../../server/src/cost/types';
import { Catalog } from '../../../server/src/plan/catalog';
import { CommOracle } from '../../../server/src/plan/commOracle';
import { initialLayouts } from '../../../server/src/plan/layouts';
import { PlanState } from '../../../server/src/plan/state';

export const MODELS_DIR = path.resolve(__dirname, '../../../models');
export const POLICY_ONNX = path.join(MODELS_DIR, 'policy-v1.onnx');
export const POLICY_SIDECAR = path.join(MODELS_DIR, 'policy-v1.json');
export const POLICY_FIXTURES = path.join(MODELS_DIR, 'fixtures', 'policy-fixtures.json');

export interface StepFixture {
  table_x: number[]; gpu_pooled: number[][]; gpu_scalars: number[][]; cross: number[][];
  logits: number[]; table_enc: number[];
}
export interface RolloutFixture {
  gpus: number; per_host: number; batch: number; optimizer: 'sgd' | 'rowwise_adagrad' | 'adam'; capacity_bytes: number;
  tables: { rows: number; dim: number; pooling: number; alpha: number; dtype_bytes: 2 | 4; pin: number | null; cost_ms: number }[];
  features: number[][]; order: number[]; gpu_of_table: number[]; overflow: boolean;
}
export interface PolicyFixtures { policy: string; steps: StepFixture[]; rollouts: RolloutFixture[] }

export function policyFixtures(): PolicyFixtures {
  return JSON.parse(readFileSync(POLICY_FIXTURES, 'utf8')) as PolicyFixtures;
}

/** A config for a rollout fixture: capacity exact (reserve 0), tables t0..tN-1 table-wise. */
export function fixtureConfig(fx: RolloutFixture): ShardConfig {
  return {
    version: 1, batchSize: fx.batch, dtype: 'fp32', optimizer: fx.optimizer, kernel: 'torch_embedding_bag', denseBytes: 0,
    devices: { type: 'H100-80GB', count: fx.gpus, perHost: fx.per_host, reserve: 0, ...GPU_PRESETS['H100-80GB'], memoryBytes: fx.capacity_bytes },
    tables: fx.tables.map((t, i) => ({
      name: `t${i}`, rows: t.rows, dim: t.dim, pooling: t.pooling, zipf: t.alpha,
      dtype: t.dtype_bytes === 2 ? 'fp16' as const : 'fp32' as const, kernel: 'torch_embedding_bag' as const, ids: 'hashed' as const, sharding: ['table' as const],
      ...(t.pin === null ? {} : { pin: t.pin }),
    })),
  };
}

/**
 * Test double of a cost model: a set costs the sum of its shards' given costs
 * (split half forward, half backward), as the fixtures' additive simulator
 * (whose all-to-all term is the same formula as cost/comm.ts).
 */
export function additiveModel(costOf: (table: string) => number): CostModel {
  return {
    name: 'test: additive', source: 'analytic',
    async predict(sets) {
      return sets.map((set) => { const c = set.reduce((a, s) => a + costOf(s.table), 0); return { fwdMs: c / 2, bwdMs: c / 2 }; });
    },
    prepare(shards) {
      const c = shards.map((s) => costOf(s.table));
      return { score(members) { let t = 0; for (const m of members) t += c[m]; return { fwdMs: t / 2, bwdMs: t / 2 }; } };
    },
  };
}

/** The planner's base state for a config: layouts chosen, nothing placed. */
export function baseState(config: ShardConfig, model: CostModel): { state: PlanState; reasons: string[] } {
  const cat = new Catalog(config);
  const initial = initialLayouts(cat);
  const state = new PlanState(cat, model.prepare(cat.shards, cat.env), new CommOracle(cat.gpus, cat.env));
  initial.layouts.forEach((l, t) => { state.layoutOf[t] = l; });
  return { state, reasons: initial.reasons };
}
