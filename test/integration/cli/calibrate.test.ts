/**
 * `shardlens calibrate` as users run it: measurements in the collector's
 * format (here synthetic: the shipped model's own predictions × 1.5 with a
 * little noise, so the right answer is known) → a calibration file with
 * provenance, error before/after on held-out sets; too few sets refused; and
 * `plan --calibration` pricing with the corrected model.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CalibrateJson } from '../../../server/src/cli/measureJson';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import type { DeviceSpec } from '../../../server/src/config/types';
import { parseCalibration } from '../../../server/src/cost/calibration';
import { loadCostModel } from '../../../server/src/cost/registry';
import { diskModelFiles } from '../../../server/src/io/modelFiles';
import type { Shard } from '../../../server/src/cost/types';
import { ROOT, ensureBuilt } from '../lsp/lspClient';
import { runCliProcess } from './cliProcess';
import { configText } from '../../fixtures/configText';

let dir: string;
const H100: DeviceSpec = { type: 'H100-80GB', count: 1, perHost: 1, reserve: 0, ...GPU_PRESETS['H100-80GB'] };

const run = (args: string[]) => runCliProcess(args, dir);

/** n measured set lines, as `shardlens measure` writes them, timed at factor × the shipped model's prediction. */
async function measuredLines(n: number, factor: number, opts: { deviceType?: string } = {}): Promise<string> {
  const { model } = await loadCostModel(H100, { files: diskModelFiles, modelsDir: path.join(ROOT, 'models') });
  let s = 7;
  const r = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const sets: Shard[][] = Array.from({ length: n }, (_, i) =>
    Array.from({ length: 1 + (i % 4) }, (_, j) => ({
      table: `t${j}`,
      rows: Math.round(10 ** (3 + 4 * r())),
      dim: [16, 32, 64, 128][Math.floor(4 * r())],
      pooling: 1 + 20 * r(),
      zipf: r(),
      dtypeBytes: 4 as const,
      kernel: 'fbgemm_tbe' as const,
    })),
  );
  const preds = await model.predict(sets, { batchSize: 65536, optimizer: 'sgd', device: H100 });
  return (
    sets
      .map((set, i) => {
        const noise = 1 + 0.04 * (2 * r() - 1);
        return JSON.stringify({
          id: `plan${Math.floor(i / 4)}/gpu${i % 4}`,
          batch: 65536,
          optimizer: 'sgd',
          dtype: 'fp32',
          ...(opts.deviceType === undefined ? { device_type: 'H100-80GB' } : opts.deviceType ? { device_type: opts.deviceType } : {}),
          tables: set.map((t) => ({ name: t.table, rows: t.rows, dim: t.dim, pooling: t.pooling, alpha: t.zipf, dtype: 'fp32', kernel: t.kernel, optimizer: 'sgd', bags: 65536 })),
          fwd_ms: preds[i].fwdMs * factor * noise,
          bwd_ms: preds[i].bwdMs * factor * noise,
          repeat: 0,
        });
      })
      .join('\n') + '\n'
  );
}

before(() => {
  ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'shardlens-calibrate-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('shardlens calibrate', () => {
  it('fits, checks on held-out sets, writes the calibration with provenance, prints before/after', async () => {
    const text = await measuredLines(48, 1.5);
    writeFileSync(path.join(dir, 'm.jsonl'), text);
    const r = run(['calibrate', 'm.jsonl', '--out', 'cal.json', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(r.stdout) as CalibrateJson;
    assert.equal(res.sets, 48);
    assert.equal(res.groups.length, 1);
    const [g] = res.groups;
    assert.deepEqual([g.gpu_type, g.kernel, g.status, g.train + g.heldout], ['H100-80GB', 'fbgemm_tbe', 'fitted', 48]);
    assert.ok(g.mape!.heldout_before! > 0.3 && g.mape!.heldout_after! < 0.05, JSON.stringify(g.mape));
    assert.ok(g.mape!.train_after! < 0.05);
    const file = readFileSync(path.join(dir, 'cal.json'), 'utf8');
    const parsed = parseCalibration(file);
    assert.ok(parsed.ok);
    const cal = parsed.file;
    assert.equal(cal.provenance.sha256, createHash('sha256').update(text).digest('hex'));
    assert.equal(cal.provenance.sets, 48);
    assert.match(cal.provenance.command, /^shardlens calibrate m\.jsonl/);
    assert.match(cal.gpus['H100-80GB'].base_model, /h100-cost|analytic/);
    const k = cal.gpus['H100-80GB'].kernels.fbgemm_tbe!;
    assert.ok(Math.abs(Math.exp(k.fwd.offset + (k.fwd.scale - 1) * Math.log(1)) - 1.5) < 0.3, JSON.stringify(k.fwd));

    const t = run(['calibrate', 'm.jsonl', '--out', 'cal2.json']);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /held-out before \u2192 after/);
    assert.match(t.stdout, /kept/);
    assert.match(t.stdout, /"shardlens\.costModel\.calibrations": \{ "H100-80GB": /);
  });

  it('plan --calibration prices with the corrected model and says so', () => {
    writeFileSync(path.join(dir, 'c.shard.yaml'), configText());
    const plain = JSON.parse(run(['plan', 'c.shard.yaml', '--strategy', 'greedy', '--format', 'json']).stdout);
    const r = run(['plan', 'c.shard.yaml', '--strategy', 'greedy', '--format', 'json', '--calibration', 'cal.json']);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    const cal = JSON.parse(r.stdout);
    assert.match(cal.cost_model, /\(calibrated\)$/);
    assert.ok(cal.max_ms > 1.2 * plain.max_ms && cal.max_ms < 2 * plain.max_ms, `${plain.max_ms} → ${cal.max_ms}`);
  });

  it('refuses too few sets (exit 1, nothing written) and says how many it needs', async () => {
    writeFileSync(path.join(dir, 'few.jsonl'), await measuredLines(10, 1.5));
    const r = run(['calibrate', 'few.jsonl', '--out', 'few.json']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /needs at least 15 to fit and 5 held out/);
    assert.match(r.stderr, /nothing written/);
  });

  it('lines without a device type need --device; bad lines are skipped with their line number', async () => {
    writeFileSync(path.join(dir, 'nodev.jsonl'), (await measuredLines(40, 1.2, { deviceType: '' })) + '{"batch": 0}\n');
    const r = run(['calibrate', 'nodev.jsonl', '--out', 'nodev.json', '--format', 'json']);
    assert.equal(r.code, 1);
    const res = JSON.parse(r.stdout) as CalibrateJson;
    assert.ok(
      res.skipped.some((s) => /nodev\.jsonl:1: no device_type; pass --device TYPE/.test(s)),
      res.skipped.join('\n'),
    );
    assert.ok(
      res.skipped.some((s) => /nodev\.jsonl:41: line 41: "batch" must be ≥ 1 and ≤ /.test(s)),
      res.skipped.join('\n'),
    );
    const ok = run(['calibrate', 'nodev.jsonl', '--out', 'nodev.json', '--device', 'H100-80GB']);
    assert.equal(ok.code, 0, ok.stderr);
  });
});
