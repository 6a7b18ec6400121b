/**
 * `shardlens plan FILE --max-moves N` as users run it (node dist/cli.js): the
 * JSON shape (docs/cli.md "JSON output contracts": `move_budget`), the text, exit
 * codes, `--write` changing at most N entries on disk, and usage errors.
 */
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cliFolder } from './cliProcess';
import { configText, tableName } from '../../fixtures/configText';

const folder = cliFolder('shardlens-moves-');
const { run, write } = folder;

/** The `placement:` lines of a config text, name → value as written. */
function placementLines(text: string): Map<string, string> {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^placement\s*:/.test(l));
  const out = new Map<string, string>();
  for (const l of lines.slice(start + 1)) {
    const m = /^\s+([\w.-]+):\s*(.+?)\s*$/.exec(l);
    if (!m) break;
    out.set(m[1], m[2]);
  }
  return out;
}

const STACK = /\n\s+at .+\(.*:\d+:\d+\)/;
/** Every table on GPU 0 of 4: each move off it helps. */
const ALL_ON_0 = () => configText({ tables: 10, gpus: 4, placement: 'all-on-0' });

describe('plan --max-moves: JSON', () => {
  it('the plan, plus move_budget: at most N moves, each with from, to and its gain', () => {
    write('m.shard.yaml', ALL_ON_0());
    const r = run(['plan', 'm.shard.yaml', '--max-moves', '3', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    for (const k of ['strategy', 'max_ms', 'mean_ms', 'phases', 'feasible', 'gpus', 'placement', 'cost_model', 'move_budget', 'warnings']) assert.ok(k in out, k);
    const b = out.move_budget;
    for (const k of ['max_moves', 'moves_used', 'required_moves', 'too_few_moves', 'written_max_ms', 'full_plan', 'method', 'joint_gain_ms', 'moves']) assert.ok(k in b, k);
    assert.equal(b.max_moves, 3);
    assert.equal(b.required_moves, 0);
    assert.equal(b.too_few_moves, false);
    assert.equal(out.feasible, true);
    assert.ok(b.moves_used >= 1 && b.moves_used <= 3, `${b.moves_used} moves`);
    assert.equal(b.moves.length, b.moves_used);
    // The moves are exactly the entries that differ from the written placement (all on GPU 0).
    const changed = Object.entries(out.placement)
      .filter(([, e]) => e !== 0)
      .map(([t]) => t)
      .sort();
    assert.deepEqual(b.moves.map((m: { table: string }) => m.table).sort(), changed);
    for (const m of b.moves) {
      assert.equal(m.from, 0);
      assert.deepEqual(m.to, out.placement[m.table]);
      assert.equal(m.required, false);
      assert.ok(m.gain_ms === null || Number.isFinite(m.gain_ms));
    }
    assert.ok(b.written_max_ms > out.max_ms, `${b.written_max_ms} → ${out.max_ms}`);
    const credited = b.moves.reduce((a: number, m: { gain_ms: number | null }) => a + (m.gain_ms ?? 0), 0) + b.joint_gain_ms;
    assert.ok(Math.abs(credited - (b.written_max_ms - out.max_ms)) <= 1e-6 * b.written_max_ms, `gains ${credited} add up to the change`);
    assert.ok(b.full_plan.max_ms <= out.max_ms + 1e-9 && b.full_plan.moves >= b.moves_used);
    assert.ok(['toward-plan', 'local-search', 'back-from-plan'].includes(b.method));
  });

  it('--max-moves 0: the written placement, no moves, exit 0', () => {
    write('z.shard.yaml', ALL_ON_0());
    const r = run(['plan', 'z.shard.yaml', '--max-moves', '0', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(out.move_budget.moves, []);
    assert.ok(Object.values(out.placement).every((e) => e === 0));
    assert.ok(Math.abs(out.max_ms - out.move_budget.written_max_ms) <= 1e-9 * out.max_ms);
  });

  it('a written placement that needs more moves than N to be feasible: unchanged, too_few_moves, exit 1', () => {
    // t003 has no entry: placing it is a required move.
    const text = ALL_ON_0().replace(/^ {2}t003: 0\n/m, '');
    write('gap.shard.yaml', text);
    const r = run(['plan', 'gap.shard.yaml', '--max-moves', '0', '--format', 'json']);
    assert.equal(r.code, 1, r.stdout);
    const b = JSON.parse(r.stdout).move_budget;
    assert.equal(b.too_few_moves, true);
    assert.equal(b.required_moves, 1);
    assert.deepEqual(b.moves, []);
    assert.equal(b.written_max_ms, null, 'an incomplete placement has no step');
    const ok = run(['plan', 'gap.shard.yaml', '--max-moves', '1', '--format', 'json']);
    assert.equal(ok.code, 0, ok.stderr);
    const j = JSON.parse(ok.stdout);
    assert.equal(j.feasible, true);
    assert.deepEqual(
      j.move_budget.moves.map((m: { table: string; required: boolean; from: unknown }) => [m.table, m.required, m.from]),
      [['t003', true, null]],
    );
  });

  it('a file without a placement: exit 1 with a message, no stack', () => {
    write('none.shard.yaml', configText({ tables: 4, gpus: 2 }));
    const r = run(['plan', 'none.shard.yaml', '--max-moves', '5']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no written placement to move tables from/);
    assert.doesNotMatch(r.stderr, STACK);
    const j = run(['plan', 'none.shard.yaml', '--max-moves', '5', '--format', 'json']);
    assert.equal(j.code, 1);
    assert.match(JSON.parse(j.stdout).error, /no written placement/);
  });
});

describe('plan --max-moves: text and --write', () => {
  it('text: the per-GPU table, the moves with their gains, the step before and after', () => {
    write('t.shard.yaml', ALL_ON_0());
    const r = run(['plan', 't.shard.yaml', '--max-moves', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ShardLens plan --max-moves 2/);
    assert.match(r.stdout, /at most 2 moves from the written placement/);
    assert.match(r.stdout, /table\s+from\s+to\s+gain ms/);
    assert.match(r.stdout, /step [\d.]+ ms → [\d.]+ ms .*using [12] of 2 moves allowed/);
    assert.match(r.stdout, /the full plan: step [\d.]+ ms with \d+ moves/);
  });

  it('--write changes at most N placement entries on disk and nothing else', () => {
    const original = ALL_ON_0();
    const file = write('w.shard.yaml', original);
    const r = run(['plan', 'w.shard.yaml', '--max-moves', '2', '--write']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /wrote the placement with [12] moves? to w\.shard\.yaml/);
    const now = readFileSync(file, 'utf8');
    const before = placementLines(original);
    const afterLines = placementLines(now);
    assert.equal(afterLines.size, before.size);
    const changed = [...before].filter(([t, v]) => afterLines.get(t) !== v).map(([t]) => t);
    assert.ok(changed.length >= 1 && changed.length <= 2, changed.join());
    // Everything outside the placement section is byte for byte the same.
    const outside = (t: string) =>
      t
        .split('\n')
        .filter((l) => !/^\s+t\d{3}:/.test(l) && !/^placement:/.test(l))
        .join('\n');
    assert.equal(outside(now), outside(original));
    // `shardlens diff` counts the same moves.
    const d = JSON.parse(run(['diff', write('orig.shard.yaml', original), 'w.shard.yaml', '--format', 'json']).stdout);
    assert.deepEqual(d.moves.map((m: { table: string }) => m.table).sort(), changed.sort());
    assert.ok(changed.every((t) => tableName(Number(t.slice(1))) === t));
  });
});

describe('plan --max-moves: usage', () => {
  for (const args of [
    ['--max-moves', '-1'],
    ['--max-moves', 'lots'],
    ['--max-moves', '1.5'],
    ['--max-moves', '2000000'],
    ['--max-moves', '3', '--compare'],
    ['--max-moves', '3', '--export', 'torchrec'],
    ['--max-moves', '3', '--fail-if-worse', '5%'],
  ]) {
    it(`exit 2 for plan ${args.join(' ')}`, () => {
      write('u.shard.yaml', ALL_ON_0());
      const r = run(['plan', 'u.shard.yaml', ...args]);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /--max-moves/);
      assert.doesNotMatch(r.stderr, STACK);
    });
  }

  it('exit 2 for a command that does not take it', () => {
    write('s.shard.yaml', ALL_ON_0());
    const r = run(['sweep', 's.shard.yaml', '--max-moves', '3']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /'sweep' does not take --max-moves/);
  });
});
