/**
 * The published FBGEMM figures (models/data/fbgemm-published.jsonl) priced by
 * the FBGEMM TBE model (server/src/cost/fbgemm.ts) and by TorchRec's
 * EmbeddingPerfEstimator (server/src/cost/torchrecEstimator.ts), split into a
 * training part (what `npm run fit:fbgemm` may fit on) and a held-out part.
 *
 * Split: by source, so that figures of one post never sit on both sides. The
 * sources are ordered by sha256 of their URL and every second one, starting
 * with the first, is held out: half the sources (rounded up) whatever their
 * number, decided by the URLs alone, never by the errors. Adding a source can
 * move others across; `npm run fit:fbgemm` is rerun after every change of the set.
 *
 * `printPublishedTable` is the bench:cost table; `evaluatePublished` is what
 * the fit script and the tests use.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { columnsOf, renderMarkdownTable } from '../../server/src/cli/textTable';
import { FBGEMM_CONSTANTS, fbgemmSetMs, type FbgemmConstants } from '../../server/src/cost/fbgemm';
import { parsePublishedRecords, publishedInputs, publishedTargets, type PublishedError, type PublishedRecord } from '../../server/src/cost/publishedRecords';
import { torchRecPublishedMs } from '../../server/src/cost/torchrecEstimator';
import type { ComputeCost } from '../../server/src/cost/types';
import { median } from './stats';

export const PUBLISHED_FILE = path.resolve(__dirname, '../../models/data/fbgemm-published.jsonl');

function urlHash(url: string): string {
  return createHash('sha256').update(url).digest('hex');
}

/** The source URLs that are held out (see the header). */
export function heldOutSources(records: readonly PublishedRecord[]): Set<string> {
  const urls = [...new Set(records.map((r) => r.source.url))].sort((a, b) => (urlHash(a) < urlHash(b) ? -1 : urlHash(a) > urlHash(b) ? 1 : 0));
  return new Set(urls.filter((_, i) => i % 2 === 0));
}

export function loadPublished(file = PUBLISHED_FILE): { records: PublishedRecord[]; errors: PublishedError[] } {
  if (!existsSync(file)) return { records: [], errors: [{ line: 0, message: `${file} not found` }] };
  return parsePublishedRecords(readFileSync(file, 'utf8'));
}

/** One measured figure of a record with both models' predictions, ms. */
export interface PublishedFigure {
  record: PublishedRecord;
  what: 'fwd' | 'bwd' | 'fwd+bwd';
  measuredMs: number;
  fbgemmMs: number;
  torchrecMs: number;
  heldOut: boolean;
}

function pick(c: ComputeCost, what: PublishedFigure['what']): number {
  return what === 'fwd' ? c.fwdMs : what === 'bwd' ? c.bwdMs : c.fwdMs + c.bwdMs;
}

/** The FBGEMM model's times for a record: its tables in one launch on its GPU. */
export function fbgemmPublishedMs(r: PublishedRecord, k: Readonly<FbgemmConstants> = FBGEMM_CONSTANTS): ComputeCost {
  const { shards, env, traffic } = publishedInputs(r);
  return fbgemmSetMs(shards, env, k, traffic);
}

export function publishedFigures(records: readonly PublishedRecord[], k: Readonly<FbgemmConstants> = FBGEMM_CONSTANTS): PublishedFigure[] {
  const held = heldOutSources(records);
  const out: PublishedFigure[] = [];
  for (const r of records) {
    const f = fbgemmPublishedMs(r, k);
    const t = torchRecPublishedMs(r);
    for (const { what, ms } of publishedTargets(r)) {
      out.push({ record: r, what, measuredMs: ms, fbgemmMs: pick(f, what), torchrecMs: pick(t, what), heldOut: held.has(r.source.url) });
    }
  }
  return out;
}

export interface ErrorSummary {
  figures: number;
  sources: number;
  gpus: string[];
  fbgemm: { median: number; mean: number };
  torchrec: { median: number; mean: number };
}

function mean(xs: number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

/** Absolute percentage error |predicted − measured| / measured. */
export function ape(predicted: number, measured: number): number {
  return Math.abs(predicted - measured) / measured;
}

export function summarize(figs: readonly PublishedFigure[]): ErrorSummary {
  const f = figs.map((x) => ape(x.fbgemmMs, x.measuredMs));
  const t = figs.map((x) => ape(x.torchrecMs, x.measuredMs));
  return {
    figures: figs.length,
    sources: new Set(figs.map((x) => x.record.source.url)).size,
    gpus: [...new Set(figs.map((x) => x.record.gpu))].sort(),
    fbgemm: { median: median(f), mean: mean(f) },
    torchrec: { median: median(t), mean: mean(t) },
  };
}

function pct(x: number): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a';
}

function table(print: (line: string) => void, header: string[], rows: string[][]): void {
  for (const line of renderMarkdownTable(columnsOf(header), rows).split('\n')) print(line);
}

/**
 * bench:cost's table "Published FBGEMM figures (held-out): this model vs
 * TorchRec's estimator": count, sources, GPUs, median and mean APE of both
 * models, then one row per GPU and per figure. The training part is printed
 * under it for context (the FBGEMM constants may have been fitted on it).
 */
export function printPublishedTable(print: (line: string) => void = console.log, file = PUBLISHED_FILE, k: Readonly<FbgemmConstants> = FBGEMM_CONSTANTS): void {
  const { records, errors } = loadPublished(file);
  print("\nPublished FBGEMM figures (held-out): this model vs TorchRec's estimator");
  print(
    `(${path.relative(process.cwd(), file) || file}; split by source: sources ordered by sha256(url), every second one held out; TorchRec's estimator with the record GPU's HBM bandwidth; APE = |predicted − measured| / measured)\n`,
  );
  if (errors.length) print(`${errors.length} bad lines, e.g. line ${errors[0].line}: ${errors[0].message}`);
  const figs = publishedFigures(records, k);
  const held = figs.filter((x) => x.heldOut);
  const train = figs.filter((x) => !x.heldOut);
  if (held.length === 0) {
    print('No held-out figures: every source of the published set is in the training part.');
  }
  const rows: string[][] = [];
  const add = (label: string, part: PublishedFigure[]) => {
    if (part.length === 0) return;
    const s = summarize(part);
    rows.push([label, String(s.figures), String(s.sources), s.gpus.join(', '), pct(s.fbgemm.median), pct(s.fbgemm.mean), pct(s.torchrec.median), pct(s.torchrec.mean)]);
  };
  add('held-out, all', held);
  for (const gpu of [...new Set(held.map((x) => x.record.gpu))].sort())
    add(
      `held-out, ${gpu}`,
      held.filter((x) => x.record.gpu === gpu),
    );
  add('training part (context)', train);
  table(print, ['part', 'figures', 'sources', 'GPUs', 'fbgemm median APE', 'fbgemm mean APE', 'torchrec median APE', 'torchrec mean APE'], rows);
  print('');
  table(
    print,
    ['figure', 'part', 'measured ms', 'fbgemm ms', 'torchrec ms'],
    figs.map((x) => [`${x.record.id} ${x.what}`, x.heldOut ? 'held-out' : 'training', x.measuredMs.toFixed(4), x.fbgemmMs.toFixed(4), x.torchrecMs.toFixed(4)]),
  );
  if (figs.length < 20) {
    print(
      `\nOnly ${figs.length} published figures with a stated shape and GPU were found in the stored public sources (models/data/fbgemm-published.md lists what was read and why the rest was left out); errors on so few figures are anecdotes, not a validation.`,
    );
  }
}
