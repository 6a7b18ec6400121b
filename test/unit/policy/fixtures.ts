/**
 * Shared helpers for the policy tests: the shipped policy files and fixtures
 * (written by models/policy/export.py), and a planner base state for a config
 * built the way planner.ts builds it (Catalog, initial layouts, PlanState).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import type { ShardConfig } from '../../../server/src/config/types';
import { shardMemoryBytes, usableMemoryBytes } from '../../../server/src/cost/memory';
import type { CostModel } from '../../../server/src/cost/types';
import { Catalog } from '../../../server/src/plan/catalog';
import { initialLayouts } from '../../../server/src/plan/layouts';
import { baseState as plannerBase } from '../../../server/src/plan/planner';
import type { PlanState } from '../../../server/src/plan/state';

export const MODELS_DIR = path.resolve(__dirname, '../../../models');
export const POLICY_ONNX = path.join(MODELS_DIR, 'policy-v1.onnx');
export const POLICY_SIDECAR = path.join(MODELS_DIR, 'policy-v1.json');
export const POLICY_FIXTURES = path.join(MODELS_DIR, 'fixtures', 'policy-fixtures.json');

export interface StepFixture {
  table_x: number[];
  gpu_pooled: number[][];
  gpu_scalars: number[][];
  cross: number[][];
  logits: number[];
  table_enc: number[];
}
export interface RolloutFixture {
  gpus: number;
  per_host: number;
  batch: number;
  optimizer: 'sgd' | 'rowwise_adagrad' | 'adam';
  capacity_bytes: number;
  tables: { rows: number; dim: number; pooling: number; alpha: number; dtype_bytes: 2 | 4; pin: number | null; cost_ms: number }[];
  features: number[][];
  order: number[];
  gpu_of_table: number[];
  overflow: boolean;
}
export interface PolicyFixtures {
  policy: string;
  steps: StepFixture[];
  rollouts: RolloutFixture[];
}

export function policyFixtures(): PolicyFixtures {
  return JSON.parse(readFileSync(POLICY_FIXTURES, 'utf8')) as PolicyFixtures;
}

/** A config for a rollout fixture: capacity exact (reserve 0), tables t0..tN-1 table-wise. */
export function fixtureConfig(fx: RolloutFixture): ShardConfig {
  return {
    version: 1,
    batchSize: fx.batch,
    dtype: 'fp32',
    optimizer: fx.optimizer,
    kernel: 'torch_embedding_bag',
    denseBytes: 0,
    devices: { type: 'H100-80GB', count: fx.gpus, perHost: fx.per_host, reserve: 0, ...GPU_PRESETS['H100-80GB'], memoryBytes: fx.capacity_bytes },
    tables: fx.tables.map((t, i) => ({
      name: `t${i}`,
      rows: t.rows,
      dim: t.dim,
      pooling: t.pooling,
      zipf: t.alpha,
      dtype: t.dtype_bytes === 2 ? ('fp16' as const) : ('fp32' as const),
      kernel: 'torch_embedding_bag' as const,
      ids: 'hashed' as const,
      sharding: ['table' as const],
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
    name: 'test: additive',
    source: 'analytic',
    async predict(sets) {
      return sets.map((set) => {
        const c = set.reduce((a, s) => a + costOf(s.table), 0);
        return { fwdMs: c / 2, bwdMs: c / 2 };
      });
    },
    prepare(shards) {
      const c = shards.map((s) => costOf(s.table));
      return {
        score(members) {
          let t = 0;
          for (const m of members) t += c[m];
          return { fwdMs: t / 2, bwdMs: t / 2 };
        },
      };
    },
  };
}

/**
 * The simulator that wrote the fixtures (models/policy/simulator.py) counts a
 * GPU's memory as weights + optimizer state against HBM × (1 − reserve); the
 * planner adds I/O buffers and the dense and ids reservations. This puts the
 * catalog on the simulator's accounting, so the same GPUs have room.
 */
export function simulatorMemory(cat: Catalog): void {
  cat.tables.forEach((_, t) => cat.layout(t, 'table'));
  cat.shards.forEach((s, i) => {
    cat.mem[i] = shardMemoryBytes(s.rows, s.dim, s.dtypeBytes, cat.config.optimizer);
  });
  (cat as { capacity: number }).capacity = usableMemoryBytes(cat.config.devices);
}

/** The planner's base state for a config: layouts chosen, nothing placed. */
export function baseState(config: ShardConfig, model: CostModel, prepare?: (cat: Catalog) => void): { state: PlanState; reasons: string[] } {
  const cat = new Catalog(config);
  prepare?.(cat);
  const initial = initialLayouts(cat);
  const state = plannerBase(cat, model.prepare(cat.shards, cat.env), initial.layouts);
  return { state, reasons: initial.reasons };
}
