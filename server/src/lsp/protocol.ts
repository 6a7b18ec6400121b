/**
 * The ShardLens custom protocol: every request and notification the language
 * server and the VS Code client exchange beyond standard LSP, in one typed
 * module both sides import (vscode-eslint style; method strings live only here).
 *
 * Keep this file free of server-only imports: only `vscode-languageserver-protocol`
 * types and plain TypeScript, so the client bundle can import it.
 *
 * Units everywhere: milliseconds per training step, bytes. Ranges are 0-based (LSP).
 */
import type { GpuReport, PhaseSummary } from '../plan/types';
import { NotificationType, RequestType, type ProgressToken, type Range, type WorkspaceEdit } from 'vscode-languageserver-protocol';

/**
 * Which model priced one kernel's tables (the engine's KernelPricing, as sent):
 * kernel as in the config (`fbgemm_tbe`, `fbgemm_tbe_uvm_caching`,
 * `torch_embedding_bag`), the model's name, learned or analytic, and what was
 * added to its numbers (e.g. "optimizer term (adam) from the analytic model").
 */
export interface KernelPricing {
  kernel: string;
  model: string;
  source: 'learned' | 'analytic';
  notes: string[];
}

/** Planning strategies the server accepts (mirror of server/src/plan/types.ts STRATEGIES). */
export type StrategyName = 'random' | 'round-robin' | 'size' | 'dim' | 'lookup' | 'size-lookup' | 'greedy' | 'search' | 'column' | 'policy' | 'torchrec' | 'best';

/**
 * Commands the CLIENT registers (never `executeCommandProvider`: a second
 * client would fail with "command already exists").
 * The server puts them on code lenses with the argument shapes below.
 */
export const ClientCommands = {
  /** Argument: one {@link ReplanCommandArgs}. Runs {@link ReplanRequest} and applies the edit. */
  replan: 'shardlens.replan',
  /** Argument: one {@link ShowBalanceCommandArgs}. Opens the balance panel for the document. */
  showBalance: 'shardlens.showBalance',
  /** Argument: one {@link RevealTablesCommandArgs}. Reveals/selects table ranges in the editor. */
  revealTables: 'shardlens.revealTables',
  /** Argument: one {@link WhatIfCommandArgs}. Asks for GPU counts/types, then shows the What-if view ({@link SweepRequest}). */
  whatIf: 'shardlens.whatIf',
  /** Argument: one {@link ShowPlacementDiffCommandArgs}. Lists the tables moved since the baseline ({@link PlacementDiffRequest}). */
  showPlacementDiff: 'shardlens.showPlacementDiff',
  /**
   * Argument: one {@link ReplanCommandArgs} with `maxMoves` (default: the `replan.maxMoves` setting).
   * Runs {@link ReplanRequest} with a move budget and applies the edit ("Replan (≤ N moves)").
   */
  replanMoves: 'shardlens.replanMoves',
} as const;

/** Argument of the `shardlens.replan` client command (from the top code lens). */
export interface ReplanCommandArgs {
  uri: string;
  /** Document version the lens was computed for. */
  version: number;
  strategy?: StrategyName;
  /** `shardlens.replanMoves` only: at most this many tables change place. */
  maxMoves?: number;
}

/** Argument of the `shardlens.showBalance` client command. */
export interface ShowBalanceCommandArgs {
  uri: string;
}

/** Argument of the `shardlens.revealTables` client command (GPU lenses). */
export interface RevealTablesCommandArgs {
  uri: string;
  gpu: number;
  ranges: Range[];
}

/** Argument of the `shardlens.whatIf` client command (the lens on `devices:`): the input boxes' defaults. */
export interface WhatIfCommandArgs {
  uri: string;
  /** Default GPU counts (¼, ½, 1, 2 × devices.count). */
  counts?: number[];
  /** The config's GPU type (preselected). */
  type?: string;
}

