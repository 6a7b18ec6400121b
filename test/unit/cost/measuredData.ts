/**
 * The measured H100 sets the analytic tests compare against (not a test file).
 * They live in the repo (models/data/h100/, with their README and provenance);
 * $SHARDLENS_DATA points elsewhere. Missing data is a failing test with a
 * message saying where it was looked for, never a silent skip.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '../../..');

export interface MeasuredTable {
  name: string;
  rows: number;
  dim: number;
  pooling: number;
  alpha: number;
  n_idx: number;
  unique: number;
  top1pct_share: number;
}
export interface MeasuredSet {
  id: string;
  batch: number;
  dtype: 'fp32' | 'fp16';
  tables: MeasuredTable[];
  fwd_ms: number;
  bwd_ms: number;
  singles: { fwd_ms: number; bwd_ms: number }[] | null;
}

export function dataPath(): string {
  const candidates = [process.env.SHARDLENS_DATA, path.join(REPO, 'models', 'data', 'h100', 'embedding-costs.jsonl')].filter(
    (p): p is string => typeof p === 'string' && p.length > 0,
  );
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`measured data not found; looked in: ${candidates.join(', ')}`);
  return found;
}

export function measuredSets(): MeasuredSet[] {
  return readFileSync(dataPath(), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as MeasuredSet);
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
