/**
 * `shardlens/balance`: the per-GPU numbers of the written placement and of the
 * proposed plan, for the balance panel. Answers for the current version.
 */
import { ErrorCodes, LSPErrorCodes, ResponseError, type CancellationToken } from 'vscode-languageserver/node';
import { canPlan } from '../engine';
import type { PlanResult } from '../plan/types';
import type { DocumentAnalyses } from './documents';
import { moveBudgetSummary, type MoveBudgets } from './moveBudgets';
import type { BalanceParams, BalanceResult, BalanceSide } from './protocol';
import { signalFromToken } from './replan';

export function balanceSide(plan: PlanResult): BalanceSide {
  const side: BalanceSide = {
    strategy: plan.strategy,
    gpus: plan.gpus.map((g) => {
      const row: BalanceSide['gpus'][number] = {
        gpu: g.gpu,
        tables: g.tables,
        fwdMs: g.fwdMs,
        bwdMs: g.bwdMs,
        commMs: g.commMs,
        totalMs: g.totalMs,
        memoryBytes: g.memoryBytes,
        capacityBytes: g.capacityBytes,
      };
      if (g.uncertaintyMs !== undefined) row.uncertaintyMs = g.uncertaintyMs;
      if (g.phaseMs) row.phaseMs = { ...g.phaseMs };
      if (g.hostMemoryBytes !== undefined) row.hostMemoryBytes = g.hostMemoryBytes;
      return row;
    }),
    maxMs: plan.maxMs,
    meanMs: plan.meanMs,
    maxGpuMs: plan.maxGpuMs,
    phases: plan.phases.map((p) => ({ ...p })),
    imbalance: plan.meanMs > 0 ? plan.maxGpuMs / plan.meanMs : 1,
    feasible: plan.feasible,
    reasons: plan.reasons,
  };
  if (plan.maxUncertaintyMs !== undefined) side.maxUncertaintyMs = plan.maxUncertaintyMs;
  if (plan.notes && plan.notes.length > 0) side.notes = plan.notes;
  return side;
}

/**
 * `moveBudgets`: where the settled "Replan (≤ N moves)" proposal comes from;
 * it is included when ready, never waited for (the panel is told when it lands).
 */
export async function handleBalance(
  params: BalanceParams,
  token: CancellationToken,
  analyses: DocumentAnalyses,
  log: (m: string) => void,
  moveBudgets?: MoveBudgets,
): Promise<BalanceResult> {
  if (!params || typeof params.uri !== 'string') throw new ResponseError(ErrorCodes.InvalidParams, 'shardlens/balance needs {uri}.');
  const abort = signalFromToken(token);
  const record = await analyses.whenAnalyzed(params.uri, undefined, abort.signal);
  if (!record) {
    if (abort.signal.aborted) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
    throw new ResponseError(ErrorCodes.InvalidParams, `ShardLens: ${params.uri} is not open.`);
  }
  const a = record.analysis;
  const config = a.loaded.config;
  const locations: BalanceResult['locations'] = {};
  for (const [name, where] of a.loaded.source.tables) locations[name] = { item: where.item };
  for (const [name, range] of a.loaded.source.placementEntries) (locations[name] ??= {}).placement = range;
  const result: BalanceResult = {
    uri: record.uri,
    version: record.version,
    costModel: a.costModel?.name,
    costModels: a.costModel?.kernels,
    devices: config ? `${config.devices.count} \u00d7 ${config.devices.type}` : undefined,
    current: a.current ? balanceSide(a.current) : undefined,
    locations,
    errors: a.diagnostics.filter((d) => d.severity === 'error').length,
  };
  if (params.includeProposed !== false && canPlan(a)) {
    try {
      const proposal = await analyses.proposal(record, record.settings.replanStrategy, abort.signal);
      result.proposed = balanceSide(proposal.plan);
    } catch (err) {
      if (abort.signal.aborted) throw new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
      log(`balance: proposal failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const moves = moveBudgets?.settled(record);
  if (moves && params.includeProposed !== false) result.moveBudget = { ...moveBudgetSummary(moves, a), side: balanceSide(moves.plan) };
  return result;
}
