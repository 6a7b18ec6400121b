/**
 * Taking moves back: a moved table goes back where it was written when that
 * costs the step nothing (the step is a maximum, so a move off a rank that is
 * not critical often bought nothing), and, to fit a budget, the moves whose
 * return costs the least step go back until the plan fits (backward
 * elimination from the full plan). Each return is priced from the state as it
 * is then (the cost of a return grows as others return), checked on the exact
 * state, and undone if it does not fit in memory.
 */
import type { PlanControl } from './control';
import { putTable, spotOf, stepIfPut, type MoveLedger } from './moveSpots';
import type { PlanState } from './state';

function tol(v: number): number {
  return 1e-9 * Math.max(1, Math.abs(v));
}

/** Step added by sending table t back to its written spot (Infinity: it does not fit). */
function returnCost(state: PlanState, ledger: MoveLedger, t: number): number {
  const w = ledger.written[t];
  if (!w) return Infinity;
  const r = stepIfPut(state, t, w);
  return r ? r.step - state.step() : Infinity;
}

/** Tables that count as moved and may go back (not required by the repair, not pinned). */
function returnable(state: PlanState, ledger: MoveLedger): number[] {
  const out: number[] = [];
  for (let t = 0; t < ledger.written.length; t++) {
    if (ledger.isChanged(t) && !ledger.required.has(t) && ledger.written[t] && state.cat.tables[t].pin === undefined) out.push(t);
  }
  return out;
}

/**
 * Sends moved tables back while that does not raise the step by more than
 * `slackMs` per return (0: free returns only), cheapest first, until at most
 * `until` moves are left (free returns continue past it). Returns how many
 * went back.
 */
export async function trimMoves(state: PlanState, ledger: MoveLedger, ctl: PlanControl, until = ledger.count, slackMs = 0): Promise<number> {
  let back = 0;
  let queue = returnable(state, ledger).map((t) => ({ t, cost: returnCost(state, ledger, t) }));
  // Re-pricing everything after each return would be quadratic: a return is
  // taken when its fresh price is still no worse than the next one's stale
  // price, else it is re-queued with the fresh one (lazy greedy).
  let reprices = 4 * queue.length + 64;
  while (queue.length > 0) {
    await ctl.tick();
    queue.sort((a, b) => a.cost - b.cost || a.t - b.t);
    const head = queue[0];
    const over = ledger.count > until;
    const limit = over ? Infinity : slackMs;
    if (!(head.cost <= limit + tol(state.step()))) break;
    const fresh = returnCost(state, ledger, head.t);
    const next = queue.length > 1 ? queue[1].cost : Infinity;
    if (fresh > next + tol(state.step()) && reprices-- > 0) {
      head.cost = fresh;
      continue;
    }
    queue = queue.slice(1);
    if (!(fresh <= limit + tol(state.step()))) continue;
    const before = spotOf(state, head.t);
    const cur = state.step();
    if (!before || !putTable(state, head.t, ledger.written[head.t]!)) continue;
    if (!over && state.step() > cur + slackMs + tol(cur)) {
      putTable(state, head.t, before);
      continue;
    }
    ledger.update(state, head.t);
    back++;
    if (ctl.outOfTime() && !over) break;
  }
  return back;
}
