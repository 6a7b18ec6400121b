/**
 * analyzeDocument: one config document in, everything the editor and the CLI
 * show about it out: the loaded config, the cost model used, each table's cost,
 * the written placement scored, and all diagnostics (config + engine).
 * Pure over its inputs: file access and model loading are injected.
 * Never throws: bad input becomes diagnostics.
 */
import type { Diagnostic } from '../config/diagnostics';
import type { FileReader, LoadedConfig } from '../config/loaded';
import type { Range, ShardConfig } from '../config/types';
import { kernelSet, pricingOf, type KernelPricing } from '../cost/kernelDispatch';
import type { CostModel } from '../cost/types';
import { loadConfig } from '../config/load';
import { assessPlacement } from '../plan/evaluate';
import type { PlanResult } from '../plan/types';
import type { CostModels } from './costModelCache';
import {
  DEFAULT_IMBALANCE_THRESHOLD,
  ZERO_RANGE,
  analyticFallbackDiagnostic,
  costModelFailedDiagnostic,
  errorText,
  headOf,
  imbalanceDiagnostic,
  internalErrorDiagnostic,
  placementUnscoredDiagnostic,
  unreadableDiagnostic,
} from './engineDiagnostics';
import { memoizedCompute } from './setCosts';
import { rangeDiagnostics } from './rangeDiagnostics';
import { computeTableCosts, costEnv, type TableCost } from './tableCosts';

export interface AnalyzeOptions {
  /** SL101 threshold on predicted max/mean (default 1.25). */
  imbalanceThreshold?: number;
  /**
   * Called with the config-only analysis (parse + validation diagnostics, no
   * costs) when costing must first wait for a cost model that is still loading
   * (first document after start: creating an ONNX session takes 100s of ms).
   * Lets the editor underline config mistakes without waiting for the model;
   * not called when the model is ready, so warm edits publish once (no flicker
   * of cost warnings).
   */
  onConfigChecked?: (partial: Analysis) => void;
}

export interface CostModelInfo {
  name: string;
  source: 'learned' | 'analytic';
  /** Why the learned model was not used, if it was not. */
  warning?: string;
  /** Per kernel the config's tables run (catalogue order): the model that priced it and its notes. */
  kernels: KernelPricing[];
}

export interface Analysis {
  file: string;
  loaded: LoadedConfig;
  /** The model that produced the numbers; absent when the config is unusable or no model loaded. */
  costModel?: CostModelInfo;
  /** Kept for planning on the same model (not serialised). */
  model?: CostModel;
  /** Per table name, its cost alone and where it is placed. Empty without a model. */
  tableCosts: Map<string, TableCost>;
  /** The written placement scored; present when every table is placed. */
  current?: PlanResult;
  /** current.maxGpuMs / current.meanMs: the busiest GPU over the mean. */
  imbalance?: number;
  /** Config diagnostics followed by engine diagnostics (SL1xx), every file. */
  diagnostics: Diagnostic[];
  /** Wall time of the analysis, ms. */
  elapsedMs: number;
}

/** Whether the config has a placement entry for every table. */
export function placementComplete(config: ShardConfig): boolean {
  const placement = config.placement;
  if (!placement || placement.size === 0) return false;
  return config.tables.every((t) => placement.has(t.name));
}

/** Where file-level engine warnings go: the `placement` key, else `devices`, else line 1. */
function anchor(loaded: LoadedConfig, prefer: 'placement' | 'devices'): Range {
  const s = loaded.source;
  if (prefer === 'placement' && s.placementSection) return headOf(s.placementSection, 'placement'.length);
  if (s.devices) return headOf(s.devices, 'devices'.length);
  return s.top ?? ZERO_RANGE;
}

function emptyLoaded(file: string): LoadedConfig {
  return { diagnostics: [], files: [file], source: { file, tables: new Map(), placementEntries: new Map(), top: ZERO_RANGE } };
}

/** The analysis of a file that could not be read at all (SL100). */
export function unreadableAnalysis(file: string, why: string): Analysis {
  const loaded = emptyLoaded(file);
  loaded.diagnostics.push(unreadableDiagnostic(file, why));
  return { file, loaded, tableCosts: new Map(), diagnostics: [...loaded.diagnostics], elapsedMs: 0 };
}

export async function analyzeDocument(file: string, text: string, reader: FileReader, costModels: CostModels, options: AnalyzeOptions = {}): Promise<Analysis> {
  const t0 = performance.now();
  const threshold = options.imbalanceThreshold ?? DEFAULT_IMBALANCE_THRESHOLD;
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig(file, text, reader);
  } catch (err) {
    loaded = emptyLoaded(file);
    loaded.diagnostics.push(internalErrorDiagnostic(file, errorText(err)));
  }
  const diagnostics = [...loaded.diagnostics];
  const result: Analysis = { file, loaded, tableCosts: new Map(), diagnostics, elapsedMs: 0 };
  const done = (): Analysis => {
    result.elapsedMs = performance.now() - t0;
    return result;
  };

  const config = loaded.config;
  if (!config) return done();

  const kernels = kernelSet(config.tables.map((t) => t.kernel));
  if (options.onConfigChecked && !costModels.ready(config.devices, kernels)) {
    try {
      options.onConfigChecked({ file, loaded, tableCosts: new Map(), diagnostics: [...loaded.diagnostics], elapsedMs: performance.now() - t0 });
    } catch {
      /* a listener's failure must not lose the full analysis */
    }
  }

  try {
    const { model, warning } = await costModels.get(config.devices, kernels);
    result.model = model;
    result.costModel = { name: model.name, source: model.source, warning, kernels: pricingOf(model, kernels, costEnv(config)) };
    if (warning) diagnostics.push(analyticFallbackDiagnostic(file, anchor(loaded, 'devices'), model, warning));
    result.tableCosts = await computeTableCosts(config, model);
  } catch (err) {
    diagnostics.push(costModelFailedDiagnostic(file, anchor(loaded, 'devices'), errorText(err)));
    return done();
  }

  if (config.placement && placementComplete(config)) {
    try {
      // Same numbers as evaluatePlacement; unchanged GPUs' costs come from the memo.
      const current = await assessPlacement(config, config.placement, result.model, 'best', memoizedCompute(result.model));
      result.current = current;
      if (current.gpus.length > 0 && current.meanMs > 0) {
        result.imbalance = current.maxGpuMs / current.meanMs;
        if (result.imbalance > threshold) {
          const worst = current.gpus.reduce((a, b) => (b.totalMs > a.totalMs ? b : a));
          diagnostics.push(imbalanceDiagnostic(file, anchor(loaded, 'placement'), worst, current.meanMs, threshold));
        }
      }
    } catch (err) {
      diagnostics.push(placementUnscoredDiagnostic(file, anchor(loaded, 'placement'), errorText(err)));
    }
  }
  try {
    diagnostics.push(...rangeDiagnostics(file, text, loaded, config, result.model, costEnv(config), result.current));
  } catch (err) {
    diagnostics.push(internalErrorDiagnostic(file, errorText(err)));
  }
  return done();
}
