/**
 * The cost model of a config: each shard is priced by the model registered
 * for (GPU type, shard.kernel) (registry.ts), and a GPU that runs tables of
 * several kernels costs the sum of each kernel group's cost: every kernel is
 * its own launch sequence (a TBE launch per GPU for fbgemm_tbe, another for
 * the UVM-caching TBE, PyTorch's per-table calls for torch_embedding_bag), so
 * their work does not fuse or overlap.
 *
 * A mixed GPU's ± combines its kernel groups' in quadrature (each group is
 * priced by a different model, so their errors are taken as independent):
 *   σ = √Σ_k (u_k · t_k)²,  u = σ / Σ_k t_k;
 * unknown when a group with work reports none. Range notes (SL110) come from
 * the model of each table's kernel, a GPU's set-size note from the model of
 * each kernel group with that group's table count.
 *
 * `prepare` keeps planners' inner loops cheap: a shard list of one kernel gets
 * that kernel's scorer itself (no wrapper at all); a mixed list splits each
 * scored set into reused per-kernel index buffers (no allocation per call
 * beyond what the sub-scorers do).
 */
import { KERNELS, type Kernel } from '../config/types';
import type { ComputeCost, CostEnv, CostModel, RangeNote, SetScorer, Shard } from './types';

/** Which model priced one kernel's shards, as every surface shows it. */
export interface KernelPricing {
  kernel: Kernel;
  /** The model's name, e.g. "learned: h100-cost-v1". */
  model: string;
  source: 'learned' | 'analytic';
  /** What else went into the number, e.g. "optimizer term (adam) from the analytic model". */
  notes: string[];
}

/** The kernels of `kernels` in catalogue order, each once (unknown words dropped). */
export function kernelSet(kernels: Iterable<string>): Kernel[] {
  const seen = new Set(kernels);
  return KERNELS.filter((k) => seen.has(k));
}

export class KernelDispatchModel implements CostModel {
  readonly name: string;
  readonly source: 'learned' | 'analytic';
  /** The kernels this model was built for (the config's): they name it. */
  readonly kernels: readonly Kernel[];

  /**
   * @param byKernel a model for every kernel (the registry fills the ones a
   *   config does not use with the analytic defaults, so a shard of any kernel
   *   is priced)
   * @param kernels the kernels in use, which name the model
   */
  constructor(
    private readonly byKernel: Readonly<Record<Kernel, CostModel>>,
    kernels: readonly Kernel[],
  ) {
    this.kernels = kernels.length > 0 ? kernelSet(kernels) : [...KERNELS];
    const groups = new Map<CostModel, Kernel[]>();
    for (const k of this.kernels) {
      const m = byKernel[k];
      const g = groups.get(m);
      if (g) g.push(k);
      else groups.set(m, [k]);
    }
    this.name = [...groups].map(([m, ks]) => `${m.name} [${ks.join(', ')}]`).join(' + ');
    this.source = [...groups.keys()].every((m) => m.source === 'learned') ? 'learned' : 'analytic';
  }

  /** The model that prices shards of `kernel` (an unknown word gets the default kernel's). */
  modelFor(kernel: Kernel): CostModel {
    return this.byKernel[kernel] ?? this.byKernel[KERNELS[0]];
  }

  /** Which model priced each kernel of `kernels` (default: the ones in use) under `env`. */
  pricing(env: CostEnv, kernels: readonly Kernel[] = this.kernels): KernelPricing[] {
    return kernels.map((kernel) => {
      const m = this.modelFor(kernel);
      return { kernel, model: m.name, source: m.source, notes: m.notes?.(env) ?? [] };
    });
  }

  notes(env: CostEnv): string[] {
    const out: string[] = [];
    for (const p of this.pricing(env)) for (const n of p.notes) out.push(this.kernels.length > 1 ? `${p.kernel}: ${n}` : n);
    return out;
  }

  /** A table's inputs outside what the model of its kernel was measured on. */
  rangeNotes(shard: Shard, env: CostEnv, dtype?: string): RangeNote[] {
    return this.modelFor(kernelOf(shard)).rangeNotes?.(shard, env, dtype) ?? [];
  }

  /**
   * A note when one GPU runs more `kernel` tables than that kernel's model
   * was measured on (each kernel group is its own set for its model);
   * without a kernel, the model of the first kernel in use answers.
   */
  setSizeNote(tables: number, kernel?: Kernel): RangeNote | undefined {
    return this.modelFor(kernel ?? this.kernels[0]).setSizeNote?.(tables);
  }

