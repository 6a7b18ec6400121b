/**
 * SL110 through the engine with the shipped learned model: inputs outside its
 * training ranges are warned about on the key they concern, with the value,
 * the range and how they were priced, and the numbers stay sane. The issue's
 * cases: 400 tables of 100k rows on one GPU, batch 131,072, 1e9-row tables,
 * dims never measured. The ranges are the learned model's, so the configs run
 * PyTorch's kernel (`torch_embedding_bag`, the one it prices); tables on the
 * default FBGEMM kernel are priced by FBGEMM's analytic model and get none.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { FileReader } from '../../../server/src/config/loaded';
import { loadCostModel } from '../../../server/src/cost/registry';
import { diskModelFiles } from '../../../server/src/io/modelFiles';
import { tableShard } from '../../../server/src/cost/shards';
import { analyzeDocument, createCostModelCache } from '../../../server/src/engine';
import { costEnv } from '../../../server/src/engine/tableCosts';
import type { AnalysisRecord } from '../../../server/src/lsp/documents';
import { tableMarkdown } from '../../../server/src/lsp/hover';

const MODELS_DIR = path.resolve(__dirname, '../../../models');
const noFiles: FileReader = { readFile: () => undefined };
const models = () => createCostModelCache((d, kernels) => loadCostModel(d, { files: diskModelFiles, modelsDir: MODELS_DIR, kernels }));

function config(o: { batch?: number; optimizer?: string; tables: string[]; gpus?: number; placement?: string[]; kernel?: string | null }): string {
  const gpus = o.gpus ?? 1;
  const kernel = o.kernel === undefined ? 'torch_embedding_bag' : o.kernel;
  return [
    'version: 1',
    `batch_size: ${o.batch ?? 65536}`,
    'dtype: fp32',
    `optimizer: ${o.optimizer ?? 'sgd'}`,
    ...(kernel ? [`kernel: ${kernel}`] : []),
    'devices:',
    '  type: H100-80GB',
    `  count: ${gpus}`,
    `  per_host: ${gpus}`,
    '  reserve: 0.15',
    'tables:',
    ...o.tables,
    ...(o.placement ? ['placement:', ...o.placement] : []),
    '',
  ].join('\n');
}

const at = (text: string, line: number, col: number) => text.split('\n')[line].slice(col);

describe("SL110: inputs outside the cost model's measured range", () => {
  it('on the rows and dim values of the table, with range and pricing; the cost stays sane', async () => {
    const text = config({ tables: ['  - {name: huge, rows: 1_000_000_000, dim: 512, pooling: 1, zipf: 0.9}', '  - {name: ok, rows: 100000, dim: 32, pooling: 2}'] });
    const a = await analyzeDocument('/w/a.shard.yaml', text, noFiles, models());
    const sl = a.diagnostics.filter((d) => d.code === 'SL110');
    assert.equal(sl.length, 2, sl.map((d) => d.message).join('\n'));
    const rows = sl.find((d) => /rows/.test(d.message))!;
    assert.equal(rows.severity, 'warning');
    assert.match(at(text, rows.range.start.line, rows.range.start.character), /^rows: 1_000_000_000/);
    assert.match(
      rows.message,
      /Table 'huge': rows 1,000,000,000 is outside what learned: h100-cost-v\d+ was measured on \(1,002–49,890,859 rows\): priced by analytic: H100-80GB alone\./,
    );
    const dim = sl.find((d) => /dim 512/.test(d.message))!;
    assert.match(at(text, dim.range.start.line, dim.range.start.character), /^dim: 512/);
    assert.match(dim.message, /never measured .*dims 4, 8, 16, 32, 64, 128, 256.*priced as dim 256, scaled by analytic: H100-80GB and blended towards it \(50%\)/);
    const cost = a.tableCosts.get('huge')!;
    assert.ok(cost.fwdMs > 0 && cost.bwdMs > 0 && cost.fwdMs + cost.bwdMs < 100, `${cost.fwdMs} + ${cost.bwdMs} ms`);
    assert.ok(cost.uncertainty! > 0.2, "outside the ranges the ± includes the analytic model's error");
  });

  it('once on batch_size and optimizer at their top-level keys', async () => {
    const text = config({ batch: 131072, optimizer: 'adam', tables: ['  - {name: a, rows: 100000, dim: 64, pooling: 4}', '  - {name: b, rows: 200000, dim: 64, pooling: 4}'] });
    const a = await analyzeDocument('/w/a.shard.yaml', text, noFiles, models());
    const sl = a.diagnostics.filter((d) => d.code === 'SL110');
    assert.equal(sl.length, 2, sl.map((d) => d.message).join('\n'));
    const batch = sl.find((d) => /batch_size/.test(d.message))!;
    assert.match(at(text, batch.range.start.line, batch.range.start.character), /^batch_size: 131072/);
    assert.match(batch.message, /batch_size 131,072 .*batch 8,192–65,536.*blended towards it \(50%\)/);
    const opt = sl.find((d) => /optimizer/.test(d.message))!;
    assert.match(at(text, opt.range.start.line, opt.range.start.character), /^optimizer: adam/);
    assert.match(opt.message, /adam was never measured .*priced with sgd, plus the optimizer's extra work \(state traffic and eager ops\) from analytic/);
  });

  it('on the first placement entry of a GPU running more tables than any measured set; 400 tables stay sane', async () => {
    for (const pooling of [1, 10]) {
      const tables = Array.from({ length: 400 }, (_, i) => `  - {name: t${i}, rows: 100000, dim: 64, pooling: ${pooling}, zipf: 0.8}`);
      const placement = Array.from({ length: 400 }, (_, i) => `  t${i}: 0`);
      const text = config({ tables, placement });
      const a = await analyzeDocument('/w/a.shard.yaml', text, noFiles, models());
      const sl = a.diagnostics.filter((d) => d.code === 'SL110');
      assert.equal(sl.length, 1);
      assert.match(at(text, sl[0].range.start.line, sl[0].range.start.character), /^t0: 0/);
      assert.match(sl[0].message, /GPU 0: 400 tables on one GPU is more than learned: h100-cost-v\d+ was measured on \(1–47 per set\)/);
      const g = a.current!.gpus[0];
      // Before the guard: backward 578,886 ms (pooling 1) and forward 3.9e9 ms (pooling 10).
      assert.ok(g.fwdMs < 200 && g.bwdMs < 1000, `pooling ${pooling}: fwd ${g.fwdMs} ms, bwd ${g.bwdMs} ms`);
    }
  });

  it('a dim inside the measured range but not measured (24) is a note for hover, not a warning', async () => {
    const text = config({ tables: ['  - {name: d24, rows: 1_000_000, dim: 24, pooling: 4, zipf: 0.9}'], placement: ['  d24: 0'] });
    const a = await analyzeDocument('/w/a.shard.yaml', text, noFiles, models());
    assert.deepEqual(
      a.diagnostics.filter((d) => d.code === 'SL110'),
      [],
    );
    const notes = a.model!.rangeNotes!(tableShard(a.loaded.config!.tables[0]), costEnv(a.loaded.config!), 'fp32');
    assert.equal(notes.length, 1);
    assert.equal(notes[0].level, 'info');
    assert.match(notes[0].message, /dim 24 was never measured by learned: h100-cost-v\d+ \(dims 4, 8, 16, 32, 64, 128, 256\): priced as dim 32, scaled by analytic: H100-80GB\./);
    const hover = tableMarkdown('d24', { analysis: a } as AnalysisRecord)!;
    assert.match(hover, /_Note: dim 24 was never measured by learned: h100-cost-v\d+/);
    // Dims that were measured get no note.
    const d32 = config({ tables: ['  - {name: d32, rows: 1_000_000, dim: 32, pooling: 4, zipf: 0.9}'] });
    const b = await analyzeDocument('/w/b.shard.yaml', d32, noFiles, models());
    assert.doesNotMatch(tableMarkdown('d32', { analysis: b } as AnalysisRecord)!, /_Note:/);
  });

  it("none for tables priced by FBGEMM's analytic model (the default kernel), however far out", async () => {
    const text = config({
      kernel: null,
      batch: 131072,
      optimizer: 'adam',
      tables: ['  - {name: huge, rows: 1_000_000_000, dim: 512, pooling: 1000, zipf: 2}', '  - {name: d24, rows: 1_000_000, dim: 24, pooling: 4}'],
    });
    const a = await analyzeDocument('/w/a.shard.yaml', text, noFiles, models());
    assert.match(a.costModel!.name, /^fbgemm-tbe analytic: H100-80GB \[fbgemm_tbe\]$/);
    assert.deepEqual(
      a.diagnostics.filter((d) => d.code === 'SL110'),
      [],
    );
    // A table that runs PyTorch's kernel in the same file is asked of the learned model.
    const mixed = config({
      kernel: null,
      batch: 131072,
      optimizer: 'adam',
      tables: ['  - {name: huge, rows: 1_000_000_000, dim: 512, pooling: 1000, zipf: 2}', '  - {name: d24, rows: 1_000_000_000, dim: 24, pooling: 4, kernel: torch_embedding_bag}'],
    });
    const m = await analyzeDocument('/w/m.shard.yaml', mixed, noFiles, models());
    const sl = m.diagnostics.filter((d) => d.code === 'SL110');
    assert.ok(
      sl.some((d) => /Table 'd24': rows 1,000,000,000 is outside what learned/.test(d.message)),
      sl.map((d) => d.message).join('\n'),
    );
    assert.ok(!sl.some((d) => /Table 'huge'/.test(d.message)), 'the FBGEMM table gets none');
    assert.ok(sl.some((d) => /batch_size 131,072/.test(d.message)) && sl.some((d) => /optimizer adam/.test(d.message)), "env-wide inputs of the learned model's table");
  });

  it("a GPU mixing kernels: the table count of the learned model's group decides", async () => {
    const tables = Array.from({ length: 100 }, (_, i) => `  - {name: t${i}, rows: 100000, dim: 64, pooling: 2, zipf: 0.8${i < 40 ? ', kernel: fbgemm_tbe' : ''}}`);
    const placement = Array.from({ length: 100 }, (_, i) => `  t${i}: 0`);
    const a = await analyzeDocument('/w/a.shard.yaml', config({ tables, placement }), noFiles, models());
    const sl = a.diagnostics.filter((d) => d.code === 'SL110');
    assert.equal(sl.length, 1, sl.map((d) => d.message).join('\n'));
    assert.match(sl[0].message, /^GPU 0 \(torch_embedding_bag tables\): 60 tables on one GPU is more than learned: h100-cost-v\d+ was measured on \(1–47 per set\)/);
    // 40 PyTorch tables (under 47): no note, whatever the GPU's FBGEMM tables.
    const fewer = Array.from({ length: 100 }, (_, i) => `  - {name: t${i}, rows: 100000, dim: 64, pooling: 2, zipf: 0.8${i < 60 ? ', kernel: fbgemm_tbe' : ''}}`);
    const b = await analyzeDocument('/w/b.shard.yaml', config({ tables: fewer, placement }), noFiles, models());
    assert.deepEqual(
      b.diagnostics.filter((d) => d.code === 'SL110'),
      [],
    );
  });

  it('nothing for a config inside the ranges', async () => {
    const text = config({ tables: ['  - {name: a, rows: 100000, dim: 64, pooling: 4, zipf: 1.0}'], placement: ['  a: 0'] });
    const a = await analyzeDocument('/w/a.shard.yaml', text, noFiles, models());
    assert.deepEqual(
      a.diagnostics.filter((d) => d.code === 'SL110'),
      [],
    );
  });
});
