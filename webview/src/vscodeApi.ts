/**
 * The handle VS Code gives a webview script (`acquireVsCodeApi`, callable once).
 * Declared here rather than via @types/vscode-webview, which is not a dependency.
 */
import type { FromWebview } from './messages';

export interface VsCodeApi<State> {
  postMessage(message: FromWebview): void;
  getState(): State | undefined;
  setState(state: State): void;
}

declare function acquireVsCodeApi<State>(): VsCodeApi<State>;

export function vscodeApi<State>(): VsCodeApi<State> {
  return acquireVsCodeApi<State>();
}
