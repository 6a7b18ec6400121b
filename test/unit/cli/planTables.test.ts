/**
 * What `shardlens plan` says about where tables went: the placement per GPU
 * in the text plan, and `--tables` (one row per table, text and JSON), run
 * in-process (runCli).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { placementTable } from '../../../server/src/cli/planTables';
import { loadConfig } from '../../../server/src/config/load';
import { inProcessCli } from './runInProcess';

const { run, write } = inProcessCli('shardlens-plantables-');

const CONFIG = `version: 1
batch_size: 8192
devices: {type: H100-80GB, count: 8, per_host: 4}
tables:
  - {name: a, rows: 1000, dim: 16, pooling: 1}
  - {name: b, rows: 100000, dim: 128, pooling: 2}
  - {name: c, rows: 8000000, dim: 64, pooling: 10}
  - {name: d, rows: 500, dim: 8, pooling: 1}
  - {name: e, rows: 2000000, dim: 32, pooling: 4}
  - {name: f, rows: 3000, dim: 16, pooling: 1}
placement:
  a: 1
  b: {column: [2, 3]}
  c: {row: all}
  d: dp
  e: {table_row: {host: 1}}
  f: 1
`;

describe('the placement in the text plan: one line per GPU', () => {
  it('each GPU its tables in config order, a split table with its kind and shard, tables on every GPU once on "all"', () => {
    const config = loadConfig('/w/a.shard.yaml', CONFIG, { readFile: () => undefined }).config!;
    const lines = placementTable(config, config.placement!)
      .split('\n')
      .map((l) => l.trimEnd());
    assert.deepEqual(lines.slice(2), [
      '    0  –',
      '    1  a, f',
      '    2  b (col 1/2)',
      '    3  b (col 2/2)',
      '    4  e (row 1/4)',
      '    5  e (row 2/4)',
      '    6  e (row 3/4)',
      '    7  e (row 4/4)',
      '  all  c (row), d (dp)',
    ]);
    assert.match(lines[0], /GPU\s+tables \(a split table: its kind and shard\)/);
  });

  it('shardlens plan prints it between the GPU table and the step', async () => {
    write('p.shard.yaml', CONFIG);
    const r = await run(['plan', 'p.shard.yaml', '--strategy', 'greedy']);
    assert.equal(r.code, 0, r.stderr);
    const gpuTable = r.stdout.indexOf('total ms');
    const placement = r.stdout.indexOf('tables (a split table: its kind and shard)');
    const step = r.stdout.indexOf('  step ');
    assert.ok(gpuTable > 0 && placement > gpuTable && step > placement, r.stdout);
    // Every table is named in the placement part.
    const part = r.stdout.slice(placement, step);
    for (const t of ['a', 'b', 'c', 'd', 'e', 'f']) assert.match(part, new RegExp(`\\b${t}\\b`), t);
  });
});

describe('plan --tables', () => {
  it('text: one row per table with kind, GPUs, fwd/bwd ms, ±, memory, kernel and model', async () => {
    write('p.shard.yaml', CONFIG);
    const r = await run(['plan', 'p.shard.yaml', '--strategy', 'greedy', '--tables']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /table\s+kind\s+GPUs\s+fwd ms\s+bwd ms\s+± ms\s+memory\s+kernel\s+model/);
    for (const t of ['a', 'b', 'c', 'd', 'e', 'f']) {
      assert.match(
        r.stdout,
        new RegExp(
          `\\n  ${t}\\s+(table-wise|column-wise|row-wise|data-parallel|table-row-wise|table-column-wise|grid)\\s+GPUs? [\\d,–]+.*\\s[\\d.]+\\s+[\\d.]+\\s+±[\\d.]+\\s+[\\d.,]+ [KMG]?i?B\\s+fbgemm_tbe\\s+fbgemm-tbe analytic: H100-80GB`,
        ),
        t,
      );
    }
    assert.match(r.stdout, /fwd\/bwd: the table's slowest shard alone on its GPU; memory: HBM of all its shards/);
  });

  it('JSON: a "tables" array, one object per table with the documented keys; none without --tables', async () => {
    write('p.shard.yaml', CONFIG);
    const r = await run(['plan', 'p.shard.yaml', '--strategy', 'greedy', '--tables', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout);
    assert.deepEqual(
      plan.tables.map((t: { table: string }) => t.table),
      ['a', 'b', 'c', 'd', 'e', 'f'],
    );
    for (const t of plan.tables) {
      for (const k of ['table', 'kind', 'gpus', 'shards', 'fwd_ms', 'bwd_ms', 'slowest_gpu', 'uncertainty_ms', 'memory_bytes', 'kernel', 'model'])
        assert.ok(k in t, `${k} in ${JSON.stringify(t)}`);
      assert.ok(t.fwd_ms > 0 && t.bwd_ms > 0 && t.memory_bytes > 0);
      assert.equal(t.shards, t.gpus.length);
      assert.ok(t.gpus.includes(t.slowest_gpu));
      // The table's GPUs are the ones the plan's placement gives it.
      const gpusWithIt = plan.gpus.filter((g: { tables: string[] }) => g.tables.includes(t.table)).map((g: { gpu: number }) => g.gpu);
      assert.deepEqual(
        [...t.gpus].sort((x: number, y: number) => x - y),
        gpusWithIt,
        t.table,
      );
    }
    const plain = JSON.parse((await run(['plan', 'p.shard.yaml', '--strategy', 'greedy', '--format', 'json'])).stdout);
    assert.ok(!('tables' in plain));
  });

  it('--tables with --compare or --export is a usage error (exit 2)', async () => {
    write('p.shard.yaml', CONFIG);
    for (const extra of [['--compare'], ['--export', 'torchrec']]) {
      const r = await run(['plan', 'p.shard.yaml', '--tables', ...extra]);
      assert.equal(r.code, 2, extra.join(' '));
      assert.match(r.stderr, /--tables lists the tables of one plan/);
    }
  });
});
