/**
 * Every number input is ranged: `predict`'s JSONL fields take the ranges of
 * the config keys they stand for (keys.ts), device bandwidth overrides have
 * floors, CLI numbers have bounds; in range, the shipped models give finite
 * times; out of range is a located message and exit 1 (2 for usage), never a
 * `null` or an absurd number with exit 0.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { keyInfo } from '../../../server/src/config/keys';
import { loadConfig } from '../../../server/src/config/load';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import type { DeviceSpec } from '../../../server/src/config/types';
import { parseJsonlSets } from '../../../server/src/cost/jsonlSets';
import { loadCostModel } from '../../../server/src/cost/registry';
import { diskModelFiles } from '../../../server/src/io/modelFiles';
import { configText } from '../../fixtures/configText';
import { inProcessCli } from '../cli/runInProcess';
import { property, runs } from '../../fuzz/runs';

const ROOT = path.resolve(__dirname, '../../..');
/** The CLI in this process (runCli), in a temporary folder. */
const cli = inProcessCli('shardlens-ranges-');
const run = (args: string[]) => cli.run(args);

const line = (o: Record<string, unknown>, table: Record<string, unknown> = {}) =>
  JSON.stringify({ id: 'x', batch: 4096, ...o, tables: [{ rows: 100_000, dim: 64, pooling: 4, alpha: 1, ...table }] });

