/**
 * Seeded DLRM-like planning tasks for the planner benchmark and tests,
 * DreamShard/NeuroShard style (docs/research/sharding-anchors.md §4.1, §6.1):
 * a table pool whose spreads mimic the DLRM datasets (heavy-tailed rows,
 * dims 4–256 in powers of two, heavy-tailed pooling 1–100, Zipf skew 0–1.2),
 * from which each task samples T tables for a cluster of N GPUs.
 */
import { GPU_PRESETS } from '../../server/src/config/presets';
import { DEFAULT_KERNEL, type DeviceSpec, type ShardConfig, type TableSpec } from '../../server/src/config/types';
import { tableMemoryBytes, usableMemoryBytes } from '../../server/src/cost/memory';
import { ALL_KINDS } from '../../server/src/plan/evaluate';
import { seededRng, type Rng } from '../../server/src/plan/rng';

const DIMS = [4, 8, 16, 32, 64, 128, 256];
// Dim weights: small and mid dims dominate DLRM configs; 256 is rare.
const DIM_WEIGHTS = [0.08, 0.14, 0.2, 0.2, 0.18, 0.14, 0.06];

function pickWeighted(rng: Rng, weights: number[]): number {
  let r = rng() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i];
    if (r <= 0) return i;
  }
  return weights.length - 1;
}

/** Standard normal from two uniforms (Box–Muller). */
function normal(rng: Rng): number {
  const u = Math.max(1e-12, rng());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** One table: rows log-normal around 10^5.5 clipped to [100, 2·10^8] (heavy tail), pooling log-normal in [1, 100]. */
export function makeTable(rng: Rng, name: string): TableSpec {
  const rows = Math.round(Math.min(2e8, Math.max(100, 10 ** (5.5 + 1.3 * normal(rng)))));
  const dim = DIMS[pickWeighted(rng, DIM_WEIGHTS)];
  const pooling = Math.round(Math.min(100, Math.max(1, Math.exp(1.2 + 1.1 * normal(rng)))) * 10) / 10;
  const zipf = Math.round(rng() * 1.2 * 100) / 100;
  return { name, rows, dim, pooling, zipf, dtype: 'fp16', kernel: DEFAULT_KERNEL, ids: 'hashed', sharding: [...ALL_KINDS] };
}

export function makePool(seed: number, size: number): TableSpec[] {
  const rng = seededRng(seed);
  return Array.from({ length: size }, (_, i) => makeTable(rng, `t${i}`));
}

export function h100(count: number, perHost = 8, reserve = 0.15): DeviceSpec {
  return { type: 'H100-80GB', count, perHost: Math.min(perHost, count), reserve, ...GPU_PRESETS['H100-80GB'] };
}

const OPTIMIZER = 'rowwise_adagrad';
/** Most a task's tables may take of the cluster's usable memory. */
const MAX_FILL = 0.7;

export interface TaskSpec {
  name: string;
  tables: number;
  gpus: number;
  seed: number;
  /** 'small'/'medium' count in the headline average; 'large' are the scale runs. */
  size: 'small' | 'medium' | 'large';
}

/** A task: `tables` tables sampled without replacement (with replacement beyond the pool) from a seeded pool. */
export function makeTask(spec: TaskSpec, poolSize = 856): ShardConfig {
  const pool = makePool(1000 + spec.seed, Math.max(poolSize, spec.tables));
  const rng = seededRng(spec.seed);
  const idx = pool.map((_, i) => i);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  // Like NeuroShard's task generator, keep tasks that fit: skip a sampled table
  // that would take the total over MAX_FILL of the cluster's usable memory.
  const devices = h100(spec.gpus);
  const budget = MAX_FILL * usableMemoryBytes(devices) * spec.gpus;
  const tables: TableSpec[] = [];
  let bytes = 0;
  for (const i of idx) {
    if (tables.length === spec.tables) break;
    const b = tableMemoryBytes(pool[i], OPTIMIZER);
    if (bytes + b > budget) continue;
    bytes += b;
    tables.push({ ...pool[i], name: `t${tables.length}` });
  }
  return { version: 1, batchSize: 65536, dtype: 'fp16', optimizer: OPTIMIZER, kernel: DEFAULT_KERNEL, denseBytes: 0, devices, tables };
}

export const BENCH_TASKS: TaskSpec[] = [
  ...[20, 50, 100].flatMap((tables) =>
    [2, 4, 8].flatMap((gpus) =>
      [0, 1, 2].map((seed): TaskSpec => ({
        name: `dlrm-${tables}/${gpus}#${seed}`,
        tables,
        gpus,
        seed,
        size: tables <= 50 ? 'small' : 'medium',
      })),
    ),
  ),
  { name: 'dlrm-856/64', tables: 856, gpus: 64, seed: 0, size: 'large' },
  { name: 'dlrm-856/128', tables: 856, gpus: 128, seed: 0, size: 'large' },
  { name: 'dlrm-5000/256', tables: 5000, gpus: 256, seed: 0, size: 'large' },
];

/** `--quick`: one seed per small/medium size and the 856/128 scale run. */
export const QUICK_TASKS: TaskSpec[] = BENCH_TASKS.filter((t) => t.seed === 0 && t.name !== 'dlrm-5000/256' && t.name !== 'dlrm-856/64');

/**
 * Held-out tuning tasks (`bench:plan -- --seeds tune`): the same sizes from
 * other seeds. Planner constants chosen by looking at plan quality (e.g. how
 * much of a predicted gain must exceed the model's error) are chosen on these,
 * and BENCH_TASKS (seeds 0–2) are only reported on, so the figures the bench
 * reports are not tuned to their own seeds.
 */
export const TUNE_TASKS: TaskSpec[] = [
  ...[20, 50, 100].flatMap((tables) =>
    [2, 4, 8].flatMap((gpus) =>
      [10, 11, 12].map((seed): TaskSpec => ({
        name: `dlrm-${tables}/${gpus}#${seed}`,
        tables,
        gpus,
        seed,
        size: tables <= 50 ? 'small' : 'medium',
      })),
    ),
  ),
  ...[10, 11, 12].map((seed): TaskSpec => ({ name: `dlrm-856/128#${seed}`, tables: 856, gpus: 128, seed, size: 'large' })),
  { name: 'dlrm-856/64#10', tables: 856, gpus: 64, seed: 10, size: 'large' },
];

/** `--quick --seeds tune`: one tuning seed per small/medium size and its 856/128 run. */
export const QUICK_TUNE_TASKS: TaskSpec[] = TUNE_TASKS.filter((t) => t.seed === 10 && t.gpus !== 64);
