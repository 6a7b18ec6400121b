/**
 * bench:measured's smoke mode (--device cpu --tiny): plans → set specs →
 * collector on CPU tensors (a Python with PyTorch: $PYTHON, else python3) → the report; and
 * the refusal (exit 2, with the split commands) when asked for a GPU without one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { pythonWith } from '../../../server/src/io/python';

const ROOT = path.resolve(__dirname, '../../..');
const BENCH = path.join(ROOT, 'test/bench/measured.bench.ts');
let dir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'shardlens-mbench-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const python = pythonWith(['torch']);

function bench(args: string[]) {
  if (!python.ok) assert.fail(python.why);
  return spawnSync(process.execPath, ['--import', 'tsx', BENCH, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PYTHON: python.python } });
}

it('--device cpu --tiny runs every phase and reports per task and in summary', () => {
  const out = path.join(dir, 'tiny');
  const r = bench(['--device', 'cpu', '--tiny', '--out', out]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /tiny-8\/2#0 {2}\(8 tables, 2 GPUs\)/);
  // Ten plans per task: the six baselines, greedy, search, best and torchrec (TorchRec's planner).
  assert.match(r.stdout, /Kendall \u03c4 \(predicted vs measured max over 10 plans\)/);
  assert.match(r.stdout, /\n {2}torchrec +\d/);
  assert.match(r.stdout, /Summary over complete tasks/);
  assert.match(r.stdout, /CPU run: a functional check/);
  const plans = JSON.parse(readFileSync(path.join(out, 'plans.json'), 'utf8'));
  const specs = readFileSync(path.join(out, 'specs.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(plans.sets, specs.length);
  assert.ok(specs.every((s) => s.tables.every((t: { kernel: string; optimizer: string }) => t.kernel === 'torch_embedding_bag' && t.optimizer === 'sgd')));
  const ids = new Set(specs.map((s) => s.id));
  assert.equal(ids.size, specs.length, 'identical sets are measured once');
  const joined = readFileSync(path.join(out, 'plans-measured.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const expected = plans.tasks.reduce((n: number, t: { strategies: { gpus: unknown[] }[] }) => n + t.strategies.reduce((m, s) => m + s.gpus.length, 0), 0);
  assert.equal(joined.length, expected, 'every planned GPU measured');
  assert.ok(joined.every((j) => j.measured.fwd_ms > 0 && j.predicted.total_ms > 0 && ids.has(j.spec)));
  assert.ok(!existsSync(path.join(ROOT, 'models', 'data', 'measured-plans-cpu.jsonl')), 'CPU runs are not committed data');
});

it('without a GPU it refuses (exit 2) and says how to split the work', () => {
  const r = bench(['--out', path.join(dir, 'gpu')]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /needs a GPU/);
  assert.match(r.stderr, /--phase prepare/);
  assert.match(r.stderr, /measure-plans\.sh/);
  assert.match(r.stderr, /--phase report --measured/);
});
