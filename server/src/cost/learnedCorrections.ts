/**
 * What a learned model cannot know, added from its kernel's analytic model.
 *
 * A learned model is trained on one GPU type's measurements with one
 * optimizer (the shipped H100 model: PyTorch's embedding bag with SGD), and
 * its features hold no device numbers. Two inputs therefore pass it by:
 * - the optimizer: the analytic model's optimizer term is added,
 *     L + [A(optimizer) − A(sgd)]   (same shards, same device);
 * - device overrides of what the compute time depends on (`hbm_gbps`,
 *   `l2_bytes`, `sms`): the learned time is scaled by the analytic model's
 *   ratio with and without them,
 *     L × A(device) / A(preset)     (forward and backward separately).
 * Scaling keeps what the measurements taught (fusion, small-table floors,
 * hot-row serialisation) and moves it by what the roofline says the hardware
 * change does; replacing the learned number by the analytic one would throw
 * the measured level away (the analytic model is ~19% off on held-out H100
 * sets against the learned ~12%, bench:cost). Both corrections are named in
 * `notes`, which hover, the status bar and the CLI show.
 *
 * The wrapped model is priced in the world it was measured in: SGD and the
 * preset's device numbers (`measuredEnv`). In the registry it is the guarded
 * learned model (guard.ts), so the training ranges, the fade to the analytic
 * base and the physical bounds act on that SGD number, and the corrections
 * above are added to the guarded number once. Its ± (relative) carries to
 * the scaled learned part; the optimizer term brings the analytic model's ±,
 * combined in quadrature (independent errors):
 *   σ = √((u_L · L′)² + (u_A · |A(optimizer) − A(sgd)|)²),  u = σ / total.
 */
import { GPU_PRESETS } from '../config/presets';
import type { DeviceSpec } from '../config/types';
import type { ComputeCost, CostEnv, CostModel, RangeNote, SetScorer, Shard } from './types';

/** Device numbers the compute models read, by the `devices:` key that overrides each. */
const COMPUTE_OVERRIDES: readonly (readonly [keyof DeviceSpec & ('hbmGBps' | 'l2Bytes' | 'sms'), string])[] = [
  ['hbmGBps', 'hbm_gbps'],
  ['l2Bytes', 'l2_bytes'],
  ['sms', 'sms'],
];

/** The optimizer the learned models are trained with (the collector's sparse SGD step). */
const TRAINED_OPTIMIZER = 'sgd';

interface Plan {
  /** Override keys that differ from the type's preset. */
  overrides: string[];
  /** The env of the learned model's measurements: preset numbers, SGD. */
  refEnv?: CostEnv;
  /** The user's device, SGD. */
  sgdEnv?: CostEnv;
  optimizer: boolean;
}

function planFor(env: CostEnv): Plan {
  const device = env.device;
  const preset = device ? GPU_PRESETS[device.type] : undefined;
  const overrides = preset ? COMPUTE_OVERRIDES.filter(([f]) => device[f] !== preset[f]).map(([, key]) => key) : [];
  const optimizer = env.optimizer !== TRAINED_OPTIMIZER;
  const plan: Plan = { overrides, optimizer };
  if (overrides.length > 0 || optimizer) plan.sgdEnv = { ...env, optimizer: TRAINED_OPTIMIZER };
  if (overrides.length > 0 && preset) {
    plan.refEnv = { ...env, optimizer: TRAINED_OPTIMIZER, device: { ...device, hbmGBps: preset.hbmGBps, l2Bytes: preset.l2Bytes, sms: preset.sms } };
  }
  return plan;
}

/** ratio a/b, 1 when b carries no information (0 ms sets, a zero-bandwidth device). */
function ratio(a: number, b: number): number {
  return b > 0 && Number.isFinite(a / b) ? a / b : 1;
}

/** The env the wrapped model is priced in: SGD on the preset's numbers (the user's env when nothing differs). */
function measuredEnv(env: CostEnv, plan: Plan): CostEnv {
  return plan.refEnv ?? plan.sgdEnv ?? env;
}

