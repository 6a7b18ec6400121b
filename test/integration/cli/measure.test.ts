/**
 * `shardlens measure` without a GPU: the specs it writes (geometry of
 * placementShards), --dry-run, the exit-2 messages (no GPU, no PyTorch, no
 * Python, a kernel this machine cannot run), usage errors, and the whole
 * pipeline — specs → collector on CPU tensors (a Python with torch: $PYTHON, else python3) →
 * predicted-vs-measured join — for a config built in code (kernel
 * torch_embedding_bag, which the collector can run on CPU).
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCommandLine } from '../../../server/src/cli/args';
import { createContext, type CliIo } from '../../../server/src/cli/context';
import { measurePlan } from '../../../server/src/cli/measure';
import type { MeasureJson } from '../../../server/src/cli/measureJson';
import { colours } from '../../../server/src/cli/textTable';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import type { ShardConfig } from '../../../server/src/config/types';
import { AnalyticCostModel } from '../../../server/src/cost/analytic';
import { blockLookupShare } from '../../../server/src/cost/rowBlocks';
import { pythonWith } from '../../../server/src/io/python';
import { evaluatePlacement } from '../../../server/src/plan/evaluate';
import { parseMeasuredLines } from '../../../server/src/plan/measuredJoin';
import { ensureBuilt } from '../lsp/lspClient';
import { runCliProcess } from './cliProcess';

/** A Python with PyTorch: $PYTHON, else python3 (what `measure` itself runs). */
const torchPython = pythonWith(['torch']);
function systemPython(): string {
  if (!torchPython.ok) assert.fail(torchPython.why);
  return torchPython.python;
}
let dir: string;

const CONFIG = `version: 1
batch_size: 512
dtype: fp32
optimizer: sgd
devices:
  type: H100-80GB
  count: 2
  per_host: 2
tables:
  - {name: a, rows: 2000, dim: 16, pooling: 2, zipf: 0.8}
  - {name: b, rows: 5000, dim: 32, pooling: 4, zipf: 1.0}
  - {name: c, rows: 800, dim: 16, pooling: 1, zipf: 0}
placement:
  a: 0
  b: {row: [0, 1]}
  c: 1
`;

const run = (args: string[], env: Record<string, string> = {}) => runCliProcess(args, dir, env);

function readJsonl(file: string): Record<string, any>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

