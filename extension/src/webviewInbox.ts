/**
 * The balance panel's inbox: a webview is a page the extension does not trust,
 * so a message from it reaches the panel's handler only if it is well formed
 * (isFromWebview); anything else is logged, shortened, and dropped. The
 * handler's own failures are reported, never thrown into VS Code's event loop.
 * Pure (no vscode): balancePanel.ts wires it to onDidReceiveMessage.
 */
import { isFromWebview, type FromWebview } from '../../webview/src/messages';

/** Longest excerpt of an invalid message written to the log (characters). */
export const INVALID_EXCERPT_CHARS = 200;

export function webviewInbox(handle: (message: FromWebview) => Promise<void>, log: (line: string) => void, onError: (err: unknown) => void): (message: unknown) => void {
  return (message) => {
    if (!isFromWebview(message)) {
      let text: string;
      try {
        text = JSON.stringify(message) ?? String(message);
      } catch {
        text = Object.prototype.toString.call(message);
      }
      log(`balance panel: ignored an invalid message from the webview: ${text.slice(0, INVALID_EXCERPT_CHARS)}`);
      return;
    }
    void handle(message).catch(onError);
  };
}
