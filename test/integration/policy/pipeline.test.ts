/**
 * CI smoke run of the Python policy pipeline (tiny: a few seconds of REINFORCE
 * against the analytic stand-in simulator, then export): the sidecar it writes
 * is accepted by the server, and the JS evaluator reproduces the PyTorch
 * outputs it stored. Needs a Python 3 with torch and onnx ($PYTHON, else python3).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { pythonWith } from '../../../server/src/io/python';
import { PolicyNetwork } from '../../../server/src/plan/policyNetwork';
import { validatePolicySidecar } from '../../../server/src/plan/policySidecar';
import { MODELS_DIR, type PolicyFixtures } from '../../unit/policy/fixtures';

const python = pythonWith(['torch', 'onnx']);

function py(args: string[]): void {
  if (!python.ok) assert.fail(python.why);
  const r = spawnSync(python.python, ['-m', ...args], { cwd: MODELS_DIR, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, `python -m ${args.join(' ')} failed:\n${r.stderr}`);
}

test('python policy training + export smoke run yields a sidecar the server accepts and matches', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shardlens-policy-'));
  try {
    const ckpt = path.join(dir, 'smoke.pt');
    py(['policy.train', '--sim', 'analytic', '--out', ckpt, '--seconds', '4', '--iterations', '40', '--eval-tasks', '2', '--eval-every', '20', '--max-tables', '30', '--quiet']);
    assert.ok(existsSync(ckpt));
    const fixtures = path.join(dir, 'fixtures.json');
    py(['policy.export', '--ckpt', ckpt, '--out-dir', dir, '--name', 'smoke', '--fixtures', fixtures]);
    assert.ok(existsSync(path.join(dir, 'smoke.onnx')));
    const v = validatePolicySidecar(JSON.parse(readFileSync(path.join(dir, 'smoke.json'), 'utf8')));
    assert.ok(v.ok, v.ok ? '' : v.error);
    assert.equal(v.sidecar.name, 'smoke');
    const net = new PolicyNetwork(v.sidecar);
    const fx = JSON.parse(readFileSync(fixtures, 'utf8')) as PolicyFixtures;
    for (const s of fx.steps) {
      const js = net.logits(s.table_x, s.gpu_pooled, s.gpu_scalars, s.cross).logits;
      js.forEach((l, g) => assert.ok(Math.abs(l - s.logits[g]) <= 1e-4 * Math.max(1, Math.abs(s.logits[g])), `logit ${g}: ${l} vs ${s.logits[g]}`));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
