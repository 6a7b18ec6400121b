/**
 * The editor side of plan diff: the "vs HEAD: +3.1 ms, 12 moves" lens title
 * and the `shardlens/placementDiff` request that lists the moves for the
 * lens's click. The diff itself is engine/planDiff.ts, kept by baselines.ts.
 */
import { ErrorCodes, LSPErrorCodes, ResponseError, type CancellationToken } from 'vscode-languageserver/node';
import { renderEntry } from '../config/placementText';
import { formatSignedMs } from '../engine/format';
import type { BaselineDiff, Baselines, DiffOutcome } from './baselines';
import type { DocumentAnalyses } from './documents';
import type { PlacementDiffParams, PlacementDiffResult } from './protocol';
import { signalFromToken } from './replan';

/** Lens title: "vs HEAD: +3.1 ms, 12 moves" (step-time change, then how many tables changed place). */
export function diffLensTitle(ref: string, outcome: DiffOutcome): string {
  if ('problem' in outcome) {
    const p = outcome.problem;
    return `vs ${ref}: cannot compare (${p.length > 70 ? `${p.slice(0, 69)}\u2026` : p})`;
  }
  const n = outcome.moves.length;
  if (n === 0 && Math.abs(outcome.stepChangeMs) < 0.005 && !outcome.devicesChange) return `vs ${ref}: same placement`;
  const extras = [
    outcome.added ? `${outcome.added} newly placed` : '',
    outcome.removed ? `${outcome.removed} unplaced` : '',
    outcome.devicesChange ? `devices ${outcome.devicesChange}` : '',
  ].filter(Boolean);
  const moves = `${outcome.moved} move${outcome.moved === 1 ? '' : 's'}`;
  return `vs ${ref}: ${formatSignedMs(outcome.stepChangeMs)}, ${moves}${extras.length ? ` (${extras.join(', ')})` : ''}`;
}

/** The wire form of a diff (entries rendered as written in YAML). */
export function placementDiffResult(d: BaselineDiff): PlacementDiffResult {
  const { record, ref, outcome } = d;
  const base = { uri: record.uri, version: record.version, ref };
  if ('problem' in outcome) return { ...base, problem: outcome.problem };
  const entries = record.analysis.loaded.source.placementEntries;
  return {
    ...base,
    before: { maxMs: outcome.before.maxMs, meanMs: outcome.before.meanMs, feasible: outcome.before.feasible, costModel: outcome.before.costModel },
    after: { maxMs: outcome.after.maxMs, meanMs: outcome.after.meanMs, feasible: outcome.after.feasible, costModel: outcome.after.costModel },
    stepChangeMs: outcome.stepChangeMs,
    moves: outcome.moves.map((m) => ({
      table: m.table,
      ...(m.from ? { from: renderEntry(m.from) } : {}),
      ...(m.to ? { to: renderEntry(m.to) } : {}),
      ...(entries.get(m.table) ? { range: entries.get(m.table) } : {}),
    })),
    moved: outcome.moved,
    added: outcome.added,
    removed: outcome.removed,
    gpus: outcome.gpus.map((g) => ({ gpu: g.gpu, beforeMs: g.beforeMs, afterMs: g.afterMs, changeMs: g.changeMs })),
    sameModel: outcome.sameModel,
    ...(outcome.devicesChange ? { devicesChange: outcome.devicesChange } : {}),
  };
}

export async function handlePlacementDiff(
  params: PlacementDiffParams,
  token: CancellationToken,
  analyses: DocumentAnalyses,
  baselines: Baselines,
): Promise<PlacementDiffResult | null> {
  if (!params || typeof params.uri !== 'string') throw new ResponseError(ErrorCodes.InvalidParams, 'shardlens/placementDiff needs {uri}.');
  const abort = signalFromToken(token);
  const record = await analyses.whenAnalyzed(params.uri, undefined, abort.signal);
  if (abort.signal.aborted) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
  if (!record) throw new ResponseError(ErrorCodes.InvalidParams, `ShardLens: ${params.uri} is not open.`);
  const diff = await baselines.diffFor(record);
  if (abort.signal.aborted) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
  return diff ? placementDiffResult(diff) : null;
}
