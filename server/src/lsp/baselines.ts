/**
 * Baselines for the "vs HEAD" lens: per open document, the text the client
 * read at a git revision (`shardlens/baseline`; the server never runs git),
 * that text analysed once, and its placement diff against the document's
 * latest analysis (engine/planDiff.ts). Diffs are computed in the background
 * and the lenses refreshed when one lands, so a lens request never waits on a
 * second analysis.
 */
import type { Analysis } from '../engine';
import { errorText } from '../engine/engineDiagnostics';
import { comparePlacements, type PlanDiff } from '../engine/planDiff';
import type { AnalysisRecord } from './documents';
import type { BaselineParams } from './protocol';
import type { ServerSettings } from './settings';

/** Largest baseline text kept, characters (a 10,000-table config is ~1 MB). */
const MAX_BASELINE_CHARS = 16 * 2 ** 20;

export type DiffOutcome = PlanDiff | { problem: string };

export interface BaselineDiff {
  ref: string;
  /** The analysis it was computed from (the document's latest when it landed). */
  record: AnalysisRecord;
  outcome: DiffOutcome;
}

export interface BaselineDeps {
  /** Analyses the baseline text as the document's own file, with the document's settings. */
  analyze(uri: string, text: string, settings: ServerSettings): Promise<Analysis>;
  /** A diff landed for the document's latest analysis: refresh its lenses. */
  onReady(uri: string): void;
  /** The document's latest analysis, if any. */
  latest(uri: string): AnalysisRecord | undefined;
  log(message: string): void;
}

interface Entry {
  ref: string;
  text: string;
  /** The baseline analysed, per settings object (settings change → analysed again). */
  analysis?: { settings: ServerSettings; promise: Promise<Analysis> };
  diff?: BaselineDiff;
  /** The record a diff is being computed for. */
  computing?: AnalysisRecord;
}

export class Baselines {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly deps: BaselineDeps) {}

  /** A new baseline (or none) for a document. */
  set(params: BaselineParams): void {
    if (!params || typeof params.uri !== 'string') return;
    if (typeof params.text !== 'string' || params.text.length > MAX_BASELINE_CHARS) {
      if (this.entries.delete(params.uri)) this.deps.onReady(params.uri);
      return;
    }
    const ref = typeof params.ref === 'string' && params.ref.trim() ? params.ref.trim().slice(0, 80) : 'baseline';
    const old = this.entries.get(params.uri);
    if (old && old.text === params.text && old.ref === ref) return;
    this.entries.set(params.uri, { ref, text: params.text });
    const latest = this.deps.latest(params.uri);
    if (latest) this.start(params.uri, latest);
    else this.deps.onReady(params.uri);
  }

  has(uri: string): boolean {
    return this.entries.has(uri);
  }

  closed(uri: string): void {
    this.entries.delete(uri);
  }

  /** The document's analysis changed: recompute its diff in the background. */
  analysed(record: AnalysisRecord): void {
    if (this.entries.has(record.uri)) this.start(record.uri, record);
  }

  /**
   * The diff for `record` if it is ready, else undefined (and it is being
   * computed; onReady follows). Undefined too when the document has no baseline.
   */
  diffNow(record: AnalysisRecord): BaselineDiff | undefined {
    const e = this.entries.get(record.uri);
    if (!e) return undefined;
    if (e.diff && e.diff.record === record && e.diff.ref === e.ref) return e.diff;
    this.start(record.uri, record);
    return undefined;
  }

  /** The diff for `record`, computing it if needed (for the placementDiff request). */
  async diffFor(record: AnalysisRecord): Promise<BaselineDiff | undefined> {
    const e = this.entries.get(record.uri);
    if (!e) return undefined;
    if (e.diff && e.diff.record === record && e.diff.ref === e.ref) return e.diff;
    return this.compute(record.uri, e, record);
  }

  private start(uri: string, record: AnalysisRecord): void {
    const e = this.entries.get(uri);
    if (!e || e.computing === record) return;
    void this.compute(uri, e, record).then((d) => {
      // Only a diff of the latest analysis is worth a lens refresh.
      if (d && this.deps.latest(uri) === record) this.deps.onReady(uri);
    });
  }

  private async compute(uri: string, e: Entry, record: AnalysisRecord): Promise<BaselineDiff | undefined> {
    e.computing = record;
    const ref = e.ref;
    let outcome: DiffOutcome;
    try {
      if (!e.analysis || e.analysis.settings !== record.settings) {
        e.analysis = { settings: record.settings, promise: this.deps.analyze(uri, e.text, record.settings) };
      }
      const before = await e.analysis.promise;
      outcome = await comparePlacements(before, record.analysis, `${ref} version`);
    } catch (err) {
      this.deps.log(`placement diff of ${uri} against ${ref} failed: ${errorText(err)}`);
      outcome = { problem: `could not compare with ${ref}: ${errorText(err)}` };
    }
    // The entry may have been replaced (new baseline) or dropped meanwhile.
    if (this.entries.get(uri) !== e) return undefined;
    if (e.computing === record) e.computing = undefined;
    const diff: BaselineDiff = { ref, record, outcome };
    if (!e.diff || e.diff.record !== this.deps.latest(uri) || record === this.deps.latest(uri)) e.diff = diff;
    return diff;
  }
}
