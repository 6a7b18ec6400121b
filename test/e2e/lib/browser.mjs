// Chromium (CHROMIUM_PATH, else `chromium` on PATH) driven by playwright-core, offline: every request that is not to the
// code-server on loopback (or a data:/blob: URL) is aborted (recipe §6, pitfall 13).
import { chromium } from 'playwright-core';
import { chromiumPath } from './chromium.mjs';

/**
 * @param {string} base  http://127.0.0.1:PORT of the code-server
 * @returns {Promise<{ browser: import('playwright-core').Browser, context: import('playwright-core').BrowserContext, blocked: string[] }>}
 */
export async function launchBrowser(base) {
  // launch() makes a throwaway profile itself and refuses --user-data-dir.
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const blocked = [];
  const origin = new URL(base).origin;
  // Webviews are served from the same origin (service worker); anything else is the network.
  await context.route(
    (url) => url.origin !== origin && !/^(data|blob):/.test(url.href),
    (route) => {
      blocked.push(route.request().url());
      return route.abort();
    },
  );
  return { browser, context, blocked };
}
