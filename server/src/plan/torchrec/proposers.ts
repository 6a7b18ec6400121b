/**
 * TorchRec's default proposers (torchrec/distributed/planner/proposers.py;
 * docs/research/torchrec-planner.md §1.6), in its default order:
 * - GridSearchProposer: every combination of the tables' options, when there
 *   are at most MAX_PROPOSALS (10,000) of them;
 * - GreedyProposer(use_depth=True) and (use_depth=False): options sorted by
 *   max (or sum) shard perf; start from every table's best and, after each
 *   proposal, advance the table whose current option holds the most storage
 *   (max HBM, sum HBM, max DDR, sum DDR) to its next option;
 * - UniformProposer: one proposal per sharding type that every table has,
 *   each table at its best option of that type.
 * A proposal is one option index per table (into the table's option list).
 */
import { optionScore, totalStorage, type ShardingOption, type TorchRecType } from './options';

/** TorchRec's proposers.py MAX_PROPOSALS. */
export const MAX_PROPOSALS = 10_000;

export interface Proposer {
  readonly name: string;
  /** The next proposal, or undefined when done. */
  propose(): number[] | undefined;
  /** How the last proposal went (rating: the plan's max per-rank perf; undefined when it did not fit). */
  feedback(rating: number | undefined): void;
}

/** Per table, option indices sorted by score (ties keep enumeration order). */
function sortedIndices(options: readonly (readonly ShardingOption[])[], useDepth: boolean): number[][] {
  return options.map((opts) => opts.map((_, i) => i).sort((a, b) => optionScore(opts[a], useDepth) - optionScore(opts[b], useDepth) || a - b));
}

export function gridSearchProposer(options: readonly (readonly ShardingOption[])[]): Proposer {
  const sorted = sortedIndices(options, true);
  const live = sorted.map((s, t) => (s.length > 0 ? t : -1)).filter((t) => t >= 0);
  let total = 1;
  for (const t of live) {
    total *= sorted[t].length;
    if (total > MAX_PROPOSALS) break;
  }
  const digits = new Array<number>(live.length).fill(0);
  let done = total > MAX_PROPOSALS || live.length === 0;
  return {
    name: 'grid search',
    propose() {
      if (done) return undefined;
      const p = sorted.map((s) => (s.length > 0 ? s[0] : -1));
      live.forEach((t, j) => {
        p[t] = sorted[t][digits[j]];
      });
      return p;
    },
    feedback() {
      for (let j = live.length - 1; j >= 0; j--) {
        if (++digits[j] < sorted[live[j]].length) return;
        digits[j] = 0;
      }
      done = true;
    },
  };
}

/**
 * `patience`: stop after this many proposals in a row that did not beat the
 * best rating (TorchRec's optional `threshold`, its PR #696; unbounded in
 * TorchRec's default, where 1,000 tables took over 20 minutes).
 */
export function greedyProposer(options: readonly (readonly ShardingOption[])[], useDepth: boolean, patience = Infinity): Proposer {
  const sorted = sortedIndices(options, useDepth);
  const cur = sorted.map(() => 0);
  let done = sorted.every((s) => s.length === 0);
  let best = Infinity;
  let worse = 0;
  const keys = options.map((opts) =>
    opts.map((o) => {
      let maxH = 0;
      let maxD = 0;
      for (const r of o.runs) {
        maxH = Math.max(maxH, r.shard.hbm);
        maxD = Math.max(maxD, r.shard.ddr);
      }
      const tot = totalStorage(o);
      return [maxH, tot.hbm, maxD, tot.ddr];
    }),
  );
  const storageKey = (t: number): number[] => keys[t][sorted[t][cur[t]]];
  return {
    name: `greedy (${useDepth ? 'max' : 'sum'} perf)`,
    propose() {
      return done ? undefined : sorted.map((s, t) => (s.length > 0 ? s[cur[t]] : -1));
    },
    feedback(rating) {
      if (rating !== undefined) {
        if (rating < best) {
          best = rating;
          worse = 0;
        } else if (++worse > patience) {
          done = true;
          return;
        }
      }
      let largest = -1;
      let key: number[] = [];
      for (let t = 0; t < sorted.length; t++) {
        if (cur[t] + 1 >= sorted[t].length) continue;
        const k = storageKey(t);
        if (largest < 0 || lexGreater(k, key)) {
          largest = t;
          key = k;
        }
      }
      if (largest < 0) done = true;
      else cur[largest]++;
    },
  };
}

function lexGreater(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return false;
}

export function uniformProposer(options: readonly (readonly ShardingOption[])[]): Proposer {
  const sorted = sortedIndices(options, true);
  const types: TorchRecType[] = [];
  const live = options.map((o, t) => (o.length > 0 ? t : -1)).filter((t) => t >= 0);
  for (const o of options[live[0]] ?? []) if (!types.includes(o.type)) types.push(o.type);
  const proposals: number[][] = [];
  for (const type of types) {
    const p = options.map(() => -1);
    let ok = true;
    for (const t of live) {
      const i = sorted[t].find((j) => options[t][j].type === type);
      if (i === undefined) {
        ok = false;
        break;
      }
      p[t] = i;
    }
    if (ok) proposals.push(p);
  }
  let next = 0;
  return {
    name: 'uniform',
    propose() {
      return proposals[next];
    },
    feedback() {
      next++;
    },
  };
}