/** Argument of the `shardlens.showPlacementDiff` client command (the "vs HEAD" lens). */
export interface ShowPlacementDiffCommandArgs {
  uri: string;
}

/**
 * Settings read through `workspace/configuration` (section `shardlens`, resource scoped).
 * Dotted names as written in `contributes.configuration`.
 */
export const SettingKeys = {
  section: 'shardlens',
  /** Record<GPU type, path to an .onnx cost model>; ignored in untrusted workspaces. */
  costModelPaths: 'costModel.paths',
  /** Record<GPU type, path to a calibration JSON from `shardlens calibrate`>; ignored in untrusted workspaces. */
  costModelCalibrations: 'costModel.calibrations',
  /** Default strategy of Replan and of the top lens (default 'best'). */
  replanStrategy: 'replan.strategy',
  /** SL101 fires when predicted max/mean per-GPU time exceeds this (default 1.25). */
  imbalanceThreshold: 'diagnostics.imbalanceThreshold',
  /** N of "Replan (≤ N moves)" and its lens (default 10; 0 hides the lens). */
  replanMaxMoves: 'replan.maxMoves',
} as const;

/** What the client passes in `initializationOptions`. */
export interface ShardLensInitializationOptions {
  /** Workspace Trust: when false the server loads no model files from settings or
   *  the workspace and reads no referenced file outside the workspace folders. */
  trusted?: boolean;
  /** Directory holding the shipped ONNX models (default: `<extension>/models`). */
  modelsDir?: string;
  /** Debounce between an edit and its analysis, ms (default 30; tests may set 0). */
  debounceMs?: number;
}

// ---------------------------------------------------------------- replan

/** Params of {@link ReplanRequest}. */
export interface ReplanParams {
  uri: string;
  /** The version the user saw; a different current version answers `{stale: true}`. */
  version: number;
  /** Default: the `replan.strategy` setting, else 'best'. */
  strategy?: StrategyName;
  /**
   * A move budget: the best plan that moves at most this many tables from the
   * written placement (a whole number ≥ 0). Absent: an unconstrained Replan.
   */
  maxMoves?: number;
  /** Standard LSP work-done token: the server reports progress through it when given. */
  workDoneToken?: ProgressToken;
}

/**
 * One table whose placement entry a move-budget plan changes. `from`/`to` as
 * written in YAML (absent: no entry on that side).
 */
export interface BudgetMove {
  table: string;
  from?: string;
  to?: string;
  /**
   * How much this move lowers the step, ms, the moves replayed biggest gain
   * first; absent for required moves and moves that only pay together.
   */
  gainMs?: number;
  /** Needed just for feasibility (the written entry was missing, invalid or over memory). */
  required: boolean;
  /** Its `placement:` entry in the document, for reveal-on-click. */
  range?: Range;
}

/** What a move budget bought (plan/moveBudget.ts), as sent with a Replan result or the balance. */
export interface MoveBudgetSummary {
  maxMoves: number;
  /** Every table whose entry changes (≤ maxMoves), config order. */
  moves: BudgetMove[];
  /** Moves the written placement needs just to become feasible. */
  requiredMoves: number;
  /** maxMoves < requiredMoves: nothing was moved (the plan is the written placement). */
  tooFewMoves: boolean;
  /** What the moves without their own gain took off together, ms. */
  jointGainMs: number;
  /** The unconstrained plan's step, ms, and how many tables it moves. */
  fullMaxMs: number;
  fullMoves: number;
  /** Which search found the plan: written, toward-plan, local-search or back-from-plan. */
  method: string;
}

