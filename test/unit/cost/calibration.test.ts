/**
 * Calibration: the log-space fit (recovers a known correction, refuses too few
 * sets, keeps nothing that does not help on held-out sets), the CalibratedCostModel
 * wrapper (predict = prepare/score, per kernel, mixed-kernel sets), the file
 * format's validation, and the registry applying a file (or saying why not).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import type { DeviceSpec, Kernel } from '../../../server/src/config/types';
import { kendallTau, mape } from '../../../server/src/cost/accuracy';
import { AnalyticCostModel } from '../../../server/src/cost/analytic';
import {
  CALIBRATION_FORMAT,
  CALIBRATION_VERSION,
  applyLine,
  calibrated,
  calibrationNote,
  parseCalibration,
  type CalibrationFile,
  type GpuCalibration,
  type KernelCorrection,
} from '../../../server/src/cost/calibration';
import { MIN_HELDOUT, MIN_TRAIN, fitCalibration, fitLine, isHeldOut, type CalibrationSample } from '../../../server/src/cost/calibrationFit';
import { loadCostModel } from '../../../server/src/cost/registry';
import { diskModelFiles } from '../../../server/src/io/modelFiles';
import type { CostEnv, Shard } from '../../../server/src/cost/types';

const H100: DeviceSpec = { type: 'H100-80GB', count: 4, perHost: 4, reserve: 0.1, ...GPU_PRESETS['H100-80GB'] };
const ENV: CostEnv = { batchSize: 65536, optimizer: 'sgd', device: H100 };

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Measured = e^offset · predicted^scale × noise (±noise). */
function samples(n: number, line: { scale: number; offset: number }, noise: number, kernel: Kernel = 'torch_embedding_bag', seed = 1): CalibrationSample[] {
  const r = rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const fwd = Math.exp(-2 + 5 * r());
    const bwd = Math.exp(-1 + 5 * r());
    const jitter = () => 1 + noise * (2 * r() - 1);
    return {
      id: `set-${seed}-${i}`,
      gpuType: 'A100-80GB',
      kernel,
      predicted: { fwdMs: fwd, bwdMs: bwd },
      measured: { fwdMs: applyLine(fwd, line) * jitter(), bwdMs: applyLine(bwd, line) * jitter() },
    };
  });
}

describe('fit', () => {
  it('recovers a known log-space line from clean data', () => {
    const pairs = Array.from({ length: 50 }, (_, i) => ({ predicted: 0.1 * (i + 1), measured: applyLine(0.1 * (i + 1), { scale: 1.2, offset: 0.3 }) }));
    const l = fitLine(pairs, 0);
    assert.ok(Math.abs(l.scale - 1.2) < 1e-9 && Math.abs(l.offset - 0.3) < 1e-9, JSON.stringify(l));
  });

  it('ridge pulls the scale toward 1 when the sizes barely vary, leaving a plain factor', () => {
    const pairs = [1, 1.01, 0.99, 1.02].map((p) => ({ predicted: p, measured: 1.5 * p * (p > 1 ? 1.05 : 0.95) }));
    const l = fitLine(pairs);
    assert.ok(Math.abs(l.scale - 1) < 0.2, `scale ${l.scale}`);
    assert.ok(Math.abs(Math.exp(l.offset) - 1.5) < 0.15, `factor ${Math.exp(l.offset)}`);
  });

  it('fits per GPU type and kernel, checks on held-out sets, lowers the error', () => {
    const data = [...samples(60, { scale: 1.1, offset: 0.4 }, 0.05), ...samples(40, { scale: 0.9, offset: -0.2 }, 0.05, 'fbgemm_tbe', 2)];
    const fits = fitCalibration(data);
    assert.deepEqual(
      fits.map((f) => [f.kernel, f.status]),
      [
        ['torch_embedding_bag', 'fitted'],
        ['fbgemm_tbe', 'fitted'],
      ],
    );
    for (const f of fits) {
      const m = f.correction!.mape;
      assert.ok(m.heldout_after < m.heldout_before / 3, JSON.stringify(m));
      assert.ok(m.train_after < 0.05 && m.heldout_after < 0.06, JSON.stringify(m));
      assert.equal(f.train + f.heldout, f.kernel === 'fbgemm_tbe' ? 40 : 60);
      assert.ok(f.heldout >= MIN_HELDOUT && f.train >= MIN_TRAIN);
    }
    assert.ok(Math.abs(fits[0].correction!.fwd.scale - 1.1) < 0.05);
  });

  it('the held-out split is by id: deterministic, about a quarter, the same for repeated rounds', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `p${i}/gpu${i % 8}`);
    const held = ids.filter(isHeldOut).length;
    assert.ok(held > 200 && held < 300, String(held));
    assert.equal(isHeldOut('best/gpu3'), isHeldOut('best/gpu3'));
  });

  it('refuses too few sets, saying how many it needs', () => {
    const [f] = fitCalibration(samples(12, { scale: 1, offset: 0.5 }, 0.01));
    assert.equal(f.status, 'too_few');
    assert.equal(f.correction, undefined);
    assert.match(f.message!, new RegExp(`at least ${MIN_TRAIN} to fit and ${MIN_HELDOUT} held out`));
  });

  it('does not keep a correction that the held-out sets contradict', () => {
    // Training sets run 2× slower than predicted, held-out ones exactly as predicted:
    // the fitted factor 2 would double the held-out error, so it is not kept.
    const data = samples(80, { scale: 1, offset: 0 }, 0).map((s) =>
      isHeldOut(s.id)
        ? s
        : {
            ...s,
            measured: { fwdMs: 2 * s.predicted.fwdMs, bwdMs: 2 * s.predicted.bwdMs },
          },
    );
    const [f] = fitCalibration(data);
    assert.equal(f.status, 'no_gain');
    assert.ok(f.correction!.mape.heldout_before < 1e-12 && f.correction!.mape.heldout_after > 0.5);
    assert.match(f.message!, /does not lower the held-out error .*not kept/);
  });
});

