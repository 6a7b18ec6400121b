// What a user does and sees in the VS Code workbench, as Playwright calls. Selectors verified on
// VS Code 1.100.3 (code-server 4.100.3); see docs/research/e2e-recipe.md §6.
import { waitFor } from './poll.mjs';

/** `vscode-remote://HOST:PORT/ABS_PATH`: how the web workbench names a server-side path in `payload`. */
export function remoteUri(base, absPath) {
  return `vscode-remote://${new URL(base).host}${absPath}`;
}

/**
 * Opens the workbench on `folder` and waits until the explorer lists `expectFile`.
 * @param {import('playwright-core').Page} page
 * @param {string} base
 * @param {{ folder: string, expectFile: string, payload?: [string, string][], timeoutMs?: number }} opts
 */
export async function openWorkbench(page, base, { folder, expectFile, payload, timeoutMs = 30_000 }) {
  let url = `${base}/?folder=${encodeURIComponent(folder)}`;
  if (payload) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  await page.goto(url);
  await page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
  await explorerRow(page, expectFile).waitFor({ timeout: timeoutMs });
}

/** The explorer row of a workspace file or folder (top level or already expanded). */
export function explorerRow(page, name) {
  return page.locator(`.explorer-folders-view .monaco-list-row[aria-label=${JSON.stringify(name)}]`);
}

/** Opens a top-level workspace file by clicking it in the explorer; waits for its editor tab and text. */
export async function openFile(page, name, { timeoutMs = 30_000 } = {}) {
  await explorerRow(page, name).click();
  // By its resource name: a panel's tab ("GPU Balance: <file>") in another group is active too and holds the name.
  await page.locator(`.tabs-container .tab.active[data-resource-name=${JSON.stringify(name)}]`).waitFor({ timeout: timeoutMs });
  await page.locator('.monaco-editor .view-lines').first().waitFor({ timeout: timeoutMs });
}

/** Runs a command from the command palette by its "Category: Title" as the user types it. */
export async function runCommand(page, label, { timeoutMs = 15_000 } = {}) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input.input');
  await input.waitFor({ timeout: timeoutMs });
  await input.fill(`>${label}`);
  // Exactly this label: "ShardLens: Replan" must not pick "ShardLens: Replan With Strategy…".
  const exact = new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const row = page
    .locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: exact }) })
    .first();
  await row.click({ timeout: timeoutMs });
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: timeoutMs });
}

/**
 * Errors/warnings counts from the Problems item in the status bar (what the user glances at).
 * @returns {Promise<{ errors: number, warnings: number, label: string }>}
 */
export async function problemsStatus(page) {
  const label = (await page.locator('[id="status.problems"]').getAttribute('aria-label', { timeout: 5000 })) ?? '';
  const n = (re) => Number(label.match(re)?.[1] ?? 0);
  return { errors: n(/Errors?:\s*(\d+)/i), warnings: n(/Warnings?:\s*(\d+)/i), label };
}

/** Opens the Problems panel and returns the texts of its rows once at least `min` are listed. */
export async function problemsPanelRows(page, { min = 1, timeoutMs = 15_000 } = {}) {
  const rows = page.locator('.markers-panel .monaco-list-row');
  if (!(await page.locator('.markers-panel').isVisible())) await page.keyboard.press('Control+Shift+M');
  return waitFor(
    `${min} rows in the Problems panel`,
    async () => {
      const texts = await rows.allTextContents();
      return texts.length >= min ? texts : undefined;
    },
    { timeoutMs },
  );
}

/** Texts of the code lenses the active editor shows. */
export async function codeLensTexts(page) {
  return page.locator('.monaco-editor .codelens-decoration').allTextContents();
}

/** Saves the active editor (Ctrl+S) and waits until its tab is no longer dirty. */
export async function saveActive(page, { timeoutMs = 15_000 } = {}) {
  await page.keyboard.press('Control+S');
  await page.locator('.tabs-container .tab.active.dirty').waitFor({ state: 'detached', timeout: timeoutMs });
}

/**
 * The document inside a webview panel: VS Code nests it two iframes deep
 * (`iframe.webview.ready` > `#active-frame`). Picks the frame that holds `selector`.
 */
export function webviewContent(page, selector) {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame').locator(selector);
}

/** Texts of the notification toasts on screen that carry an error icon. */
export async function errorToasts(page) {
  return page
    .locator('.notifications-toasts .notification-list-item')
    .filter({ has: page.locator('.codicon-error') })
    .locator('.notification-list-item-message')
    .allTextContents();
}
