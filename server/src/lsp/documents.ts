/**
 * Per-document analysis scheduling and caching for the language server.
 *
 * - Each edit (re)starts a short per-URI debounce; when it fires the latest text
 *   is analysed. One analysis per URI runs at a time; edits that land meanwhile
 *   coalesce into one rerun on the newest text.
 * - A result is kept and published only if the document is still at the version
 *   that was analysed: stale diagnostics are never published.
 * - Requests (lenses, hover, balance, replan) wait for the analysis of the
 *   version they were asked about via `whenAnalyzed`.
 * - After an analysis lands, the Replan proposal (top lens) is computed in the
 *   background, aborted as soon as the document changes again.
 * - Documents that reference a file (their devices file) are re-analysed when
 *   that file changes, open or on disk.
 */
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextDocuments } from 'vscode-languageserver/node';
import { canPlan, type Analysis, type Proposal } from '../engine';
import type { Strategy } from '../plan/types';
import type { ServerSettings } from './settings';

export interface AnalysisRecord {
  uri: string;
  /** Document version analysed (current when it was published). */
  version: number;
  analysis: Analysis;
  settings: ServerSettings;
}

export interface ProposalRecord {
  /** The analysis it was planned from (identity: a devices-file change makes a new one at the same version). */
  record: AnalysisRecord;
  strategy: Strategy;
  promise: Promise<Proposal>;
  /** Set once settled successfully. */
  result?: Proposal;
  /** Set once failed (includes aborts). */
  error?: unknown;
  abort: AbortController;
}

export interface AnalysesDeps {
  /**
   * Analyse `text`; may call `early` once, before it resolves, with a config-only
   * analysis (parse + validation diagnostics) when costing has to wait.
   */
  analyze(uri: string, text: string, early: (partial: Analysis) => void): Promise<{ analysis: Analysis; settings: ServerSettings }>;
  propose(record: AnalysisRecord, strategy: Strategy, signal: AbortSignal): Promise<Proposal>;
  /**
   * The config diagnostics of `version`, still current, are known before its costs
   * (cold cost model): publish them now; onAnalysis follows with the full set for
   * the same version, unless the document changed meanwhile.
   */
  onConfigChecked(uri: string, version: number, partial: Analysis): void;
  /** A current analysis landed (publish diagnostics, refresh lenses…). */
  onAnalysis(record: AnalysisRecord): void;
  /** A background proposal for the current version landed. */
  onProposal(record: AnalysisRecord, proposal: Proposal): void;
  /** The document was closed: withdraw what was published for it. */
  onClosed(uri: string): void;
  /** Path of a URI as the engine sees it. */
  pathOf(uri: string): string;
  log(message: string): void;
  debounceMs: number;
  /** Delay between an analysis and its background proposal, ms. */
  proposalDelayMs: number;
}

interface Waiter {
  minVersion: number;
  resolve(record: AnalysisRecord | undefined): void;
}

interface DocState {
  uri: string;
  latest?: AnalysisRecord;
  timer?: NodeJS.Timeout;
  running: boolean;
  rerun: boolean;
  closed: boolean;
  waiters: Waiter[];
  proposal?: ProposalRecord;
  proposalTimer?: NodeJS.Timeout;
  /** Files (paths) the latest analysis read, main file first. */
  files: string[];
  /** When the last change arrived (performance.now() ms), for the leading-edge debounce. */
  lastChange?: number;
}

export class DocumentAnalyses {
  private readonly states = new Map<string, DocState>();

  constructor(
    private readonly documents: TextDocuments<TextDocument>,
    private readonly deps: AnalysesDeps,
  ) {}

  /** The document's text changed: analyse it again soon, and every document that reads it. */
  textChanged(uri: string): void {
    this.changed(uri);
    // Documents that read this one (as their devices file) see new text too.
    // One level only: `files` lists everything an analysis read, transitively,
    // so a cycle (a config that includes itself) cannot recurse here.
    this.fileChanged(this.deps.pathOf(uri), uri);
  }

