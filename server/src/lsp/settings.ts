/**
 * The `shardlens.*` settings as the server uses them, read with
 * workspace/configuration per document and cached until
 * workspace/didChangeConfiguration. Anything malformed falls back to defaults.
 */
import * as path from 'node:path';
import { STRATEGIES, type Strategy } from '../plan/types';
import { DEFAULT_IMBALANCE_THRESHOLD, DEFAULT_STRATEGY } from '../engine';

export interface ServerSettings {
  /**
   * GPU type → absolute ONNX path, or several (one per kernel: each sidecar
   * names the kernel it prices). In an untrusted workspace the registry
   * ignores them (and says so).
   */
  costModelPaths: Record<string, string | string[]>;
  /** GPU type → absolute calibration JSON path (`shardlens calibrate`); ignored in untrusted workspaces too. */
  costModelCalibrations: Record<string, string>;
  replanStrategy: Strategy;
  imbalanceThreshold: number;
  /** N of "Replan (≤ N moves)" and its lens; 0 hides the lens. */
  replanMaxMoves: number;
}

/** Default N of "Replan (≤ N moves)": a handful of checkpoint reshards a lead can approve in one go. */
export const DEFAULT_MAX_MOVES = 10;
/** Largest N the setting takes (the CLI's --max-moves takes more). */
export const MAX_MAX_MOVES = 100_000;

export const DEFAULT_SETTINGS: ServerSettings = {
  costModelPaths: {},
  costModelCalibrations: {},
  replanStrategy: DEFAULT_STRATEGY,
  imbalanceThreshold: DEFAULT_IMBALANCE_THRESHOLD,
  replanMaxMoves: DEFAULT_MAX_MOVES,
};

/** Reads `a.b` from a nested object ({a: {b}}) or a flat one ({'a.b'}), as clients differ. */
function lookup(raw: unknown, dotted: string): unknown {
  if (!raw || typeof raw !== 'object') return undefined;
  const obj = raw as Record<string, unknown>;
  if (dotted in obj) return obj[dotted];
  let cur: unknown = obj;
  for (const part of dotted.split('.')) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

export function isStrategy(s: unknown): s is Strategy {
  return typeof s === 'string' && (STRATEGIES as readonly string[]).includes(s);
}

/** A move budget the editor accepts: a whole number from 0 to MAX_MAX_MOVES. */
export function isMoveBudget(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= MAX_MAX_MOVES;
}

/**
 * @param raw the `shardlens` section as the client returned it
 * @param root folder relative model paths resolve against
 */
export function parseSettings(raw: unknown, root: string | undefined): ServerSettings {
  const out: ServerSettings = { ...DEFAULT_SETTINGS, costModelPaths: {}, costModelCalibrations: {} };
  const strategy = lookup(raw, 'replan.strategy');
  if (isStrategy(strategy)) out.replanStrategy = strategy;
  const maxMoves = lookup(raw, 'replan.maxMoves');
  if (isMoveBudget(maxMoves)) out.replanMaxMoves = maxMoves;
  const threshold = lookup(raw, 'diagnostics.imbalanceThreshold');
  if (typeof threshold === 'number' && Number.isFinite(threshold) && threshold >= 1) out.imbalanceThreshold = threshold;
  const paths = lookup(raw, 'costModel.paths');
  if (paths && typeof paths === 'object') {
    const resolve = (p: string) => (path.isAbsolute(p) || !root ? p : path.resolve(root, p));
    for (const [gpu, p] of Object.entries(paths as Record<string, unknown>)) {
      if (typeof p === 'string' && p.trim() !== '') out.costModelPaths[gpu] = resolve(p);
      else if (Array.isArray(p)) {
        const list = p.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map(resolve);
        if (list.length > 0) out.costModelPaths[gpu] = list;
      }
    }
  }
  readPathMap(lookup(raw, 'costModel.calibrations'), root, out.costModelCalibrations);
  return out;
}

/** GPU type → path entries of a setting object; relative paths resolve against `root`. */
function readPathMap(raw: unknown, root: string | undefined, into: Record<string, string>): void {
  if (!raw || typeof raw !== 'object') return;
  for (const [gpu, p] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof p !== 'string' || p.trim() === '') continue;
    into[gpu] = path.isAbsolute(p) || !root ? p : path.resolve(root, p);
  }
}