  async predict(sets: readonly (readonly Shard[])[], env: CostEnv): Promise<ComputeCost[]> {
    const used = kernelsOf(sets.flat());
    if (used.length <= 1) return this.modelFor(used[0] ?? this.kernels[0]).predict(sets, env);
    const sums = sets.map(() => new GroupSum());
    for (const k of used) {
      const part = await this.modelFor(k).predict(
        sets.map((set) => set.filter((s) => kernelOf(s) === k)),
        env,
      );
      part.forEach((c, i) => {
        if (sets[i].some((s) => kernelOf(s) === k)) sums[i].add(c);
      });
    }
    return sums.map((g) => g.cost());
  }

  prepare(shards: readonly Shard[], env: CostEnv): SetScorer {
    const used = kernelsOf(shards);
    if (used.length <= 1) return this.modelFor(used[0] ?? this.kernels[0]).prepare(shards, env);
    return new DispatchScorer(shards, used, (k, part) => this.modelFor(k).prepare(part, env));
  }
}

/** Sum of kernel groups' costs with their ± in quadrature (see the file comment). */
class GroupSum {
  private fwdMs = 0;
  private bwdMs = 0;
  private variance = 0;
  private known = true;
  private any = false;

  add(c: ComputeCost): void {
    this.fwdMs += c.fwdMs;
    this.bwdMs += c.bwdMs;
    const t = c.fwdMs + c.bwdMs;
    if (c.uncertainty !== undefined && Number.isFinite(c.uncertainty)) {
      this.variance += (c.uncertainty * t) ** 2;
      this.any = true;
    } else if (t > 0) {
      this.known = false;
    }
  }

  cost(): ComputeCost {
    const out: ComputeCost = { fwdMs: this.fwdMs, bwdMs: this.bwdMs };
    const total = this.fwdMs + this.bwdMs;
    if (this.known && this.any && total > 0) out.uncertainty = Math.sqrt(this.variance) / total;
    return out;
  }
}

function kernelOf(s: Shard): Kernel {
  return (KERNELS as readonly string[]).includes(s.kernel) ? s.kernel : KERNELS[0];
}

function kernelsOf(shards: readonly Shard[]): Kernel[] {
  const seen = new Set<Kernel>();
  for (const s of shards) seen.add(kernelOf(s));
  return KERNELS.filter((k) => seen.has(k));
}

/** Splits each scored set by kernel and sums the kernel groups' costs. */
class DispatchScorer implements SetScorer {
  /** Per prepared shard: its kernel group and its index in that group's list. */
  private readonly group: Uint8Array;
  private readonly local: Int32Array;
  private readonly scorers: SetScorer[];
  /** Reused member lists, one per group. */
  private readonly buffers: number[][];
  private readonly counts: Int32Array;

  constructor(shards: readonly Shard[], kernels: readonly Kernel[], prepare: (k: Kernel, part: Shard[]) => SetScorer) {
    this.group = new Uint8Array(shards.length);
    this.local = new Int32Array(shards.length);
    const parts: Shard[][] = kernels.map(() => []);
    shards.forEach((s, i) => {
      const g = kernels.indexOf(kernelOf(s));
      this.group[i] = g;
      this.local[i] = parts[g].length;
      parts[g].push(s);
    });
    this.scorers = kernels.map((k, g) => prepare(k, parts[g]));
    this.buffers = kernels.map(() => []);
    this.counts = new Int32Array(kernels.length);
  }

  score(members: readonly number[]): ComputeCost {
    const counts = this.counts;
    counts.fill(0);
    for (const i of members) {
      if (!(i >= 0 && i < this.group.length)) continue;
      const g = this.group[i];
      this.buffers[g][counts[g]++] = this.local[i];
    }
    const sum = new GroupSum();
    for (let g = 0; g < this.scorers.length; g++) {
      const n = counts[g];
      if (n === 0) continue;
      const buf = this.buffers[g];
      if (buf.length !== n) buf.length = n;
      sum.add(this.scorers[g].score(buf));
    }
    return sum.cost();
  }
}

/**
 * Which model priced each of `kernels` under `env`: the dispatch model's own
 * answer, or, for any other CostModel (a test double, a single model), that
 * model for every kernel.
 */
export function pricingOf(model: CostModel, kernels: readonly Kernel[], env: CostEnv): KernelPricing[] {
  if (model instanceof KernelDispatchModel) return model.pricing(env, kernels);
  const notes = model.notes?.(env) ?? [];
  return kernels.map((kernel) => ({ kernel, model: model.name, source: model.source, notes }));
}

/** The name of the model that prices `kernel` inside `model` (itself unless it dispatches by kernel). */
export function pricedBy(model: CostModel, kernel: Kernel): string {
  return model instanceof KernelDispatchModel ? model.modelFor(kernel).name : model.name;
}
