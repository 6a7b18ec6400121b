/**
 * What each move bought: the moves of a budgeted plan replayed on the
 * written placement (after its repair), biggest gain first, each one's gain
 * being how much it lowered the step (ms) at its turn. The step is a maximum
 * over ranks, so gains depend on order: this order credits each move with
 * what it adds on top of the better moves before it, and the gains add up to
 * the whole change. A move that cannot be made alone (its GPU holds a table
 * that leaves in another move: a swap) is replayed with the others left at
 * the end, and that group's gain is reported as a whole, not per move.
 */
import type { PlanControl } from './control';
import { putTable, sameSpot, spotOf, stepIfPut, type Spot } from './moveSpots';
import type { PlanState } from './state';

export interface MoveGains {
  /** Per replayed table: the step it took off, ms (negative: it cost time alone). */
  gainMs: Map<number, number>;
  /** Tables replayed together at the end (moves that only fit together). */
  joint: number[];
  /** What the joint group took off together, ms. */
  jointGainMs: number;
}

/**
 * Replays, on a copy of `start`, the moves of `tables` to their spots in
 * `final`. `first` are applied before anything is credited (moves the plan
 * had to make anyway).
 */
export async function moveGains(start: PlanState, final: readonly (Spot | undefined)[], tables: readonly number[], first: readonly number[], ctl: PlanControl): Promise<MoveGains> {
  const state = start.clone();
  const out: MoveGains = { gainMs: new Map(), joint: [], jointGainMs: 0 };
  const pending = new Set<number>();
  for (const t of first) {
    const f = final[t];
    if (f && !sameSpot(spotOf(state, t), f) && !putTable(state, t, f)) pending.add(t);
  }
  const gainOf = (t: number): number => {
    const r = stepIfPut(state, t, final[t]!);
    return r ? state.step() - r.step : -Infinity;
  };
  let queue = tables.filter((t) => final[t] && !sameSpot(spotOf(state, t), final[t])).map((t) => ({ t, gain: gainOf(t) }));
  let reprices = 4 * queue.length + 64;
  while (queue.length > 0) {
    await ctl.tick();
    queue.sort((a, b) => b.gain - a.gain || a.t - b.t);
    const head = queue[0];
    if (head.gain === -Infinity) break; // none fits alone any more
    const fresh = gainOf(head.t);
    const next = queue.length > 1 ? queue[1].gain : -Infinity;
    if (fresh < next - 1e-9 && reprices-- > 0) {
      head.gain = fresh;
      continue;
    }
    const cur = state.step();
    if (fresh === -Infinity || !putTable(state, head.t, final[head.t]!)) {
      head.gain = -Infinity;
      continue;
    }
    queue = queue.slice(1);
    out.gainMs.set(head.t, cur - state.step());
  }
  // What is left only fits together: take those tables off, then put each where it ends.
  const rest = [...pending, ...queue.map((q) => q.t)];
  if (rest.length > 0) {
    const cur = state.step();
    for (const t of rest) state.setLayout(t, state.layoutOf[t]);
    for (const t of rest) putTable(state, t, final[t]!);
    state.settle();
    out.joint = rest.filter((t) => !first.includes(t));
    out.jointGainMs = cur - state.step();
  }
  return out;
}
