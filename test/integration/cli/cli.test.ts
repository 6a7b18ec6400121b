/**
 * The `shardlens` CLI as users run it (node dist/cli.js): exit codes, JSON
 * shapes (docs/cli.md "JSON output contracts"), messages for bad input without stack
 * traces, and `--write` touching the file only when asked.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STRATEGIES } from '../../../server/src/plan/types';
import { CLI, ROOT } from '../lsp/lspClient';
import { cliFolder } from './cliProcess';
import { configText, lineOf, tableName } from '../../fixtures/configText';

const folder = cliFolder('shardlens-cli-');
const { run, write } = folder;

const STACK = /\n\s+at .+\(.*:\d+:\d+\)/;

describe('usage', () => {
  it('--version prints the package version, exit 0', () => {
    const r = run(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  });
  it('--help prints usage, exit 0', () => {
    const r = run(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /shardlens check FILE/);
    assert.match(r.stdout, /--format text\|json/);
  });
  for (const args of [
    [],
    ['frobnicate'],
    ['check'],
    ['plan', 'x.yaml', '--strategy', 'nope'],
    ['check', 'x.yaml', '--bogus'],
    ['check', 'x.yaml', '--format', 'xml'],
    ['predict'],
    ['serve'],
    ['plan', 'x.yaml', '--budget', 'soon'],
    ['check', 'x.yaml', '--strategy', 'greedy'],
  ]) {
    it(`exit 2 for: shardlens ${args.join(' ')}`, () => {
      const r = run(args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /shardlens/);
      assert.doesNotMatch(r.stderr, STACK);
    });
  }
});

describe('check', () => {
  it('a clean config: exit 0, no errors in JSON', () => {
    write('clean.shard.yaml', configText({ placement: 'round-robin' }));
    const r = run(['check', 'clean.shard.yaml', '--format', 'json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout);
    assert.ok(Array.isArray(out.diagnostics));
    assert.equal(out.diagnostics.filter((d: { severity: string }) => d.severity === 'error').length, 0);
  });

  it('a config with an error: exit 1, JSON shape with 0-based ranges on the exact line', () => {
    const text = configText({ firstDim: 130 });
    write('bad.shard.yaml', text);
    const r = run(['check', 'bad.shard.yaml', '--format', 'json']);
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout);
    const errors = out.diagnostics.filter((d: { severity: string }) => d.severity === 'error');
    assert.ok(errors.length >= 1);
    for (const d of out.diagnostics) {
      assert.deepEqual(Object.keys(d).sort(), ['code', 'file', 'message', 'range', 'severity']);
      assert.equal(d.file, 'bad.shard.yaml');
      assert.match(d.code, /^SL\d{3}$/);
      assert.equal(typeof d.range.start.line, 'number');
      assert.equal(typeof d.range.end.character, 'number');
    }
    const dimLine = lineOf(text, 'dim: 130');
    assert.ok(
      errors.some((d: { range: { start: { line: number } } }) => d.range.start.line === dimLine),
      JSON.stringify(errors),
    );
  });

  it('text output: file:line:col (1-based) severity CODE message, and a summary', () => {
    const text = configText({ firstDim: 130 });
    write('bad2.shard.yaml', text);
    const r = run(['check', 'bad2.shard.yaml']);
    assert.equal(r.code, 1);
    const dimLine = lineOf(text, 'dim: 130') + 1;
    assert.match(r.stdout, new RegExp(`^bad2\\.shard\\.yaml:${dimLine}:\\d+: error SL\\d{3} .+`, 'm'));
    assert.match(r.stdout, /bad2\.shard\.yaml: \d+ errors?/);
  });

  it('a missing file: exit 1, a clear message, no stack trace', () => {
    const r = run(['check', 'nope.shard.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.stdout + r.stderr, /nope\.shard\.yaml.*no such file/i);
    assert.doesNotMatch(r.stdout + r.stderr, STACK);
  });

  it('invalid YAML: exit 1, located error, no stack trace', () => {
    write('broken.shard.yaml', 'version: 1\ntables: [\n  {name: a,\n');
    const r = run(['check', 'broken.shard.yaml', '--format', 'json']);
    assert.equal(r.code, 1);
    const out = JSON.parse(r.stdout);
    assert.ok(out.diagnostics.some((d: { severity: string }) => d.severity === 'error'));
    assert.doesNotMatch(r.stderr, STACK);
  });

  it('wrong types: exit 1 with a message naming the key', () => {
    write('types.shard.yaml', configText().replace('batch_size: 65536', 'batch_size: lots'));
    const r = run(['check', 'types.shard.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /batch_size/);
    assert.doesNotMatch(r.stdout + r.stderr, STACK);
  });

  it('several files: errors in any → exit 1', () => {
    write('ok.shard.yaml', configText());
    write('bad3.shard.yaml', configText({ firstDim: 130 }));
    assert.equal(run(['check', 'ok.shard.yaml']).code, 0);
    assert.equal(run(['check', 'ok.shard.yaml', 'bad3.shard.yaml']).code, 1);
  });
});

describe('plan time budget', () => {
  it('a spent --budget still gives a usable plan, and says the budget cut it short (text and JSON), exit 0', () => {
    write('budget.shard.yaml', configText({ tables: 300, gpus: 16 }));
    const j = run(['plan', 'budget.shard.yaml', '--strategy', 'greedy', '--budget', '0.000001', '--format', 'json']);
    assert.equal(j.code, 0, j.stderr);
    const out = JSON.parse(j.stdout);
    assert.equal(out.feasible, true);
    assert.equal(Object.keys(out.placement).length, 300);
    assert.match(out.notes[0], /^stopped at the time budget after [\d.]+ s in the greedy placement .*shards placed by least-loaded fill: this is the best plan found by then/);
    const t = run(['plan', 'budget.shard.yaml', '--strategy', 'greedy', '--budget', '0.000001']);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /! stopped at the time budget after/);
  });
  it('without --budget a small plan is not cut (the default budget is 30 s), and no notes key appears', () => {
    write('small.shard.yaml', configText({ tables: 8, gpus: 4 }));
    const r = run(['plan', 'small.shard.yaml', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal('notes' in JSON.parse(r.stdout), false);
    assert.match(run(['--help']).stdout, /--budget MS\]\s+soft time limit per plan, set-up included\s+\(default 30000; 0: none\)/);
  });
});

describe('plan', () => {
  it('JSON has exactly the docs/cli.md shape and places every table', () => {
    write('p.shard.yaml', configText({ tables: 8, gpus: 4 }));
    const r = run(['plan', 'p.shard.yaml', '--format', 'json', '--strategy', 'greedy']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    for (const k of ['strategy', 'elapsed_ms', 'max_ms', 'mean_ms', 'feasible', 'gpus', 'placement']) assert.ok(k in out, k);
    assert.equal(out.strategy, 'greedy');
    assert.equal(out.feasible, true);
    assert.equal(out.gpus.length, 4);
    for (const g of out.gpus) {
      for (const k of ['gpu', 'tables', 'fwd_ms', 'bwd_ms', 'comm_ms', 'total_ms', 'memory_bytes', 'capacity_bytes']) assert.ok(k in g, k);
      assert.ok(g.total_ms >= g.fwd_ms);
      assert.ok(g.memory_bytes <= g.capacity_bytes);
    }
    // max_ms is the critical path: Σ over phases of the slowest GPU's ms, at least any one GPU's total.
    assert.equal(Math.max(...out.gpus.map((g: { total_ms: number }) => g.total_ms)), out.max_gpu_ms);
    const phases = out.phases as { name: string; max_ms: number; gpu: number }[];
    assert.deepEqual(
      phases.map((p) => p.name),
      ['input_dist', 'forward', 'output_dist', 'grad_dist', 'backward', 'dp_sync'],
    );
    assert.ok(Math.abs(phases.reduce((a, p) => a + p.max_ms, 0) - out.max_ms) <= 1e-9 * out.max_ms);
    assert.ok(out.max_ms >= out.max_gpu_ms - 1e-12);
    for (const p of phases) assert.equal(p.max_ms, Math.max(...out.gpus.map((g: { phases: Record<string, number> }) => g.phases[p.name])));
    // The step's ±: the model error of the forward's and the backward's slowest GPUs (each GPU's ± is its relative error × fwd + bwd).
    const rel = (gpu: number) => {
      const g = out.gpus[gpu];
      return g.uncertainty_ms / (g.fwd_ms + g.bwd_ms);
    };
    const fwd = phases.find((p) => p.name === 'forward')!;
    const bwd = phases.find((p) => p.name === 'backward')!;
    assert.ok(out.max_uncertainty_ms > 0);
    assert.ok(Math.abs(out.max_uncertainty_ms - (rel(fwd.gpu) * fwd.max_ms + rel(bwd.gpu) * bwd.max_ms)) <= 1e-9 * out.max_uncertainty_ms);
    const names = Object.keys(out.placement).sort();
    assert.deepEqual(
      names,
      Array.from({ length: 8 }, (_, i) => tableName(i)),
    );
    for (const v of Object.values(out.placement)) assert.ok(typeof v === 'number' || (typeof v === 'object' && v !== null));
  });

  it('text output shows a per-GPU table and the max/mean', () => {
    write('pt.shard.yaml', configText({ tables: 6, gpus: 2 }));
    const r = run(['plan', 'pt.shard.yaml', '--strategy', 'greedy']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /GPU\s+tables\s+fwd ms\s+bwd ms\s+comm ms\s+total ms\s+memory GiB\s+mem %\s+\u00b1 ms/);
    assert.match(r.stdout, /max\/mean/);
    // The model's error of each GPU, and of the step (its critical path, phase by phase).
    assert.match(r.stdout, /\u00b1\d+\.\d{3}\s*$/m);
    assert.match(r.stdout, /step [\d.]+ ms \u00b1[\d.]+ ms \(critical path: each phase waits for its slowest GPU\)/);
    assert.match(r.stdout, /= input dist [\d.]+ ms \(GPU \d\) \+ forward [\d.]+ ms \(GPU \d\) \+ .*backward [\d.]+ ms \(GPU \d\)/);
    assert.match(r.stdout, /busiest GPU \d [\d.]+ ms \u00b7 mean [\d.]+ ms \u00b7 max\/mean/);
  });

  it("inputs outside the cost model's measured range: SL110 in check and plan, sane numbers, ± in JSON", () => {
    // The learned model's ranges: its kernel (PyTorch's); FBGEMM-priced tables get no SL110.
    const fbgemm = configText({ tables: 6, gpus: 2 }).replace('batch_size: 65536', 'batch_size: 131072');
    write('range-fbgemm.shard.yaml', fbgemm);
    const quiet = run(['check', 'range-fbgemm.shard.yaml']);
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.doesNotMatch(quiet.stdout, /SL110/);
    const text = fbgemm.replace('batch_size: 131072', 'batch_size: 131072\nkernel: torch_embedding_bag');
    write('range.shard.yaml', text);
    const check = run(['check', 'range.shard.yaml']);
    assert.equal(check.code, 0, check.stderr);
    assert.match(
      check.stdout,
      new RegExp(
        `range\\.shard\\.yaml:${lineOf(text, 'batch_size:') + 1}:1: warning SL110 batch_size 131,072 is outside what learned: h100-cost-v\\d+ was measured on \\(batch 8,192–65,536\\)`,
      ),
    );
    const plan = run(['plan', 'range.shard.yaml', '--strategy', 'greedy']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /warning SL110 batch_size 131,072/);
    const json = JSON.parse(run(['plan', 'range.shard.yaml', '--strategy', 'greedy', '--format', 'json']).stdout);
    assert.ok(json.max_ms > 0 && json.max_ms < 1000, `max ${json.max_ms} ms`);
    assert.ok(json.max_uncertainty_ms > 0);
    for (const g of json.gpus) if (g.tables.length) assert.ok(g.uncertainty_ms > 0 && g.uncertainty_ms < g.fwd_ms + g.bwd_ms);
  });

  it('--compare: one row per strategy', () => {
    write('c.shard.yaml', configText({ tables: 6, gpus: 2 }));
    const r = run(['plan', 'c.shard.yaml', '--compare', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(
      out.results.map((x: { strategy: string }) => x.strategy),
      [...STRATEGIES],
    );
    assert.ok(out.results.some((x: { feasible: boolean }) => x.feasible));
  });

  it('a config with errors cannot be planned: exit 1', () => {
    write('pe.shard.yaml', configText({ firstDim: 130 }));
    const r = run(['plan', 'pe.shard.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot plan/);
  });

  it('never writes without --write; with --write only the placement changes, atomically', () => {
    const text = configText({ tables: 6, gpus: 2, placement: 'all-on-0' });
    const p = write('w.shard.yaml', text);
    const before = statSync(p).mtimeMs;
    assert.equal(run(['plan', 'w.shard.yaml', '--strategy', 'greedy']).code, 0);
    assert.equal(readFileSync(p, 'utf8'), text);
    assert.equal(statSync(p).mtimeMs, before);

    const r = run(['plan', 'w.shard.yaml', '--strategy', 'greedy', '--write']);
    assert.equal(r.code, 0, r.stderr);
    const written = readFileSync(p, 'utf8');
    assert.notEqual(written, text);
    const head = text.slice(0, text.indexOf('placement:'));
    assert.ok(written.startsWith(head), 'everything before placement: is byte-identical');
    assert.ok(written.includes('# trailing comment that must survive') || !text.includes('# trailing comment'), 'comments after the section survive');
    assert.deepEqual(
      readdirSync(folder.dir()).filter((f) => f.endsWith('.tmp')),
      [],
    );
    const check = run(['check', 'w.shard.yaml', '--format', 'json']);
    assert.equal(check.code, 0, check.stdout);
  });
});

describe('import and export', () => {
  it('import FILE.csv prints a config that checks; -o writes it', () => {
    write('tables.csv', 'name,rows,dim,pooling\nuser,1000000,64,1\nitem,500000,128,10\n');
    const r = run(['import', 'tables.csv']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /name: user/);
    const o = run(['import', 'tables.csv', '-o', 'imported.shard.yaml']);
    assert.equal(o.code, 0, o.stderr);
    assert.equal(readFileSync(path.join(folder.dir(), 'imported.shard.yaml'), 'utf8'), r.stdout.endsWith('\n') ? r.stdout : `${r.stdout}\n`);
    assert.equal(run(['check', 'imported.shard.yaml']).code, 0);
  });

  it('import lists every rejected row with its line (exit 1); a newline in the file name stays in a comment', () => {
    write('evil\nversion: 2\n.csv', 'name,num_embeddings,embedding_dim,pooling_factor,weight_init_max\nuser,1000000,64,1,\n"bad",1e300,64,1,\nitem,500000,130,10,\n');
    const r = run(['import', 'evil\nversion: 2\n.csv', '-o', 'evil.shard.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /:1: warning: column "weight_init_max" is not used by ShardLens/);
    assert.match(r.stderr, /:3: error: table "bad": num_embeddings/);
    assert.match(r.stderr, /:4: error: table "item": embedding_dim 130 is not a multiple of 4/);
    assert.match(r.stderr, /2 rows not imported \(listed above\); 1 table imported/);
    const text = readFileSync(path.join(folder.dir(), 'evil.shard.yaml'), 'utf8');
    assert.equal(text.split('\n').filter((l) => l.startsWith('version:')).length, 1);
    assert.equal(run(['check', 'evil.shard.yaml']).code, 0);
  });

  it('import of a missing file: exit 1, message', () => {
    const r = run(['import', 'none.csv']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /none\.csv.*no such file/);
  });

  it('plan --export torchrec exports the written placement exactly; --replan exports a new plan; bad use is exit 2', () => {
    write('e.shard.yaml', configText({ tables: 4, gpus: 2, placement: 'round-robin' }));
    const py = run(['plan', 'e.shard.yaml', '--export', 'torchrec']);
    assert.equal(py.code, 0, py.stderr);
    assert.match(py.stdout, /ParameterConstraints/);
    for (let i = 0; i < 4; i++) assert.match(py.stdout, new RegExp(`"${tableName(i)}": table_wise\\(rank=${i % 2}, compute_kernel=EmbeddingComputeKernel\\.FUSED\\.value\\)`));
    assert.match(py.stdout, /# Generated by ShardLens from e\.shard\.yaml: the placement written in the file\./);
    assert.match(py.stdout, /MODULE_PATH = "sparse_arch\.embedding_bag_collection"/);
    const js = run(['plan', 'e.shard.yaml', '--export', 'torchrec:json', '--module', 'model.ebc']);
    assert.equal(js.code, 0, js.stderr);
    const out = JSON.parse(js.stdout);
    assert.equal(out.placement, 'written');
    assert.equal(out.module_path, 'model.ebc');
    assert.deepEqual(Object.keys(out.tables).sort(), [tableName(0), tableName(1), tableName(2), tableName(3)]);
    assert.deepEqual([out.tables[tableName(1)].sharding_type, out.tables[tableName(1)].ranks, out.tables[tableName(1)].compute_kernel], ['table_wise', [1], 'fused']);
    const re = run(['plan', 'e.shard.yaml', '--strategy', 'greedy', '--export', 'torchrec:json', '--replan']);
    assert.equal(re.code, 0, re.stderr);
    assert.equal(JSON.parse(re.stdout).placement, 'replan:greedy');
    assert.equal(run(['plan', 'e.shard.yaml', '--export', 'tensorflow']).code, 2);
    assert.equal(run(['plan', 'e.shard.yaml', '--replan']).code, 2, '--replan needs --export');
    assert.equal(run(['plan', 'e.shard.yaml', '--export', 'torchrec', '--write']).code, 2, '--write needs a new plan');
  });

  it('plan --export refuses what TorchRec cannot express, with the reason per table; refuses a file without placement', () => {
    write(
      'r.shard.yaml',
      configText({ tables: 2, gpus: 4 }).replace('# trailing comment', `placement:\n  ${tableName(0)}: {row: [0, 1]}\n  ${tableName(1)}: dp\n# trailing comment`),
    );
    const r = run(['plan', 'r.shard.yaml', '--export', 'torchrec']);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`table '${tableName(0)}': TorchRec's`));
    assert.match(r.stderr, /TorchRec's row_wise puts row block i on rank i of all 4 ranks, so it cannot split rows over \[0, 1\]/);
    assert.match(r.stderr, /not exported: TorchRec cannot express the written placement as is \(1 reason above\)/);
    assert.doesNotMatch(r.stderr, STACK);
    write('n.shard.yaml', configText({ tables: 2, gpus: 2 }));
    const n = run(['plan', 'n.shard.yaml', '--export', 'torchrec:json']);
    assert.equal(n.code, 1);
    assert.match(n.stderr, /has no placement to export/);
  });
});

describe('predict', () => {
  it('one {"id","fwd_ms","bwd_ms"} line per set, in order', () => {
    const lines = [
      { id: 'a', batch: 65536, dtype: 'fp16', tables: [{ name: 't0', rows: 100000, dim: 64, pooling: 10, alpha: 1.0 }] },
      {
        id: 'b',
        batch: 8192,
        dtype: 'fp32',
        tables: [
          { name: 't0', rows: 5000000, dim: 128, pooling: 2, alpha: 0 },
          { name: 't1', rows: 1000, dim: 16, pooling: 50, alpha: 0.5 },
        ],
        fwd_ms: 0.3,
        bwd_ms: 2.0,
      },
    ];
    write('sets.jsonl', lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const r = run(['predict', '--sets', 'sets.jsonl']);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      out.map((o) => o.id),
      ['a', 'b'],
    );
    for (const o of out) {
      assert.deepEqual(Object.keys(o).sort(), ['bwd_ms', 'fwd_ms', 'id']);
      assert.ok(o.fwd_ms > 0 && o.bwd_ms > 0);
    }
  });

  it('bad lines are reported with their line number, good lines still predicted, exit 1', () => {
    write('bad.jsonl', '{"id":"ok","batch":1024,"tables":[{"rows":10,"dim":4,"pooling":1}]}\nnot json\n');
    const r = run(['predict', '--sets', 'bad.jsonl']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /:2: .*invalid JSON/);
    assert.equal(r.stdout.trim().split('\n').length, 1);
  });

  it('a missing sets file: exit 1, message', () => {
    const r = run(['predict', '--sets', 'missing.jsonl']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /missing\.jsonl.*no such file/);
  });
});

it('the bundle is executable with a shebang', () => {
  assert.ok(existsSync(CLI));
  assert.ok(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node'));
});
