/**
 * The one module of messages between the extension (panel host) and the balance
 * webview, imported by both sides. Each side validates every message it receives
 * with the guards below and drops (and logs) anything else: a webview is a
 * separate document, and messages cross a trust boundary (SECURITY.md).
 *
 * The numbers are the server's `shardlens/balance` answer, passed through as is
 * (type-only import: no runtime code from the LSP protocol reaches the webview).
 * Units: ms per training step, bytes.
 */
import { PHASES } from '../../server/src/cost/phases';
import type { BalanceGpuRow, BalanceMoveBudget, BalanceResult, BalanceSide, BudgetMove, SweepResultPayload, SweepRowResult } from '../../server/src/lsp/protocol';

export type { BalanceGpuRow, BalanceMoveBudget, BalanceResult, BalanceSide, BudgetMove, SweepResultPayload, SweepRowResult };

/** The panel's two views: per-GPU balance of this cluster, and "what if" other clusters. */
export type ViewName = 'balance' | 'whatIf';
export const VIEW_NAMES: readonly ViewName[] = ['balance', 'whatIf'];

/** Which placement a GPU bar belongs to. */
export type SideName = 'current' | 'proposed';
export const SIDE_NAMES: readonly SideName[] = ['current', 'proposed'];

// ------------------------------------------------------------ extension → webview

/** New numbers for the document shown (`fileName` is for the heading only). */
export interface BalanceMessage {
  type: 'balance';
  fileName: string;
  result: BalanceResult;
}
/** The server is computing; keep the old chart but say so. */
export interface LoadingMessage {
  type: 'loading';
  fileName: string;
}
/** Nothing to draw (server not running, document closed, request failed). */
export interface ProblemMessage {
  type: 'problem';
  message: string;
}

/** A what-if sweep finished (`shardlens/sweep`'s answer, as is). */
export interface WhatIfMessage {
  type: 'whatIf';
  fileName: string;
  result: SweepResultPayload;
}
/** A sweep is running: what the server reported last, and how far it is (0–100). */
export interface WhatIfProgressMessage {
  type: 'whatIfProgress';
  fileName: string;
  message: string;
  percent?: number;
}
/** The sweep failed or was cancelled: say why (the last curve stays). */
export interface WhatIfProblemMessage {
  type: 'whatIfProblem';
  message: string;
}
/** Switch the panel to a view (the What-if command opens the panel on its view). */
export interface ShowViewMessage {
  type: 'showView';
  view: ViewName;
}

export type ToWebview = BalanceMessage | LoadingMessage | ProblemMessage | WhatIfMessage | WhatIfProgressMessage | WhatIfProblemMessage | ShowViewMessage;

// ------------------------------------------------------------ webview → extension

/** The webview script started and listens; the host answers with the latest numbers. */
export interface ReadyMessage {
  type: 'ready';
}
/** A GPU's bar (or its table row) was clicked: reveal that GPU's tables in the editor. */
export interface RevealMessage {
  type: 'reveal';
  side: SideName;
  gpu: number;
}
/** The "Apply proposed plan" button: run Replan on the shown document. */
export interface ReplanMessage {
  type: 'replan';
}
/** The "Apply these moves" button: run "Replan (≤ N moves)" on the shown document. */
export interface ReplanMovesMessage {
  type: 'replanMoves';
}

/** "Cancel" in the What-if view: cancel the running sweep. */
export interface WhatIfCancelMessage {
  type: 'whatIfCancel';
}
/** "Other clusters…" in the What-if view: ask for counts and types again and rerun. */
export interface WhatIfRunMessage {
  type: 'whatIfRun';
}
/** The user switched views (the host titles the panel after it). */
export interface ViewChangedMessage {
  type: 'viewChanged';
  view: ViewName;
}

export type FromWebview = ReadyMessage | RevealMessage | ReplanMessage | ReplanMovesMessage | WhatIfCancelMessage | WhatIfRunMessage | ViewChangedMessage;

// ------------------------------------------------------------ validators

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
function isNum(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}
function isGpuIndex(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0;
}
function isStr(x: unknown): x is string {
  return typeof x === 'string';
}
function isStrArray(x: unknown): x is string[] {
  return Array.isArray(x) && x.every(isStr);
}
function isPosition(x: unknown): boolean {
  return isObj(x) && isGpuIndex(x.line) && isGpuIndex(x.character);
}
function isRange(x: unknown): boolean {
  return isObj(x) && isPosition(x.start) && isPosition(x.end);
}

/** An optional ± in ms: absent, or a finite non-negative number. */
function isOptionalPlusMinus(x: unknown): boolean {
  return x === undefined || (isNum(x) && x >= 0);
}

/** Per phase ms of one GPU: every known phase a finite number. */
function isPhaseTimes(x: unknown): boolean {
  return isObj(x) && PHASES.every((p) => isNum(x[p]));
}

export function isGpuRow(x: unknown): x is BalanceGpuRow {
  return (
    isObj(x) &&
    isGpuIndex(x.gpu) &&
    isStrArray(x.tables) &&
    isNum(x.fwdMs) &&
    isNum(x.bwdMs) &&
    isNum(x.commMs) &&
    isNum(x.totalMs) &&
    isNum(x.memoryBytes) &&
    isNum(x.capacityBytes) &&
    isOptionalPlusMinus(x.uncertaintyMs) &&
    (x.phaseMs === undefined || isPhaseTimes(x.phaseMs)) &&
    (x.hostMemoryBytes === undefined || isNum(x.hostMemoryBytes))
  );
}

