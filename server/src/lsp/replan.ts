/**
 * `shardlens/replan`: plan the document and return the edit that rewrites only
 * its `placement:` section. Never applies a plan to a newer document: the
 * version is checked before and after planning, and the edit is a versioned
 * `documentChanges` entry that VS Code itself refuses on a version mismatch.
 * `$/cancelRequest` aborts the planner (AbortSignal); progress goes to the
 * client's work-done token when it sends one. With `maxMoves` it is
 * "Replan (≤ N moves)": the best plan that moves at most N tables from the
 * written placement (moveBudgets.ts), with the moves in the answer.
 */
import {
  ErrorCodes,
  LSPErrorCodes,
  ResponseError,
  TextDocumentEdit,
  type CancellationToken,
  type Connection,
  type TextDocuments,
  type WorkspaceEdit,
} from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { NotPlannableError } from '../engine';
import { errorText } from '../engine/engineDiagnostics';
import type { DocumentAnalyses } from './documents';
import { moveBudgetSummary, type MoveBudgets } from './moveBudgets';
import type { ReplanApplied, ReplanParams, ReplanResult } from './protocol';
import { isMoveBudget, isStrategy, MAX_MAX_MOVES } from './settings';

export interface ReplanContext {
  connection: Connection;
  documents: TextDocuments<TextDocument>;
  analyses: DocumentAnalyses;
  /** "Replan (≤ N moves)": requests with `maxMoves`. */
  moveBudgets: MoveBudgets;
  uriOf(file: string): string;
}

export function signalFromToken(token: CancellationToken): AbortController {
  const abort = new AbortController();
  if (token.isCancellationRequested) abort.abort();
  else token.onCancellationRequested(() => abort.abort());
  return abort;
}

function cancelled(): ResponseError<void> {
  return new ResponseError(LSPErrorCodes.RequestCancelled, 'Replan cancelled.');
}

export async function handleReplan(params: ReplanParams, token: CancellationToken, ctx: ReplanContext): Promise<ReplanResult> {
  if (!params || typeof params.uri !== 'string' || typeof params.version !== 'number') {
    throw new ResponseError(ErrorCodes.InvalidParams, 'shardlens/replan needs {uri, version}.');
  }
  if (params.maxMoves !== undefined && !isMoveBudget(params.maxMoves)) {
    throw new ResponseError(
      ErrorCodes.InvalidParams,
      `maxMoves must be a whole number of tables from 0 to ${MAX_MAX_MOVES}, not ${JSON.stringify(params.maxMoves)?.slice(0, 40)}.`,
    );
  }
  const doc = ctx.documents.get(params.uri);
  if (!doc) throw new ResponseError(ErrorCodes.InvalidParams, `ShardLens: ${params.uri} is not open.`);
  if (doc.version !== params.version) return { stale: true, currentVersion: doc.version };

  const abort = signalFromToken(token);
  const progress = ctx.connection.window.attachWorkDoneProgress(params.workDoneToken);
  progress.begin('ShardLens: Replan', undefined, 'analysing…', true);
  try {
    const record = await ctx.analyses.whenAnalyzed(params.uri, params.version, abort.signal);
    if (abort.signal.aborted) throw cancelled();
    const now = ctx.documents.get(params.uri);
    if (!record || !now || record.version !== params.version || now.version !== params.version) {
      return { stale: true, currentVersion: now?.version };
    }
    const config = record.analysis.loaded.config;
    const strategy = isStrategy(params.strategy) ? params.strategy : record.settings.replanStrategy;
    const maxMoves = params.maxMoves;
    if (config) {
      const budget = maxMoves !== undefined ? `, at most ${maxMoves} move${maxMoves === 1 ? '' : 's'}` : '';
      progress.report(`${strategy}${budget}: ${config.tables.length} tables on ${config.devices.count} × ${config.devices.type}…`);
    }
    const moves = maxMoves !== undefined ? await ctx.moveBudgets.proposal(record, strategy, maxMoves, abort.signal) : undefined;
    const proposal = moves ?? (await ctx.analyses.proposal(record, strategy, abort.signal));
    if (abort.signal.aborted) throw cancelled();
    const after = ctx.documents.get(params.uri);
    if (!after || after.version !== params.version) return { stale: true, currentVersion: after?.version };

    const target = ctx.uriOf(proposal.edit.file);
    const edit: WorkspaceEdit =
      target === params.uri
        ? { documentChanges: [TextDocumentEdit.create({ uri: params.uri, version: params.version }, [proposal.edit.edit])] }
        : { changes: { [target]: [proposal.edit.edit] } };
    const plan = proposal.plan;
    const result: ReplanApplied = {
      edit,
      version: params.version,
      beforeMaxMs: proposal.beforeMaxMs,
      afterMaxMs: plan.maxMs,
      afterMeanMs: plan.meanMs,
      ...(proposal.beforeMaxUncertaintyMs !== undefined ? { beforeUncertaintyMs: proposal.beforeMaxUncertaintyMs } : {}),
      ...(plan.maxUncertaintyMs !== undefined ? { afterUncertaintyMs: plan.maxUncertaintyMs } : {}),
      feasible: plan.feasible,
      reasons: plan.reasons,
      ...(plan.notes && plan.notes.length > 0 ? { notes: plan.notes } : {}),
      strategy: proposal.strategy,
      elapsedMs: plan.elapsedMs,
      costModel: plan.costModel,
    };
    if (moves) result.moveBudget = moveBudgetSummary(moves, record.analysis);
    return result;
  } catch (err) {
    if (err instanceof ResponseError) throw err;
    if (abort.signal.aborted) throw cancelled();
    // An edit during planning aborts the shared plan it waited on: that is stale, not a failure.
    const current = ctx.documents.get(params.uri);
    if (!current || current.version !== params.version) return { stale: true, currentVersion: current?.version };
    if (err instanceof NotPlannableError) throw new ResponseError(LSPErrorCodes.RequestFailed, err.message);
    throw new ResponseError(LSPErrorCodes.RequestFailed, `Replan failed: ${errorText(err)}`);
  } finally {
    progress.done();
  }
}
