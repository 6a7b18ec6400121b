/**
 * `shardlens/sweep`: the What-if view's numbers. Plans the document's tables
 * on each requested cluster (engine/sweep.ts) with the document's settings and
 * cost models. `$/cancelRequest` aborts the planner through an AbortSignal;
 * each planned cluster is reported through the client's work-done token.
 */
import { ErrorCodes, LSPErrorCodes, ResponseError, type CancellationToken, type Connection } from 'vscode-languageserver/node';
import type { CostModels } from '../engine';
import { errorText } from '../engine/engineDiagnostics';
import { DEFAULT_SWEEP_PLAN_BUDGET_MS, sweepBlockingErrors, sweepConfig, type SweepRow } from '../engine/sweep';
import { checkGpuCounts, checkGpuTypes, clusterCountProblem, defaultSweepCounts } from '../engine/sweepInput';
import type { DocumentAnalyses } from './documents';
import type { SweepParams, SweepResultPayload, SweepRowResult } from './protocol';
import { signalFromToken } from './replan';
import type { ServerSettings } from './settings';
import { isStrategy } from './settings';

export interface SweepContext {
  connection: Connection;
  analyses: DocumentAnalyses;
  costModelsFor(settings: ServerSettings): CostModels;
  /** Soft limit per plan, ms (tests may shorten it). */
  planBudgetMs?: number;
}

function cancelled(): ResponseError<void> {
  return new ResponseError(LSPErrorCodes.RequestCancelled, 'What-if sweep cancelled.');
}

export function sweepRowResult(r: SweepRow): SweepRowResult {
  const out: SweepRowResult = {
    type: r.type,
    gpus: r.gpus,
    memoryFraction: Number.isFinite(r.memoryFraction) ? r.memoryFraction : null,
    feasible: r.feasible,
    strategy: r.strategy,
    costModel: r.costModel,
    elapsedMs: r.elapsedMs,
  };
  if (r.maxMs !== undefined) out.maxMs = r.maxMs;
  if (r.meanMs !== undefined) out.meanMs = r.meanMs;
  if (r.gpuSecondsPerStep !== undefined) out.gpuSecondsPerStep = r.gpuSecondsPerStep;
  if (r.reason !== undefined) out.reason = r.reason;
  if (r.costModelWarning !== undefined) out.costModelWarning = r.costModelWarning;
  if (r.droppedPins !== undefined) out.droppedPins = r.droppedPins;
  return out;
}

export async function handleSweep(params: SweepParams, token: CancellationToken, ctx: SweepContext): Promise<SweepResultPayload> {
  if (!params || typeof params.uri !== 'string') throw new ResponseError(ErrorCodes.InvalidParams, 'shardlens/sweep needs {uri}.');
  let counts: number[] | undefined;
  if (params.counts !== undefined) {
    const c = checkGpuCounts(params.counts);
    if (!c.ok) throw new ResponseError(ErrorCodes.InvalidParams, `GPU counts: ${c.error}`);
    counts = c.value;
  }
  if (params.types !== undefined && !Array.isArray(params.types)) throw new ResponseError(ErrorCodes.InvalidParams, 'GPU types must be a list.');

  const abort = signalFromToken(token);
  const progress = ctx.connection.window.attachWorkDoneProgress(params.workDoneToken);
  progress.begin('ShardLens: What if', 0, 'analysing…', true);
  try {
    const record = await ctx.analyses.whenAnalyzed(params.uri, undefined, abort.signal);
    if (abort.signal.aborted) throw cancelled();
    if (!record) throw new ResponseError(ErrorCodes.InvalidParams, `ShardLens: ${params.uri} is not open.`);
    const a = record.analysis;
    const config = a.loaded.config;
    const blocking = sweepBlockingErrors(a);
    if (!config || blocking.length > 0) {
      const n = Math.max(1, blocking.length);
      throw new ResponseError(LSPErrorCodes.RequestFailed, `Fix the ${n} error${n === 1 ? '' : 's'} in the file before a what-if sweep.`);
    }
    const types = checkGpuTypes(params.types && params.types.length > 0 ? params.types : [config.devices.type], config.devices.type);
    if (!types.ok) throw new ResponseError(ErrorCodes.InvalidParams, `GPU types: ${types.error}`);
    counts ??= defaultSweepCounts(config.devices.count);
    const tooMany = clusterCountProblem(counts.length, types.value.length);
    if (tooMany) throw new ResponseError(ErrorCodes.InvalidParams, tooMany);
    const strategy = isStrategy(params.strategy) ? params.strategy : record.settings.replanStrategy;

    const result = await sweepConfig(config, ctx.costModelsFor(record.settings), {
      counts,
      types: types.value,
      strategy,
      signal: abort.signal,
      planBudgetMs: ctx.planBudgetMs ?? DEFAULT_SWEEP_PLAN_BUDGET_MS,
      onProgress: (p) => {
        const next = p.next ? `planning ${p.next.gpus} \u00d7 ${p.next.type} (${p.done + 1} of ${p.total})\u2026` : `planned ${p.total} clusters`;
        progress.report(Math.round((100 * p.done) / Math.max(1, p.total)), next);
      },
    });
    return {
      uri: record.uri,
      version: record.version,
      strategy: result.strategy,
      planBudgetMs: result.planBudgetMs,
      elapsedMs: result.elapsedMs,
      rows: result.rows.map(sweepRowResult),
    };
  } catch (err) {
    if (err instanceof ResponseError) throw err;
    if (abort.signal.aborted) throw cancelled();
    throw new ResponseError(LSPErrorCodes.RequestFailed, `What-if sweep failed: ${errorText(err)}`);
  } finally {
    progress.done();
  }
}
