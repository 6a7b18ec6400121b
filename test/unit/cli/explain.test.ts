/**
 * `shardlens explain FILE TABLE`, run in-process (runCli): the text and JSON
 * of one table's breakdown agree with the cost models' own functions (each
 * shard's traffic from fbgemm.ts / analytic.ts, its ms from the served model,
 * its memory from memory.ts), hand-computed memory and lookups, row blocks
 * with their own lookup share, the collectives of the table alone, and the
 * messages for a missing table or a bad command line.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadConfig } from '../../../server/src/config/load';
import { analyticShardBytes, shardTraffic } from '../../../server/src/cost/analytic';
import { FbgemmCostModel, fbgemmShardTraffic } from '../../../server/src/cost/fbgemm';
import { placementShards } from '../../../server/src/cost/shards';
import { explainTable } from '../../../server/src/engine/explainTable';
import { placedTableCosts } from '../../../server/src/engine/placedTables';
import { costEnv } from '../../../server/src/engine/tableCosts';
import { inProcessCli } from './runInProcess';

const { run, write, dir } = inProcessCli('shardlens-explain-');

const CONFIG = `version: 1
batch_size: 8192
dtype: fp16
optimizer: rowwise_adagrad
devices: {type: H100-80GB, count: 8, per_host: 4}
tables:
  - {name: huge, rows: 8_000_000, dim: 64, pooling: 10, zipf: 1.05, ids: sorted}
  - {name: wide, rows: 100_000, dim: 128, pooling: 2, zipf: 0.5}
  - {name: small, rows: 1_000, dim: 16, pooling: 1, zipf: 0}
  - {name: eager, rows: 50_000, dim: 32, pooling: 4, zipf: 0.8, kernel: torch_embedding_bag}
  - {name: lost, rows: 5_000, dim: 32, pooling: 1, zipf: 0}
placement:
  huge: {row: all}
  wide: {column: [2, 3]}
  small: 5
  eager: 6
  lost: 99
`;

describe('explain: JSON', () => {
  it("a table-wise table: hand-computed memory and lookups; traffic and ms are the FBGEMM model's own", async () => {
    write('a.shard.yaml', CONFIG);
    const r = await run(['explain', 'a.shard.yaml', 'small', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const x = JSON.parse(r.stdout);
    for (const k of ['file', 'table', 'optimizer', 'batch_size', 'device', 'placement', 'cost_model', 'counted_by', 'shards', 'range_notes', 'warnings']) assert.ok(k in x, k);
    assert.deepEqual(x.placement, { entry: 5, kind: 'table', torchrec: 'table_wise', placed: true });
    assert.equal(x.cost_model.kernel, 'fbgemm_tbe');
    assert.match(x.cost_model.model, /fbgemm-tbe analytic/);
    assert.equal(x.counted_by, 'fbgemm-tbe analytic');
    assert.equal(x.shards.length, 1);
    const s = x.shards[0];
    assert.equal(s.gpu, 5);
    assert.equal(s.host, 1);
    assert.deepEqual(s.rows, [0, 1000]);
    // 8,192 bags × pooling 1.
    assert.equal(s.lookups, 8192);
    // 1,000 × 16 × 2 B = 32,000 B of weights; rowwise_adagrad 4 B per row = 4,000 B.
    assert.equal(s.memory.weights_bytes, 32_000);
    assert.equal(s.memory.optimizer_state_bytes, 4_000);
    // I/O: ids 8 × 1 × 8,192 = 65,536 B in; 8,192 × 16 × 2 = 262,144 B out.
    assert.equal(s.memory.io_bytes, 65_536 + 262_144);
    assert.equal(s.memory.hbm_bytes, 36_000 + 65_536 + 262_144);
    // The model's own traffic function on the same shard.
    const loaded = loadConfig(path.join(dir(), 'a.shard.yaml'), CONFIG, { readFile: () => undefined });
    const config = loaded.config!;
    const [{ shard }] = placementShards(config.tables[2], config.placement!.get('small')!, { ...config.devices, batchSize: config.batchSize });
    const t = fbgemmShardTraffic(shard, costEnv(config));
    assert.deepEqual(s.bytes, { fwd_read: t.fwdReadBytes, fwd_written: t.fwdWrittenBytes, fwd_l2: t.fwdL2Bytes, bwd: t.bwdBytes, optimizer_state: t.stateBytes, host_link: 0 });
    // rowwise_adagrad: one fp32 read and written per distinct row.
    assert.ok(Math.abs(s.bytes.optimizer_state - 8 * s.distinct_rows) < 1e-6);
    const [c] = await new FbgemmCostModel('H100-80GB').predict([[shard]], costEnv(config));
    assert.equal(s.fwd_ms, c.fwdMs);
    assert.equal(s.bwd_ms, c.bwdMs);
    // Alone on GPU 5 of 8 (2 hosts): its ids come in, its pooled rows go out.
    assert.ok(s.comm_ms.input_dist > 0 && s.comm_ms.output_dist > 0 && s.comm_ms.grad_dist === s.comm_ms.output_dist);
    assert.equal(s.comm_ms.dp_sync, 0);
    assert.ok(Math.abs(s.comm_ms.total - (s.comm_ms.input_dist + s.comm_ms.output_dist + s.comm_ms.grad_dist)) < 1e-12);
  });

  it("a row-split table: every block with its own lookup share (summing to 1), lookups summing to the table's", async () => {
    write('a.shard.yaml', CONFIG);
    const x = JSON.parse((await run(['explain', 'a.shard.yaml', 'huge', '--format', 'json'])).stdout);
    assert.deepEqual(x.placement.entry, { row: 'all' });
    assert.equal(x.shards.length, 8);
    const share = x.shards.reduce((a: number, s: { block: { lookup_share: number } }) => a + s.block.lookup_share, 0);
    assert.ok(Math.abs(share - 1) < 1e-6, String(share));
    const lookups = x.shards.reduce((a: number, s: { lookups: number }) => a + s.lookups, 0);
    // 8,192 bags × pooling 10.
    assert.ok(Math.abs(lookups - 81_920) < 1e-3, String(lookups));
    // ids sorted: the first block holds the hot rows, so the most lookups and the slowest shard.
    assert.ok(x.shards[0].block.lookup_share > x.shards[7].block.lookup_share);
    assert.ok(x.shards[0].fwd_ms + x.shards[0].bwd_ms >= x.shards[7].fwd_ms + x.shards[7].bwd_ms);
    // 1,000,000 rows each: [offset, count].
    assert.deepEqual(
      x.shards.map((s: { rows: number[] }) => s.rows),
      Array.from({ length: 8 }, (_, i) => [i * 1_000_000, 1_000_000]),
    );
  });

  it("PyTorch embedding_bag: bytes from the analytic model's count, priced by the learned model", async () => {
    write('a.shard.yaml', CONFIG);
    const x = JSON.parse((await run(['explain', 'a.shard.yaml', 'eager', '--format', 'json'])).stdout);
    assert.equal(x.counted_by, 'analytic (PyTorch embedding_bag)');
    assert.equal(x.cost_model.kernel, 'torch_embedding_bag');
    const config = loadConfig(path.join(dir(), 'a.shard.yaml'), CONFIG, { readFile: () => undefined }).config!;
    const [{ shard }] = placementShards(config.tables[3], config.placement!.get('eager')!, { ...config.devices, batchSize: config.batchSize });
    const b = analyticShardBytes(shardTraffic(shard, costEnv(config)));
    assert.equal(x.shards[0].bytes.fwd_read, b.fwdReadBytes);
    assert.equal(x.shards[0].bytes.bwd, b.bwdBytes);
  });

  it("a table whose entry cannot be used: the entry's error in warnings, the table whole on GPU 0", async () => {
    write('a.shard.yaml', CONFIG);
    const r = await run(['explain', 'a.shard.yaml', 'lost', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const x = JSON.parse(r.stdout);
    assert.equal(x.placement.placed, false);
    assert.equal(x.shards[0].gpu, 0);
    assert.ok(
      x.warnings.some((w: { code: string }) => w.code === 'SL041'),
      JSON.stringify(x.warnings),
    );
  });
});

describe('explain: text', () => {
  it('per-step rows, one column per shard (slowest first beyond six), the model and kernel, GPU-ms over all shards', async () => {
    write('a.shard.yaml', CONFIG);
    const r = await run(['explain', 'a.shard.yaml', 'huge']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ShardLens explain · a\.shard\.yaml · huge/);
    assert.match(r.stdout, /placement huge: \{row: all\} — row-wise \(TorchRec row_wise\), 8 shards/);
    assert.match(r.stdout, /kernel fbgemm_tbe · priced by fbgemm-tbe analytic: H100-80GB \(analytic\)/);
    for (const label of [
      'lookups',
      "share of the table's lookups",
      'on its hottest 1% of rows',
      'distinct rows',
      'L2 hit rate',
      'forward HBM read',
      'forward HBM written',
      'backward read + written',
      'of which optimizer state',
      'forward ms',
      'backward ms',
      'input dist ms',
      'output dist ms',
      'HBM',
      'optimizer state held',
    ]) {
      assert.match(r.stdout, new RegExp(`\\n  \\s*${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s`), label);
    }
    assert.match(r.stdout, /shard 0 \(slowest\)/);
    assert.match(r.stdout, /… 2 more shards \(--format json lists every shard\)/);
    assert.match(r.stdout, /all 8 shards: forward [\d.]+ \+ backward [\d.]+ GPU-ms · HBM [\d.,]+ [KMG]iB/);
  });

  it('an unplaced or broken entry says so on stderr; range notes of the model are listed', async () => {
    write('a.shard.yaml', CONFIG);
    const r = await run(['explain', 'a.shard.yaml', 'lost']);
    assert.match(r.stderr, /SL041 GPU 99 does not exist/);
    assert.match(r.stderr, /the placement entry of 'lost' cannot be used as written/);
    assert.match(r.stdout, /no usable placement entry: shown whole on GPU 0/);
    // The learned model of torch_embedding_bag was measured on SGD steps: adam is a range note (SL110).
    write('b.shard.yaml', CONFIG.replace('optimizer: rowwise_adagrad', 'optimizer: adam'));
    const eager = await run(['explain', 'b.shard.yaml', 'eager']);
    assert.equal(eager.code, 0, eager.stderr);
    assert.match(eager.stdout, /range notes \(the cost model's measured range\):\n\s+SL110 optimizer adam was never measured/);
    const json = JSON.parse((await run(['explain', 'b.shard.yaml', 'eager', '--format', 'json'])).stdout);
    assert.ok(
      json.range_notes.some((n: { input: string; level: string }) => n.input === 'optimizer' && n.level === 'warning'),
      JSON.stringify(json.range_notes),
    );
  });
});

describe('explain: mistakes', () => {
  it('a table that is not there: exit 1 with the nearest name; JSON says so too', async () => {
    write('a.shard.yaml', CONFIG);
    const r = await run(['explain', 'a.shard.yaml', 'hug']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /a\.shard\.yaml: no table 'hug'; did you mean 'huge'\?/);
    const j = await run(['explain', 'a.shard.yaml', 'nothing-like-it', '--format', 'json']);
    assert.equal(j.code, 1);
    assert.match(JSON.parse(j.stdout).error, /no table 'nothing-like-it'$/);
  });

  it('usage: FILE and TABLE are required; extra words and plan options are refused (exit 2)', async () => {
    for (const args of [['explain'], ['explain', 'a.shard.yaml'], ['explain', 'a.shard.yaml', 'huge', 'wide'], ['explain', 'a.shard.yaml', 'huge', '--strategy', 'greedy']]) {
      const r = await run(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /shardlens/);
    }
  });

  it('a config with errors cannot be explained: exit 1, the errors, nothing on stdout', async () => {
    write('bad.shard.yaml', CONFIG.replace('dim: 16', 'dim: 15'));
    const r = await run(['explain', 'bad.shard.yaml', 'small']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /cannot explain: fix the 1 error above first/);
  });
});

describe('explain and plan --tables price the same shards', () => {
  it("the slowest shard of explain is the --tables row; a table-wise table's is the table alone (its code lens)", async () => {
    const config = loadConfig(path.join(dir(), 'a.shard.yaml'), CONFIG.replace('  lost: 99\n', '  lost: 0\n'), { readFile: () => undefined }).config!;
    const model = new FbgemmCostModel('H100-80GB');
    const rows = await placedTableCosts(config, config.placement!, model);
    for (const name of ['huge', 'wide', 'small']) {
      const x = (await explainTable(config, model, name))!;
      const row = rows.find((r) => r.name === name)!;
      const slowest = x.shards.reduce((a, b) => (b.fwdMs + b.bwdMs > a.fwdMs + a.bwdMs ? b : a));
      assert.equal(row.fwdMs, slowest.fwdMs, name);
      assert.equal(row.bwdMs, slowest.bwdMs, name);
      assert.equal(row.slowestGpu, slowest.gpu, name);
      assert.equal(
        row.memoryBytes,
        x.shards.reduce((a, s) => a + s.memory.hbmBytes, 0),
        name,
      );
      assert.equal(row.shards, x.shards.length);
    }
    const small = rows.find((r) => r.name === 'small')!;
    const [alone] = await model.predict([[{ table: 'small', rows: 1000, dim: 16, pooling: 1, zipf: 0, dtypeBytes: 2, kernel: 'fbgemm_tbe' }]], costEnv(config));
    assert.equal(small.fwdMs, alone.fwdMs);
    assert.equal(small.bwdMs, alone.bwdMs);
  });
});
