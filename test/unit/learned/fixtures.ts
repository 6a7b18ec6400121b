/** Shared paths and fixtures of the learned-model tests (not a test file). */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import type { DeviceSpec } from '../../../server/src/config/types';

export const REPO = path.resolve(__dirname, '../../..');
export const MODELS_DIR = path.join(REPO, 'models');
export const SHIPPED = { onnxPath: path.join(MODELS_DIR, 'h100-cost.onnx'), sidecarPath: path.join(MODELS_DIR, 'h100-cost.json') };

export function device(type = 'H100-80GB'): DeviceSpec {
  const preset = GPU_PRESETS[type] ?? GPU_PRESETS['H100-80GB'];
  return { type, count: 8, perHost: 8, reserve: 0.15, ...preset };
}

/** Written by `python -m shardlens_cost.export --fixtures`: held-out sets, their
 * features, the mask, and the PyTorch model's outputs. */
export interface ModelFixtures {
  model: string;
  records: { id: string; batch: number; dtype: string; tables: Record<string, unknown>[]; fwd_ms: number; bwd_ms: number }[];
  features: number[][][];
  mask: number[][];
  /** ln ms of the analytic base per set, for a network trained on it. */
  base_log?: number[][];
  torch: { fwd_ms: number[]; bwd_ms: number[] };
}

export function modelFixtures(): ModelFixtures {
  return JSON.parse(readFileSync(path.join(MODELS_DIR, 'fixtures', 'h100-cost.fixtures.json'), 'utf8')) as ModelFixtures;
}

export function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
}
