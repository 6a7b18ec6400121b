/**
 * `shardlens calibrate MEASURED.jsonl`: fits a per-GPU-type, per-kernel
 * correction of the cost model (cost/calibration.ts, cost/calibrationFit.ts)
 * on the user's measurements (collector output: `shardlens measure`'s
 * measured.jsonl, or campaign-format data with --device TYPE), checks it on
 * held-out sets, prints the error before and after, and writes the
 * calibration JSON (with provenance) beside the model, or to --out.
 * Use it with `--calibration PATH` or the setting shardlens.costModel.calibrations.
 * Exit 0 when a correction was written, 1 when none could be kept.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Kernel } from '../config/types';
import { median } from '../cost/accuracy';
import { CALIBRATION_FORMAT, CALIBRATION_VERSION, type CalibrationFile } from '../cost/calibration';
import { fitCalibration, type CalibrationSample } from '../cost/calibrationFit';
import { parseJsonlSets, predictJsonlSets, type JsonlSet } from '../cost/jsonlSets';
import { pricedBy } from '../cost/kernelDispatch';
import { BUILTIN_MODELS, modelFilesFor } from '../cost/registry';
import type { CostModel } from '../cost/types';
import { UsageError } from './args';
import { writeFileAtomic } from './atomicWrite';
import { defaultModelsDir, type CliContext } from './context';
import { readTextFileOrWhy } from '../io/diskFileReader';
import { calibrateGroupJson, type CalibrateJson } from './measureJson';
import { presetDevice } from './predict';
import { renderTable } from './textTable';

/** Sets of one id (rounds of --repeats) → one set with median timings. */
function mergeRounds(sets: readonly JsonlSet[]): JsonlSet[] {
  const byId = new Map<string, JsonlSet[]>();
  for (const s of sets) {
    if (!s.measured) continue;
    const list = byId.get(s.id);
    if (list) list.push(s);
    else byId.set(s.id, [s]);
  }
  return [...byId.values()].map((list) => ({
    ...list[0],
    measured: { fwdMs: median(list.map((s) => s.measured!.fwdMs)), bwdMs: median(list.map((s) => s.measured!.bwdMs)) },
  }));
}

/** Where the calibration goes by default: beside the model that priced the sets. */
function defaultOut(ctx: CliContext, gpuType: string, kernel: Kernel): string {
  if (ctx.args.models.length) return `${modelFilesFor(path.resolve(ctx.cwd, ctx.args.models[0])).onnxPath.replace(/\.onnx$/, '')}.calibration.json`;
  const builtin = BUILTIN_MODELS[gpuType]?.[kernel];
  const modelsDir = ctx.args.modelsDir ?? process.env.SHARDLENS_MODELS_DIR ?? defaultModelsDir();
  if (builtin) return path.join(path.resolve(ctx.cwd, modelsDir), `${builtin}.calibration.json`);
  return path.resolve(ctx.cwd, `${gpuType}.calibration.json`);
}

function pct(x: number | undefined): string {
  return typeof x === 'number' && Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '–';
}