/** A plan ready to apply. */
export interface ReplanApplied {
  stale?: false;
  /**
   * Replaces only the `placement:` section (or appends one). Uses versioned
   * `documentChanges`, so VS Code refuses to apply it to a newer document.
   */
  edit: WorkspaceEdit;
  /** Document version the edit was computed for. */
  version: number;
  /** Predicted step ms (critical path) of the written placement; absent when there is none or it is incomplete. */
  beforeMaxMs?: number;
  /** The model error (±) of beforeMaxMs, ms; absent when the model gives none. */
  beforeUncertaintyMs?: number;
  /** Predicted step ms (critical path) of the new plan. */
  afterMaxMs: number;
  /** The model error (±) of afterMaxMs, ms; absent when the model gives none. */
  afterUncertaintyMs?: number;
  afterMeanMs: number;
  feasible: boolean;
  /** Why the plan is infeasible, if it is. */
  reasons: string[];
  /** How the plan was made, when the user should know (PlanResult.notes: e.g. "stopped at the time budget after …"); absent when none. */
  notes?: string[];
  strategy: StrategyName;
  /** Planner wall time, ms. */
  elapsedMs: number;
  costModel: string;
  /** Present when the request had `maxMoves`: the moves and what they bought. */
  moveBudget?: MoveBudgetSummary;
}

/** The document changed while planning (or before): nothing to apply; say so. */
export interface ReplanStale {
  stale: true;
  currentVersion?: number;
}

/** Result of {@link ReplanRequest}. */
export type ReplanResult = ReplanApplied | ReplanStale;

/**
 * `shardlens/replan` (client → server): compute a plan for the document and
 * return the edit that writes it. Honours `$/cancelRequest` (answers with error
 * code RequestCancelled, -32800). Errors: InvalidParams for an unknown document,
 * RequestFailed (-32803) with a user-readable message when the config has errors.
 */
export const ReplanRequest = new RequestType<ReplanParams, ReplanResult, void>('shardlens/replan');

// ---------------------------------------------------------------- balance

/** One GPU's predicted per-step numbers: the planner's report row, as is (phaseMs: its ms per phase). */
export type BalanceGpuRow = GpuReport;

/** One phase of the step (cost/stepCost.ts PHASES) and its slowest GPU. */
export type BalancePhase = PhaseSummary;

/** One placement (the written one or the proposed one), scored. */
export interface BalanceSide {
  strategy: StrategyName;
  gpus: BalanceGpuRow[];
  /** The step's embedding time: its critical path, Σ over phases of the slowest GPU's ms. */
  maxMs: number;
  meanMs: number;
  /** The busiest GPU's total ms (Σ of its phases). */
  maxGpuMs: number;
  /** Per phase of the step: the slowest GPU and its ms. */
  phases: BalancePhase[];
  /** maxGpuMs / meanMs (1 = perfectly balanced). */
  imbalance: number;
  feasible: boolean;
  reasons: string[];
  /** As ReplanApplied.notes; absent when none. */
  notes?: string[];
  /** ± of maxMs (the step: the forward's and backward's slowest GPUs' model error), ms; absent when the model reports none. */
  maxUncertaintyMs?: number;
}

/** Params of {@link BalanceRequest}. */
export interface BalanceParams {
  uri: string;
  /** Include the proposed plan (default true; computing it may take a while). */
  includeProposed?: boolean;
}

/** Result of {@link BalanceRequest}. */
export interface BalanceResult {
  uri: string;
  /** Document version these numbers belong to. */
  version: number;
  /** e.g. "fbgemm-tbe analytic: H100-80GB [fbgemm_tbe]"; absent when the config is unusable. */
  costModel?: string;
  /** Per kernel the tables run: the model that priced it, learned or analytic, and its notes. */
  costModels?: KernelPricing[];
  /** Device summary, e.g. "64 × H100-80GB". */
  devices?: string;
  /** The written placement; absent when there is none or it is incomplete. */
  current?: BalanceSide;
  /** What Replan would write. */
  proposed?: BalanceSide;
  /**
   * What "Replan (≤ N moves)" would write (N: the `replan.maxMoves` setting),
   * once computed; absent while it is, when the setting is 0 or there is no
   * written placement.
   */
  moveBudget?: BalanceMoveBudget;
  /** Where each table is written: its `tables:` item and its `placement:` entry, for reveal-on-click. */
  locations: Record<string, { item?: Range; placement?: Range }>;
  /** Error count of the document: when > 0 and no numbers, the panel says to fix them. */
  errors: number;
}

