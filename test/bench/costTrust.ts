/**
 * The trust sections of `npm run bench:cost`: invariant counts of every served
 * model over random configs (test/fuzz/costInvariants.ts), and how well each
 * model's ± covers the held-out measurements.
 */
import fc from 'fast-check';
import { GuardedCostModel } from '../../server/src/cost/guard';
import { LearnedCostModel } from '../../server/src/cost/learnedModel';
import type { JsonlSet } from '../../server/src/cost/jsonlSets';
import type { ComputeCost, CostModel } from '../../server/src/cost/types';
import { INVARIANTS, caseArb, checkCase, servedModels } from '../fuzz/costInvariants';

type Table = (header: string[], rows: string[][]) => void;

/**
 * Per model and invariant: random cases checked (seeded, the same every run),
 * violations of the stated tolerance, strict violations (any amount), and the
 * worst ratio seen (1 = on the line).
 */
export async function printInvariants(modelsDir: string, printTable: Table, cases = Number(process.env.BENCH_INVARIANT_CASES ?? 150)): Promise<void> {
  const models = await servedModels(modelsDir);
  console.log(
    `\nInvariants of the served models over ${cases} random configs each (half inside the learned model's training ranges, ` +
      'half far outside: rows 1–1e10, dims 4–1024, pooling 0.01–500, zipf 0–2.5, batch 1–1e6, 1–400 tables per GPU, every optimizer; ' +
      'fast-check seed 42; test/fuzz/costInvariants.ts). Worst ratio: set / costliest table, after / before adding a table, served / analytic.\n',
  );
  const rows: string[][] = [];
  for (const m of models) {
    const sample = fc.sample(caseArb(m.kernel), { numRuns: cases, seed: 42 });
    const tally = new Map(INVARIANTS.map((k) => [k, { bad: 0, strict: 0, worst: 1 }]));
    for (const c of sample) {
      const r = await checkCase(m, c);
      for (const k of INVARIANTS) {
        const t = tally.get(k)!;
        if (!r[k].ok) t.bad++;
        const v = r[k].value;
        if (k === 'near the analytic model') {
          if (Math.abs(Math.log(v)) > Math.abs(Math.log(t.worst))) t.worst = v;
          if (!r[k].ok) t.strict++;
        } else {
          if (v < 1 - 1e-12) t.strict++;
          t.worst = Math.min(t.worst, v);
        }
      }
    }
    const tol: Record<string, string> = {
      'finite and positive': 'none',
      'set >= its costliest table': m.tolerance.maxSingle > 1e-6 ? `${(m.tolerance.maxSingle * 100).toFixed(0)}% below` : 'none',
      'adding a table never lowers': m.tolerance.monotone > 1e-6 ? `${(m.tolerance.monotone * 100).toFixed(0)}% lower` : 'none',
      'near the analytic model': m.reference ? `×${m.tolerance.factor}` : 'physical bounds',
    };
    for (const k of INVARIANTS) {
      const t = tally.get(k)!;
      rows.push([m.label, k, tol[k], String(sample.length), String(t.bad), String(t.strict), k === 'finite and positive' ? '' : t.worst.toFixed(3)]);
    }
  }
  printTable(['model', 'invariant', 'tolerance', 'cases', 'violations', 'below 1 (strict)', 'worst ratio'], rows);
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.ceil(pos)] - s[lo]) * (pos - lo);
}

/**
 * How often the measured fwd + bwd falls within the model's ± (the target is
 * the bands' quantile, 68%), on the held-out split: in-sample for bands fitted
 * on it, and 2-fold (bands refitted on one half of the sets by id hash, counted
 * on the other) to show what to expect on new configs. Also the learned
 * ensemble's spread against its error (why the ± does not use it).
 */
export async function printUncertainty(
  models: CostModel[],
  held: JsonlSet[],
  predictAll: (m: CostModel, s: JsonlSet[]) => Promise<ComputeCost[]>,
  printTable: Table,
): Promise<void> {
  console.log(`\nModel error (±) on the ${held.length} held-out sets: share of measured fwd+bwd within the predicted ± (target 68%).\n`);
  const rows: string[][] = [];
  const bins = [1, 10];
  const band = (ms: number) => bins.filter((b) => ms >= b).length;
  for (const m of models) {
    const pred = await predictAll(m, held);
    const err = pred.map((p, i) => Math.abs(Math.log((p.fwdMs + p.bwdMs) / (held[i].measured!.fwdMs + held[i].measured!.bwdMs))));
    const u = pred.map((p) => p.uncertainty);
    if (u.some((x) => x === undefined)) {
      rows.push([m.name, 'no ±', '', '', '']);
      continue;
    }
    const within = err.filter((e, i) => e <= Math.log1p(u[i]!)).length / err.length;
    // 2-fold: refit the 68% band per size on one half, count on the other.
    const half = held.map((s) => s.id.charCodeAt(s.id.length - 1) % 2);
    let hits = 0;
    for (const fold of [0, 1]) {
      const fit = err.map((e, i) => ({ e, b: band(pred[i].fwdMs + pred[i].bwdMs), h: half[i] })).filter((x) => x.h !== fold);
      const rel = [0, 1, 2].map((b) => {
        const xs = fit.filter((x) => x.b === b).map((x) => x.e);
        return quantile(xs.length >= 10 ? xs : fit.map((x) => x.e), 0.68);
      });
      err.forEach((e, i) => {
        if (half[i] === fold && e <= rel[band(pred[i].fwdMs + pred[i].bwdMs)]) hits++;
      });
    }
    const meanU = u.reduce((a: number, b) => a + (b ?? 0), 0) / u.length;
    rows.push([m.name, `${(within * 100).toFixed(0)}%`, `${((hits / err.length) * 100).toFixed(0)}%`, `±${(meanU * 100).toFixed(1)}%`, '']);
  }
  printTable(['model', 'within ± (in-sample)', 'within ± (2-fold)', 'mean ±', ''], rows);

  const learned = models.map((m) => (m instanceof GuardedCostModel ? m.inner : m)).find((m): m is LearnedCostModel => m instanceof LearnedCostModel);
  if (!learned) return;
  const pts = held
    .map((s) => {
      const c = learned.ensemble(s.shards, s.env);
      return { spread: c.spread, err: Math.abs(Math.log((c.fwdMs + c.bwdMs) / (s.measured!.fwdMs + s.measured!.bwdMs))) };
    })
    .sort((a, b) => a.spread - b.spread);
  const q = (k: number) => pts.slice(Math.floor((k * pts.length) / 4), Math.floor(((k + 1) * pts.length) / 4));
  console.log(
    `\nEnsemble spread of ${learned.name} (std of its ${learned.sidecar.architecture.members} members' ln fwd+bwd) against its error; held-out sets by spread quartile:\n`,
  );
  printTable(
    ['quartile', 'sets', 'median spread', '68% of |ln error|'],
    [0, 1, 2, 3].map((k) => [
      `Q${k + 1}`,
      String(q(k).length),
      quantile(
        q(k).map((p) => p.spread),
        0.5,
      ).toFixed(3),
      quantile(
        q(k).map((p) => p.err),
        0.68,
      ).toFixed(3),
    ]),
  );
}
