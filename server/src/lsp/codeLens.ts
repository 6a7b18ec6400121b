/**
 * Code lenses from an analysis: one per table (its cost alone, memory, GPU),
 * one per GPU at its first entry in `placement:` (total ms, memory %), and at the
 * top the Replan lens ("Replan — step a ms → b ms (−x%) [strategy]") and
 * "Show GPU balance", and next to Replan the move-budget lens ("Replan ≤ 10
 * moves — step a ms → b ms (−x%, 7 moves)"); "What if…" on `devices:`; "vs HEAD: +3.1 ms, 12 moves"
 * on `placement:` when the client sent a baseline. Pure: data in, lenses out;
 * cheap even at 10,000 tables.
 */
import type { CodeLens } from 'vscode-languageserver/node';
import { entryRanks } from '../config/placementRanks';
import { kindLabel } from '../config/shardingKinds';
import type { Range } from '../config/types';
import { blockingErrors, replanTitle, type Proposal } from '../engine';
import { formatBytes } from '../config/byteUnits';
import { formatGpus, formatMs, formatPercent, formatRatio } from '../engine/format';
import { sweepBlockingErrors } from '../engine/sweep';
import { defaultSweepCounts } from '../engine/sweepInput';
import type { BaselineDiff } from './baselines';
import { kernelsOfTables, shortPricingOf, tableKernels } from '../engine/pricingText';
import type { AnalysisRecord } from './documents';
import { movesTitle, type MovesProposal } from '../engine/proposeMoves';
import { wantsMoveBudget } from './moveBudgets';
import { diffLensTitle } from './placementDiff';
import {
  ClientCommands,
  type ReplanCommandArgs,
  type RevealTablesCommandArgs,
  type ShowBalanceCommandArgs,
  type ShowPlacementDiffCommandArgs,
  type WhatIfCommandArgs,
} from './protocol';

/** A lens that is only text (VS Code renders a lens with an empty command id unclickable). */
function label(range: Range, title: string): CodeLens {
  return { range, command: { title, command: '' } };
}

function lineStart(range: Range): Range {
  return { start: { line: range.start.line, character: 0 }, end: { line: range.start.line, character: 0 } };
}

export interface LensInput {
  record: AnalysisRecord;
  /** Settled proposal for this analysis, if any. */
  proposal?: Proposal;
  /** A proposal is being computed. */
  pending: boolean;
  /** The placement diff against the document's baseline (e.g. HEAD), when one is ready. */
  baseline?: BaselineDiff;
  /** Settled move-budget proposal ("Replan (≤ N moves)") for this analysis, if any. */
  moves?: MovesProposal;
  /** The move-budget proposal (or the Replan proposal it starts from) is being computed. */
  movesPending?: boolean;
}

/** The move-budget lens's title before its numbers are in. */
function movesWaitingTitle(record: AnalysisRecord, pending: boolean): string {
  const n = record.settings.replanMaxMoves;
  const current = record.analysis.current;
  const head = `Replan \u2264 ${n} move${n === 1 ? '' : 's'}`;
  return current ? `${head} \u2014 step ${formatMs(current.maxMs)} \u2192 \u2026${pending ? ' (planning)' : ''}` : head;
}

