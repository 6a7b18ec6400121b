/**
 * How far predictions are from measurements, in the definitions every report
 * of ShardLens uses (`measure`, `calibrate`, `bench:measured`; the same as
 * models/shardlens_cost/metrics.py): absolute percentage error
 * APE = |predicted − measured| / measured, its mean (MAPE), and Kendall's τ-b
 * for how well predictions order what was measured. Pure; pairs with a
 * non-positive or non-finite measurement are left out.
 */

export interface Pair {
  predicted: number;
  measured: number;
}

function usable(p: Pair): boolean {
  return Number.isFinite(p.predicted) && Number.isFinite(p.measured) && p.measured > 0 && p.predicted >= 0;
}

/** |p − m| / m; NaN when the measurement is not positive. */
export function ape(predicted: number, measured: number): number {
  return Number.isFinite(predicted) && Number.isFinite(measured) && measured > 0 ? Math.abs(predicted - measured) / measured : NaN;
}

/** Signed relative error (p − m) / m: positive = over-predicted. */
export function relativeError(predicted: number, measured: number): number {
  return Number.isFinite(predicted) && Number.isFinite(measured) && measured > 0 ? (predicted - measured) / measured : NaN;
}

/** Mean APE over the usable pairs; NaN when none is. */
export function mape(pairs: readonly Pair[]): number {
  const xs = pairs.filter(usable).map((p) => ape(p.predicted, p.measured));
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
}

export function median(xs: readonly number[]): number {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Kendall's τ-b between predicted and measured (ties counted as in τ-b):
 * 1 = same order, −1 = reversed, 0 = unrelated. NaN below two usable pairs or
 * when one side is all ties. O(n²), for the tens of plans a report compares.
 */
export function kendallTau(pairs: readonly Pair[]): number {
  const ps = pairs.filter(usable);
  let concordant = 0;
  let discordant = 0;
  let tiesP = 0;
  let tiesM = 0;
  for (let i = 0; i < ps.length; i++) {
    for (let j = i + 1; j < ps.length; j++) {
      const dp = Math.sign(ps[i].predicted - ps[j].predicted);
      const dm = Math.sign(ps[i].measured - ps[j].measured);
      if (dp === 0 && dm === 0) continue;
      if (dp === 0) tiesP++;
      else if (dm === 0) tiesM++;
      else if (dp === dm) concordant++;
      else discordant++;
    }
  }
  const denom = Math.sqrt((concordant + discordant + tiesP) * (concordant + discordant + tiesM));
  return denom > 0 ? (concordant - discordant) / denom : NaN;
}
