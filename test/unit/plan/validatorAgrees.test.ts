/**
 * The validator and the planners agree on what fits (property tests,
 * fast-check). On random small clusters and tables sized around what one GPU
 * holds, with any allowed kinds, dims that split into 4-column widths or not,
 * pins, fp16/fp32, every optimizer, UVM caching and host memory:
 * - one table: `check` is clean exactly when some strategy finds a feasible plan;
 * - several: when `check` says the tables cannot fit (SL036 a table fits no
 *   GPU, SL037 the totals or too many tables needing over half a GPU each,
 *   SL052 no HBM left, SL054 pinned tables over their GPU), no strategy finds
 *   a plan; when it is clean and the tables need at most half the cluster,
 *   some strategy does. (Packing tightly filled GPUs is NP-hard: a clean check
 *   is not a promise there, and the properties do not claim it.)
 * The first failed because config/validateMemory.ts once let a column-only
 * table of dim 12 count as split over 2 GPUs (12 / 2 = 6 columns is not a
 * multiple of 4): `check` was clean and every planner failed.
 * Scored by the FBGEMM analytic model (the planners' feasibility is memory
 * and placement rules, which do not depend on the model).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { loadConfig } from '../../../server/src/config/load';
import { memoryBudget, tableStorage } from '../../../server/src/cost/memory';
import { ALL_SHARDING_KINDS } from '../../../server/src/config/shardingKinds';
import type { ShardingKind } from '../../../server/src/config/types';
import { FbgemmCostModel } from '../../../server/src/cost/fbgemm';
import { planConfig } from '../../../server/src/plan/planner';
import type { Strategy } from '../../../server/src/plan/types';
import { property, runs } from '../../fuzz/runs';

const GIB = 2 ** 30;
const model = new FbgemmCostModel('H100-80GB');

/** Cheap strategies first; the rest only when they fail (a counterexample then runs all). */
const STRATEGY_ORDER: Strategy[] = ['greedy', 'column', 'best', 'search', 'torchrec', 'size', 'round-robin', 'policy'];

interface TableCase {
  rowsFactor: number;
  dim: number;
  pooling: number;
  kinds?: ShardingKind[];
  pin?: number;
  fp16: boolean;
  uvm: boolean;
}
interface Case {
  count: number;
  perHost: number;
  memGiB: number;
  hostGiB: number;
  optimizer: string;
  batch: number;
  tables: TableCase[];
}

const tableArb = fc.record({
  // Weights per table from 1/100 to 6 × one GPU's memory, log-uniform: around the boundary.
  rowsFactor: fc.double({ min: Math.log(0.01), max: Math.log(6), noNaN: true }),
  dim: fc.constantFrom(4, 8, 12, 16, 20, 24, 36, 64, 128),
  pooling: fc.constantFrom(1, 4, 20),
  kinds: fc.option(fc.subarray([...ALL_SHARDING_KINDS], { minLength: 1 }), { nil: undefined, freq: 2 }),
  pin: fc.option(fc.nat(7), { nil: undefined, freq: 6 }),
  fp16: fc.boolean(),
  uvm: fc.constantFrom(false, false, false, true),
});

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    shape: fc.constantFrom([1, 1], [2, 2], [2, 1], [4, 4], [4, 2], [8, 4], [6, 4]),
    memGiB: fc.constantFrom(8, 24, 80),
    hostGiB: fc.constantFrom(16, 256),
    optimizer: fc.constantFrom('sgd', 'adagrad', 'rowwise_adagrad', 'adam'),
    batch: fc.constantFrom(4096, 65536),
    tables: fc.array(tableArb, { minLength: 1, maxLength: 4 }),
  })
  .map((c) => ({ count: c.shape[0], perHost: c.shape[1], memGiB: c.memGiB, hostGiB: c.hostGiB, optimizer: c.optimizer, batch: c.batch, tables: c.tables }));

function rowsOf(t: TableCase, c: Case): number {
  const bytesPerRow = t.dim * (t.fp16 ? 2 : 4);
  return Math.max(1, Math.round((Math.exp(t.rowsFactor) * c.memGiB * GIB) / bytesPerRow));
}

function yaml(c: Case): string {
  const lines = [
    'version: 1',
    `batch_size: ${c.batch}`,
    `optimizer: ${c.optimizer}`,
    `devices: {type: H100-80GB, count: ${c.count}, per_host: ${c.perHost}, memory_bytes: ${c.memGiB * GIB}, host_memory_bytes: ${c.hostGiB * GIB}}`,
    'tables:',
  ];
  c.tables.forEach((t, i) => {
    const parts = [`name: t${i}`, `rows: ${rowsOf(t, c)}`, `dim: ${t.dim}`, `pooling: ${t.pooling}`, 'zipf: 0.9', `dtype: ${t.fp16 ? 'fp16' : 'fp32'}`];
    if (t.kinds) parts.push(`sharding: [${t.kinds.join(', ')}]`);
    if (t.pin !== undefined && t.pin < c.count) parts.push(`pin: ${t.pin}`);
    if (t.uvm) parts.push('kernel: fbgemm_tbe_uvm_caching');
    lines.push(`  - {${parts.join(', ')}}`);
  });
  return `${lines.join('\n')}\n`;
}

