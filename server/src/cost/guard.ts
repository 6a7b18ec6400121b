/**
 * The trust guard every cost model is served through (`guardModel`):
 *
 * 1. RANGES (learned models with a sidecar's training ranges): a set whose
 *    inputs all lie inside what the model was measured on is priced by the
 *    model as is. Otherwise each shard is moved to the nearest measured point
 *    (trainingRanges.clampShard: rows, pooling, zipf, bags clamped, dim snapped
 *    to a measured dim; the optimizer replaced by the measured one), the model
 *    prices that, and the analytic model of the same kernel carries it back:
 *      G(S) = A(S) · ρ^(1 − w),   ρ = Σ_c L(c′) / Σ_c A(c′)
 *    where c′ are the moved shards in groups of at most the largest measured
 *    set (one group unless the GPU runs more tables than any measured set),
 *    A the analytic model, L the learned model, and w ∈ [0, 1] grows linearly
 *    with the log distance outside the ranges (4× out, or 0.5 in zipf: w = 1,
 *    the analytic model alone). Inside the ranges ρ = L(S)/A(S) and G = L.
 *    Fwd and bwd are carried separately.
 * 2. PHYSICAL BOUNDS (every model): fwd and bwd are finite and inside
 *    physicalBounds.ts's per-GPU bounds; a non-finite number is replaced by the
 *    fallback's, then by the lower bound.
 * 3. UNCERTAINTY: in range, the model's own; moved, the learned part's share
 *    plus the analytic model's error in quadrature:
 *      u = √(((1 − w)·u_L)² + u_A²).
 *
 * `predict` runs the wrapped model once for all sets (in-range sets and the
 * groups of moved shards in one batch: one ONNX call per plan); `prepare`
 * gives the same numbers from the models' own scorers.
 */
import { clampEnv, clampShard, rangeNotes, setSizeNote, setSizeWeight, type TrainingRanges } from './trainingRanges';
import { setBounds, shardBounds, type ShardBounds } from './physicalBounds';
import { bandOf, type ErrorBands } from './errorBands';
import { shardCostKey } from './shardKey';
import type { ComputeCost, CostEnv, CostModel, RangeNote, SetScorer, Shard } from './types';

/** Largest group the learned model prices when a GPU runs more tables than any measured set. */
function groupSize(r: TrainingRanges | undefined): number {
  return Math.max(1, Math.floor(r?.tablesPerSet[1] ?? Infinity));
}

/**
 * Deterministic groups of a set too large for the model: members sorted by
 * their cost key and dealt round-robin into ⌈T / max⌉ groups, so each group is
 * a representative mix and predict() and prepare() form the same groups.
 */
function groupsOf<T>(members: readonly T[], keyOf: (m: T) => string, max: number): T[][] {
  const k = Math.ceil(members.length / max);
  if (k <= 1) return [[...members]];
  const sorted = [...members].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  const groups: T[][] = Array.from({ length: k }, () => []);
  sorted.forEach((m, i) => groups[i % k].push(m));
  return groups;
}

function ok(x: number): boolean {
  return typeof x === 'number' && Number.isFinite(x) && x >= 0;
}

/** Clamp into [lo, hi]; a non-finite value takes `alt` if finite, else lo. */
function bounded(x: number, alt: number | undefined, lo: number, hi: number): number {
  const v = ok(x) ? x : alt !== undefined && ok(alt) ? alt : lo;
  return Math.min(hi, Math.max(lo, v));
}

/** Cost-weighted mean uncertainty of parts (undefined when none reports one). */
function meanUncertainty(parts: readonly ComputeCost[]): number | undefined {
  let w = 0;
  let s = 0;
  for (const p of parts) {
    if (p.uncertainty === undefined) continue;
    const t = p.fwdMs + p.bwdMs;
    w += t;
    s += t * p.uncertainty;
  }
  return w > 0 ? s / w : undefined;
}

/** Σ of parts' fwd and bwd. */
function sum(parts: readonly ComputeCost[]): ComputeCost {
  return parts.reduce((a, p) => ({ fwdMs: a.fwdMs + p.fwdMs, bwdMs: a.bwdMs + p.bwdMs }), { fwdMs: 0, bwdMs: 0 });
}

