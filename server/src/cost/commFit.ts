/**
 * The hook for measured collectives: fits the all-to-all constants of
 * cost/comm.ts (achieved link fractions and per-collective latency) to the
 * per-rank timings the collector's multi-GPU mode writes
 * (`torchrun … -m shardlens_cost.collector --comm-out FILE.comm.jsonl`;
 * models/shardlens_cost/collector.py `time_all_to_all`: each line has the
 * world size, the global batch, the dtype, every rank's pooled dim sum and its
 * forward and backward all-to-all ms). The result goes to the cost models as
 * CostEnv.comm, replacing PRESET_COMM with numbers measured on the user's
 * cluster. Pure: the caller reads the file.
 *
 * Per rank the model says t = v / η + α, with v the busier direction's bytes
 * over the link's spec rate (ms at 100%): a least-squares line through
 * (v, t) gives η = 1 / slope and α = the intercept. Ranks whose exchange stays
 * inside a host fit NVLink; those that cross hosts fit the network.
 */
import type { DeviceSpec } from '../config/types';
import { PRESET_COMM, allToAllVolume, type CommConstants } from './comm';

export interface CommRecord {
  world: number;
  batch: number;
  dtype: 'fp32' | 'fp16' | 'bf16';
  dimSums: number[];
  fwdMs: number[];
  bwdMs: number[];
}

/** Parses the collector's comm JSONL; every bad line is listed with its number, none dropped silently. */
export function parseCommJsonl(text: string): { records: CommRecord[]; errors: string[] } {
  const records: CommRecord[] = [];
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      errors.push(`line ${i + 1}: not JSON`);
      return;
    }
    const nums = (x: unknown) => Array.isArray(x) && x.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0);
    const world = o.world;
    const batch = o.batch;
    if (typeof world !== 'number' || !Number.isInteger(world) || world < 2) {
      errors.push(`line ${i + 1}: world must be an integer ≥ 2`);
      return;
    }
    if (typeof batch !== 'number' || !(batch > 0)) {
      errors.push(`line ${i + 1}: batch must be positive`);
      return;
    }
    if (!nums(o.dim_sums) || !nums(o.fwd_a2a_ms) || !nums(o.bwd_a2a_ms)) {
      errors.push(`line ${i + 1}: dim_sums, fwd_a2a_ms and bwd_a2a_ms must be lists of non-negative numbers`);
      return;
    }
    const dimSums = o.dim_sums as number[];
    const fwd = o.fwd_a2a_ms as number[];
    const bwd = o.bwd_a2a_ms as number[];
    if (dimSums.length !== world || fwd.length !== world || bwd.length !== world) {
      errors.push(`line ${i + 1}: one entry per rank expected (${world})`);
      return;
    }
    const dtype = o.dtype === 'fp16' || o.dtype === 'bf16' ? o.dtype : 'fp32';
    records.push({ world, batch, dtype, dimSums, fwdMs: fwd, bwdMs: bwd });
  });
  return { records, errors };
}

function line(points: readonly [number, number][]): { slope: number; intercept: number } | undefined {
  if (points.length < 2) return undefined;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (const [x, y] of points) {
    sxx += (x - mx) ** 2;
    sxy += (x - mx) * (y - my);
  }
  if (!(sxx > 0)) return undefined;
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx };
}

/**
 * Constants fitted to `records` measured on `device` (`perHost` ranks per
 * host; the collector's records do not say, so the caller does). Links with
 * too few distinct volumes keep the preset numbers. Undefined when nothing
 * could be fitted.
 */
export function fitCommConstants(
  records: readonly CommRecord[],
  device: Pick<DeviceSpec, 'nvlinkGBps' | 'networkGBps'>,
  perHost: number,
  source = 'measured',
): CommConstants | undefined {
  const intra: [number, number][] = [];
  const inter: [number, number][] = [];
  const nvl = device.nvlinkGBps * 1e6; // bytes per ms at spec
  const net = device.networkGBps * 1e6;
  for (const r of records) {
    const w = r.dtype === 'fp32' ? 4 : 2;
    const b = r.batch / r.world;
    const per = Math.max(1, Math.min(r.world, perHost));
    const x = r.dimSums.map((d) => d * w);
    const total = x.reduce((a, v) => a + v, 0);
    x.forEach((xk, k) => {
      const h = Math.floor(k / per);
      const first = h * per;
      const size = Math.min(per, r.world - first);
      let hostSum = 0;
      for (let j = first; j < first + size; j++) hostSum += x[j];
      const vIntra = allToAllVolume('intra', b, r.world, xk, hostSum, total, size);
      const vInter = allToAllVolume('inter', b, r.world, xk, hostSum, total, size);
      for (const t of [r.fwdMs[k], r.bwdMs[k]]) {
        if (vInter > 0 && net > 0) inter.push([vInter / net, t]);
        else if (vIntra > 0 && nvl > 0) intra.push([vIntra / nvl, t]);
      }
    });
  }
  const a = line(intra);
  const c = line(inter);
  const ok = (f: { slope: number; intercept: number } | undefined) => f && f.slope > 0 && 1 / f.slope <= 1.5;
  if (!ok(a) && !ok(c)) return undefined;
  const out: CommConstants = { ...PRESET_COMM, source: `fitted: ${source} (${intra.length + inter.length} rank timings)` };
  if (ok(a)) {
    out.nvlinkEfficiency = 1 / a!.slope;
    out.intraLatencyMs = Math.max(0, a!.intercept);
  }
  if (ok(c)) {
    out.networkEfficiency = 1 / c!.slope;
    out.interLatencyMs = Math.max(0, c!.intercept);
  }
  return out;
}
