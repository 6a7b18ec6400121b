/**
 * Pure functions from the balance answer's move budget ("Replan (≤ N moves)",
 * `BalanceResult.moveBudget`) to what the panel's moves section shows: a
 * title, one summary sentence, the moves (table, from, to, gain) biggest gain
 * first, and whether applying makes sense. No DOM: unit-tested directly.
 */
import { combinedUncertainty, formatGain, formatMs, msCell } from '../../server/src/engine/format';
import type { BalanceResult, BudgetMove } from './messages';

export interface MoveRow {
  table: string;
  /** Placement entries as written in YAML; "(none)" / "(dropped)" when absent. */
  from: string;
  to: string;
  /** "1.234" ms, "required" or "together". */
  gain: string;
  /** The gain in ms; NaN for required moves and moves that only pay together. */
  gainMs: number;
  required: boolean;
}

export interface MovesView {
  /** "Replan (≤ 10 moves)". */
  title: string;
  summary: string;
  rows: MoveRow[];
  /** Moves worth applying: some, within the budget, feasible. */
  canApply: boolean;
}

function movesWord(n: number): string {
  return `${n} move${n === 1 ? '' : 's'}`;
}

function rowOf(m: BudgetMove): MoveRow {
  const gainMs = m.required || m.gainMs === undefined ? NaN : m.gainMs;
  return {
    table: m.table,
    from: m.from ?? '(none)',
    to: m.to ?? '(dropped)',
    required: m.required,
    gainMs,
    gain: m.required ? 'required' : Number.isFinite(gainMs) ? msCell(gainMs) : 'together',
  };
}

/** Required moves first, then by gain (largest first), then the moves that pay together; ties by table name. */
function order(a: MoveRow, b: MoveRow): number {
  const rank = (r: MoveRow) => (r.required ? 0 : Number.isFinite(r.gainMs) ? 1 : 2);
  return rank(a) - rank(b) || (Number.isFinite(a.gainMs) && Number.isFinite(b.gainMs) ? b.gainMs - a.gainMs : 0) || a.table.localeCompare(b.table);
}

/** The moves section, or undefined when the answer has no move budget (setting 0, no written placement, still computing). */
export function movesView(result: BalanceResult): MovesView | undefined {
  const b = result.moveBudget;
  if (!b) return undefined;
  const title = `Replan (\u2264 ${movesWord(b.maxMoves)})`;
  const rows = b.moves.map(rowOf).sort(order);
  if (b.tooFewMoves) {
    return {
      title,
      rows,
      canApply: false,
      summary: `The written placement needs ${movesWord(b.requiredMoves)} just to become feasible, more than ${b.maxMoves}: raise the setting shardlens.replan.maxMoves or run Replan.`,
    };
  }
  const full = `The full plan: ${formatMs(b.fullMaxMs)} with ${movesWord(b.fullMoves)}.`;
  if (b.moves.length === 0) {
    return { title, rows, canApply: false, summary: `No move of at most ${b.maxMoves} table${b.maxMoves === 1 ? '' : 's'} lowers the step. ${full}` };
  }
  const side = b.side;
  const current = result.current;
  const step =
    current && current.gpus.length > 0
      ? `Step ${formatMs(current.maxMs)} \u2192 ${formatMs(side.maxMs)}${current.maxMs > 0 ? ` (${formatGain(current.maxMs, side.maxMs, combinedUncertainty(current.maxUncertaintyMs, side.maxUncertaintyMs))})` : ''}`
      : `Step ${formatMs(side.maxMs)}`;
  const required = b.requiredMoves > 0 ? ` (${b.requiredMoves} required for feasibility)` : '';
  const infeasible = side.feasible ? '' : ` Not feasible: ${side.reasons.slice(0, 2).join('; ')}.`;
  return { title, rows, canApply: side.feasible, summary: `${step} with ${movesWord(b.moves.length)}${required}. ${full}${infeasible}` };
}