export async function runCalibrate(ctx: CliContext): Promise<number> {
  const [file, ...extra] = ctx.args.positionals;
  if (!file) throw new UsageError('calibrate needs MEASURED.jsonl (what `shardlens measure` or the collector wrote)');
  if (extra.length > 0) throw new UsageError(`calibrate takes one file, got ${ctx.args.positionals.length}`);
  if (ctx.args.device) presetDevice(ctx.args.device);
  const abs = path.resolve(ctx.cwd, file);
  const read = readTextFileOrWhy(abs);
  if ('why' in read) {
    ctx.io.err(`shardlens calibrate: cannot read ${file}: ${read.why}`);
    return 1;
  }

  const skipped: string[] = [];
  // The device is per line (device_type); this placeholder is replaced below.
  const parsed = parseJsonlSets(read.text, { device: presetDevice('H100-80GB') });
  for (const e of parsed.errors) skipped.push(`${ctx.display(abs)}:${e.line}: ${e.message}`);
  const sets = mergeRounds(parsed.sets);
  const unmeasured = parsed.sets.filter((s) => !s.measured).length;
  if (unmeasured) skipped.push(`${unmeasured} line${unmeasured === 1 ? '' : 's'} without timings (out of memory or not measured)`);

  const byType = new Map<string, { set: JsonlSet; kernel: Kernel }[]>();
  for (const s of sets) {
    const type = ctx.args.device ?? s.deviceType;
    if (!type) {
      skipped.push(`${ctx.display(abs)}:${s.line}: no device_type; pass --device TYPE`);
      continue;
    }
    let device;
    try {
      device = presetDevice(type);
    } catch (e) {
      skipped.push(`${ctx.display(abs)}:${s.line}: ${(e as Error).message}`);
      continue;
    }
    const kernels = new Set(s.shards.map((x) => x.kernel));
    if (kernels.size !== 1) {
      skipped.push(`${ctx.display(abs)}:${s.line}: set ${s.id} mixes kernels (${[...kernels].join(', ')}); corrections are fitted on one-kernel sets`);
      continue;
    }
    const list = byType.get(type) ?? [];
    list.push({ set: { ...s, env: { ...s.env, device } }, kernel: [...kernels][0] });
    byType.set(type, list);
  }

  const samples: CalibrationSample[] = [];
  const baseModels = new Map<string, CostModel>();
  for (const [type, list] of byType) {
    const { model, warning } = await ctx.costModels.get(presetDevice(type));
    if (warning && ctx.args.format === 'text') ctx.io.err(`note: ${warning}`);
    baseModels.set(type, model);
    const preds = await predictJsonlSets(
      model,
      list.map((x) => x.set),
    );
    list.forEach(({ set, kernel }, i) => samples.push({ id: set.id, gpuType: type, kernel, predicted: preds[i], measured: set.measured! }));
  }
  const fits = fitCalibration(samples);
  const kept = fits.filter((f) => f.status === 'fitted');
  // Per GPU type, the models that priced its corrected kernels: a correction applies to them only.
  const baseNames = new Map<string, string>();
  for (const type of new Set(kept.map((f) => f.gpuType))) {
    const model = baseModels.get(type);
    const kernels = [...new Set(kept.filter((f) => f.gpuType === type).map((f) => f.kernel))];
    baseNames.set(type, model ? [...new Set(kernels.map((k) => pricedBy(model, k)))].join(', ') : '');
  }

  let written: string | null = null;
  if (kept.length) {
    const cal: CalibrationFile = {
      format: CALIBRATION_FORMAT,
      version: CALIBRATION_VERSION,
      created: new Date().toISOString(),
      provenance: {
        measurements: ctx.display(abs),
        sha256: createHash('sha256').update(read.text).digest('hex'),
        sets: samples.length,
        command: ['shardlens', ...process.argv.slice(2)].join(' '),
        ...envBeside(abs),
      },
      gpus: {},
    };
    for (const f of kept) {
      const g = cal.gpus[f.gpuType] ?? { base_model: baseNames.get(f.gpuType) ?? '', kernels: {} };
      g.kernels[f.kernel] = f.correction!;
      cal.gpus[f.gpuType] = g;
    }
    const out = ctx.args.out ? path.resolve(ctx.cwd, ctx.args.out) : defaultOut(ctx, kept[0].gpuType, kept[0].kernel);
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileAtomic(out, JSON.stringify(cal, null, 2) + '\n');
    written = out;
  }

  if (ctx.args.format === 'json') {
    const res: CalibrateJson = {
      measurements: ctx.display(abs),
      base_model: [
        ...new Set(
          [...baseModels.keys()].map((t) => baseNames.get(t) ?? [...new Set(samples.filter((x) => x.gpuType === t).map((x) => pricedBy(baseModels.get(t)!, x.kernel)))].join(', ')),
        ),
      ].join(', '),
      sets: samples.length,
      skipped,
      groups: fits.map(calibrateGroupJson),
      written: written && ctx.display(written),
    };
    ctx.io.out(JSON.stringify(res, null, 2));
    return written ? 0 : 1;
  }
  const { c } = ctx.io;
  ctx.io.out(`${c.bold('ShardLens calibrate')} \u00b7 ${ctx.display(abs)} \u00b7 ${samples.length} measured set${samples.length === 1 ? '' : 's'}`);
  for (const s of skipped.slice(0, 10)) ctx.io.err(`  ${c.yellow('skipped')} ${s}`);
  if (skipped.length > 10) ctx.io.err(`  \u2026 and ${skipped.length - 10} more skipped`);
  if (fits.length) {
    ctx.io.out('');
    ctx.io.out(
      renderTable(
        [
          { header: 'GPU type', align: 'left' },
          { header: 'kernel', align: 'left' },
          { header: 'fit', align: 'right' },
          { header: 'held out', align: 'right' },
          { header: 'fwd scale/offset', align: 'right' },
          { header: 'bwd scale/offset', align: 'right' },
          { header: 'train before → after', align: 'right' },
          { header: 'held-out before → after', align: 'right' },
          { header: '', align: 'left' },
        ],
        fits.map((f) => {
          const k = f.correction;
          return [
            f.gpuType,
            f.kernel,
            String(f.train),
            String(f.heldout),
            k ? `${k.fwd.scale.toFixed(3)} / ${k.fwd.offset.toFixed(3)}` : '–',
            k ? `${k.bwd.scale.toFixed(3)} / ${k.bwd.offset.toFixed(3)}` : '–',
            k ? `${pct(k.mape.train_before)} \u2192 ${pct(k.mape.train_after)}` : '–',
            k ? `${pct(k.mape.heldout_before)} \u2192 ${pct(k.mape.heldout_after)}` : '–',
            f.status === 'fitted' ? c.green('kept') : c.yellow(f.status === 'too_few' ? 'too few sets' : 'no held-out gain'),
          ];
        }),
      ),
    );
    ctx.io.out(c.dim('  error = forward + backward MAPE per set; correction ln ms\u2032 = offset + scale \u00b7 ln ms per phase'));
  }
  for (const f of fits) if (f.message) ctx.io.err(`  ${f.message}`);
  if (written) {
    ctx.io.out('');
    ctx.io.out(`  wrote ${ctx.display(written)}; use it with --calibration ${ctx.display(written)}, or in VS Code:`);
    ctx.io.out(
      `    "shardlens.costModel.calibrations": { ${kept
        .map((f) => `"${f.gpuType}": "${written}"`)
        .filter((x, i, a) => a.indexOf(x) === i)
        .join(', ')} }`,
    );
  } else {
    ctx.io.err('shardlens calibrate: no correction kept; nothing written.');
  }
  return written ? 0 : 1;
}

/** The collector's env.json beside the measurements, when there is one. */
function envBeside(file: string): { environment?: unknown } {
  try {
    return { environment: JSON.parse(readFileSync(path.join(path.dirname(file), 'env.json'), 'utf8')) as unknown };
  } catch {
    return {};
  }
}
