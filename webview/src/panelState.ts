/**
 * What the panel keeps in `vscode.setState` so that it redraws at once when it
 * becomes visible again (the panel does not use retainContextWhenHidden: a
 * hidden webview is destroyed and rebuilt from this state) or after a reload.
 */
import { isBalanceResult, isSweepResult, VIEW_NAMES, type BalanceResult, type SweepResultPayload, type ViewName } from './messages';

export interface PanelState {
  fileName?: string;
  result?: BalanceResult;
  /** The accessible table is shown visibly (it is always in the DOM for screen readers). */
  showTable: boolean;
  /** The view shown (default the balance). */
  view: ViewName;
  /** The last what-if sweep drawn. */
  whatIf?: { fileName: string; result: SweepResultPayload };
}

export const INITIAL_STATE: PanelState = { showTable: false, view: 'balance' };

/** State from getState() may come from an older version of the panel: keep only what checks out. */
export function restoreState(x: unknown): PanelState {
  if (typeof x !== 'object' || x === null) return { ...INITIAL_STATE };
  const o = x as Record<string, unknown>;
  const view = (VIEW_NAMES as readonly unknown[]).includes(o.view) ? (o.view as ViewName) : INITIAL_STATE.view;
  const state: PanelState = { showTable: o.showTable === true, view };
  if (typeof o.fileName === 'string' && isBalanceResult(o.result)) {
    state.fileName = o.fileName;
    state.result = o.result;
  }
  const w = o.whatIf as Record<string, unknown> | undefined;
  if (w && typeof w === 'object' && typeof w.fileName === 'string' && isSweepResult(w.result)) {
    state.whatIf = { fileName: w.fileName, result: w.result };
  }
  return state;
}