/** The move-budget plan in the balance panel: its numbers and its moves. */
export interface BalanceMoveBudget extends MoveBudgetSummary {
  side: BalanceSide;
}

/**
 * `shardlens/balance` (client → server): per-GPU rows for the current and the
 * proposed placement. Answers for the latest analysed version.
 */
export const BalanceRequest = new RequestType<BalanceParams, BalanceResult, void>('shardlens/balance');

/** Params of {@link BalanceChangedNotification}. */
export interface BalanceChangedParams {
  uri: string;
  version: number;
}

/**
 * `shardlens/balanceChanged` (server → client): the numbers of `uri` changed
 * (new analysis or a new proposal); a visible balance panel re-requests.
 */
export const BalanceChangedNotification = new NotificationType<BalanceChangedParams>('shardlens/balanceChanged');

// ---------------------------------------------------------------- status

/** Params of {@link StatusNotification}. */
export interface StatusParams {
  /** Document the status refers to (the last analysed one). */
  uri: string;
  /** e.g. "learned: h100-cost-v1 [torch_embedding_bag]"; absent when no model could be chosen (config errors). */
  costModel?: string;
  source?: 'learned' | 'analytic';
  /** Per kernel the tables run: the model that priced it, learned or analytic, and its notes. */
  kernels?: KernelPricing[];
  /** Why the learned model was not used, or other model problems. */
  warnings: string[];
  /** Predicted max/mean of the written placement, when known. */
  imbalance?: number;
}

/**
 * `shardlens/status` (server → client): cost model in use and its warnings, for a
 * status bar item. Sent after each analysis whose status differs from the last one sent for that document.
 */
export const StatusNotification = new NotificationType<StatusParams>('shardlens/status');

// ---------------------------------------------------------------- what if (sweep)

/** Params of {@link SweepRequest}. */
export interface SweepParams {
  uri: string;
  /** GPU counts; default ¼, ½, 1 and 2 × the config's devices.count. */
  counts?: number[];
  /** GPU types (presets or the config's own); default the config's own. */
  types?: string[];
  /** Default: the `replan.strategy` setting, else 'best'. */
  strategy?: StrategyName;
  /** Standard LSP work-done token: the server reports each planned cluster through it. */
  workDoneToken?: ProgressToken;
}

/** One cluster of a sweep (engine/sweep.ts SweepRow). Step-time fields are absent when no feasible plan was found. */
export interface SweepRowResult {
  type: string;
  gpus: number;
  /** The plan's step time (PlanResult.maxMs), ms. */
  maxMs?: number;
  meanMs?: number;
  /** Memory used (or needed, when not every table could be placed) over usable HBM of all GPUs; null when unknown. */
  memoryFraction: number | null;
  feasible: boolean;
  /** Why no feasible plan was found. */
  reason?: string;
  /** maxMs / 1000 × gpus. */
  gpuSecondsPerStep?: number;
  strategy: StrategyName;
  costModel: string;
  costModelWarning?: string;
  /** Planner wall time, ms. */
  elapsedMs: number;
  /** Pins past this cluster's last GPU that the plan ignored. */
  droppedPins?: string[];
}

/** Result of {@link SweepRequest}. */
export interface SweepResultPayload {
  uri: string;
  /** Document version the sweep planned. */
  version: number;
  strategy: StrategyName;
  /** Soft time limit of each plan, ms. */
  planBudgetMs?: number;
  /** Wall time of the whole sweep, ms. */
  elapsedMs: number;
  /** One per (type, count): per type, counts ascending. */
  rows: SweepRowResult[];
}