  /** Analyse again soon (text or something it depends on changed). */
  changed(uri: string): void {
    const st = this.state(uri);
    this.cancelProposal(st);
    // Leading edge: the first change after a quiet spell is analysed at once (that is
    // the edit → diagnostics latency users see, which bench:lsp measures); changes within a
    // burst wait out the debounce and coalesce into one analysis.
    const now = performance.now();
    const quiet = !st.timer && !st.running && now - (st.lastChange ?? -Infinity) > this.deps.debounceMs;
    st.lastChange = now;
    if (st.timer) clearTimeout(st.timer);
    st.timer = setTimeout(
      () => {
        st.timer = undefined;
        void this.run(st);
      },
      quiet ? 0 : this.deps.debounceMs,
    );
  }

  /** A file changed on disk or in an editor: re-analyse every document that read it. */
  fileChanged(filePath: string, except?: string): void {
    for (const st of this.states.values()) {
      if (st.uri === except || st.closed) continue;
      if (st.files.slice(1).includes(filePath)) this.changed(st.uri);
    }
  }

  closed(uri: string): void {
    const st = this.states.get(uri);
    if (!st) return;
    st.closed = true;
    if (st.timer) clearTimeout(st.timer);
    this.cancelProposal(st);
    for (const w of st.waiters.splice(0)) w.resolve(undefined);
    this.states.delete(uri);
    this.deps.onClosed(uri);
    this.fileChanged(this.deps.pathOf(uri), uri);
  }

  /** Re-analyse every open document (settings or trust changed). */
  changedAll(): void {
    for (const doc of this.documents.all()) this.changed(doc.uri);
  }

  latest(uri: string): AnalysisRecord | undefined {
    return this.states.get(uri)?.latest;
  }

  /**
   * The analysis of `minVersion` or newer (default: the document's current version).
   * Resolves undefined when the document is closed or `signal` aborts.
   */
  whenAnalyzed(uri: string, minVersion?: number, signal?: AbortSignal): Promise<AnalysisRecord | undefined> {
    const doc = this.documents.get(uri);
    if (!doc) return Promise.resolve(undefined);
    const want = minVersion ?? doc.version;
    const st = this.state(uri);
    if (st.latest && st.latest.version >= want && !st.timer && !st.running) return Promise.resolve(st.latest);
    if (st.latest && st.latest.version >= want && st.latest.version === doc.version) return Promise.resolve(st.latest);
    if (!st.timer && !st.running) this.changed(uri); // first request before any edit event
    return new Promise((resolve) => {
      const waiter: Waiter = { minVersion: want, resolve };
      st.waiters.push(waiter);
      signal?.addEventListener(
        'abort',
        () => {
          const i = st.waiters.indexOf(waiter);
          if (i >= 0) st.waiters.splice(i, 1);
          resolve(undefined);
        },
        { once: true },
      );
    });
  }

  /**
   * The proposal for this record and `strategy`. With the settings' strategy
   * (what the top lens shows) the computation is shared with the background one
   * (started now if not yet) and a requester's `signal` only stops its wait;
   * with any other strategy it is private and `signal` aborts the planner.
   */
  proposal(record: AnalysisRecord, strategy: Strategy, signal?: AbortSignal): Promise<Proposal> {
    const st = this.state(record.uri);
    const p = st.proposal;
    if (p && p.record === record && p.strategy === strategy && p.error === undefined) {
      return signal ? raceAbort(p.promise, signal) : p.promise;
    }
    if (strategy === record.settings.replanStrategy && st.latest === record && !st.closed) {
      if (st.proposalTimer) {
        clearTimeout(st.proposalTimer);
        st.proposalTimer = undefined;
      }
      const shared = this.startProposal(st, record, strategy);
      return signal ? raceAbort(shared.promise, signal) : shared.promise;
    }
    const abort = new AbortController();
    signal?.addEventListener('abort', () => abort.abort(), { once: true });
    return this.deps.propose(record, strategy, abort.signal);
  }

  /** The settled background proposal for the current analysis, if any. */
  settledProposal(uri: string): Proposal | undefined {
    const st = this.states.get(uri);
    const p = st?.proposal;
    if (!st?.latest || !p || p.record !== st.latest) return undefined;
    return p.result;
  }

  /** Whether a background proposal for the current analysis is still computing. */
  proposalPending(uri: string): boolean {
    const st = this.states.get(uri);
    const p = st?.proposal;
    return !!(p && st?.latest && p.record === st.latest && !p.result && p.error === undefined) || !!st?.proposalTimer;
  }

