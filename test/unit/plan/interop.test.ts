import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { importTables } from '../../../server/src/engine/importTables';
import { loadConfig } from '../../../server/src/config/load';
import { renderPlacement } from '../../../server/src/config/placementText';
import { AnalyticCostModel } from '../../../server/src/cost/analytic';
import { evaluatePlacement } from '../../../server/src/plan/evaluate';
import { planConfig } from '../../../server/src/plan/planner';
import { config, table } from './fixtures';

const model = new AnalyticCostModel();
const noFiles = { readFile: () => undefined };

describe('placement round trip', () => {
  it('a column/row plan renders as YAML, loads back unchanged and scores the same', async () => {
    const cfg = config(
      [
        table('huge', 400_000_000, 128),
        table('wide', 2_000_000, 256, { pooling: 60, zipf: 1.1, sharding: ['column'] }),
        ...Array.from({ length: 10 }, (_, i) => table(`t${i}`, 500_000 * (i + 1), 32, { pooling: 2 + i })),
      ],
      4,
    );
    const plan = await planConfig(cfg, 'column', model, { seed: 0 });
    assert.equal(plan.feasible, true, plan.reasons.join('; '));
    const kinds = new Set([...plan.placement.values()].map((e) => e.kind));
    assert.ok(kinds.has('row') && kinds.has('column'), `row and column entries present: ${[...kinds]}`);

    const tableLines = cfg.tables.flatMap((t) => [
      `  - name: ${t.name}`,
      `    rows: ${t.rows}`,
      `    dim: ${t.dim}`,
      `    pooling: ${t.pooling}`,
      `    zipf: ${t.zipf}`,
      `    sharding: [${t.sharding.join(', ')}]`,
    ]);
    const text = [
      'version: 1',
      'batch_size: 65536',
      'dtype: fp16',
      'optimizer: rowwise_adagrad',
      'devices:',
      '  type: H100-80GB',
      '  count: 4',
      '  per_host: 4',
      '  reserve: 0.15',
      'tables:',
      ...tableLines,
      renderPlacement(
        plan.placement,
        cfg.tables.map((t) => t.name),
      ),
    ].join('\n');
    const loaded = loadConfig('/x/rt.shard.yaml', text, noFiles);
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
    assert.deepEqual(
      errors.map((d) => `${d.code} ${d.message}`),
      [],
    );
    assert.deepEqual([...loaded.config!.placement!], [...plan.placement]);
    const again = await evaluatePlacement(loaded.config!, loaded.config!.placement!, model);
    assert.equal(again.feasible, true, again.reasons.join('; '));
    assert.ok(Math.abs(again.maxMs - plan.maxMs) <= 1e-6 * plan.maxMs);
  });
});

describe('evaluatePlacement reasons', () => {
  it('names every problem of a hand-written placement', async () => {
    const cfg = config(
      [table('a', 1000, 16, { pin: 1 }), table('b', 1000, 16, { sharding: ['table'] }), table('c', 1000, 20), table('d', 300_000_000, 128), table('e', 1000, 16)],
      2,
    );
    const placement = new Map([
      ['a', { kind: 'table' as const, gpu: 0 }],
      ['b', { kind: 'column' as const, gpus: [0, 1] }],
      ['c', { kind: 'column' as const, gpus: [0, 1] }],
      ['d', { kind: 'table' as const, gpu: 5 }],
      ['ghost', { kind: 'table' as const, gpu: 0 }],
    ]);
    const r = await evaluatePlacement(cfg, placement, model);
    assert.equal(r.feasible, false);
    const text = r.reasons.join('\n');
    assert.match(text, /a is pinned to GPU 1/);
    assert.match(text, /b is placed column-wise but allows only table/);
    assert.match(text, /c: dim 20 split into 2 column shards is not a multiple of 4/);
    assert.match(text, /d is placed on GPU 5/);
    assert.match(text, /e is not placed/);
    assert.match(text, /ghost, which is not in the config/);
    const over = await evaluatePlacement(cfg, new Map([...placement, ['d', { kind: 'table' as const, gpu: 0 }]]), model);
    assert.match(over.reasons.join('\n'), /GPU 0 needs [\d.,]+ GiB for its shards but has [\d.,]+ GiB \(HBM after reserve 0\.15, dense 0 B and ids [\d.,]+ [KM]iB\)/);
  });
});

describe('importTables', () => {
  it('builds a config from CSV that loads without errors', () => {
    const csv = 'name,num_embeddings,embedding_dim,pooling_factor,skew\nuser_id,50_000_000,128,1,1.05\n"item, hist",2000000,64,35.5,0.9\ncountry,200,16,1,\n';
    const r = importTables('/x/tables.csv', csv);
    assert.deepEqual(r.errors, []);
    assert.equal(r.tables, 3);
    const loaded = loadConfig('/x/m.shard.yaml', r.yaml!, noFiles);
    assert.deepEqual(
      loaded.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
      [],
    );
    const c = loaded.config!;
    assert.deepEqual(
      c.tables.map((t) => [t.name, t.rows, t.dim, t.pooling, t.zipf]),
      [
        ['user_id', 50_000_000, 128, 1, 1.05],
        ['item, hist', 2_000_000, 64, 35.5, 0.9],
        ['country', 200, 16, 1, 0],
      ],
    );
    assert.equal(c.devices.type, 'H100-80GB');
    assert.equal(c.devices.count % 8, 0);
  });

  it('builds a config from JSON and reports bad rows with their lines', () => {
    const json = `{
  "tables": [
    {"name": "a", "rows": 1000, "dim": 64, "pooling": 2},
    {"name": "b", "rows": -5, "dim": 64, "pooling": 2},
    {"name": "c", "rows": 10, "dim": 30, "pooling": 2},
    {"name": "d", "rows": 10, "dim": 32},
    {"name": "a", "rows": 10, "dim": 32, "pooling": 1}
  ]
}`;
    const r = importTables('/x/t.json', json, { device: 'A100-80GB', count: 16 });
    assert.equal(r.tables, 1);
    assert.deepEqual(
      r.errors.map((e) => e.line),
      [4, 5, 6, 7],
    );
    assert.match(r.errors[0].message, /num_embeddings \(rows\) must be a whole number/);
    assert.match(r.errors[1].message, /multiple of 4.*use 32/);
    assert.match(r.errors[2].message, /pooling .* is missing/);
    assert.match(r.errors[3].message, /duplicate table name "a"/);
    assert.match(r.yaml!, /type: A100-80GB\n {2}count: 16\n/);
  });

  it('rejects unusable input with a located message', () => {
    assert.equal(importTables('/x/t.csv', 'name,rows\nA,10\n').yaml, undefined);
    assert.match(
      importTables('/x/t.csv', 'name,rows\nA,10\n')
        .errors.map((e) => e.message)
        .join(';'),
      /missing column "embedding_dim"/,
    );
    const bad = importTables('/x/t.json', '[{"name": "a",');
    assert.equal(bad.yaml, undefined);
    assert.match(bad.errors[0].message, /invalid JSON/);
    assert.match(importTables('/x/t.csv', 'name,rows,dim,pooling\na,1,4,1\n', { device: 'TPU' }).errors[0].message, /unknown device type/);
  });
});