describe('accuracy helpers', () => {
  it('Kendall τ-b: same order 1, reversed −1, ties handled', () => {
    const xs = [1, 2, 3, 4];
    assert.equal(kendallTau(xs.map((x) => ({ predicted: x, measured: x * 10 }))), 1);
    assert.equal(kendallTau(xs.map((x) => ({ predicted: x, measured: -x + 10 }))), -1);
    const t = kendallTau([
      { predicted: 1, measured: 1 },
      { predicted: 1, measured: 2 },
      { predicted: 2, measured: 3 },
    ]);
    assert.ok(Math.abs(t - 2 / Math.sqrt(2 * 3)) < 1e-12, String(t));
    assert.ok(Number.isNaN(kendallTau([{ predicted: 1, measured: 1 }])));
    assert.ok(
      Math.abs(
        mape([
          { predicted: 1.1, measured: 1 },
          { predicted: 0.8, measured: 1 },
          { predicted: 1, measured: 0 },
        ]) - 0.15,
      ) < 1e-12,
    );
  });
});

const shard = (table: string, kernel: Kernel, rows = 100_000): Shard => ({ table, rows, dim: 64, pooling: 10, zipf: 0.8, dtypeBytes: 4, kernel });

function correction(factor: number): KernelCorrection {
  const l = { scale: 1, offset: Math.log(factor) };
  return { fwd: l, bwd: l, train: 20, heldout: 6, mape: { train_before: 0.3, train_after: 0.05, heldout_before: 0.3, heldout_after: 0.06 } };
}

describe('calibrated model', () => {
  const base = new AnalyticCostModel('H100-80GB');
  const cal: GpuCalibration = { base_model: base.name, kernels: { torch_embedding_bag: correction(2), fbgemm_tbe: correction(0.5) } };
  const model = calibrated(base, cal, { file: 'a100.calibration.json' });

  it("scales one-kernel sets by their kernel's correction, in predict and in prepare/score alike", async () => {
    const sets = [[shard('a', 'torch_embedding_bag')], [shard('b', 'fbgemm_tbe')], [shard('c', 'fbgemm_tbe_uvm_caching')], []];
    const [b, c] = [await base.predict(sets, ENV), await model.predict(sets, ENV)];
    assert.ok(Math.abs(c[0].fwdMs / b[0].fwdMs - 2) < 1e-9);
    assert.ok(Math.abs(c[1].bwdMs / b[1].bwdMs - 0.5) < 1e-9);
    assert.deepEqual(c[2], b[2], 'a kernel without a correction is left alone');
    assert.deepEqual(c[3], b[3]);
    const flat = sets.flat();
    const sc = model.prepare(flat, ENV);
    assert.ok(Math.abs(sc.score([0]).fwdMs - c[0].fwdMs) < 1e-9);
    assert.ok(Math.abs(sc.score([1]).bwdMs - c[1].bwdMs) < 1e-9);
  });

  it("a mixed-kernel set: each kernel's share corrected, the base set cost scaled by the ratio", async () => {
    const mixed = [shard('a', 'torch_embedding_bag'), shard('b', 'fbgemm_tbe', 400_000)];
    const [whole] = await base.predict([mixed], ENV);
    const [ta, fb] = await base.predict([[mixed[0]], [mixed[1]]], ENV);
    const [got] = await model.predict([mixed], ENV);
    const expect = (whole.fwdMs * (2 * ta.fwdMs + 0.5 * fb.fwdMs)) / (ta.fwdMs + fb.fwdMs);
    assert.ok(Math.abs(got.fwdMs - expect) < 1e-9, `${got.fwdMs} vs ${expect}`);
    const s = model.prepare(mixed, ENV).score([0, 1]);
    assert.ok(Math.abs(s.fwdMs - got.fwdMs) < 1e-9 && Math.abs(s.bwdMs - got.bwdMs) < 1e-9);
  });

  it('says what it is: name, source, and the hover note', () => {
    assert.equal(model.name, `${base.name} (calibrated)`);
    assert.equal(model.source, 'analytic');
    assert.equal(calibrationNote(model), 'Calibrated on 40 measurements (fbgemm_tbe, torch_embedding_bag; a100.calibration.json)');
    assert.equal(calibrationNote(base), undefined);
  });
});

