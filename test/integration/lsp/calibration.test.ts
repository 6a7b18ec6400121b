/**
 * A calibration from settings (`shardlens.costModel.calibrations`) through the
 * protocol: the server prices with the calibrated model, the status names it,
 * and hover on a table says "Calibrated on N measurements".
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Hover } from 'vscode-languageserver-protocol';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import { CALIBRATION_FORMAT, CALIBRATION_VERSION, type CalibrationFile } from '../../../server/src/cost/calibration';
import { pricedBy } from '../../../server/src/cost/kernelDispatch';
import { loadCostModel } from '../../../server/src/cost/registry';
import { diskModelFiles } from '../../../server/src/io/modelFiles';
import type { StatusParams } from '../../../server/src/lsp/protocol';
import { configText, lineOf, tableName } from '../../fixtures/configText';
import { ROOT, startTestServer, until, type TestServer } from './lspClient';

let dir: string;
let server: TestServer;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'shardlens-lsp-cal-'));
  const { model } = await loadCostModel(
    { type: 'H100-80GB', count: 2, perHost: 2, reserve: 0.1, ...GPU_PRESETS['H100-80GB'] },
    { files: diskModelFiles, modelsDir: path.join(ROOT, 'models') },
  );
  const line = { scale: 1, offset: Math.log(1.3) };
  const cal: CalibrationFile = {
    format: CALIBRATION_FORMAT,
    version: CALIBRATION_VERSION,
    created: '2026-01-01T00:00:00Z',
    provenance: { measurements: 'measured.jsonl', sha256: '0', sets: 27, command: 'shardlens calibrate measured.jsonl' },
    gpus: {
      'H100-80GB': {
        base_model: pricedBy(model, 'fbgemm_tbe'),
        kernels: { fbgemm_tbe: { fwd: line, bwd: line, train: 21, heldout: 6, mape: { train_before: 0.3, train_after: 0.04, heldout_before: 0.3, heldout_after: 0.05 } } },
      },
    },
  };
  writeFileSync(path.join(dir, 'h100.calibration.json'), JSON.stringify(cal));
  // Relative to the workspace folder, as a user writes it in settings.json.
  server = await startTestServer({ rootDir: dir, settings: { costModel: { calibrations: { 'H100-80GB': 'h100.calibration.json' } } } });
});
after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('prices with the calibrated model; hover says "Calibrated on N measurements"', async () => {
  const uri = `file://${path.join(dir, 'cal.shard.yaml')}`;
  const text = configText();
  await server.open(uri, text);
  const status = await until('status with a model', () =>
    server.notifications.map((n) => (n.method === 'shardlens/status' ? (n.params as StatusParams) : undefined)).find((p) => p?.uri === uri && p.costModel !== undefined),
  );
  assert.match(status.costModel ?? '', /\(calibrated\)$/);
  const line = lineOf(text, `name: ${tableName(1)}`);
  const character = text.split('\n')[line].indexOf(tableName(1)) + 1;
  const hover = await server.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line, character } });
  const value = (hover?.contents as { value: string } | undefined)?.value ?? '';
  assert.match(value, /Calibrated on 21 measurements \(fbgemm_tbe; h100\.calibration\.json\)/);
});