export function buildCodeLenses({ record, proposal, pending, baseline, moves, movesPending }: LensInput): CodeLens[] {
  const { analysis, uri, version } = record;
  const config = analysis.loaded.config;
  const source = analysis.loaded.source;
  const lenses: CodeLens[] = [];
  if (!config) return lenses;
  const top = lineStart(source.top);

  // Top: Replan, balance, model.
  const strategy = proposal?.strategy ?? record.settings.replanStrategy;
  const replanArgs: ReplanCommandArgs = { uri, version, strategy };
  let title: string;
  if (proposal) title = replanTitle(proposal);
  else if (analysis.current) title = `Replan — step ${formatMs(analysis.current.maxMs)} \u2192 \u2026 [${strategy}]${pending ? ' (planning)' : ''}`;
  else title = `Plan placement [${strategy}]`;
  const blocking = blockingErrors(analysis).length;
  if (blocking > 0) lenses.push(label(top, `Fix ${blocking} error${blocking === 1 ? '' : 's'} to plan`));
  else if (analysis.model) lenses.push({ range: top, command: { title, command: ClientCommands.replan, arguments: [replanArgs] } });
  if (blocking === 0 && wantsMoveBudget(record)) {
    const movesArgs: ReplanCommandArgs = { uri, version, strategy: moves?.strategy ?? record.settings.replanStrategy, maxMoves: record.settings.replanMaxMoves };
    const movesTitleNow = moves && moves.budget.maxMoves === record.settings.replanMaxMoves ? movesTitle(moves) : movesWaitingTitle(record, !!movesPending);
    lenses.push({ range: top, command: { title: movesTitleNow, command: ClientCommands.replanMoves, arguments: [movesArgs] } });
  }
  const balanceArgs: ShowBalanceCommandArgs = { uri };
  lenses.push({ range: top, command: { title: 'Show GPU balance', command: ClientCommands.showBalance, arguments: [balanceArgs] } });
  if (analysis.costModel) {
    const imb = analysis.imbalance !== undefined ? ` · max/mean ${formatRatio(analysis.imbalance)}` : '';
    lenses.push(label(top, `${analysis.costModel.name}${analysis.costModel.warning ? ' (fallback)' : ''}${imb}`));
  }

  // What if: on `devices:`, the sweep with this cluster's defaults.
  if (source.devices && sweepBlockingErrors(analysis).length === 0) {
    const whatIf: WhatIfCommandArgs = { uri, counts: defaultSweepCounts(config.devices.count), type: config.devices.type };
    lenses.push({ range: lineStart(source.devices), command: { title: 'What if\u2026 (other GPU counts and types)', command: ClientCommands.whatIf, arguments: [whatIf] } });
  }

  // vs the baseline (HEAD): on `placement:`, else at the top.
  if (baseline) {
    const args: ShowPlacementDiffCommandArgs = { uri };
    lenses.push({
      range: lineStart(source.placementSection ?? source.top),
      command: { title: diffLensTitle(baseline.ref, baseline.outcome), command: ClientCommands.showPlacementDiff, arguments: [args] },
    });
  }

  // Per table.
  for (const [name, cost] of analysis.tableCosts) {
    const where = source.tables.get(name);
    if (!where) continue;
    const total = cost.fwdMs + cost.bwdMs;
    const split = cost.kind && cost.kind !== 'table' ? ` (${kindLabel(cost.kind)})` : '';
    const priced = analysis.costModel ? ` \u00b7 ${shortPricingOf(analysis.costModel.kernels, [cost.kernel])}` : '';
    lenses.push(
      label(
        lineStart(where.item),
        `\u2248 ${formatMs(total)} (fwd ${formatMs(cost.fwdMs).replace(' ms', '')} + bwd ${formatMs(cost.bwdMs).replace(' ms', '')}) \u00b7 ${formatBytes(cost.memoryBytes)} \u00b7 ${formatGpus(cost.gpus)}${split}${priced}`,
      ),
    );
  }

  // Per GPU, on the first placement entry that mentions it.
  const current = analysis.current;
  if (current && config.placement) {
    const byGpu = new Map(current.gpus.map((g) => [g.gpu, g]));
    const kernelOf = tableKernels(analysis);
    const firstLine = new Map<number, Range>();
    /** Each GPU's placement entries, for the lens click (select them all). */
    const entries = new Map<number, Range[]>();
    for (const [name, entry] of config.placement) {
      const range = source.placementEntries.get(name);
      if (!range) continue;
      const gpus = entryRanks(entry, config.devices);
      for (const g of new Set(gpus)) {
        if (!firstLine.has(g)) firstLine.set(g, range);
        let list = entries.get(g);
        if (!list) {
          list = [];
          entries.set(g, list);
        }
        list.push(range);
      }
    }
    for (const [g, range] of firstLine) {
      const r = byGpu.get(g);
      if (!r) continue;
      const mem = r.capacityBytes > 0 ? r.memoryBytes / r.capacityBytes : NaN;
      const worst = r.totalMs === current.maxGpuMs && current.gpus.length > 1 ? ' \u00b7 busiest' : '';
      const priced = analysis.costModel ? ` \u00b7 ${shortPricingOf(analysis.costModel.kernels, kernelsOfTables(analysis, r.tables, kernelOf))}` : '';
      lenses.push({
        range: lineStart(range),
        command: {
          title: `GPU ${g}: ${formatMs(r.totalMs)} (fwd ${formatMs(r.fwdMs).replace(' ms', '')} + bwd ${formatMs(r.bwdMs).replace(' ms', '')} + comm ${formatMs(r.commMs).replace(' ms', '')}) \u00b7 ${r.tables.length} table${r.tables.length === 1 ? '' : 's'} \u00b7 memory ${formatPercent(mem)} of ${formatBytes(r.capacityBytes)}${priced}${worst}`,
          command: ClientCommands.revealTables,
          arguments: [{ uri, gpu: g, ranges: entries.get(g) ?? [] } satisfies RevealTablesCommandArgs],
        },
      });
    }
  }
  return lenses;
}