/**
 * `shardlens/sweep` (client → server): plan the document's tables on other
 * clusters ("what if"). Honours `$/cancelRequest` (the planner stops; error
 * RequestCancelled, -32800). Errors: InvalidParams for an unknown document or
 * bad counts/types (the message says which), RequestFailed when the config has
 * errors.
 */
export const SweepRequest = new RequestType<SweepParams, SweepResultPayload, void>('shardlens/sweep');

// ---------------------------------------------------------------- baseline and plan diff

/** Params of {@link BaselineNotification}. */
export interface BaselineParams {
  uri: string;
  /** What the baseline is, as people read it, e.g. "HEAD". */
  ref: string;
  /**
   * The document's text at `ref`; null when there is none (not in a git
   * repository, not committed, git unavailable, untrusted workspace): the
   * server then drops the "vs HEAD" lens.
   */
  text: string | null;
}

/**
 * `shardlens/baseline` (client → server): the text the document is compared
 * with by the "vs HEAD" lens and {@link PlacementDiffRequest}. The client reads
 * it (git lives in the client); the server never runs git.
 */
export const BaselineNotification = new NotificationType<BaselineParams>('shardlens/baseline');

/** Params of {@link PlacementDiffRequest}. */
export interface PlacementDiffParams {
  uri: string;
}

/** One table whose placement differs from the baseline; `from`/`to` as written in YAML, absent when not placed on that side. */
export interface PlacementMove {
  table: string;
  from?: string;
  to?: string;
  /** Its `placement:` entry in the document now, for reveal-on-pick. */
  range?: Range;
}

/** One side of a diff, scored. */
export interface PlacementDiffSide {
  maxMs: number;
  meanMs: number;
  feasible: boolean;
  costModel: string;
}

/** Result of {@link PlacementDiffRequest}; null when the document has no baseline. */
export interface PlacementDiffResult {
  uri: string;
  version: number;
  ref: string;
  /** Set when the two cannot be compared (e.g. the baseline does not load); the other fields are then absent. */
  problem?: string;
  before?: PlacementDiffSide;
  after?: PlacementDiffSide;
  /** after.maxMs − before.maxMs, ms. */
  stepChangeMs?: number;
  moves?: PlacementMove[];
  moved?: number;
  added?: number;
  removed?: number;
  /** Per GPU of either side: predicted ms before and after (absent where the GPU does not exist). */
  gpus?: Array<{ gpu: number; beforeMs?: number; afterMs?: number; changeMs: number }>;
  sameModel?: boolean;
  devicesChange?: string;
}

/**
 * `shardlens/placementDiff` (client → server): the document's placement
 * against its baseline ({@link BaselineNotification}): moved tables and the
 * per-GPU and step-time change, both scored by the same cost model.
 */
export const PlacementDiffRequest = new RequestType<PlacementDiffParams, PlacementDiffResult | null, void>('shardlens/placementDiff');

// ---- Shared with the client ----
// The VS Code client imports nothing else from server/ (eslint.config.mjs), so
// the few pure helpers it shares with the server and the CLI are re-exported
// here: numbers print the same in a notification as in the hover and the CLI,
// the What-If prompt reads GPU counts and presets as `shardlens sweep` does,
// and the "vs HEAD" lens runs the same `git show` as `shardlens diff --against`.
// Each is pure (no server state, no LSP library); gitShow's command builder and
// error wording are used by the client, which runs git itself (the server never does).
export { combinedUncertainty, formatChange, formatGain, formatMs, formatPlusMinus, formatRatio, formatSignedMs } from '../engine/format';
export { GPU_PRESETS } from '../config/presets';
export { parseGpuCounts } from '../engine/sweepInput';
export { GIT_SHOW_MAX_BYTES, gitShowCommand, gitShowFailure, isSafeRef } from '../io/gitShow';
