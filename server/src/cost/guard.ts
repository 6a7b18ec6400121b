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

/**
 * A learned model's price stays within this factor of the analytic model of
 * its kernel, fwd and bwd each: over the 1,394 measured H100 sets the measured
 * time was 0.54–3.0× the analytic model's (fwd or bwd), and the learned model
 * 0.56–1.77×; beyond 3.5× the network is off its data, not the hardware.
 */
export const MAX_RATIO_TO_ANALYTIC = 3.5;

/** Bound on memoised single-shard costs (~150 B each). */
const SINGLES_LIMIT = 50_000;

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
  /** Each shard's own guarded cost under an env (the floor of every set it is in); bounded. */
  private readonly singles = new Map<string, ComputeCost>();
  /** The same by shard object, so a plan's repeated calls skip building keys. */
  private readonly singlesByShard = new WeakMap<Shard, { env: string; c: ComputeCost }>();

  /**
   * `fallback` is the analytic model of the same kernel and `ranges` what
   * `inner` was measured on; without them only the floor and the physical
   * bounds apply. `error` is the ± for a model that reports none of its own.
   */
  constructor(
    readonly inner: CostModel,
    readonly fallback?: CostModel,
    readonly ranges?: TrainingRanges,
    readonly error?: ErrorBands,
  ) {
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
    const groups = groupsOf(
      clamped.map((c, i) => ({ c, key: shardCostKey(set[i]) })),
      (m) => m.key,
      groupSize(r),
    ).map((g) => g.map((m) => m.c.shard));
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

  /**
   * The served number of a set from its raw price `c`: non-finite parts take
   * the fallback's price `a`; within ×MAX_RATIO_TO_ANALYTIC of `a`; at least
   * `floor` (its costliest shard alone, fwd and bwd); inside the physical
   * bounds; with the model's ± (or the `error` bands).
   */
  private settle(c: ComputeCost | undefined, a: ComputeCost | undefined, floor: ComputeCost | undefined, bounds: readonly ShardBounds[]): ComputeCost {
    if (bounds.length === 0) return { fwdMs: 0, bwdMs: 0 };
    const { lo, hi } = setBounds(bounds);
    const part = (k: 'fwdMs' | 'bwdMs'): number => {
      let v = c?.[k] ?? NaN;
      const ref = a?.[k];
      if (!ok(v) && ref !== undefined && ok(ref)) v = ref;
      if (ref !== undefined && ok(ref) && ref > 0 && ok(v)) v = Math.min(ref * MAX_RATIO_TO_ANALYTIC, Math.max(ref / MAX_RATIO_TO_ANALYTIC, v));
      if (floor && ok(floor[k]) && ok(v)) v = Math.max(v, floor[k]);
      return bounded(v, undefined, lo[k], hi[k]);
    };
    const out: ComputeCost = { fwdMs: part('fwdMs'), bwdMs: part('bwdMs') };
    const u = c?.uncertainty ?? a?.uncertainty ?? (this.error ? bandOf(this.error, out.fwdMs + out.bwdMs) : undefined);
    if (u !== undefined && ok(u)) out.uncertainty = u;
    return out;
  }

  /**
   * Raw prices of `sets` (ranges applied, no floor or bounds) in one call of
   * the wrapped model, and the fallback's price of each set (guarded models).
   */
  private async rawPredict(sets: readonly (readonly Shard[])[], env: CostEnv): Promise<{ c: ComputeCost[]; a?: ComputeCost[] }> {
    if (!this.guarded) return { c: await this.inner.predict(sets, env) };
    const { env: envC, moved: envMoved } = clampEnv(env, this.ranges!);
    const plans = sets.map((set) => (set.length === 0 ? { direct: true, weight: 0, groups: [] } : this.plan(set, env, envMoved)));
    // One call of the wrapped model for every in-range set and every group.
    const batch: (readonly Shard[])[] = [];
    const at: number[] = [];
    const groupAt: number[][] = [];
    plans.forEach((p, i) => {
      if (p.direct) {
        at[i] = batch.length;
        batch.push(sets[i]);
        groupAt[i] = [];
        return;
      }
      groupAt[i] = p.groups.map((g) => {
        batch.push(g);
        return batch.length - 1;
      });
    });
    // A moved env changes only the optimizer; in-range sets of a moved env are never direct.
    const costs = batch.length > 0 ? await this.inner.predict(batch, envMoved ? envC : env) : [];
    const a = await this.fallback!.predict(sets, env);
    const moved = plans.flatMap((p) => p.groups);
    const fbGroups = moved.length > 0 ? await this.fallback!.predict(moved, envC) : [];
    let g = 0;
    const c = sets.map((_, i) => {
      const p = plans[i];
      if (p.direct) return costs[at[i]];
      const ga = fbGroups.slice(g, g + p.groups.length);
      g += p.groups.length;
      return this.combine(
        a[i],
        groupAt[i].map((j) => costs[j]),
        ga,
        p.weight,
      );
    });
    return { c, a };
  }

  /** `rawPredict` as a synchronous scorer over `shards` (the wrapped model's and the fallback's scorers). */
  private rawScorer(shards: readonly Shard[], env: CostEnv): (members: readonly number[]) => { c: ComputeCost; a?: ComputeCost } {
    if (!this.guarded) {
      const inner = this.inner.prepare(shards, env);
      return (members) => ({ c: inner.score(members) });
    }
    const r = this.ranges!;
    const self = this;
    const { env: envC, moved: envMoved } = clampEnv(env, r);
    const clamped = shards.map((s) => clampShard(s, env.batchSize, r));
    const anyMoved = envMoved || clamped.some((c) => c.moved);
    const max = groupSize(r);
    const inner = this.inner.prepare(anyMoved ? clamped.map((c) => c.shard) : shards, envC);
    // The wrapped scorer over the shards as they are, for in-range sets when some other shard moved.
    let asIs: SetScorer | undefined = anyMoved ? undefined : inner;
    const fb = this.fallback!.prepare(shards, env);
    let fbC: SetScorer | undefined;
    // Cost keys order the groups of a too-large set; built on first need.
    let keys: string[] | undefined;
    return (members) => {
      const a = fb.score(members);
      const direct = !envMoved && members.length <= max && members.every((i) => !clamped[i].moved);
      if (direct) {
        asIs ??= self.inner.prepare(shards, env);
        return { c: asIs.score(members), a };
      }
      fbC ??= self.fallback!.prepare(
        clamped.map((c) => c.shard),
        envC,
      );
      const weight = Math.max(setSizeWeight(members.length, r), ...members.map((i) => clamped[i].weight));
      keys ??= shards.map((s) => shardCostKey(s));
      const k = keys;
      const groups = groupsOf(members, (i) => k[i], max);
      return {
        c: self.combine(
          a,
          groups.map((gr) => inner.score(gr)),
          groups.map((gr) => fbC!.score(gr)),
          weight,
        ),
        a,
      };
    };
  }

  private envKey(env: CostEnv): string {
    const d = env.device;
    return `${env.batchSize}|${env.optimizer}|${d?.type}|${d?.hbmGBps}|${d?.l2Bytes}|${d?.sms}`;
  }

  /**
   * Each shard's own served cost (the floor of the sets it is in), memoised
   * per env and shard; `score` prices the missing ones in one go.
   */
  private singlesOf(shards: readonly Shard[], env: CostEnv, score?: (members: readonly number[]) => { c: ComputeCost; a?: ComputeCost }): ComputeCost[] {
    const envKey = this.envKey(env);
    const out: ComputeCost[] = new Array(shards.length);
    const missing: number[] = [];
    shards.forEach((s, i) => {
      const known = this.singlesByShard.get(s);
      if (known && known.env === envKey) {
        out[i] = known.c;
        return;
      }
      const c = this.singles.get(`${envKey}#${shardCostKey(s)}`);
      if (c) {
        this.singlesByShard.set(s, { env: envKey, c });
        out[i] = c;
      } else missing.push(i);
    });
    if (missing.length === 0) return out;
    // Price only the shards not seen before (the scorer prepares what it is given).
    let scorer = score;
    let at = (i: number) => i;
    if (!scorer) {
      const fresh = missing.map((i) => shards[i]);
      const sc = this.rawScorer(fresh, env);
      const pos = new Map(missing.map((i, j) => [i, j]));
      scorer = sc;
      at = (i) => pos.get(i)!;
    }
    for (const i of missing) {
      const raw = scorer([at(i)]);
      const c = this.settle(raw.c, raw.a, undefined, [shardBounds(shards[i], env)]);
      this.remember(shards[i], envKey, c);
      out[i] = c;
    }
    return out;
  }

  async predict(sets: readonly (readonly Shard[])[], env: CostEnv): Promise<ComputeCost[]> {
    const bounds = sets.map((set) => set.map((s) => shardBounds(s, env)));
    const { c, a } = await this.rawPredict(sets, env);
    // The floor: each multi-table set's shards alone (memoised; JS scorers, no extra model call).
    const multi = sets.filter((s) => s.length > 1).flat();
    const singles = multi.length > 0 ? this.singlesOf(multi, env) : [];
    let next = 0;
    const envKey = this.envKey(env);
    return sets.map((set, i) => {
      let floor: ComputeCost | undefined;
      if (set.length > 1) {
        const mine = singles.slice(next, next + set.length);
        next += set.length;
        floor = { fwdMs: Math.max(...mine.map((x) => x.fwdMs)), bwdMs: Math.max(...mine.map((x) => x.bwdMs)) };
      }
      const out = this.settle(c[i], a?.[i], floor, bounds[i]);
      // A one-table set is that shard's own cost: remember it as the floor of
      // later sets (the editor prices every table alone before the placement).
      if (set.length === 1) this.remember(set[0], envKey, out);
      return out;
    });
  }

  private remember(s: Shard, envKey: string, c: ComputeCost): void {
    if (this.singles.size >= SINGLES_LIMIT) this.singles.clear();
    this.singles.set(`${envKey}#${shardCostKey(s)}`, c);
    this.singlesByShard.set(s, { env: envKey, c });
  }

  prepare(shards: readonly Shard[], env: CostEnv): SetScorer {
    const bounds = shards.map((s) => shardBounds(s, env));
    const raw = this.rawScorer(shards, env);
    const self = this;
    const single: (ComputeCost | undefined)[] = new Array(shards.length);
    return {
      score(members: readonly number[]): ComputeCost {
        const live = members.filter((i) => shards[i] !== undefined);
        if (live.length === 0) return { fwdMs: 0, bwdMs: 0 };
        const r = raw(live);
        let floor: ComputeCost | undefined;
        if (live.length > 1) {
          floor = { fwdMs: 0, bwdMs: 0 };
          for (const i of live) {
            const s = (single[i] ??= self.singlesOf([shards[i]], env, (m) => raw(m.map(() => i)))[0]);
            floor.fwdMs = Math.max(floor.fwdMs, s.fwdMs);
            floor.bwdMs = Math.max(floor.bwdMs, s.bwdMs);
          }
        }
        return self.settle(
          r.c,
          r.a,
          floor,
          live.map((i) => bounds[i]),
        );
      },
    };
  }

  /** The wrapped model's notes: the guard changes numbers only where SL110 and hover say so. */
  notes(env: CostEnv): string[] {
    return this.inner.notes?.(env) ?? [];
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
