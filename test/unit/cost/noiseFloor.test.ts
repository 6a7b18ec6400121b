/**
 * The noise floor of bench:cost: spread of repeated measurements per set and
 * the model's error against their median; without a repeats file, how to make one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import type { DeviceSpec } from '../../../server/src/config/types';
import { AnalyticCostModel } from '../../../server/src/cost/analytic';
import { noiseFloor } from '../../bench/noiseFloor';

const H100: DeviceSpec = { type: 'H100-80GB', count: 1, perHost: 1, reserve: 0, ...GPU_PRESETS['H100-80GB'] };
let dir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'shardlens-noise-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

it('without a repeats file it says so and how to make one', async () => {
  const r = await noiseFloor(dir, new AnalyticCostModel('H100-80GB'), H100);
  assert.deepEqual(r.rows, []);
  assert.match(r.lines.join('\n'), /none yet/);
  assert.match(r.lines.join('\n'), /--repeats 5 --out data\/h100-repeats\.jsonl/);
});

it('spread and noise MAPE per file, beside the model error on the same sets', async () => {
  const line = (id: string, fwd: number, bwd: number, repeat: number) =>
    JSON.stringify({
      id,
      batch: 65536,
      dtype: 'fp32',
      tables: [{ name: 't', rows: 100000, dim: 64, pooling: 5, alpha: 0.8 }],
      fwd_ms: fwd,
      bwd_ms: bwd,
      repeat,
    });
  writeFileSync(
    path.join(dir, 'x-repeats.jsonl'),
    [
      line('a', 1, 1, 0),
      line('a', 1, 2, 1),
      line('a', 1, 3, 2), // totals 2, 3, 4: spread 2/3, devs 1/3, 0, 1/3
      line('b', 2, 2, 0),
      line('b', 2, 2, 1), // totals 4, 4
      line('c', 1, 1, 0), // one round: not counted
    ].join('\n'),
  );
  const model = new AnalyticCostModel('H100-80GB');
  const { rows } = await noiseFloor(dir, model, H100);
  assert.equal(rows.length, 1);
  const [r] = rows;
  assert.deepEqual([r.file, r.sets, r.rounds], ['x-repeats.jsonl', 2, 3]); // rounds: median of 3 and 2, rounded
  assert.ok(Math.abs(r.medianSpread - (2 / 3 + 0) / 2) < 1e-12);
  assert.ok(Math.abs(r.noiseMape - (1 / 3 + 0 + 1 / 3 + 0 + 0) / 5) < 1e-12);
  const [p] = await model.predict([[{ table: 't', rows: 100000, dim: 64, pooling: 5, zipf: 0.8, dtypeBytes: 4, kernel: 'torch_embedding_bag' }]], {
    batchSize: 65536,
    optimizer: 'sgd',
    device: H100,
  });
  const tot = p.fwdMs + p.bwdMs;
  assert.ok(Math.abs(r.modelMape - (Math.abs(tot - 3) / 3 + Math.abs(tot - 4) / 4) / 2) < 1e-9);
});
