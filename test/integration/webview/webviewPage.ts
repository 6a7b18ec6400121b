/**
 * Test harness for the balance webview in headless Chromium (CHROMIUM_PATH,
 * else chromium on PATH; playwright-core, no browser download): bundles webview/src/main.ts with
 * esbuild the way esbuild.config.mjs does, serves the page rendered by the
 * extension's own renderHtml() from a loopback HTTP server, and stands in for
 * VS Code with a stub `acquireVsCodeApi` (TEST DOUBLE: records posted messages
 * and state in window.__posted / window.__state).
 */
import * as esbuild from 'esbuild';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumPath } from '../../e2e/lib/chromium.mjs';
import { renderHtml } from '../../../webview/src/html';

const ROOT = path.resolve(__dirname, '../../..');
export const NONCE = 'dGVzdC1ub25jZS0xMjM0NQ==';

/** TEST DOUBLE for VS Code's webview host, run before the page's own script. */
function stubScript(state: unknown): string {
  return `(() => {
  const w = window;
  w.__posted = [];
  w.__state = ${JSON.stringify(state ?? null)} ?? undefined;
  w.__violations = [];
  w.__warnings = [];
  document.addEventListener('securitypolicyviolation', (e) => w.__violations.push(e.violatedDirective));
  const warn = console.warn.bind(console);
  console.warn = (...args) => { w.__warnings.push(String(args[0])); warn(...args); };
  let acquired = false;
  w.acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi called twice');
    acquired = true;
    return {
      postMessage: (m) => w.__posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => w.__state,
      setState: (s) => { w.__state = JSON.parse(JSON.stringify(s)); },
    };
  };
})();`;
}

export interface Harness {
  origin: string;
  browser: Browser;
  /** Opens the panel page; `state` is what the stub getState() returns. */
  open(state?: unknown): Promise<Page>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'shardlens-webview-'));
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'webview/src/main.ts')],
    outfile: path.join(dir, 'webview.js'),
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    logLevel: 'warning',
  });
  const script = readFileSync(path.join(dir, 'webview.js'));
  const style = readFileSync(path.join(ROOT, 'webview/styles.css'));
  let origin = '';
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/dist/webview.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(script);
      return;
    }
    if (url === '/dist/webview.css') {
      res.writeHead(200, { 'content-type': 'text/css' });
      res.end(style);
      return;
    }
    if (url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(renderHtml({ scriptUri: `${origin}/dist/webview.js`, styleUri: `${origin}/dist/webview.css`, cspSource: origin, nonce: NONCE }));
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: ['--no-sandbox', '--disable-gpu', '--headless', '--disable-background-networking', '--no-first-run'],
  });
  return {
    origin,
    browser,
    async open(state?: unknown) {
      const page = await browser.newPage({ viewport: { width: 1000, height: 1600 } });
      // A string, not a function: tsx's keepNames would inject a `__name` helper the page lacks.
      await page.addInitScript(stubScript(state));
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => (window as unknown as { __posted: Array<{ type: string }> }).__posted.some((m) => m.type === 'ready'));
      return page;
    },
    async close() {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sends a message to the page as the extension would (panel.webview.postMessage). */
export async function postToWebview(page: Page, message: unknown): Promise<void> {
  await page.evaluate((m) => window.postMessage(m, '*'), message);
}

export interface BarPos {
  side: string;
  gpu: number;
  x: number;
  y: number;
  top: number;
  base: number;
}

/** The bar geometry the chart publishes on its canvas after each render. */
export async function barsOf(page: Page, canvasId: string): Promise<BarPos[]> {
  const raw = await page.getAttribute(`#${canvasId}`, 'data-bars');
  return raw ? (JSON.parse(raw) as BarPos[]) : [];
}

/** RGBA of the canvas pixel at CSS px (x, y) relative to the canvas. */
export async function pixelAt(page: Page, canvasId: string, x: number, y: number): Promise<number[]> {
  return page.evaluate(
    ([id, px, py]) => {
      const canvas = document.getElementById(id as string) as HTMLCanvasElement;
      const scale = canvas.width / canvas.clientWidth;
      const ctx = canvas.getContext('2d') as CanvasRenderingContext2D;
      return Array.from(ctx.getImageData(Math.round((px as number) * scale), Math.round((py as number) * scale), 1, 1).data);
    },
    [canvasId, x, y] as const,
  );
}