/** The first strategy whose plan is feasible, and the reasons of the others. */
async function anyFeasible(text: string): Promise<{ feasible?: Strategy; reasons: string[] }> {
  const loaded = loadConfig('/w/p.shard.yaml', text, { readFile: () => undefined });
  const config = loaded.config!;
  const reasons: string[] = [];
  for (const s of STRATEGY_ORDER) {
    const plan = await planConfig(config, s, model, { seed: 1 });
    if (plan.feasible) return { feasible: s, reasons };
    reasons.push(`${s}: ${plan.reasons.slice(0, 2).join('; ')}`);
  }
  return { reasons };
}

const MEMORY_CODES = new Set(['SL036', 'SL037', 'SL052', 'SL054']);

/**
 * The completeness properties leave out clusters whose last host is partly
 * filled: the planners cut table_row, table_column and grid for full hosts, so
 * such a host takes none of them although a placement could use it (a gap of
 * the planners; the validator counts grid on full hosts only, as they do).
 */
function fullHosts(c: Case): boolean {
  return c.count % c.perHost === 0;
}

function check(text: string): { errors: string[]; loaded: ReturnType<typeof loadConfig> } {
  const loaded = loadConfig('/w/p.shard.yaml', text, { readFile: () => undefined });
  return { errors: loaded.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`), loaded };
}

/** The largest share of the cluster's HBM for shards or host memory the tables need (one copy each, cost/memory.ts). */
function fill(loaded: ReturnType<typeof loadConfig>): number {
  const config = loaded.config!;
  const budget = memoryBudget(config);
  const n = config.devices.count;
  let hbm = 0;
  let host = 0;
  for (const t of config.tables) {
    const s = tableStorage(t, config.optimizer);
    hbm += s.hbm;
    host += s.host;
  }
  return Math.max(hbm / Math.max(1, budget.shardBytes * n), budget.hostBytes > 0 ? host / (budget.hostBytes * n) : host > 0 ? Infinity : 0);
}

describe('the validator and the planners agree on what fits', () => {
  it('one table: check is clean exactly when some strategy finds a feasible plan', async () => {
    await property(
      'validator agrees with planners (one table)',
      fc.asyncProperty(
        caseArb.map((c) => ({ ...c, tables: c.tables.slice(0, 1) })),
        async (c) => {
          if (!fullHosts(c)) return;
          const text = yaml(c);
          const { errors, loaded } = check(text);
          if (errors.some((e) => !MEMORY_CODES.has(e.slice(0, 5)))) return; // not a memory verdict (none expected)
          if (!loaded.config) return;
          const r = await anyFeasible(text);
          if (errors.length === 0) assert.ok(r.feasible, `check is clean but no strategy finds a feasible plan:\n${text}${r.reasons.join('\n')}`);
          else assert.equal(r.feasible, undefined, `check says ${errors.join(' / ')}\nbut ${r.feasible} found a feasible plan:\n${text}`);
        },
      ),
      runs(40),
    );
  });

  it('several tables: a memory error means no strategy can fit them', async () => {
    await property(
      'validator agrees with planners (errors are sound)',
      fc.asyncProperty(caseArb, async (c) => {
        const text = yaml(c);
        const { errors, loaded } = check(text);
        if (errors.length === 0 || !errors.every((e) => MEMORY_CODES.has(e.slice(0, 5))) || !loaded.config) return;
        const r = await anyFeasible(text);
        assert.equal(r.feasible, undefined, `check says ${errors.join(' / ')}\nbut ${r.feasible} found a feasible plan:\n${text}`);
      }),
      runs(40),
    );
  });

  it('several tables, clean, filling at most half the cluster, no pins: some strategy fits them', async () => {
    // Bin packing is NP-hard: a clean check (each table fits, the totals fit, no
    // two crowding tables per GPU, pins fit) cannot promise that tightly filled
    // GPUs pack. With half the cluster free it must, unless a pin fills its GPU
    // and a row-only table needs a block there too: the planners place row
    // splits over every GPU (TorchRec's row_wise), so that is infeasible for
    // them although `{row: [GPUs but the pinned one]}` would fit (a placement
    // TorchRec cannot express, SL050). Pins are left out of this property.
    await property(
      'validator agrees with planners (clean with room)',
      fc.asyncProperty(caseArb, async (c) => {
        if (!fullHosts(c) || c.tables.some((t) => t.pin !== undefined)) return;
        const text = yaml(c);
        const { errors, loaded } = check(text);
        if (errors.length > 0 || !loaded.config || fill(loaded) > 0.5) return;
        const r = await anyFeasible(text);
        assert.ok(
          r.feasible,
          `check is clean, the tables fill ${(fill(loaded) * 100).toFixed(0)}% of the cluster, but no strategy finds a feasible plan:\n${text}${r.reasons.join('\n')}`,
        );
      }),
      runs(40),
    );
  });

  it('pinned tables go first: a group split placed before a pin no longer fills the pinned GPU', async () => {
    // t0 pinned to GPU 0 takes 6.6 GiB of its 6.80 GiB (UVM cache 0.2 × 24 GiB + metadata);
    // t1 (16 GiB, dim 4: no column split) fits as table_row over host 1 only.
    const text = `version: 1
batch_size: 4096
optimizer: adagrad
devices: {type: H100-80GB, count: 8, per_host: 4, memory_bytes: 8589934592, host_memory_bytes: 274877906944}
tables:
  - {name: t0, rows: 268435456, dim: 16, pooling: 1, zipf: 0.9, dtype: fp16, pin: 0, kernel: fbgemm_tbe_uvm_caching}
  - {name: t1, rows: 536870912, dim: 4, pooling: 1, zipf: 0.9, dtype: fp32}
`;
    assert.deepEqual(check(text).errors, []);
    // The default strategy (before pins went first, every strategy failed on t0).
    const plan = await planConfig(check(text).loaded.config!, 'best', model, { seed: 1 });
    assert.equal(plan.feasible, true, plan.reasons.join('; '));
    assert.deepEqual(plan.placement.get('t0'), { kind: 'table', gpu: 0 });
    assert.deepEqual(plan.placement.get('t1'), { kind: 'table_row', host: 1 });
  });

  it('pinned tables over their GPU and crowding tables are errors (SL054, SL037), where the planners fail too', async () => {
    const pinned = `version: 1
batch_size: 4096
devices: {type: H100-80GB, count: 2, per_host: 2}
tables:
  - {name: a, rows: 400_000_000, dim: 32, pooling: 1, pin: 0}
  - {name: b, rows: 400_000_000, dim: 32, pooling: 1, pin: 0}
`;
    const p = check(pinned);
    // 400M × 32 × 4 B = 51.2e9 B = 47.68 GiB each (sgd), 95.37 GiB together > 67.30 GiB.
    assert.deepEqual(
      p.errors.map((e) => e.slice(0, 5)),
      ['SL054', 'SL054'],
    );
    assert.match(p.errors[0], /pinned to GPU 0 \('a', 'b'\) need 95\.37 GiB of HBM but GPU 0 has 67\.30 GiB/);
    assert.equal((await anyFeasible(pinned)).feasible, undefined);
    const crowded = `version: 1
batch_size: 4096
devices: {type: H100-80GB, count: 2, per_host: 2, host_memory_bytes: 17179869184}
tables:
  - {name: a, rows: 80_000_000, dim: 32, pooling: 1, kernel: fbgemm_tbe_uvm_caching, sharding: [table]}
  - {name: b, rows: 80_000_000, dim: 32, pooling: 1, kernel: fbgemm_tbe_uvm_caching, sharding: [table]}
  - {name: c, rows: 80_000_000, dim: 32, pooling: 1, kernel: fbgemm_tbe_uvm_caching, sharding: [table]}
`;
    const q = check(crowded);
    // Each 80M × 32 × 4 B = 10.24e9 B = 9.54 GiB of host memory, over half of 16 GiB: one per GPU, 3 tables, 2 GPUs.
    assert.deepEqual(
      q.errors.map((e) => e.slice(0, 5)),
      ['SL037'],
    );
    assert.match(q.errors[0], /3 tables need more than half of a GPU's host memory \(8 GiB\)/);
    assert.equal((await anyFeasible(crowded)).feasible, undefined);
    const hostTotal = crowded.replace(/, sharding: \[table\]/g, '').replace('rows: 80_000_000, dim: 32, pooling: 1, kernel', 'rows: 160_000_000, dim: 32, pooling: 1, kernel');
    // 160M × 128 B = 19.07 GiB + 2 × 9.54 GiB = 38.15 GiB of host memory > 2 × 16 GiB.
    assert.ok(
      check(hostTotal).errors.some((e) => /UVM-cached tables need 38\.15 GiB of host memory .* hold 32 GiB/.test(e)),
      check(hostTotal).errors.join('\n'),
    );
  });

  it('the case that once disagreed: dim 12, 2e9 rows, sharding [column] on 2 × H100 is an error', () => {
    const text = `version: 1
batch_size: 8192
devices: {type: H100-80GB, count: 2, per_host: 2}
tables:
  - {name: big, rows: 2_000_000_000, dim: 12, pooling: 1, zipf: 1, sharding: [column]}
`;
    const d = loadConfig('/w/p.shard.yaml', text, { readFile: () => undefined }).diagnostics;
    assert.deepEqual(
      d.map((x) => x.code),
      ['SL036'],
      JSON.stringify(d.map((x) => x.message)),
    );
    // 2e9 × 12 × 4 B = 96e9 B = 89.41 GiB whole (12 columns cannot split into two widths of 4): more than 67.30 GiB.
    assert.match(d[0].message, /needs at least 89\.\d\d GiB on one GPU/);
  });
});
