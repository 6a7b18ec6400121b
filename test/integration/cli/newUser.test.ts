/**
 * The CLI tried as a new user would: typos get the names meant (`--strategy
 * gredy`, `--type A100`, `--device A100`), `plan` says what `check` says about
 * the cost model (a missing `--model` file, an H100 model on an A100 config),
 * on stderr in text mode and as `warnings` in JSON, and the summary line counts
 * the GPUs of a partly filled last host.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, ensureBuilt } from '../lsp/lspClient';
import { runCliProcess } from './cliProcess';

let dir: string;
const H100_MODEL = path.join(ROOT, 'models', 'h100-cost.onnx');

const run = (args: string[]) => runCliProcess(args, dir);

const config = (type: string, count = 2, perHost = 2) => `version: 1
batch_size: 4096
kernel: torch_embedding_bag
optimizer: sgd
devices: {type: ${type}, count: ${count}, per_host: ${perHost}}
tables:
  - {name: a, rows: 100000, dim: 64, pooling: 2}
  - {name: b, rows: 200000, dim: 32, pooling: 4}
`;

before(() => {
  ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'shardlens-newuser-'));
  writeFileSync(path.join(dir, 'h100.shard.yaml'), config('H100-80GB'));
  writeFileSync(path.join(dir, 'a100.shard.yaml'), config('A100-80GB'));
  writeFileSync(path.join(dir, 'twelve.shard.yaml'), config('H100-80GB', 12, 8));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('typos get the names meant', () => {
  it('--strategy gredy: did you mean greedy (plan, sweep), exit 2', () => {
    for (const cmd of ['plan', 'sweep']) {
      const r = run([cmd, 'h100.shard.yaml', '--strategy', 'gredy']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`shardlens ${cmd}: unknown strategy 'gredy'; did you mean 'greedy'\\? \\(strategies: `));
    }
    assert.doesNotMatch(run(['plan', 'h100.shard.yaml', '--strategy', 'zzzzzz']).stderr, /did you mean/);
  });

  it('--type A100 (sweep) and --device A100 (predict) offer both A100 presets', () => {
    const sweep = run(['sweep', 'h100.shard.yaml', '--type', 'A100']);
    assert.equal(sweep.code, 2, sweep.stderr);
    assert.match(sweep.stderr, /unknown GPU type 'A100' \(did you mean A100-80GB or A100-40GB\?\)/);
    writeFileSync(path.join(dir, 'sets.jsonl'), '{"batch": 1024, "tables": [{"rows": 1000, "dim": 16, "pooling": 1}]}\n');
    const predict = run(['predict', '--sets', 'sets.jsonl', '--device', 'A100']);
    assert.equal(predict.code, 2, predict.stderr);
    assert.match(predict.stderr, /unknown device type 'A100'; did you mean 'A100-80GB' or 'A100-40GB'\?/);
  });
});

describe("plan prints check's cost-model warnings", () => {
  it('a --model file that does not exist: the SL102 warning on stderr, the plan still made (exit 0)', () => {
    const missing = path.join(dir, 'nope.onnx');
    const check = run(['check', 'h100.shard.yaml', '--model', missing]);
    const warning =
      /warning SL102 Costs come from the analytic model \(analytic: H100-80GB \[torch_embedding_bag\]\), not a learned one: learned cost model not used: model file missing: \S*nope\.onnx/;
    assert.match(check.stdout, warning);
    const plan = run(['plan', 'h100.shard.yaml', '--model', missing]);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stderr, warning);
    assert.match(plan.stderr, /^h100\.shard\.yaml:5:1: warning SL102 /m, "in check's format and place");
    assert.match(plan.stdout, /ShardLens plan/);
  });

  it('an H100 model on an A100 config: the caveat on stderr; in JSON, a warnings array and nothing on stderr', () => {
    const text = run(['plan', 'a100.shard.yaml', '--model', H100_MODEL]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stderr, /warning SL102 Cost model learned: h100-cost-v\d+ \[torch_embedding_bag\]: cost model h100-cost-v\d+ was measured on H100-80GB, not A100-80GB/);
    for (const extra of [[], ['--compare']]) {
      const json = run(['plan', 'a100.shard.yaml', '--model', H100_MODEL, '--format', 'json', ...extra]);
      assert.equal(json.code, 0, json.stderr);
      assert.equal(json.stderr, '');
      const out = JSON.parse(json.stdout) as { warnings: { code: string; severity: string; message: string; file: string; range: unknown }[] };
      assert.equal(out.warnings.length, 1);
      assert.deepEqual([out.warnings[0].code, out.warnings[0].severity, out.warnings[0].file], ['SL102', 'warning', 'a100.shard.yaml']);
      assert.match(out.warnings[0].message, /measured on H100-80GB, not A100-80GB/);
    }
  });

  it('no caveat: nothing on stderr, warnings: []', () => {
    const text = run(['plan', 'h100.shard.yaml']);
    assert.equal(text.code, 0);
    assert.equal(text.stderr, '');
    const json = JSON.parse(run(['plan', 'h100.shard.yaml', '--format', 'json']).stdout) as { warnings: unknown[] };
    assert.deepEqual(json.warnings, []);
  });
});

it('the summary line counts a partly filled last host as what it holds', () => {
  const r = run(['check', 'twelve.shard.yaml']);
  assert.match(r.stdout, /2 tables · 12 × H100-80GB \(2 hosts: 8 \+ 4\) · /);
  assert.doesNotMatch(r.stdout, /2 hosts × 8/);
});