function isPhase(x: unknown): boolean {
  return isObj(x) && typeof x.name === 'string' && (PHASES as readonly string[]).includes(x.name) && isNum(x.maxMs) && isGpuIndex(x.gpu);
}

export function isBalanceSide(x: unknown): x is BalanceSide {
  return (
    isObj(x) &&
    isStr(x.strategy) &&
    Array.isArray(x.gpus) &&
    x.gpus.every(isGpuRow) &&
    isNum(x.maxMs) &&
    isNum(x.meanMs) &&
    isNum(x.maxGpuMs) &&
    isNum(x.imbalance) &&
    Array.isArray(x.phases) &&
    x.phases.every(isPhase) &&
    typeof x.feasible === 'boolean' &&
    isStrArray(x.reasons) &&
    (x.notes === undefined || isStrArray(x.notes)) &&
    isOptionalPlusMinus(x.maxUncertaintyMs)
  );
}

function isLocations(x: unknown): boolean {
  if (!isObj(x)) return false;
  return Object.values(x).every((loc) => isObj(loc) && (loc.item === undefined || isRange(loc.item)) && (loc.placement === undefined || isRange(loc.placement)));
}

function isKernelPricing(x: unknown): boolean {
  return isObj(x) && isStr(x.kernel) && isStr(x.model) && (x.source === 'learned' || x.source === 'analytic') && isStrArray(x.notes);
}

function isCount(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0;
}

export function isBudgetMove(x: unknown): x is BudgetMove {
  return (
    isObj(x) &&
    isStr(x.table) &&
    (x.from === undefined || isStr(x.from)) &&
    (x.to === undefined || isStr(x.to)) &&
    isOptNum(x.gainMs) &&
    typeof x.required === 'boolean' &&
    (x.range === undefined || isRange(x.range))
  );
}

export function isMoveBudget(x: unknown): x is BalanceMoveBudget {
  return (
    isObj(x) &&
    isCount(x.maxMoves) &&
    Array.isArray(x.moves) &&
    x.moves.every(isBudgetMove) &&
    isCount(x.requiredMoves) &&
    typeof x.tooFewMoves === 'boolean' &&
    isNum(x.jointGainMs) &&
    isNum(x.fullMaxMs) &&
    isCount(x.fullMoves) &&
    isStr(x.method) &&
    isBalanceSide(x.side)
  );
}

export function isBalanceResult(x: unknown): x is BalanceResult {
  return (
    isObj(x) &&
    isStr(x.uri) &&
    Number.isInteger(x.version) &&
    (x.costModel === undefined || isStr(x.costModel)) &&
    (x.costModels === undefined || (Array.isArray(x.costModels) && x.costModels.every(isKernelPricing))) &&
    (x.devices === undefined || isStr(x.devices)) &&
    (x.current === undefined || isBalanceSide(x.current)) &&
    (x.proposed === undefined || isBalanceSide(x.proposed)) &&
    (x.moveBudget === undefined || isMoveBudget(x.moveBudget)) &&
    isLocations(x.locations) &&
    isGpuIndex(x.errors)
  );
}

function isOptNum(x: unknown): boolean {
  return x === undefined || isNum(x);
}

export function isSweepRow(x: unknown): x is SweepRowResult {
  return (
    isObj(x) &&
    isStr(x.type) &&
    isGpuIndex(x.gpus) &&
    x.gpus > 0 &&
    isOptNum(x.maxMs) &&
    isOptNum(x.meanMs) &&
    isOptNum(x.gpuSecondsPerStep) &&
    (x.memoryFraction === null || isNum(x.memoryFraction)) &&
    typeof x.feasible === 'boolean' &&
    (x.reason === undefined || isStr(x.reason)) &&
    isStr(x.strategy) &&
    isStr(x.costModel) &&
    (x.costModelWarning === undefined || isStr(x.costModelWarning)) &&
    isNum(x.elapsedMs) &&
    (x.droppedPins === undefined || isStrArray(x.droppedPins))
  );
}

export function isSweepResult(x: unknown): x is SweepResultPayload {
  return (
    isObj(x) &&
    isStr(x.uri) &&
    Number.isInteger(x.version) &&
    isStr(x.strategy) &&
    isOptNum(x.planBudgetMs) &&
    isNum(x.elapsedMs) &&
    Array.isArray(x.rows) &&
    x.rows.every(isSweepRow)
  );
}

function isView(x: unknown): x is ViewName {
  return (VIEW_NAMES as readonly unknown[]).includes(x);
}

export function isToWebview(x: unknown): x is ToWebview {
  if (!isObj(x)) return false;
  switch (x.type) {
    case 'balance':
      return isStr(x.fileName) && isBalanceResult(x.result);
    case 'loading':
      return isStr(x.fileName);
    case 'problem':
      return isStr(x.message);
    case 'whatIf':
      return isStr(x.fileName) && isSweepResult(x.result);
    case 'whatIfProgress':
      return isStr(x.fileName) && isStr(x.message) && (x.percent === undefined || (isNum(x.percent) && x.percent >= 0 && x.percent <= 100));
    case 'whatIfProblem':
      return isStr(x.message);
    case 'showView':
      return isView(x.view);
    default:
      return false;
  }
}

export function isFromWebview(x: unknown): x is FromWebview {
  if (!isObj(x)) return false;
  switch (x.type) {
    case 'ready':
      return true;
    case 'replan':
      return true;
    case 'replanMoves':
      return true;
    case 'reveal':
      return (x.side === 'current' || x.side === 'proposed') && isGpuIndex(x.gpu);
    case 'whatIfCancel':
      return true;
    case 'whatIfRun':
      return true;
    case 'viewChanged':
      return isView(x.view);
    default:
      return false;
  }
}