  private state(uri: string): DocState {
    let st = this.states.get(uri);
    if (!st) {
      st = { uri, running: false, rerun: false, closed: false, waiters: [], files: [], lastChange: -Infinity };
      this.states.set(uri, st);
    }
    return st;
  }

  private cancelProposal(st: DocState): void {
    if (st.proposalTimer) {
      clearTimeout(st.proposalTimer);
      st.proposalTimer = undefined;
    }
    // Whatever it was planning from is about to be replaced.
    if (st.proposal && !st.proposal.result) st.proposal.abort.abort();
  }

  private async run(st: DocState): Promise<void> {
    if (st.closed) return;
    if (st.running) {
      st.rerun = true;
      return;
    }
    const doc = this.documents.get(st.uri);
    if (!doc) return;
    st.running = true;
    st.rerun = false;
    const version = doc.version;
    try {
      const early = (partial: Analysis) => {
        const now = this.documents.get(st.uri);
        // Same version guarantee as the full result: only while the text is still `version`.
        if (!st.closed && now && now.version === version) this.deps.onConfigChecked(st.uri, version, partial);
      };
      const { analysis, settings } = await this.deps.analyze(st.uri, doc.getText(), early);
      const now = this.documents.get(st.uri);
      if (!st.closed && now && now.version === version) {
        const record: AnalysisRecord = { uri: st.uri, version, analysis, settings };
        st.latest = record;
        st.files = analysis.loaded.files;
        this.deps.onAnalysis(record);
        for (const w of st.waiters.filter((x) => x.minVersion <= version)) {
          st.waiters.splice(st.waiters.indexOf(w), 1);
          w.resolve(record);
        }
        this.scheduleProposal(st, record);
      }
    } catch (err) {
      this.deps.log(`analysis of ${st.uri} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      for (const w of st.waiters.splice(0)) w.resolve(st.latest);
    } finally {
      st.running = false;
      const now = this.documents.get(st.uri);
      if (!st.closed && !st.timer && (st.rerun || (now && now.version !== version))) {
        // Rerun after the debounce, not at once: edits queued behind a long analysis are
        // then read first (vscode-jsonrpc handles one message per setImmediate), where an
        // immediate rerun let one queued edit through per analysis (bench:lsp load test:
        // 300 edits on a 10,000-table file took ~100 s to drain).
        st.rerun = false;
        st.timer = setTimeout(
          () => {
            st.timer = undefined;
            void this.run(st);
          },
          Math.max(1, this.deps.debounceMs),
        );
      }
    }
  }

  private scheduleProposal(st: DocState, record: AnalysisRecord): void {
    if (!canPlan(record.analysis)) return;
    if (st.proposalTimer) clearTimeout(st.proposalTimer);
    st.proposalTimer = setTimeout(() => {
      st.proposalTimer = undefined;
      if (st.closed || st.latest !== record) return;
      const p = st.proposal;
      if (p && p.record === record && p.strategy === record.settings.replanStrategy) return; // a request started it
      this.startProposal(st, record, record.settings.replanStrategy);
    }, this.deps.proposalDelayMs);
  }

  /** Starts the shared proposal of `record` (the one lenses and the balance panel show). */
  private startProposal(st: DocState, record: AnalysisRecord, strategy: Strategy): ProposalRecord {
    const abort = new AbortController();
    const promise = this.deps.propose(record, strategy, abort.signal);
    const proposal: ProposalRecord = { record, strategy, promise, abort };
    st.proposal = proposal;
    promise.then(
      (result) => {
        proposal.result = result;
        if (!st.closed && st.latest === record) this.deps.onProposal(record, result);
      },
      (err) => {
        proposal.error = err ?? new Error('proposal failed');
        if (!abort.signal.aborted) this.deps.log(`plan for ${st.uri} failed: ${err instanceof Error ? err.message : String(err)}`);
      },
    );
    return proposal;
  }
}

/** Rejects with an AbortError as soon as `signal` aborts; otherwise settles like `p`. */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

export function abortError(): Error {
  const err = new Error('cancelled');
  err.name = 'AbortError';
  return err;
}
