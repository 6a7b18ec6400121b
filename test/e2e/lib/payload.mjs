// Runs an extension's test module inside code-server's real Node extension host through the
// workbench URL's `payload` (extensionDevelopmentPath + extensionTestsPath), the web twin of
// `code --extensionTestsPath` (recipe §7). The workbench reports the verdict by calling
// window.codeAutomationExit(code): 0 when the module's run() resolved, 1 when it threw.
import { openWorkbench, remoteUri } from './workbench.mjs';

/**
 * @param {import('playwright-core').BrowserContext} context
 * @param {string} base
 * @param {{ folder: string, expectFile: string, extensionDevelopmentPath: string, extensionTestsPath: string,
 *           timeoutMs?: number, onLog?: (line: string) => void }} opts
 * @returns {Promise<{ code: number, logs: string[] }>}
 */
export async function runExtensionTests(context, base, opts) {
  const { folder, expectFile, extensionDevelopmentPath, extensionTestsPath, timeoutMs = 300_000, onLog = () => {} } = opts;
  const page = await context.newPage();
  const logs = [];
  const log = (line) => {
    logs.push(line);
    onLog(line);
  };
  let settle;
  const exited = new Promise((resolve) => {
    settle = resolve;
  });
  // Exposed before navigation: the workbench looks them up when the tests end.
  await page.exposeFunction('codeAutomationExit', (code) => settle(Number(code)));
  // The workbench forwards the extension host's console here (type, args); the suite's own
  // lines carry [shardlens-suite]; other errors are kept, routine info dropped.
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const text = (Array.isArray(args) ? args.map(String).join(' ') : String(args ?? '')).replace(/%c/g, '').trim();
    if (!text) return;
    if (/\[shardlens-suite\]/.test(text)) log(text.slice(text.indexOf('[shardlens-suite]')));
    else if (/^(error|err)$/i.test(String(type))) log(`${type}: ${text}`);
  });
  const timer = new Promise((resolve) => setTimeout(resolve, timeoutMs, 'timeout'));
  try {
    await openWorkbench(page, base, {
      folder,
      expectFile,
      payload: [
        ['extensionDevelopmentPath', remoteUri(base, extensionDevelopmentPath)],
        ['extensionTestsPath', remoteUri(base, extensionTestsPath)],
        ['skipWelcome', 'true'],
      ],
    });
    const code = await Promise.race([exited, timer]);
    if (code === 'timeout') return { code: 124, logs: [...logs, `no verdict from the extension host within ${timeoutMs} ms`] };
    return { code, logs };
  } finally {
    await page.close().catch(() => {});
  }
}
