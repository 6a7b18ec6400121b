/**
 * The CLI says which model and kernel priced every number: `check` and `plan`
 * in text and JSON (`cost_models`), and `predict --kernel`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ensureBuilt } from '../lsp/lspClient';
import { runCliProcess } from './cliProcess';
import { configText } from '../../fixtures/configText';

let dir: string;

const run = (args: string[]) => runCliProcess(args, dir);

function write(name: string, text: string): string {
  writeFileSync(path.join(dir, name), text);
  return name;
}

/** The fixture with its first table on PyTorch's embedding bag. */
function mixedText(optimizer = 'sgd'): string {
  return configText({ tables: 4, gpus: 2, placement: 'round-robin', optimizer, firstTableExtra: 'kernel: torch_embedding_bag' });
}

before(() => {
  ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'shardlens-cli-kernels-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface CostModelJson {
  kernel: string;
  model: string;
  source: string;
  notes: string[];
}

describe('which model and kernel priced the numbers', () => {
  it('plan --format json: cost_models has one entry per kernel the tables run', () => {
    const f = write('mixed.shard.yaml', mixedText('adam'));
    const r = run(['plan', f, '--format', 'json', '--strategy', 'greedy']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { cost_model: string; cost_models: CostModelJson[] };
    assert.deepEqual(
      out.cost_models.map((m) => [m.kernel, m.source]),
      [
        ['fbgemm_tbe', 'analytic'],
        ['torch_embedding_bag', 'learned'],
      ],
    );
    assert.equal(out.cost_models[0].model, 'fbgemm-tbe analytic: H100-80GB');
    assert.deepEqual(out.cost_models[0].notes, []);
    assert.match(out.cost_models[1].model, /^learned: h100-cost-v\d+$/);
    assert.match(out.cost_models[1].notes[0], /^optimizer term \(adam\) from the analytic model/);
    assert.match(out.cost_model, /\[fbgemm_tbe\] \+ learned: h100-cost-v\d+ \[torch_embedding_bag\]$/);
  });

  it('plan --compare --format json carries cost_models too', () => {
    const f = write('cmp.shard.yaml', configText({ tables: 3, gpus: 2 }));
    const r = run(['plan', f, '--compare', '--format', 'json']);
    const out = JSON.parse(r.stdout) as { cost_models: CostModelJson[] };
    assert.deepEqual(
      out.cost_models.map((m) => m.kernel),
      ['fbgemm_tbe'],
    );
  });

  it('check --format json: per file, the model of each kernel', () => {
    const a = write('a.shard.yaml', mixedText());
    const b = write('b.shard.yaml', configText({ tables: 2, kernel: 'torch_embedding_bag' }));
    const r = run(['check', a, b, '--format', 'json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout) as { files: { file: string; cost_model: string; cost_models: CostModelJson[] }[] };
    assert.deepEqual(
      out.files.map((x) => x.file),
      [a, b],
    );
    assert.deepEqual(
      out.files[0].cost_models.map((m) => m.kernel),
      ['fbgemm_tbe', 'torch_embedding_bag'],
    );
    assert.deepEqual(
      out.files[1].cost_models.map((m) => [m.kernel, m.source]),
      [['torch_embedding_bag', 'learned']],
    );
  });

  it('check text: the summary names model and kernel, and a line per added term', () => {
    const f = write('adam.shard.yaml', configText({ tables: 2, kernel: 'torch_embedding_bag', optimizer: 'adam' }));
    const r = run(['check', f]);
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /cost model learned: h100-cost-v\d+ \[torch_embedding_bag\]/);
    assert.match(r.stdout, /\+ optimizer term \(adam\) from the analytic model/);
    const tbe = run(['check', write('tbe.shard.yaml', configText({ tables: 2 }))]);
    assert.match(tbe.stdout, /cost model fbgemm-tbe analytic: H100-80GB \[fbgemm_tbe\]/);
    assert.doesNotMatch(tbe.stdout, /\+ optimizer term/);
  });

  it('a device override on the learned model: the numbers move and the text says how', () => {
    const base = configText({ tables: 2, kernel: 'torch_embedding_bag', placement: 'round-robin' });
    const slow = base.replace('  reserve: 0.15', '  reserve: 0.15\n  hbm_gbps: 1000');
    const j = (t: string) =>
      JSON.parse(run(['plan', write('o.shard.yaml', t), '--format', 'json', '--strategy', 'round-robin']).stdout) as { max_ms: number; cost_models: CostModelJson[] };
    const a = j(base);
    const b = j(slow);
    assert.ok(b.max_ms > a.max_ms, `${b.max_ms} > ${a.max_ms}`);
    assert.match(b.cost_models[0].notes.join(), /device override hbm_gbps applied by the analytic model's ratio/);
  });
});

describe('predict --kernel', () => {
  const line = { id: 'a', batch: 65536, dtype: 'fp32', tables: [{ name: 't0', rows: 2_000_000, dim: 128, pooling: 20, alpha: 1.0 }] };
  const predict = (args: string[]) => {
    const r = run(['predict', ...args]);
    const ms = (l: string) => {
      const o = JSON.parse(l) as { fwd_ms: number; bwd_ms: number };
      return { fwd_ms: o.fwd_ms, bwd_ms: o.bwd_ms };
    };
    return { ...r, out: r.stdout.trim() ? r.stdout.trim().split('\n').map(ms) : [] };
  };

  it("defaults to torch_embedding_bag (what the collector measures), takes the line's kernel, and --kernel overrides", () => {
    write('s.jsonl', `${JSON.stringify(line)}\n${JSON.stringify({ ...line, id: 'b', kernel: 'fbgemm_tbe' })}\n`);
    const def = predict(['--sets', 's.jsonl']);
    assert.equal(def.code, 0, def.stderr);
    assert.match(def.stderr, /predicted with fbgemm-tbe analytic: H100-80GB \[fbgemm_tbe\] \+ learned: h100-cost-v\d+ \[torch_embedding_bag\]/);
    assert.notEqual(def.out[0].bwd_ms, def.out[1].bwd_ms, 'the same table on two kernels');
    const torch = predict(['--sets', 's.jsonl', '--kernel', 'torch_embedding_bag']);
    assert.deepEqual(torch.out[1], torch.out[0], '--kernel wins over the line');
    assert.deepEqual(torch.out[0], def.out[0]);
    assert.match(torch.stderr, /predicted with learned: h100-cost-v\d+ \[torch_embedding_bag\]/);
    const tbe = predict(['--sets', 's.jsonl', '--kernel', 'fbgemm_tbe']);
    assert.deepEqual(tbe.out[0], def.out[1]);
    const uvm = predict(['--sets', 's.jsonl', '--kernel', 'fbgemm_tbe_uvm_caching']);
    assert.ok(uvm.out[0].fwd_ms > tbe.out[0].fwd_ms, 'cache misses cross the host link');
  });

  it('a bad --kernel is a usage error; a bad line kernel is a located error', () => {
    const r = run(['predict', '--sets', 's.jsonl', '--kernel', 'fbgemm']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--kernel must be one of fbgemm_tbe, fbgemm_tbe_uvm_caching, torch_embedding_bag, not 'fbgemm'/);
    write('bad.jsonl', `${JSON.stringify({ ...line, kernel: 'cuda' })}\n`);
    const b = run(['predict', '--sets', 'bad.jsonl']);
    assert.equal(b.code, 1);
    assert.match(b.stderr, /bad\.jsonl:1: line 1: "kernel" must be one of "fbgemm_tbe"/);
  });
});