/** How one set is priced: as is, or from groups of moved shards. */
interface SetPlan {
  direct: boolean;
  /** Blend weight towards the fallback. */
  weight: number;
  /** Moved shards in groups (when not direct). */
  groups: Shard[][];
}

export class GuardedCostModel implements CostModel {
  readonly name: string;
  readonly source: 'learned' | 'analytic';

  /**
   * `fallback` is the analytic model of the same kernel and `ranges` what
   * `inner` was measured on; without them only the physical bounds apply.
   * `error` is the ± for a model that reports none of its own.
   */
  constructor(readonly inner: CostModel, readonly fallback?: CostModel, readonly ranges?: TrainingRanges, readonly error?: ErrorBands) {
    this.name = inner.name;
    this.source = inner.source;
  }

  private get guarded(): boolean {
    return this.fallback !== undefined && this.ranges !== undefined;
  }

  private plan(set: readonly Shard[], env: CostEnv, envMoved: boolean): SetPlan {
    const r = this.ranges!;
    const clamped = set.map((s) => clampShard(s, env.batchSize, r));
    const tooMany = set.length > groupSize(r);
    if (!envMoved && !tooMany && !clamped.some((c) => c.moved)) return { direct: true, weight: 0, groups: [] };
    const weight = Math.max(setSizeWeight(set.length, r), ...clamped.map((c) => c.weight));
    const groups = groupsOf(clamped.map((c, i) => ({ c, key: shardCostKey(set[i]) })), (m) => m.key, groupSize(r))
      .map((g) => g.map((m) => m.c.shard));
    return { direct: false, weight, groups };
  }

  /** G(S) from the fallback's price of S and of the moved groups, and the model's price of the groups. */
  private combine(a: ComputeCost, groupsL: readonly ComputeCost[], groupsA: readonly ComputeCost[], weight: number): ComputeCost {
    const l = sum(groupsL);
    const b = sum(groupsA);
    const keep = 1 - weight;
    const ratio = (x: number, y: number) => (ok(x) && ok(y) && x > 0 && y > 0 ? (x / y) ** keep : 1);
    const uL = meanUncertainty(groupsL);
    const uA = a.uncertainty;
    const out: ComputeCost = { fwdMs: a.fwdMs * ratio(l.fwdMs, b.fwdMs), bwdMs: a.bwdMs * ratio(l.bwdMs, b.bwdMs) };
    if (uL !== undefined || uA !== undefined) out.uncertainty = Math.sqrt(((uL ?? 0) * keep) ** 2 + (uA ?? 0) ** 2);
    return out;
  }

  /** Physical bounds and finiteness; `alt` is the fallback's price of the same set, if computed. */
  private finish(c: ComputeCost | undefined, bounds: readonly ShardBounds[], alt?: ComputeCost): ComputeCost {
    if (bounds.length === 0) return { fwdMs: 0, bwdMs: 0 };
    const { lo, hi } = setBounds(bounds);
    const out: ComputeCost = {
      fwdMs: bounded(c?.fwdMs ?? NaN, alt?.fwdMs, lo.fwdMs, hi.fwdMs),
      bwdMs: bounded(c?.bwdMs ?? NaN, alt?.bwdMs, lo.bwdMs, hi.bwdMs),
    };
    const u = c?.uncertainty ?? alt?.uncertainty ?? (this.error ? bandOf(this.error, out.fwdMs + out.bwdMs) : undefined);
    if (u !== undefined && ok(u)) out.uncertainty = u;
    return out;
  }

