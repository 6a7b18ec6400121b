import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import { allToAllMs, linksOf } from '../../../server/src/cost/comm';
import { fitCommConstants, parseCommJsonl } from '../../../server/src/cost/commFit';

const H100 = GPU_PRESETS['H100-80GB'];

test('recovers the link fraction and latency that generated the timings', () => {
  // Synthetic collector lines on 8 GPUs in one host, timed by the model with η = 0.7, α = 0.02 ms.
  const device = { type: 'H100-80GB', count: 8, perHost: 8, reserve: 0, ...H100 };
  const truth = {
    nvlinkEfficiency: 0.7,
    networkEfficiency: 0.85,
    intraLatencyMs: 0.02,
    interLatencyMs: 0.03,
    indexBytes: 8,
    lengthBytes: 4,
    ddpBucketBytes: 2 ** 25,
    source: 'truth',
  };
  const lines: string[] = [];
  for (let r = 0; r < 12; r++) {
    const dims = Array.from({ length: 8 }, (_, k) => 64 * (1 + ((r * 3 + k * 5) % 9)));
    const l = linksOf({ batchSize: 65536, optimizer: 'sgd', device, comm: truth }, 8);
    const x = dims.map((d) => d * 4);
    const total = x.reduce((a, b) => a + b, 0);
    const ms = x.map((xk) => allToAllMs(l, xk, total, total, 8));
    lines.push(JSON.stringify({ id: `c${r}`, world: 8, batch: 65536, dtype: 'fp32', dim_sums: dims, fwd_a2a_ms: ms, bwd_a2a_ms: ms }));
  }
  const { records, errors } = parseCommJsonl(lines.join('\n'));
  assert.deepEqual(errors, []);
  const fit = fitCommConstants(records, H100, 8, 'synthetic.comm.jsonl')!;
  assert.ok(Math.abs(fit.nvlinkEfficiency - 0.7) < 1e-6, String(fit.nvlinkEfficiency));
  assert.ok(Math.abs(fit.intraLatencyMs - 0.02) < 1e-6, String(fit.intraLatencyMs));
  assert.equal(fit.networkEfficiency, 0.85, 'no cross-host timings: the preset stays');
  assert.match(fit.source, /^fitted: synthetic\.comm\.jsonl \(192 rank timings\)$/);
});

test('lists every bad line and fits nothing from too little', () => {
  const { records, errors } = parseCommJsonl('{"world": 1}\nnot json\n{"world": 2, "batch": 8, "dim_sums": [1], "fwd_a2a_ms": [1, 2], "bwd_a2a_ms": [1, 2]}\n');
  assert.equal(records.length, 0);
  assert.deepEqual(
    errors.map((e) => e.split(':')[0]),
    ['line 1', 'line 2', 'line 3'],
  );
  assert.equal(fitCommConstants([], H100, 8), undefined);
});
