/**
 * The decision commands as users run them (node dist/cli.js): `sweep`, `diff`
 * and `plan --fail-if-worse`, their JSON shapes (docs/cli.md "JSON output
 * contracts") and exit codes, with messages and no stack traces for bad input.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cliFolder } from './cliProcess';
import { configText, tableName } from '../../fixtures/configText';

const folder = cliFolder('shardlens-decisions-');
const { run, write } = folder;

function git(cwd: string, ...args: string[]): void {
  const r = spawnSync('git', ['-c', 'user.name=ShardLens test', '-c', 'user.email=test@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
}

const STACK = /\n\s+at .+\(.*:\d+:\d+\)/;

describe('sweep', () => {
  it('JSON: one row per (type, count) with the documented keys; GPU-seconds = step time × GPUs', () => {
    write('sweep.shard.yaml', configText({ tables: 12, gpus: 2, placement: 'round-robin' }));
    const r = run(['sweep', 'sweep.shard.yaml', '--gpus', '4,1,2', '--type', 'H100-80GB,A100-80GB', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.file, 'sweep.shard.yaml');
    assert.equal(out.strategy, 'best');
    assert.equal(out.plan_budget_ms, 5000);
    assert.deepEqual(
      out.rows.map((x: { type: string; gpus: number }) => `${x.type}×${x.gpus}`),
      ['H100-80GB×1', 'H100-80GB×2', 'H100-80GB×4', 'A100-80GB×1', 'A100-80GB×2', 'A100-80GB×4'],
    );
    for (const row of out.rows) {
      for (const k of ['type', 'gpus', 'max_ms', 'mean_ms', 'memory_fraction', 'feasible', 'gpu_seconds_per_step', 'cost_model', 'elapsed_ms'])
        assert.ok(k in row, `${k} in ${JSON.stringify(row)}`);
      assert.equal(row.feasible, true, row.reason);
      assert.ok(!('reason' in row));
      assert.ok(row.max_ms > 0 && row.mean_ms > 0 && row.mean_ms <= row.max_ms + 1e-9);
      assert.ok(Math.abs(row.gpu_seconds_per_step - (row.max_ms / 1000) * row.gpus) < 1e-12);
      assert.ok(row.memory_fraction > 0 && row.memory_fraction < 1);
    }
    assert.match(out.rows[0].cost_model, /H100|h100/);
    assert.match(out.rows[3].cost_model, /A100/);
  });

  it('the row of the written cluster is what `plan` finds for the file', () => {
    write('own.shard.yaml', configText({ tables: 10, gpus: 2, placement: 'round-robin' }));
    const sweep = JSON.parse(run(['sweep', 'own.shard.yaml', '--gpus', '2', '--format', 'json']).stdout);
    const plan = JSON.parse(run(['plan', 'own.shard.yaml', '--format', 'json']).stdout);
    assert.equal(sweep.rows[0].max_ms, plan.max_ms);
    assert.equal(sweep.rows[0].mean_ms, plan.mean_ms);
  });

  it('default counts are ¼, ½, 1 and 2 × devices.count; text output names the model and the columns', () => {
    write('defaults.shard.yaml', configText({ tables: 8, gpus: 8 }));
    const json = JSON.parse(run(['sweep', 'defaults.shard.yaml', '--format', 'json']).stdout);
    assert.deepEqual(
      json.rows.map((x: { gpus: number }) => x.gpus),
      [2, 4, 8, 16],
    );
    const text = run(['sweep', 'defaults.shard.yaml', '--gpus', '2,4']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /type\s+GPUs\s+step ms\s+max\/mean\s+memory\s+feasible\s+GPU·s\/step/);
    assert.match(text.stdout, /H100-80GB scored by /);
    assert.match(text.stdout, /cheapest/);
  });

  it('an infeasible cluster gets null numbers and a reason; none feasible → exit 1', () => {
    const huge = [
      'version: 1',
      'batch_size: 1024',
      'dtype: fp32',
      'optimizer: adam',
      'devices:',
      '  type: H100-80GB',
      '  count: 2',
      '  per_host: 2',
      'tables:',
      '  - {name: giant, rows: 1_000_000_000, dim: 128, pooling: 1, sharding: [table]}',
      '',
    ].join('\n');
    write('huge.shard.yaml', huge);
    const r = run(['sweep', 'huge.shard.yaml', '--gpus', '1,2', '--format', 'json']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout);
    for (const row of out.rows) {
      assert.equal(row.feasible, false);
      assert.equal(row.max_ms, null);
      assert.equal(row.gpu_seconds_per_step, null);
      assert.equal(typeof row.reason, 'string');
      assert.ok(row.reason.length > 0);
      assert.ok(row.memory_fraction > 1, 'the tables need more than the cluster has');
    }
    const text = run(['sweep', 'huge.shard.yaml', '--gpus', '1']);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /✗ H100-80GB × 1: /);
  });

  for (const [args, why] of [
    [['--gpus', '8,x'], /--gpus: 'x' is not a GPU count/],
    [['--gpus', '0'], /--gpus: '0' is not a GPU count/],
    [['--type', 'H100-80G'], /unknown GPU type 'H100-80G' \(did you mean H100-80GB\?\)/],
    [['--strategy', 'nope'], /unknown strategy 'nope'/],
    [['--format', 'sarif'], /--format sarif is for 'check' only/],
    [['--write'], /'sweep' does not take --write/],
  ] as const) {
    it(`exit 2 for sweep ${args.join(' ')}`, () => {
      write('usage.shard.yaml', configText({ tables: 4, gpus: 2 }));
      const r = run(['sweep', 'usage.shard.yaml', ...args]);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, why);
      assert.doesNotMatch(r.stderr, STACK);
    });
  }

  it('a config with errors cannot be swept: exit 1 with located errors', () => {
    write('broken.shard.yaml', configText({ firstDim: 130 }));
    const r = run(['sweep', 'broken.shard.yaml', '--gpus', '2']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /broken\.shard\.yaml:\d+:\d+: error SL031/);
    assert.match(r.stderr, /cannot sweep/);
    const j = run(['sweep', 'broken.shard.yaml', '--gpus', '2', '--format', 'json']);
    assert.equal(j.code, 1);
    assert.ok(JSON.parse(j.stdout).diagnostics.some((d: { code: string }) => d.code === 'SL031'));
  });
});

describe('diff', () => {
  it('two files: JSON lists moved tables (from, to in the YAML shape) and the per-GPU and step-time change', () => {
    const before = configText({ tables: 6, gpus: 2, placement: 'all-on-0' });
    const afterText = before.replace(`  ${tableName(1)}: 0`, `  ${tableName(1)}: 1`).replace(`  ${tableName(4)}: 0`, `  ${tableName(4)}: {column: [0, 1]}`);
    write('a.shard.yaml', before);
    write('b.shard.yaml', afterText);
    const r = run(['diff', 'a.shard.yaml', 'b.shard.yaml', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(out).sort(), ['added', 'after', 'before', 'devices_change', 'gpus', 'moved', 'moves', 'removed', 'same_model', 'step_ms_change'].sort());
    assert.deepEqual(out.moves, [
      { table: tableName(1), from: 0, to: 1 },
      { table: tableName(4), from: 0, to: { column: [0, 1] } },
    ]);
    assert.equal(out.moved, 2);
    assert.equal(out.added, 0);
    assert.equal(out.same_model, true);
    assert.equal(out.before.cost_model, out.after.cost_model);
    assert.equal(out.before.name, 'a.shard.yaml');
    assert.ok(Math.abs(out.step_ms_change - (out.after.max_ms - out.before.max_ms)) < 1e-12);
    assert.ok(out.step_ms_change < 0, 'moving tables off GPU 0 shortens the step');
    assert.equal(out.gpus.length, 2);
    for (const g of out.gpus) assert.ok(Math.abs(g.change_ms - (g.after_ms - g.before_ms)) < 1e-12);
    // The before side is scored exactly as `plan` scores the written placement.
    const check = JSON.parse(run(['plan', 'a.shard.yaml', '--format', 'json', '--fail-if-worse', '1000%']).stdout);
    assert.equal(check.gate.written_max_ms, out.before.max_ms);

    const text = run(['diff', 'a.shard.yaml', 'b.shard.yaml']);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /2 tables changed: 2 moved/);
    assert.match(text.stdout, new RegExp(`${tableName(4)}\\s+0\\s+\\{column: \\[0, 1\\]\\}`));
    assert.match(text.stdout, /both scored by /);
  });

  it('FILE --against REF reads the committed version with git', () => {
    const repo = mkdtempSync(path.join(tmpdir(), 'shardlens-git-'));
    try {
      git(repo, 'init', '-q');
      const text = configText({ tables: 6, gpus: 2, placement: 'round-robin' });
      write('model.shard.yaml', text, repo);
      git(repo, 'add', 'model.shard.yaml');
      git(repo, 'commit', '-q', '-m', 'plan');
      write('model.shard.yaml', text.replace(`  ${tableName(0)}: 0`, `  ${tableName(0)}: 1`), repo);
      const r = run(['diff', 'model.shard.yaml', '--against', 'HEAD', '--format', 'json'], repo);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.before.name, 'HEAD:model.shard.yaml');
      assert.deepEqual(out.moves, [{ table: tableName(0), from: 0, to: 1 }]);
      const unknown = run(['diff', 'model.shard.yaml', '--against', 'no-such-branch'], repo);
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /unknown git revision 'no-such-branch'/);
      write('new.shard.yaml', text, repo);
      const untracked = run(['diff', 'new.shard.yaml', '--against', 'HEAD'], repo);
      assert.equal(untracked.code, 1);
      assert.match(untracked.stderr, /new\.shard\.yaml is not in HEAD/);
      const option = run(['diff', 'model.shard.yaml', '--against', '--output=x'], repo);
      assert.notEqual(option.code, 0);
      assert.doesNotMatch(option.stderr, STACK);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it('--against outside a git repository: exit 1 and a clear message', () => {
    write('lonely.shard.yaml', configText({ tables: 4, gpus: 2, placement: 'round-robin' }));
    const r = run(['diff', 'lonely.shard.yaml', '--against', 'HEAD']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /lonely\.shard\.yaml is not inside a git repository, so it has no HEAD to compare with/);
    assert.doesNotMatch(r.stderr, STACK);
  });

  it('usage mistakes exit 2; a side with errors exits 1 naming the error', () => {
    write('one.shard.yaml', configText({ tables: 4, gpus: 2, placement: 'round-robin' }));
    for (const args of [['diff'], ['diff', 'one.shard.yaml'], ['diff', 'a', 'b', 'c'], ['diff', 'one.shard.yaml', 'one.shard.yaml', '--against', 'HEAD']]) {
      const r = run(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, STACK);
    }
    write('bad.shard.yaml', configText({ firstDim: 130 }));
    const r = run(['diff', 'one.shard.yaml', 'bad.shard.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bad\.shard\.yaml:\d+:\d+: error SL031/);
    assert.match(r.stderr, /cannot compare: fix the 1 error first/);
  });
});

describe('plan --fail-if-worse', () => {
  it('exit 1 when the written step time is more than P% above the plan found, naming by how much and which GPUs', () => {
    write('gate.shard.yaml', configText({ tables: 8, gpus: 4, placement: 'all-on-0' }));
    const r = run(['plan', 'gate.shard.yaml', '--fail-if-worse', '5%']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /--fail-if-worse 5%: the written placement's step time .* is \d+\.\d% above the plan found/);
    assert.match(r.stderr, /GPU 0 \(/);
    const j = run(['plan', 'gate.shard.yaml', '--fail-if-worse', '5', '--format', 'json']);
    assert.equal(j.code, 1);
    const gate = JSON.parse(j.stdout).gate;
    assert.equal(gate.passed, false);
    assert.equal(gate.threshold_percent, 5);
    assert.ok(gate.over_percent > 5);
    assert.ok(Math.abs(gate.over_percent - (gate.written_max_ms / gate.planned_max_ms - 1) * 100) < 1e-9);
    assert.deepEqual(
      gate.gpus.map((g: { gpu: number }) => g.gpu),
      [0],
    );
  });

  it('exit 0 when within the threshold (and for the placement the planner itself wrote)', () => {
    write('ok.shard.yaml', configText({ tables: 8, gpus: 4, placement: 'all-on-0' }));
    const loose = run(['plan', 'ok.shard.yaml', '--fail-if-worse', '100000%']);
    assert.equal(loose.code, 2, 'more than 1000% is a usage error');
    const over = JSON.parse(run(['plan', 'ok.shard.yaml', '--format', 'json', '--fail-if-worse', '1000%']).stdout).gate.over_percent;
    const pass = run(['plan', 'ok.shard.yaml', '--fail-if-worse', `${Math.ceil(over) + 1}%`]);
    assert.equal(pass.code, 0, pass.stderr);
    assert.match(pass.stdout, /✓ --fail-if-worse: the written placement's step time/);
    assert.equal(run(['plan', 'ok.shard.yaml', '--write']).code, 0);
    const after = run(['plan', 'ok.shard.yaml', '--fail-if-worse', '0.5%']);
    assert.equal(after.code, 0, after.stderr);
  });

  it('a file without a complete placement fails the gate', () => {
    write('none.shard.yaml', configText({ tables: 4, gpus: 2 }));
    const r = run(['plan', 'none.shard.yaml', '--fail-if-worse', '5%']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no complete placement/);
  });

  for (const args of [
    ['--fail-if-worse', 'lots'],
    ['--fail-if-worse', '5%', '--compare'],
    ['--fail-if-worse', '5%', '--write'],
  ]) {
    it(`exit 2 for plan ${args.join(' ')}`, () => {
      write('g.shard.yaml', configText({ tables: 4, gpus: 2, placement: 'round-robin' }));
      const r = run(['plan', 'g.shard.yaml', ...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--fail-if-worse/);
    });
  }
});