describe('ranges: predict refuses what check refuses', () => {
  const cases: Array<[string, string]> = [
    ['batch 1e300', line({ batch: 1e300 })],
    ['batch 2^31', line({ batch: 2 ** 31 })],
    ['rows 1e300', line({}, { rows: 1e300 })],
    ['rows 2^53 + 2', line({}, { rows: 2 ** 53 + 2 })],
    ['dim 1e9', line({}, { dim: 1e9 })],
    ['dim 2', line({}, { dim: 2 })],
    ['pooling 1e300', line({}, { pooling: 1e300 })],
    ['pooling 0', line({}, { pooling: 0 })],
    ['alpha 20', line({}, { alpha: 20 })],
    ['alpha -1', line({}, { alpha: -1 })],
    ['zipf 1e308', line({}, { alpha: undefined, zipf: 1e308 })],
  ];
  for (const [what, text] of cases) {
    it(`${what}: a located error, exit 1, no prediction printed`, async () => {
      const file = path.join(cli.dir(), 'sets.jsonl');
      writeFileSync(file, `${text}\n`);
      const r = await run(['predict', '--sets', file]);
      assert.equal(r.code, 1, `${what}: exit ${r.code}\n${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /sets\.jsonl:1: line 1: .*must be/);
      assert.doesNotMatch(r.stdout, /null/);
      assert.equal(r.stdout.trim(), '', 'no prediction for a refused line');
    });
  }

  it("the JSONL fields use the key catalogue's ranges (one source of truth)", () => {
    const device: DeviceSpec = { type: 'H100-80GB', count: 1, perHost: 1, reserve: 0, ...GPU_PRESETS['H100-80GB'] };
    const edge = (field: string, info: ReturnType<typeof keyInfo>) => {
      const ok = parseJsonlSets(line(field === 'batch' ? { batch: info!.max } : {}, field === 'batch' ? {} : { [field]: info!.max }), { device });
      const over = parseJsonlSets(line(field === 'batch' ? { batch: info!.max! * 2 } : {}, field === 'batch' ? {} : { [field]: info!.max! * 2 }), { device });
      assert.equal(ok.errors.length, 0, `${field} = max is accepted: ${ok.errors[0]?.message}`);
      assert.equal(over.errors.length, 1, `${field} = 2 × max is refused`);
    };
    edge('batch', keyInfo('top', 'batch_size'));
    edge('rows', keyInfo('table', 'rows'));
    edge('dim', keyInfo('table', 'dim'));
    edge('pooling', keyInfo('table', 'pooling'));
    edge('alpha', keyInfo('table', 'zipf'));
  });

  it('property: in range, the shipped learned model and the analytic fallback predict finite, non-negative times', async () => {
    const h100: DeviceSpec = { type: 'H100-80GB', count: 1, perHost: 1, reserve: 0, ...GPU_PRESETS['H100-80GB'] };
    const a100: DeviceSpec = { type: 'A100-40GB', count: 1, perHost: 1, reserve: 0, ...GPU_PRESETS['A100-40GB'] };
    // The lines are PyTorch embedding_bag sets: the learned model prices them on H100, the analytic one elsewhere.
    const kernels = ['torch_embedding_bag' as const];
    const models = [
      await loadCostModel(h100, { files: diskModelFiles, modelsDir: path.join(ROOT, 'models'), kernels }),
      await loadCostModel(a100, { files: diskModelFiles, modelsDir: path.join(ROOT, 'models'), kernels }),
    ];
    assert.equal(models[0].model.source, 'learned');
    assert.equal(models[1].model.source, 'analytic');
    const rows = keyInfo('table', 'rows')!;
    const setArb = fc.record({
      batch: fc.integer({ min: 1, max: keyInfo('top', 'batch_size')!.max! }),
      rows: fc.oneof(fc.integer({ min: 1, max: 1e7 }), fc.integer({ min: 1, max: rows.max! })),
      dim: fc.integer({ min: 1, max: keyInfo('table', 'dim')!.max! / 4 }).map((k) => k * 4),
      pooling: fc.double({ min: 1e-3, max: keyInfo('table', 'pooling')!.max!, noNaN: true }),
      alpha: fc.double({ min: 0, max: keyInfo('table', 'zipf')!.max!, noNaN: true }),
    });
    await property(
      'predict in range is finite',
      fc.asyncProperty(setArb, async (s) => {
        const parsed = parseJsonlSets(line({ batch: s.batch }, { rows: s.rows, dim: s.dim, pooling: s.pooling, alpha: s.alpha }), { device: h100 });
        assert.deepEqual(parsed.errors, []);
        for (const [i, { model }] of models.entries()) {
          const device = i === 0 ? h100 : a100;
          const [c] = await model.predict([parsed.sets[0].shards], { ...parsed.sets[0].env, device });
          assert.ok(Number.isFinite(c.fwdMs) && c.fwdMs >= 0 && Number.isFinite(c.bwdMs) && c.bwdMs >= 0, `${model.name}: ${JSON.stringify(s)} → ${JSON.stringify(c)}`);
        }
      }),
      runs(150),
    );
  });
});

describe('ranges: device overrides have floors', () => {
  const load = (extra: string) => loadConfig('/ws/m.shard.yaml', configText({ tables: 3 }).replace('  reserve: 0.15', `  reserve: 0.15\n${extra}`), { readFile: () => undefined });
  for (const [key, bad, ok] of [
    ['nvlink_gbps', '1e-310', '1'],
    ['network_gbps', '0.01', '0.1'],
    ['hbm_gbps', '3.35', '10'],
  ] as const) {
    it(`${key}: ${bad} is refused (SL006), ${ok} is the floor and accepted`, () => {
      const refused = load(`  ${key}: ${bad}`);
      const d = refused.diagnostics.find((x) => x.code === 'SL006' && x.message.includes(key));
      assert.ok(d, JSON.stringify(refused.diagnostics.map((x) => x.message)));
      assert.match(d.message, new RegExp(`got ${bad.replace('.', '\\.')}`));
      const accepted = load(`  ${key}: ${ok}`);
      assert.deepEqual(
        accepted.diagnostics.filter((x) => x.severity === 'error').map((x) => x.message),
        [],
      );
    });
  }

  it('check: nvlink_gbps: 1e-310 exits 1 (it used to price communication at 0 ms)', async () => {
    const file = path.join(cli.dir(), 'slowlink.shard.yaml');
    writeFileSync(file, configText({ tables: 3 }).replace('  reserve: 0.15', '  reserve: 0.15\n  nvlink_gbps: 1e-310'));
    const r = await run(['check', file]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stdout, /SL006 'nvlink_gbps' must be ≥ 1/);
  });
});

describe('ranges: CLI numbers', () => {
  for (const args of [['--seed', '1e300'], ['--seed=-1'], ['--seed', '4294967296'], ['--budget', '1e308'], ['--budget=-5'], ['--budget', 'Infinity']]) {
    it(`plan ${args.join(' ')} is a usage error (exit 2)`, async () => {
      const file = path.join(cli.dir(), 'plan.shard.yaml');
      writeFileSync(file, configText({ tables: 3 }));
      const r = await run(['plan', file, ...args]);
      assert.equal(r.code, 2, `${r.stdout}${r.stderr}`);
      assert.match(r.stderr, new RegExp(`${args[0].split('=')[0]} must be`));
    });
  }
});
