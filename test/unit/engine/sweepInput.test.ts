/** What a sweep accepts as GPU counts and types (CLI --gpus/--type, the protocol, the editor's input box). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_SWEEP_CLUSTERS,
  MAX_SWEEP_GPUS,
  checkGpuCounts,
  checkGpuTypes,
  clusterCountProblem,
  defaultSweepCounts,
  parseGpuCounts,
  parseGpuTypes,
} from '../../../server/src/engine/sweepInput';

describe('sweep input', () => {
  it('default counts: a quarter, a half, the same and double, whole numbers only', () => {
    assert.deepEqual(defaultSweepCounts(64), [16, 32, 64, 128]);
    assert.deepEqual(defaultSweepCounts(2), [1, 2, 4]);
    assert.deepEqual(defaultSweepCounts(6), [3, 6, 12]);
    assert.deepEqual(defaultSweepCounts(1), [1, 2]);
    assert.deepEqual(defaultSweepCounts(-3), [1, 2]);
  });

  it('counts: commas or spaces, sorted, repeats dropped', () => {
    assert.deepEqual(parseGpuCounts('16,32, 64 128,32'), { ok: true, value: [16, 32, 64, 128] });
    assert.deepEqual(parseGpuCounts('128,16'), { ok: true, value: [16, 128] });
  });

  it('counts: each mistake is named', () => {
    for (const [text, why] of [
      ['', /at least one/],
      ['8,x', /'x' is not a GPU count/],
      ['0', /'0' is not/],
      ['1.5', /'1.5' is not/],
      ['-4', /'-4' is not/],
      [String(MAX_SWEEP_GPUS + 1), /more than a sweep plans/],
    ] as const) {
      const r = parseGpuCounts(text);
      assert.equal(r.ok, false, text);
      if (!r.ok) assert.match(r.error, why, text);
    }
    assert.equal(checkGpuCounts([4, 8]).ok, true);
    assert.equal(checkGpuCounts([4, '8x'] as unknown[]).ok, false);
    assert.equal(checkGpuCounts([4.5]).ok, false);
  });

  it("types: presets or the config's own (custom) type; unknown ones suggest the closest", () => {
    assert.deepEqual(parseGpuTypes('', 'H100-80GB'), { ok: true, value: ['H100-80GB'] });
    assert.deepEqual(parseGpuTypes('A100-80GB, H100-80GB,A100-80GB', 'H100-80GB'), { ok: true, value: ['A100-80GB', 'H100-80GB'] });
    assert.deepEqual(parseGpuTypes('MyGPU', 'MyGPU'), { ok: true, value: ['MyGPU'] });
    const bad = checkGpuTypes(['A100-80G'], 'H100-80GB');
    assert.equal(bad.ok, false);
    if (!bad.ok) assert.match(bad.error, /unknown GPU type 'A100-80G' \(did you mean A100-80GB\?\)/);
  });

  it('caps the number of clusters of one sweep', () => {
    assert.equal(clusterCountProblem(4, 2), undefined);
    assert.match(clusterCountProblem(MAX_SWEEP_CLUSTERS, 2)!, /more than one sweep plans/);
  });
});