describe('calibration file and registry', () => {
  let dir: string;
  const file = (gpus: CalibrationFile['gpus']): CalibrationFile => ({
    format: CALIBRATION_FORMAT,
    version: CALIBRATION_VERSION,
    created: '2026-01-01T00:00:00Z',
    provenance: { measurements: 'm.jsonl', sha256: 'x', sets: 26, command: 'shardlens calibrate m.jsonl' },
    gpus,
  });
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'shardlens-cal-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('validates the format with located messages', () => {
    assert.equal(parseCalibration('{').ok, false);
    const bad = (x: unknown) => {
      const r = parseCalibration(JSON.stringify(x));
      assert.equal(r.ok, false);
      return (r as { error: string }).error;
    };
    assert.match(bad({ format: 'other' }), /not a ShardLens calibration file/);
    assert.match(bad({ format: CALIBRATION_FORMAT, version: 9, gpus: {} }), /version 9 is not supported/);
    assert.match(bad(file({ A: { base_model: 'm', kernels: { cuda_magic: correction(1) } as GpuCalibration['kernels'] } })), /gpus\.A\.kernels\.cuda_magic: unknown kernel/);
    const broken = correction(1) as unknown as Record<string, unknown>;
    broken.fwd = { scale: -1, offset: 0 };
    assert.match(bad(file({ A: { base_model: 'm', kernels: { fbgemm_tbe: broken as unknown as KernelCorrection } } })), /fwd\.scale must be a positive number/);
    assert.equal(parseCalibration(JSON.stringify(file({ A: { base_model: 'm', kernels: { fbgemm_tbe: correction(1) } } }))).ok, true);
  });

  it('the registry applies the file for the device type; says why when it cannot', async () => {
    const analytic = new AnalyticCostModel('A100-80GB');
    const device: DeviceSpec = { ...H100, type: 'A100-80GB', ...GPU_PRESETS['A100-80GB'] };
    const good = path.join(dir, 'good.json');
    writeFileSync(good, JSON.stringify(file({ 'A100-80GB': { base_model: analytic.name, kernels: { torch_embedding_bag: correction(1.5) } } })));
    // The base check is per kernel: the model that prices torch_embedding_bag must be the one fitted for,
    // whatever other kernels the dispatch model names.
    const loaded = await loadCostModel(device, { files: diskModelFiles, modelsDir: dir, calibrations: { 'A100-80GB': good } });
    assert.match(loaded.model.name, new RegExp(`${analytic.name} \\[torch_embedding_bag\\] \\(calibrated\\)$`));
    assert.match(calibrationNote(loaded.model)!, /Calibrated on 20 measurements/);
    const [p] = await loaded.model.predict([[shard('a', 'torch_embedding_bag')]], { ...ENV, device });
    const [q] = await analytic.predict([[shard('a', 'torch_embedding_bag')]], { ...ENV, device });
    assert.ok(Math.abs(p.fwdMs / q.fwdMs - 1.5) < 1e-9);

    const untrusted = await loadCostModel(device, { files: diskModelFiles, modelsDir: dir, calibrations: { 'A100-80GB': good }, trusted: false });
    assert.doesNotMatch(untrusted.model.name, /calibrated/);
    assert.match(untrusted.warning!, /calibration setting for A100-80GB .* ignored in an untrusted workspace/);

    const missing = await loadCostModel(device, { files: diskModelFiles, modelsDir: dir, calibrations: { '*': path.join(dir, 'nope.json') } });
    assert.match(missing.warning!, /calibration .*nope\.json not used: no such file/);
    assert.doesNotMatch(missing.model.name, /calibrated/);

    const other = path.join(dir, 'other.json');
    writeFileSync(other, JSON.stringify(file({ 'A100-80GB': { base_model: 'learned: some-other-v1', kernels: { torch_embedding_bag: correction(1.5) } } })));
    const mismatch = await loadCostModel(device, { files: diskModelFiles, modelsDir: dir, calibrations: { '*': other } });
    assert.doesNotMatch(mismatch.model.name, /calibrated/);
    assert.match(mismatch.warning!, /fitted for learned: some-other-v1, not analytic.*not applied/);

    const h100Only = path.join(dir, 'h100.json');
    writeFileSync(h100Only, JSON.stringify(file({ 'H100-80GB': { base_model: 'x', kernels: { fbgemm_tbe: correction(1) } } })));
    const wrongGpu = await loadCostModel(device, { files: diskModelFiles, modelsDir: dir, calibrations: { '*': h100Only } });
    assert.match(wrongGpu.warning!, /has no correction for A100-80GB \(it covers H100-80GB\)/);
  });
});
