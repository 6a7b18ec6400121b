/**
 * "Replan (≤ N moves)" in the language server: per open document, the
 * move-budget proposal (engine/proposeMoves.ts) of its latest analysis, with
 * N from the `replan.maxMoves` setting. It is computed in the background once
 * Replan's own proposal for that analysis lands (the full plan the moves head
 * toward, so nothing is planned twice), kept for that analysis, and aborted
 * as soon as the document changes. The lens and the balance panel show the
 * settled one; the command reuses it when N and the strategy match, and
 * otherwise plans its own (aborted with the request).
 */
import type { Analysis, Proposal } from '../engine';
import { renderEntry } from '../config/placementText';
import { hasWrittenPlacement, type MovesProposal } from '../engine/proposeMoves';
import type { Strategy } from '../plan/types';
import { canPlan } from '../engine';
import { raceAbort, type AnalysisRecord } from './documents';
import type { MoveBudgetSummary } from './protocol';

export interface MoveBudgetDeps {
  /** The move-budget proposal of `record`, toward `target` (Replan's plan of the same analysis). */
  propose(record: AnalysisRecord, maxMoves: number, strategy: Strategy, target: Proposal, signal: AbortSignal): Promise<MovesProposal>;
  /** Replan's proposal of `record` with `strategy` (shared with the Replan lens when it is the settings' strategy). */
  replanProposal(record: AnalysisRecord, strategy: Strategy, signal: AbortSignal): Promise<Proposal>;
  /** The document's latest analysis. */
  latest(uri: string): AnalysisRecord | undefined;
  /** A background proposal landed for the latest analysis: refresh lenses and the panel. */
  onReady(record: AnalysisRecord): void;
  log(message: string): void;
}

interface Job {
  record: AnalysisRecord;
  maxMoves: number;
  strategy: Strategy;
  promise: Promise<MovesProposal>;
  result?: MovesProposal;
  error?: unknown;
  abort: AbortController;
}

/** Whether the lens (and the background proposal) applies to an analysis. */
export function wantsMoveBudget(record: AnalysisRecord): boolean {
  const a: Analysis = record.analysis;
  return record.settings.replanMaxMoves > 0 && canPlan(a) && hasWrittenPlacement(a);
}

export class MoveBudgets {
  private readonly jobs = new Map<string, Job>();

  constructor(private readonly deps: MoveBudgetDeps) {}

  /** Replan's background proposal of `record` landed: start the move-budget one toward it. */
  proposalReady(record: AnalysisRecord, proposal: Proposal): void {
    if (!wantsMoveBudget(record) || this.deps.latest(record.uri) !== record) return;
    const job = this.jobs.get(record.uri);
    const n = record.settings.replanMaxMoves;
    if (job && job.record === record && job.maxMoves === n && job.strategy === proposal.strategy && job.error === undefined) return;
    this.start(record, n, proposal.strategy, proposal);
  }

  /**
   * The move-budget proposal of `record` for a request: the shared one when N
   * and the strategy are the settings' (a requester's `signal` only stops its
   * wait), else a private one that `signal` aborts.
   */
  proposal(record: AnalysisRecord, strategy: Strategy, maxMoves: number, signal: AbortSignal): Promise<MovesProposal> {
    const job = this.jobs.get(record.uri);
    if (job && job.record === record && job.maxMoves === maxMoves && job.strategy === strategy && job.error === undefined) {
      return raceAbort(job.promise, signal);
    }
    const shared = maxMoves === record.settings.replanMaxMoves && strategy === record.settings.replanStrategy && this.deps.latest(record.uri) === record;
    if (shared) return raceAbort(this.start(record, maxMoves, strategy).promise, signal);
    const abort = new AbortController();
    signal.addEventListener('abort', () => abort.abort(), { once: true });
    return this.compute(record, maxMoves, strategy, abort.signal);
  }

  /** The settled background proposal of this analysis, if any. */
  settled(record: AnalysisRecord): MovesProposal | undefined {
    const job = this.jobs.get(record.uri);
    return job && job.record === record ? job.result : undefined;
  }

  /** Whether the background proposal of this analysis is still computing. */
  pending(record: AnalysisRecord): boolean {
    const job = this.jobs.get(record.uri);
    return !!job && job.record === record && !job.result && job.error === undefined;
  }

  /** The document changed (or a newer analysis landed): what was computed for the old text is dropped. */
  changed(uri: string, record?: AnalysisRecord): void {
    const job = this.jobs.get(uri);
    if (!job || job.record === record) return;
    if (!job.result) job.abort.abort();
    this.jobs.delete(uri);
  }

  closed(uri: string): void {
    this.changed(uri);
  }

  private start(record: AnalysisRecord, maxMoves: number, strategy: Strategy, target?: Proposal): Job {
    this.changed(record.uri);
    const abort = new AbortController();
    const promise = target ? this.deps.propose(record, maxMoves, strategy, target, abort.signal) : this.compute(record, maxMoves, strategy, abort.signal);
    const job: Job = { record, maxMoves, strategy, promise, abort };
    this.jobs.set(record.uri, job);
    promise.then(
      (result) => {
        job.result = result;
        if (this.jobs.get(record.uri) === job && this.deps.latest(record.uri) === record) this.deps.onReady(record);
      },
      (err) => {
        job.error = err ?? new Error('move-budget proposal failed');
        if (!abort.signal.aborted) this.deps.log(`move-budget plan for ${record.uri} failed: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
    return job;
  }

  private async compute(record: AnalysisRecord, maxMoves: number, strategy: Strategy, signal: AbortSignal): Promise<MovesProposal> {
    const target = await this.deps.replanProposal(record, strategy, signal);
    return this.deps.propose(record, maxMoves, strategy, target, signal);
  }
}

/** A move-budget result as sent: entries rendered as written in YAML, each with its `placement:` range. */
export function moveBudgetSummary(p: MovesProposal, analysis: Analysis): MoveBudgetSummary {
  const b = p.budget;
  const world = analysis.loaded.config?.devices.count;
  const ranges = analysis.loaded.source.placementEntries;
  return {
    maxMoves: b.maxMoves,
    moves: b.moves.map((m) => {
      const range = ranges.get(m.table);
      return {
        table: m.table,
        required: m.required,
        ...(m.from ? { from: renderEntry(m.from, world) } : {}),
        ...(m.to ? { to: renderEntry(m.to, world) } : {}),
        ...(m.gainMs !== undefined ? { gainMs: m.gainMs } : {}),
        ...(range ? { range } : {}),
      };
    }),
    requiredMoves: b.requiredMoves,
    tooFewMoves: b.tooFewMoves,
    jointGainMs: b.jointGainMs,
    fullMaxMs: b.full.maxMs,
    fullMoves: b.fullMoves,
    method: b.method,
  };
}
