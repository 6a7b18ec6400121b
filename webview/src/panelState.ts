/**
 * What the panel keeps in `vscode.setState` so that it redraws at once when it
 * becomes visible again (the panel does not use retainContextWhenHidden: a
 * hidden webview is destroyed and rebuilt from this state) or after a reload.
 */
import { isBalanceResult, type BalanceResult } from './messages';

export interface PanelState {
  fileName?: string;
  result?: BalanceResult;
  /** The accessible table is shown visibly (it is always in the DOM for screen readers). */
  showTable: boolean;
}

export const INITIAL_STATE: PanelState = { showTable: false };

/** State from getState() may come from an older version of the panel: keep only what checks out. */
export function restoreState(x: unknown): PanelState {
  if (typeof x !== 'object' || x === null) return { ...INITIAL_STATE };
  const o = x as Record<string, unknown>;
  const state: PanelState = { showTable: o.showTable === true };
  if (typeof o.fileName === 'string' && isBalanceResult(o.result)) {
    state.fileName = o.fileName;
    state.result = o.result;
  }
  return state;
}