  async predict(sets: readonly (readonly Shard[])[], env: CostEnv): Promise<ComputeCost[]> {
    const bounds = sets.map((set) => set.map((s) => shardBounds(s, env)));
    if (!this.guarded) {
      const raw = await this.inner.predict(sets, env);
      return sets.map((_, i) => this.finish(raw[i], bounds[i]));
    }
    const { env: envC, moved: envMoved } = clampEnv(env, this.ranges!);
    const plans = sets.map((set) => (set.length === 0 ? { direct: true, weight: 0, groups: [] } : this.plan(set, env, envMoved)));
    // One call of the wrapped model for every in-range set and every group.
    const batch: (readonly Shard[])[] = [];
    const at: number[] = [];
    const groupAt: number[][] = [];
    plans.forEach((p, i) => {
      if (p.direct) { at[i] = batch.length; batch.push(sets[i]); groupAt[i] = []; return; }
      groupAt[i] = p.groups.map((g) => { batch.push(g); return batch.length - 1; });
    });
    // A moved env changes only the optimizer; in-range sets of a moved env are never direct.
    const costs = batch.length > 0 ? await this.inner.predict(batch, envMoved ? envC : env) : [];
    const outIdx = plans.map((p, i) => (p.direct ? -1 : i)).filter((i) => i >= 0);
    const fbSets = outIdx.length > 0 ? await this.fallback!.predict(outIdx.map((i) => sets[i]), env) : [];
    const fbGroups = outIdx.length > 0 ? await this.fallback!.predict(outIdx.flatMap((i) => plans[i].groups), envC) : [];
    const out: ComputeCost[] = [];
    let g = 0;
    sets.forEach((_, i) => {
      const p = plans[i];
      if (p.direct) { out.push(this.finish(costs[at[i]], bounds[i])); return; }
      const k = outIdx.indexOf(i);
      const gl = groupAt[i].map((j) => costs[j]);
      const ga = fbGroups.slice(g, g + p.groups.length);
      g += p.groups.length;
      out.push(this.finish(this.combine(fbSets[k], gl, ga, p.weight), bounds[i], fbSets[k]));
    });
    return out;
  }

  prepare(shards: readonly Shard[], env: CostEnv): SetScorer {
    const bounds = shards.map((s) => shardBounds(s, env));
    const self = this;
    const boundsOf = (members: readonly number[]) => members.map((i) => bounds[i]).filter((b) => b !== undefined);
    if (!this.guarded) {
      const inner = this.inner.prepare(shards, env);
      return { score: (members) => self.finish(inner.score(members), boundsOf(members)) };
    }
    const r = this.ranges!;
    const { env: envC, moved: envMoved } = clampEnv(env, r);
    const clamped = shards.map((s) => clampShard(s, env.batchSize, r));
    const anyMoved = envMoved || clamped.some((c) => c.moved);
    const max = groupSize(r);
    const inner = this.inner.prepare(anyMoved ? clamped.map((c) => c.shard) : shards, envC);
    // The wrapped scorer over the shards as they are, for in-range sets when some other shard moved.
    let asIs: SetScorer | undefined = anyMoved ? undefined : inner;
    let fb: SetScorer | undefined;
    let fbC: SetScorer | undefined;
    const keys = shards.map((s) => shardCostKey(s));
    return {
      score(members: readonly number[]): ComputeCost {
        const live = members.filter((i) => shards[i] !== undefined);
        if (live.length === 0) return { fwdMs: 0, bwdMs: 0 };
        const direct = !envMoved && live.length <= max && live.every((i) => !clamped[i].moved);
        if (direct) {
          asIs ??= self.inner.prepare(shards, env);
          return self.finish(asIs.score(live), boundsOf(live));
        }
        fb ??= self.fallback!.prepare(shards, env);
        fbC ??= self.fallback!.prepare(clamped.map((c) => c.shard), envC);
        const weight = Math.max(setSizeWeight(live.length, r), ...live.map((i) => clamped[i].weight));
        const groups = groupsOf(live, (i) => keys[i], max);
        const a = fb.score(live);
        const c = self.combine(a, groups.map((gr) => inner.score(gr)), groups.map((gr) => fbC!.score(gr)), weight);
        return self.finish(c, boundsOf(live), a);
      },
    };
  }

  rangeNotes(shard: Shard, env: CostEnv, dtype?: string): RangeNote[] {
    if (!this.guarded) return [];
    return rangeNotes(shard, env, this.ranges!, this.inner.name, this.fallback!.name, dtype);
  }

  setSizeNote(tables: number): RangeNote | undefined {
    if (!this.guarded) return undefined;
    return setSizeNote(tables, this.ranges!, this.inner.name, this.fallback!.name);
  }
}

/**
 * The one wrapper the registry applies to every model: `guardModel(learned,
 * analyticOfSameKernel, learned.ranges)` for a learned model, `guardModel(m)`
 * for an analytic one (physical bounds and finiteness only), with `error`
 * for a model that reports no ± of its own (FBGEMM: FBGEMM_PROVISIONAL_ERROR).
 */
export function guardModel(inner: CostModel, fallback?: CostModel, ranges?: TrainingRanges, error?: ErrorBands): GuardedCostModel {
  return new GuardedCostModel(inner, fallback, ranges, error);
}
