/**
 * The noise floor section of `npm run bench:cost`: how much repeated
 * measurements of the same sets differ (the collector's --repeats mode,
 * models/data/*-repeats.jsonl), next to the model's error on those sets. A
 * model cannot be expected to beat the spread of the measurements it is
 * checked against.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { mape, median } from '../../server/src/cost/accuracy';
import { parseJsonlSets, type JsonlSet } from '../../server/src/cost/jsonlSets';
import type { ComputeCost, CostModel } from '../../server/src/cost/types';
import type { DeviceSpec } from '../../server/src/config/types';

/** How to make one, printed when there is none. */
const HOW = [
  'none yet. Make one on a GPU (the first 60 held-out H100 sets, 5 shuffled rounds each, ~1 GPU-minute):',
  "    cd models && python3 -c \"import json; h = set(json.load(open('data/h100-split.json'))['heldout']); " +
    "[print(l, end='') for l in open('data/h100/embedding-costs.jsonl') if json.loads(l)['id'] in h]\" | head -60 > build/heldout-60.jsonl",
  '    python3 -m shardlens_cost.collector --specs build/heldout-60.jsonl --repeats 5 --out data/h100-repeats.jsonl --env-out data/h100-repeats.env.json',
];

export interface NoiseRow {
  file: string;
  sets: number;
  rounds: number;
  medianSpread: number;
  noiseMape: number;
  modelMape: number;
}

/** Per set: rounds of fwd+bwd → (spread, deviations from the median). */
export function noiseOf(sets: readonly JsonlSet[]): { byId: Map<string, { set: JsonlSet; totals: number[] }>; medianSpread: number; noiseMape: number } {
  const byId = new Map<string, { set: JsonlSet; totals: number[] }>();
  for (const s of sets) {
    if (!s.measured) continue;
    const e = byId.get(s.id) ?? { set: s, totals: [] };
    e.totals.push(s.measured.fwdMs + s.measured.bwdMs);
    byId.set(s.id, e);
  }
  const spreads: number[] = [];
  const devs: number[] = [];
  for (const { totals } of byId.values()) {
    if (totals.length < 2) continue;
    const m = median(totals);
    spreads.push((Math.max(...totals) - Math.min(...totals)) / m);
    for (const t of totals) devs.push(Math.abs(t - m) / m);
  }
  return { byId, medianSpread: median(spreads), noiseMape: devs.length ? devs.reduce((a, b) => a + b, 0) / devs.length : NaN };
}

export async function noiseFloor(dataDir: string, model: CostModel, device: DeviceSpec): Promise<{ rows: NoiseRow[]; lines: string[] }> {
  const files = existsSync(dataDir)
    ? readdirSync(dataDir)
        .filter((f) => f.endsWith('-repeats.jsonl'))
        .sort()
    : [];
  if (files.length === 0) return { rows: [], lines: [`Noise floor (models/data/*-repeats.jsonl): ${HOW[0]}`, ...HOW.slice(1)] };
  const rows: NoiseRow[] = [];
  for (const f of files) {
    const { sets } = parseJsonlSets(readFileSync(path.join(dataDir, f), 'utf8'), { device });
    const { byId, medianSpread, noiseMape } = noiseOf(sets);
    const repeated = [...byId.values()].filter((e) => e.totals.length > 1);
    const preds: ComputeCost[] = [];
    for (const e of repeated) preds.push((await model.predict([e.set.shards], e.set.env))[0]);
    const modelMape = mape(repeated.map((e, i) => ({ predicted: preds[i].fwdMs + preds[i].bwdMs, measured: median(e.totals) })));
    rows.push({ file: f, sets: repeated.length, rounds: Math.round(median(repeated.map((e) => e.totals.length))), medianSpread, noiseMape, modelMape });
  }
  return { rows, lines: [] };
}
