/**
 * `npm run fit:fbgemm`: fits the FBGEMM TBE model's constants
 * (server/src/cost/fbgemm.ts FBGEMM_CONSTANTS) on the training part of the
 * published figures (models/data/fbgemm-published.jsonl; split by source, see
 * test/bench/fbgemmPublished.ts) and prints them with the errors on both parts,
 * for this model and for TorchRec's estimator.
 *
 *   node --import tsx test/bench/fit-fbgemm.ts [path/to/fbgemm-published.jsonl]
 *
 * Identifiability rule: a constant is fitted only when the training part has
 * at least FIGURES_PER_CONSTANT figures of the kind that constrains it per
 * constant fitted (forward figures for the forward constants, backward or
 * forward+backward figures for the backward ones), in the priority order
 * below; the others keep their sourced values. Loss: squared log error,
 * Nelder–Mead in log space (fit-analytic.ts). Deterministic.
 */
import { FBGEMM_CONSTANTS, type FbgemmConstants } from '../../server/src/cost/fbgemm';
import { nelderMead } from './fit-analytic';
import { loadPublished, PUBLISHED_FILE, publishedFigures, summarize, type PublishedFigure } from './fbgemmPublished';

export const FIGURES_PER_CONSTANT = 3;

/** Forward constants in the order they are freed as forward figures accumulate. */
const FWD_KEYS: (keyof FbgemmConstants)[] = ['fwdEfficiency', 't0FwdMs', 'minRowBytes', 'memoryLatencyUs'];
/** Backward constants, likewise. */
const BWD_KEYS: (keyof FbgemmConstants)[] = ['bwdEfficiency', 't0BwdMs', 'sortPassBytesPerId'];

export interface FitResult {
  constants: FbgemmConstants;
  fitted: (keyof FbgemmConstants)[];
  trainFigures: number;
  heldFigures: number;
}

export function fitFbgemm(file = PUBLISHED_FILE): FitResult {
  const { records } = loadPublished(file);
  const all = publishedFigures(records);
  const trainRecords = records.filter((r) => all.some((f) => f.record === r && !f.heldOut));
  const trainFigs = all.filter((f) => !f.heldOut);
  const nFwd = trainFigs.filter((f) => f.what === 'fwd').length;
  const nBwd = trainFigs.filter((f) => f.what !== 'fwd').length;
  const keys = [...FWD_KEYS.slice(0, Math.floor(nFwd / FIGURES_PER_CONSTANT)), ...BWD_KEYS.slice(0, Math.floor(nBwd / FIGURES_PER_CONSTANT))];
  const k: FbgemmConstants = { ...FBGEMM_CONSTANTS };
  if (keys.length > 0) {
    const loss = (lx: number[]) => {
      const trial = { ...k };
      keys.forEach((key, i) => {
        trial[key] = Math.exp(lx[i]);
      });
      // Every figure of the training records (their held-out flags are recomputed on the subset and ignored).
      const figs = publishedFigures(trainRecords, trial);
      return figs.reduce((a, f) => a + Math.log(f.fbgemmMs / f.measuredMs) ** 2, 0) / Math.max(1, figs.length);
    };
    const x = nelderMead(
      loss,
      keys.map((key) => Math.log(k[key])),
    );
    keys.forEach((key, i) => {
      k[key] = Number(Math.exp(x[i]).toPrecision(4));
    });
  }
  return { constants: k, fitted: keys, trainFigures: trainFigs.length, heldFigures: all.length - trainFigs.length };
}

function pct(x: number): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a';
}

function report(label: string, figs: PublishedFigure[]): void {
  if (figs.length === 0) {
    console.log(`${label}: no figures`);
    return;
  }
  const s = summarize(figs);
  console.log(`${label}: ${s.figures} figures, ${s.sources} sources, GPUs ${s.gpus.join(', ')}`);
  console.log(`  fbgemm-tbe model      median APE ${pct(s.fbgemm.median)}  mean APE ${pct(s.fbgemm.mean)}`);
  console.log(`  torchrec estimator    median APE ${pct(s.torchrec.median)}  mean APE ${pct(s.torchrec.mean)}`);
}

function main(): void {
  const file = process.argv[2] ?? PUBLISHED_FILE;
  const { records, errors } = loadPublished(file);
  if (errors.length) console.warn(`${errors.length} bad lines in ${file}, e.g. line ${errors[0].line}: ${errors[0].message}`);
  const fit = fitFbgemm(file);
  const nFwd = publishedFigures(records).filter((f) => !f.heldOut && f.what === 'fwd').length;
  const nBwd = publishedFigures(records).filter((f) => !f.heldOut && f.what !== 'fwd').length;
  console.log(
    `Published set: ${records.length} records; training part ${fit.trainFigures} figures (${nFwd} forward, ${nBwd} backward or forward+backward), held-out ${fit.heldFigures}.`,
  );
  console.log(`Rule: ${FIGURES_PER_CONSTANT} training figures of the constraining kind per fitted constant.`);
  if (fit.fitted.length === 0) {
    console.log('Fitted constants: none (too few training figures to identify any constant); FBGEMM_CONSTANTS keep their sourced values.');
  } else {
    console.log('Fitted constants (paste into FBGEMM_CONSTANTS):');
    for (const key of fit.fitted) console.log(`  ${key}: ${fit.constants[key]},`);
  }
  const figs = publishedFigures(records, fit.constants);
  report(
    'training part',
    figs.filter((f) => !f.heldOut),
  );
  report(
    'held-out part',
    figs.filter((f) => f.heldOut),
  );
}

if (require.main === module) main();
