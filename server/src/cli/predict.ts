/**
 * `shardlens predict --sets FILE.jsonl [--device TYPE]`: the cost model's
 * forward/backward ms for each set of tables in the measured-data format
 * (models/data/h100/README.md). stdout: one `{"id","fwd_ms","bwd_ms"}` line per
 * set, in input order. stderr (text mode): the model used, bad lines, and the
 * error against measured times where the input has them.
 */
import * as path from 'node:path';
import { excerpt } from '../config/excerpt';
import { GPU_PRESETS } from '../config/presets';
import { orList, suggestPresets } from '../config/presetSuggestions';
import { KERNELS, type DeviceSpec, type Kernel } from '../config/types';
import { kernelSet } from '../cost/kernelDispatch';
import { parseJsonlSets, predictJsonlSets } from '../cost/jsonlSets';
import type { ComputeCost } from '../cost/types';
import { UsageError } from './args';
import type { CliContext } from './context';
import { readTextFileOrWhy } from '../io/diskFileReader';

export const DEFAULT_PREDICT_DEVICE = 'H100-80GB';

export function presetDevice(type: string): DeviceSpec {
  const preset = GPU_PRESETS[type];
  if (!preset) {
    const near = suggestPresets(type);
    throw new UsageError(`unknown device type '${excerpt(type)}'${near.length ? `; did you mean ${orList(near)}?` : ''} (presets: ${Object.keys(GPU_PRESETS).join(', ')})`);
  }
  return { type, count: 1, perHost: 1, reserve: 0, ...preset };
}

function geoMeanRatio(pairs: Array<[number, number]>): number {
  const logs = pairs.filter(([p, m]) => p > 0 && m > 0).map(([p, m]) => Math.abs(Math.log(p / m)));
  return logs.length ? Math.exp(logs.reduce((s, x) => s + x, 0) / logs.length) : NaN;
}

function parseKernel(k: string | undefined): Kernel | undefined {
  if (k === undefined) return undefined;
  if ((KERNELS as readonly string[]).includes(k)) return k as Kernel;
  throw new UsageError(`--kernel must be one of ${KERNELS.join(', ')}, not '${k.slice(0, 40)}'`);
}

export async function runPredict(ctx: CliContext): Promise<number> {
  if (!ctx.args.sets) throw new UsageError('predict needs --sets FILE.jsonl');
  if (ctx.args.positionals.length > 0) throw new UsageError(`predict takes no FILE arguments (got ${ctx.args.positionals.join(' ')}); use --sets FILE.jsonl`);
  const device = presetDevice(ctx.args.device ?? DEFAULT_PREDICT_DEVICE);
  const kernel = parseKernel(ctx.args.kernel);
  const file = path.resolve(ctx.cwd, ctx.args.sets);
  const read = readTextFileOrWhy(file);
  if ('why' in read) {
    ctx.io.err(`shardlens predict: cannot read ${ctx.args.sets}: ${read.why}`);
    return 1;
  }
  const { sets, errors } = parseJsonlSets(read.text, { device, kernel });
  for (const e of errors) ctx.io.err(`${ctx.display(file)}:${e.line}: ${e.message}`);
  const kernels = kernelSet(sets.flatMap((s) => s.shards.map((sh) => sh.kernel)));
  const { model, warning } = await ctx.costModels.get(device, kernels.length ? kernels : [kernel ?? 'torch_embedding_bag']);
  if (warning && ctx.args.format === 'text') ctx.io.err(`note: ${warning}`);

  const results = await predictJsonlSets(model, sets);
  ctx.io.out(sets.map((s, i) => JSON.stringify({ id: s.id, fwd_ms: results[i].fwdMs, bwd_ms: results[i].bwdMs })).join('\n'));

  if (ctx.args.format === 'text') {
    const measured = sets.map((s, i) => [s.measured, results[i]] as const).filter(([m]) => m !== undefined) as Array<readonly [ComputeCost, ComputeCost]>;
    let line = `${sets.length} set${sets.length === 1 ? '' : 's'} predicted with ${model.name}`;
    if (measured.length > 0) {
      const fwd = geoMeanRatio(measured.map(([m, p]) => [p.fwdMs, m.fwdMs]));
      const bwd = geoMeanRatio(measured.map(([m, p]) => [p.bwdMs, m.bwdMs]));
      line += `; against the ${measured.length} measured: geometric-mean error factor fwd ${fwd.toFixed(2)}\u00d7, bwd ${bwd.toFixed(2)}\u00d7`;
    }
    ctx.io.err(line);
  }
  return errors.length > 0 ? 1 : 0;
}