function corrected(l: ComputeCost, dev: ComputeCost | undefined, ref: ComputeCost | undefined, opt: ComputeCost | undefined): ComputeCost {
  let { fwdMs, bwdMs } = l;
  if (dev && ref) {
    fwdMs *= ratio(dev.fwdMs, ref.fwdMs);
    bwdMs *= ratio(dev.bwdMs, ref.bwdMs);
  }
  const learnedMs = fwdMs + bwdMs;
  let optMs = 0;
  if (dev && opt) {
    fwdMs += opt.fwdMs - dev.fwdMs;
    bwdMs += opt.bwdMs - dev.bwdMs;
    optMs = Math.abs(opt.fwdMs + opt.bwdMs - dev.fwdMs - dev.bwdMs);
  }
  const out: ComputeCost = { fwdMs, bwdMs };
  if (l.uncertainty !== undefined) {
    const total = fwdMs + bwdMs;
    const sigma = Math.hypot(l.uncertainty * learnedMs, (opt?.uncertainty ?? 0) * optMs);
    const u = total > 0 ? sigma / total : l.uncertainty;
    if (Number.isFinite(u)) out.uncertainty = u;
  }
  return out;
}

export class AnalyticCorrectedModel implements CostModel {
  readonly source: 'learned' | 'analytic';

  /**
   * @param base the learned model
   * @param analytic the same kernel's analytic model, which prices the corrections
   */
  constructor(
    readonly base: CostModel,
    private readonly analytic: CostModel,
  ) {
    this.source = base.source;
  }

  get name(): string {
    return this.base.name;
  }

  notes(env: CostEnv): string[] {
    const plan = planFor(env);
    const out = [...(this.base.notes?.(env) ?? [])];
    if (plan.optimizer) out.push(`optimizer term (${env.optimizer}) from the analytic model (${this.analytic.name}): the learned model was trained on SGD steps`);
    if (plan.overrides.length > 0) {
      out.push(
        `device override${plan.overrides.length === 1 ? '' : 's'} ${plan.overrides.join(', ')} applied by the analytic model's ratio with/without ${plan.overrides.length === 1 ? 'it' : 'them'}: the learned model was measured on the ${env.device.type} preset`,
      );
    }
    return out;
  }

  /** The wrapped model's notes for `env` (the guard's: inputs outside its ranges, the optimizer included). */
  rangeNotes(shard: Shard, env: CostEnv, dtype?: string): RangeNote[] {
    return this.base.rangeNotes?.(shard, env, dtype) ?? [];
  }

  setSizeNote(tables: number): RangeNote | undefined {
    return this.base.setSizeNote?.(tables);
  }

  async predict(sets: readonly (readonly Shard[])[], env: CostEnv): Promise<ComputeCost[]> {
    const plan = planFor(env);
    const learned = await this.base.predict(sets, measuredEnv(env, plan));
    if (!plan.sgdEnv) return learned;
    const [dev, ref, opt] = await Promise.all([
      this.analytic.predict(sets, plan.sgdEnv),
      plan.refEnv ? this.analytic.predict(sets, plan.refEnv) : undefined,
      plan.optimizer ? this.analytic.predict(sets, env) : undefined,
    ]);
    return learned.map((l, i) => (sets[i].length === 0 ? l : corrected(l, dev[i], ref?.[i], opt?.[i])));
  }

  prepare(shards: readonly Shard[], env: CostEnv): SetScorer {
    const plan = planFor(env);
    const base = this.base.prepare(shards, measuredEnv(env, plan));
    // The common case (preset numbers, SGD) is the learned scorer itself.
    if (!plan.sgdEnv) return base;
    const dev = this.analytic.prepare(shards, plan.sgdEnv);
    const ref = plan.refEnv ? this.analytic.prepare(shards, plan.refEnv) : undefined;
    const opt = plan.optimizer ? this.analytic.prepare(shards, env) : undefined;
    return {
      score(members: readonly number[]): ComputeCost {
        const l = base.score(members);
        if (members.length === 0) return l;
        return corrected(l, dev.score(members), ref?.score(members), opt?.score(members));
      },
    };
  }
}
