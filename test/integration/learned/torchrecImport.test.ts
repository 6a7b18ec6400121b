/**
 * The Python helper that builds a config from a TorchRec model and sample
 * batches (models/shardlens_cost/import_torchrec.py), run as users run it:
 * it writes a sample with known pooling and skew (--demo-sample), imports it,
 * and the config it writes loads without errors with the measured pooling and
 * the fitted skew close to the truth. Needs a Python 3 with torch (CPU): $PYTHON, else python3.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../../server/src/config/load';
import { pythonWith } from '../../../server/src/io/python';
import { MODELS_DIR } from '../../unit/learned/fixtures';

const python = pythonWith(['torch']);
const tmp = mkdtempSync(path.join(tmpdir(), 'shardlens-import-torchrec-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function py(args: string[]): { status: number | null; out: string } {
  if (!python.ok) assert.fail(python.why);
  const r = spawnSync(python.python, ['-m', 'shardlens_cost.import_torchrec', ...args], { cwd: MODELS_DIR, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

test('import_torchrec: a generated sample becomes a config with measured pooling and fitted skew', () => {
  const gen = py(['--demo-sample', tmp]);
  assert.equal(gen.status, 0, gen.out);
  const out = path.join(tmp, 'model.shard.yaml');
  const r = py(['--configs', path.join(tmp, 'configs.json'), '--batches', path.join(tmp, 'batches.pt'), '-o', out, '--gpus', '16']);
  assert.equal(r.status, 0, r.out);
  const loaded = loadConfig(out, readFileSync(out, 'utf8'), { readFile: () => undefined });
  assert.deepEqual(
    loaded.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const c = loaded.config!;
  assert.equal(c.devices.count, 16);
  assert.equal(c.batchSize, 2048, 'bags per batch in the sample');
  const truth = JSON.parse(readFileSync(path.join(tmp, 'truth.json'), 'utf8')) as {
    name: string;
    num_embeddings: number;
    embedding_dim: number;
    factors: number[];
    zipf: number;
    data_type: string;
  }[];
  assert.deepEqual(
    c.tables.map((t) => t.name),
    truth.map((t) => t.name),
  );
  for (const t of truth) {
    const got = c.tables.find((x) => x.name === t.name)!;
    assert.equal(got.rows, t.num_embeddings);
    assert.equal(got.dim, t.embedding_dim);
    assert.equal(got.dtype, t.data_type === 'FP16' ? 'fp16' : 'fp32');
    const pooling = t.factors.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(got.pooling - pooling) < 0.05 * pooling, `${t.name}: pooling ${got.pooling} ≈ ${pooling} (Poisson bag lengths)`);
  }
  // Skew: well determined for the large tables; the 250-row table's sample saw every row (marked a weak fit).
  for (const name of ['user_id', 'item_hist']) {
    const t = truth.find((x) => x.name === name)!;
    const got = c.tables.find((x) => x.name === name)!;
    assert.ok(Math.abs(got.zipf - t.zipf) < 0.05, `${name}: zipf ${got.zipf} ≈ ${t.zipf}`);
  }
  assert.match(readFileSync(out, 'utf8'), /- name: country[\s\S]*weak fit/);
});

test('import_torchrec: bad input is named, with exit status 1', () => {
  const configs = path.join(tmp, 'configs.json');
  const r = py(['--configs', configs, '--batches', path.join(tmp, 'nope.pt')]);
  assert.equal(r.status, 1);
  assert.match(r.out, /import_torchrec: .*nope\.pt: cannot load/);
  assert.doesNotMatch(r.out, /Traceback/);
});
