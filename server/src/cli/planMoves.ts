/**
 * The text of `shardlens plan FILE --max-moves N` after the per-GPU table:
 * the moves (table, from, to, gain), the step before and after, and the
 * full plan for comparison. Pure: a MoveBudgetResult in, lines out.
 */
import { renderEntry } from '../config/placementText';
import { PHASE_TITLES } from '../cost/stepCost';
import { combinedUncertainty, formatGain, formatMs, formatPhases, msCell } from '../engine/format';
import type { MoveBudgetResult } from '../plan/moveBudget';
import { renderTable, type Colours } from './textTable';

/** Moves listed in text; --format json lists all. */
export const MOVES_SHOWN = 40;

const METHOD_TEXT: Record<MoveBudgetResult['method'], string> = {
  written: 'the written placement',
  'toward-plan': 'moves toward the full plan',
  'local-search': 'local search from the written placement',
  'back-from-plan': 'the full plan with moves taken back',
};

function moves(n: number): string {
  return `${n} move${n === 1 ? '' : 's'}`;
}

/** `beforeUncertaintyMs`: ± of the written placement's step (its analysis), for the gain's model error. */
export function moveBudgetLines(r: MoveBudgetResult, beforeUncertaintyMs: number | undefined, c: Colours): string[] {
  const plan = r.plan;
  const out: string[] = [];
  out.push(
    `  at most ${moves(r.maxMoves)} from the written placement \u00b7 strategy ${c.bold(plan.strategy)} \u00b7 planned in ${formatMs(r.elapsedMs)} \u00b7 ${plan.feasible ? c.green('feasible') : c.red('infeasible')}`,
  );
  if (r.tooFewMoves) {
    for (const why of plan.reasons) out.push(`  ${c.red('\u2717')} ${why}`);
    out.push(c.dim(`  nothing moved: run with --max-moves ${r.requiredMoves} or more`));
    return out;
  }
  if (r.moves.length > 0) {
    out.push('');
    const rows = r.moves
      .slice(0, MOVES_SHOWN)
      .map((m) => [
        m.table,
        m.from ? renderEntry(m.from) : c.dim('(none)'),
        m.to ? renderEntry(m.to) : c.dim('(dropped)'),
        m.required ? c.yellow('required') : m.gainMs !== undefined ? msCell(m.gainMs) : c.dim('together'),
      ]);
    out.push(
      renderTable(
        [
          { header: 'table', align: 'left' },
          { header: 'from', align: 'left' },
          { header: 'to', align: 'left' },
          { header: 'gain ms', align: 'right' },
        ],
        rows,
      ),
    );
    if (r.moves.length > MOVES_SHOWN) out.push(c.dim(`  \u2026 and ${r.moves.length - MOVES_SHOWN} more (--format json lists all)`));
    out.push('');
  }
  const used = `${r.moves.length} of ${moves(r.maxMoves)} allowed${r.requiredMoves > 0 ? ` (${r.requiredMoves} required for feasibility)` : ''}`;
  if (r.written) {
    const gain = formatGain(r.written.maxMs, plan.maxMs, combinedUncertainty(beforeUncertaintyMs, plan.maxUncertaintyMs));
    out.push(`  step ${formatMs(r.written.maxMs)} \u2192 ${formatMs(plan.maxMs)}${gain ? ` (${gain})` : ''} using ${used}`);
  } else {
    out.push(`  step ${formatMs(plan.maxMs)} using ${used} (the written placement is incomplete)`);
  }
  if (plan.gpus.length > 0) out.push(`    = ${formatPhases(plan.phases, PHASE_TITLES)}`);
  if (r.jointGainMs !== 0 && r.moves.some((m) => !m.required && m.gainMs === undefined)) {
    out.push(c.dim(`  moves marked "together" only fit or pay as a group: ${formatMs(r.jointGainMs)} between them`));
  }
  out.push(c.dim(`  found by ${METHOD_TEXT[r.method]}; the full plan: step ${formatMs(r.full.maxMs)} with ${moves(r.fullMoves)}${r.full.feasible ? '' : ' (infeasible)'}`));
  out.push(c.dim(`  gain = how much each move lowers the step, the moves replayed biggest gain first (scored by ${plan.costModel})`));
  for (const why of plan.reasons) out.push(`  ${c.red('\u2717')} ${why}`);
  return out;
}