before(() => {
  ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'shardlens-measure-'));
  writeFileSync(path.join(dir, 'tiny.shard.yaml'), CONFIG);
  // A Python without site-packages, hence without PyTorch.
  if (torchPython.ok) writeFileSync(path.join(dir, 'bare-python'), `#!/bin/sh\nexec '${torchPython.executable}' -S "$@"\n`);
  if (torchPython.ok) chmodSync(path.join(dir, 'bare-python'), 0o755);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('shardlens measure: specs', () => {
  it('--dry-run writes one spec line per GPU in the shard geometry the model priced, and the predictions; exit 0', () => {
    const r = run(['measure', 'tiny.shard.yaml', '--dry-run', '--out', 'dry']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote 2 set specs/);
    assert.match(r.stdout, /shardlens_cost\.collector --specs/);
    const specs = readJsonl(path.join(dir, 'dry', 'specs.jsonl'));
    assert.deepEqual(
      specs.map((s) => [s.id, s.rank, s.world, s.batch, s.device_type]),
      [
        ['written/gpu0', 0, 2, 512, 'H100-80GB'],
        ['written/gpu1', 1, 2, 512, 'H100-80GB'],
      ],
    );
    assert.deepEqual(
      specs[0].tables.map((t: any) => t.name),
      ['a', 'b'],
    );
    assert.deepEqual(
      specs[1].tables.map((t: any) => t.name),
      ['b', 'c'],
    );
    const [b0, b1] = [specs[0].tables[1], specs[1].tables[0]];
    assert.equal(b0.rows + b1.rows, 5000);
    assert.deepEqual(b0.block, { offset: 0, table_rows: 5000, table_pooling: 4, ids: 'hashed' });
    assert.equal(b1.block.offset, 2500);
    // A row block sees the share of the lookups its rows receive (rowBlocks.ts):
    // with zipf 1.0 and hashed ids not its row share, and the blocks' shares sum to the table's.
    const share = blockLookupShare(5000, 1.0, { offset: 0, tableRows: 5000, ids: 'hashed' }, 2500);
    assert.ok(Math.abs(b0.pooling - 4 * share) < 1e-9, `a row block sees its lookup share: ${b0.pooling} vs ${4 * share}`);
    assert.ok(Math.abs(b0.pooling + b1.pooling - 4) < 1e-6, 'the blocks together see every lookup');
    for (const s of specs) {
      for (const t of s.tables) {
        assert.equal(t.optimizer, 'sgd');
        assert.equal(t.bags, 512);
        assert.equal(t.dtype, 'fp32');
        assert.equal(t.kernel, 'fbgemm_tbe');
      }
    }
    // Pooled bytes per bag: a (16 × 4 B) on GPU 0 all-to-all, b's block (32 × 4 B) reduce-scattered.
    assert.deepEqual(specs[0].pooled_bytes_per_bag, { out: 64, row: 128 });
    const plan = JSON.parse(readFileSync(path.join(dir, 'dry', 'plan.json'), 'utf8'));
    assert.equal(plan.source, 'written');
    assert.equal(plan.gpus.length, 2);
    assert.ok(plan.gpus[0].fwd_ms > 0 && plan.max_ms > 0);
  });

  it('--strategy plans first and names the plan in the specs', () => {
    const r = run(['measure', 'tiny.shard.yaml', '--dry-run', '--strategy', 'greedy', '--out', 'greedy', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as MeasureJson;
    assert.equal(out.status, 'dry_run');
    assert.equal(out.plan.source, 'planned');
    assert.equal(out.plan.strategy, 'greedy');
    const specs = readJsonl(path.join(dir, 'greedy', 'specs.jsonl'));
    assert.ok(specs.every((s) => s.id.startsWith('greedy/gpu')));
    assert.equal(specs.reduce((n, s) => n + s.tables.length, 0) >= 3, true);
  });
});

describe('shardlens measure: what cannot run here is exit 2, after the specs', () => {
  it('no GPU: says so, names the specs and the collector command', () => {
    const r = run(['measure', 'tiny.shard.yaml', '--out', 'nogpu'], { PYTHON: systemPython() });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no GPU: PyTorch .* sees no CUDA device/);
    assert.match(r.stderr, /shardlens_cost\.collector --specs/);
    assert.match(r.stderr, /kernel fbgemm_tbe .* needs FBGEMM/, 'and what else would stop it there');
    assert.ok(existsSync(path.join(dir, 'nogpu', 'specs.jsonl')));
    const j = run(['measure', 'tiny.shard.yaml', '--out', 'nogpu', '--format', 'json'], { PYTHON: systemPython() });
    assert.equal(j.code, 2);
    const out = JSON.parse(j.stdout) as MeasureJson;
    assert.equal(out.status, 'no_gpu');
    assert.equal(out.device?.gpu, null);
  });

  it('a Python without PyTorch: says to point PYTHON at one that has it', () => {
    systemPython();
    const r = run(['measure', 'tiny.shard.yaml', '--out', 'notorch'], { PYTHON: path.join(dir, 'bare-python') });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /has no PyTorch/);
    assert.match(r.stderr, /point PYTHON at a Python that has it/);
    assert.ok(existsSync(path.join(dir, 'notorch', 'specs.jsonl')));
  });

  it('no Python at all', () => {
    const r = run(['measure', 'tiny.shard.yaml', '--out', 'nopy'], { PYTHON: path.join(dir, 'no-such-python') });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Python not found/);
  });

  it('a kernel this machine cannot run is refused by name', () => {
    const r = run(['measure', 'tiny.shard.yaml', '--out', 'cpu', '--cpu'], { PYTHON: systemPython() });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /kernel fbgemm_tbe \(tables a, b, c\) runs only on a CUDA GPU/);
  });

  for (const args of [
    ['measure'],
    ['measure', 'tiny.shard.yaml', '--strategy', 'greedy', '--placement', 'written'],
    ['measure', 'tiny.shard.yaml', '--repeats', '0'],
    ['measure', 'tiny.shard.yaml', '--placement', 'mine'],
    ['measure', 'tiny.shard.yaml', '--strategy', 'nope'],
    ['calibrate'],
    ['calibrate', 'x.jsonl', '--calibration', 'c.json'],
  ]) {
    it(`usage error, exit 2: shardlens ${args.join(' ')}`, () => {
      const r = run(args);
      assert.equal(r.code, 2, r.stderr);
      assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+\)/);
    });
  }
});

function captureIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t), c: colours(false), ce: colours(false) };
}

describe('shardlens measure: the pipeline on CPU tensors', () => {
  it('measures every GPU set with the collector and joins predicted and measured per GPU', async () => {
    const config: ShardConfig = {
      version: 1,
      batchSize: 256,
      dtype: 'fp32',
      optimizer: 'adagrad',
      kernel: 'torch_embedding_bag',
      denseBytes: 0,
      devices: { type: 'H100-80GB', count: 2, perHost: 2, reserve: 0.1, ...GPU_PRESETS['H100-80GB'] },
      tables: [
        { name: 'a', rows: 3000, dim: 16, pooling: 2, zipf: 0.9, dtype: 'fp32', kernel: 'torch_embedding_bag', ids: 'hashed', sharding: ['table', 'row'] },
        { name: 'b', rows: 6000, dim: 32, pooling: 3, zipf: 1.1, dtype: 'fp32', kernel: 'torch_embedding_bag', ids: 'sorted', sharding: ['table', 'row'] },
        { name: 'c', rows: 500, dim: 8, pooling: 1, zipf: 0, dtype: 'fp32', kernel: 'torch_embedding_bag', ids: 'hashed', sharding: ['table', 'row'] },
      ],
      placement: new Map([
        ['a', { kind: 'table', gpu: 0 }],
        ['b', { kind: 'row', gpus: [0, 1] }],
        ['c', { kind: 'table', gpu: 1 }],
      ]),
    };
    const plan = await evaluatePlacement(config, config.placement!, new AnalyticCostModel('H100-80GB'));
    const out = path.join(dir, 'pipeline');
    const io = captureIo();
    const args = parseCommandLine(['measure', 'code.shard.yaml', '--cpu', '--repeats', '2', '--format', 'json', '--out', out]);
    const saved = process.env.PYTHON;
    process.env.PYTHON = systemPython();
    let code: number;
    try {
      code = await measurePlan(createContext(args, io, dir), { file: path.join(dir, 'code.shard.yaml'), config, plan, source: 'written' });
    } finally {
      if (saved === undefined) delete process.env.PYTHON;
      else process.env.PYTHON = saved;
    }
    assert.equal(code, 0, io.stdout.join('\n') + io.stderr.join('\n'));
    const res = JSON.parse(io.stdout.join('\n')) as MeasureJson;
    assert.equal(res.status, 'measured');
    assert.equal(res.device?.cpu, true);
    assert.equal(res.rounds, 2);
    assert.equal(res.summary?.measured_gpus, 2);
    const lines = readJsonl(path.join(out, 'measured.jsonl'));
    assert.equal(lines.length, 4, 'two GPUs × two rounds');
    assert.deepEqual(new Set(lines.map((l) => l.repeat)), new Set([0, 1]));
    assert.ok(lines.every((l) => l.kernels.includes('torch.embedding_bag+adagrad')));
    // The join: measured = median over rounds, error against the prediction, measured max.
    const { sets } = parseMeasuredLines(readFileSync(path.join(out, 'measured.jsonl'), 'utf8'));
    for (const g of res.gpus) {
      const m = sets.get(`written/gpu${g.gpu}`)!;
      assert.ok(g.measured && g.measured.fwd_ms === m.fwdMs && g.measured.bwd_ms === m.bwdMs);
      assert.equal(g.measured.rounds, 2);
      assert.equal(g.measured.comm_measured, false);
      const p = plan.gpus[g.gpu];
      assert.ok(Math.abs(g.measured.total_ms! - (p.totalMs - p.fwdMs - p.bwdMs + m.fwdMs + m.bwdMs)) < 1e-9, 'unmeasured phases (comm) keep their prediction');
      assert.ok(Math.abs(g.error!.fwd! - Math.abs(p.fwdMs - m.fwdMs) / m.fwdMs) < 1e-9);
    }
    const max = Math.max(...res.gpus.map((g) => g.measured!.total_ms!));
    assert.equal(res.summary!.measured_max_ms, max);
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8')) as MeasureJson;
    assert.deepEqual(report.summary, res.summary);
    const env = JSON.parse(readFileSync(path.join(out, 'env.json'), 'utf8'));
    assert.equal(env.device, 'cpu');
  });
});
