/**
 * Test harness: spawns the real language server (`node dist/cli.js serve --stdio`)
 * and speaks JSON-RPC to it like an editor would. Waits poll with deadlines;
 * no fixed sleeps.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { CodeLens, Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds dist/cli.js when it is missing or older than the server sources. */
export function ensureBuilt(): void {
  if (process.env.SHARDLENS_TEST_NO_BUILD) return; // the caller built dist/ already
  const fresh = existsSync(CLI) && statSync(CLI).mtimeMs >= newestMtime(path.join(ROOT, 'server', 'src'));
  if (fresh) return;
  const r = spawnSync(process.execPath, ['esbuild.config.mjs'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr || r.stdout}`);
}

export async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface Published {
  version?: number;
  diagnostics: Diagnostic[];
}

export interface TestServer {
  conn: MessageConnection;
  proc: ChildProcessWithoutNullStreams;
  /** Every publishDiagnostics, per URI, in arrival order. */
  published: Map<string, Published[]>;
  notifications: Array<{ method: string; params: unknown }>;
  logs: string[];
  lensRefreshes: number;
  /** Settings answered to workspace/configuration (section shardlens). */
  settings: Record<string, unknown>;
  open(uri: string, text: string, version?: number): Promise<void>;
  change(uri: string, version: number, text: string): Promise<void>;
  close(uri: string): Promise<void>;
  lastPublished(uri: string): Published | undefined;
  /** Polls textDocument/codeLens until a lens's title matches (lenses wait for the costed analysis). */
  lensMatching(uri: string, re: RegExp, timeoutMs?: number): Promise<CodeLens>;
  stop(): Promise<void>;
}

export interface StartOptions {
  rootDir?: string;
  trusted?: boolean;
  settings?: Record<string, unknown>;
}

export interface ConnectOptions {
  rootDir?: string;
  /** Extra node flags for the server process (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Merged over {trusted: true}. */
  initializationOptions?: Record<string, unknown>;
  /** Answers workspace/configuration for section `shardlens`. */
  settings?: () => Record<string, unknown>;
  onLensRefresh?: () => void;
  /** Registers the caller's handlers before the connection listens (so nothing is missed). */
  setup?: (conn: MessageConnection, proc: ChildProcessWithoutNullStreams) => void;
}

/**
 * Spawns `node dist/cli.js serve --stdio`, answers the client-side requests an
 * editor answers, and completes initialize/initialized. The one handshake shared
 * by the protocol tests (startTestServer) and the LSP benchmarks.
 */
export async function connectServer(opts: ConnectOptions = {}): Promise<{ conn: MessageConnection; proc: ChildProcessWithoutNullStreams }> {
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), CLI, 'serve', '--stdio'], { cwd: ROOT, stdio: 'pipe' });
  const conn = createMessageConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
  conn.onRequest('workspace/configuration', (p: { items: Array<{ section?: string }> }) => p.items.map((i) => (i.section === 'shardlens' ? (opts.settings?.() ?? {}) : null)));
  conn.onRequest('workspace/codeLens/refresh', () => {
    opts.onLensRefresh?.();
    return null;
  });
  conn.onRequest('client/registerCapability', () => null);
  conn.onRequest('window/workDoneProgress/create', () => null);
  opts.setup?.(conn, proc);
  conn.listen();
  const rootDir = opts.rootDir ?? ROOT;
  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: `file://${rootDir}`,
    workspaceFolders: [{ uri: `file://${rootDir}`, name: 'root' }],
    capabilities: {
      workspace: { configuration: true, codeLens: { refreshSupport: true }, didChangeWatchedFiles: { dynamicRegistration: true } },
      window: { workDoneProgress: true },
      textDocument: { publishDiagnostics: { versionSupport: true } },
    },
    initializationOptions: { trusted: true, ...opts.initializationOptions },
  });
  await conn.sendNotification('initialized', {});
  return { conn, proc };
}

export async function startTestServer(opts: StartOptions = {}): Promise<TestServer> {
  ensureBuilt();
  let server: TestServer | undefined;
  await connectServer({
    rootDir: opts.rootDir,
    initializationOptions: { trusted: opts.trusted ?? true, debounceMs: 10 },
    settings: () => server?.settings ?? {},
    onLensRefresh: () => {
      if (server) server.lensRefreshes++;
    },
    setup: (conn, proc) => {
      server = testServer(conn, proc, opts.settings ?? {});
    },
  });
  return server!;
}

/** A server on a fresh temporary workspace folder (for a before hook); stopInTempDir (after hook) stops it and removes the folder. */
export async function startInTempDir(prefix: string, opts: Omit<StartOptions, 'rootDir'> = {}): Promise<{ dir: string; server: TestServer }> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, server: await startTestServer({ ...opts, rootDir: dir }) };
}

export async function stopInTempDir(started: { dir: string; server: TestServer }): Promise<void> {
  await started.server.stop();
  rmSync(started.dir, { recursive: true, force: true });
}

function testServer(conn: MessageConnection, proc: ChildProcessWithoutNullStreams, settings: Record<string, unknown>): TestServer {
  const server: TestServer = {
    conn,
    proc,
    published: new Map(),
    notifications: [],
    logs: [],
    lensRefreshes: 0,
    settings,
    async open(uri, text, version = 1) {
      await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'shardlens', version, text } });
    },
    async change(uri, version, text) {
      await conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
    },
    async close(uri) {
      await conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
    },
    lastPublished(uri) {
      const list = server.published.get(uri);
      return list?.[list.length - 1];
    },
    async lensMatching(uri, re, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const lenses = await conn.sendRequest<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
        const found = lenses.find((l) => re.test(l.command?.title ?? ''));
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no lens matching ${re}: ${lenses.map((l) => l.command?.title).join(' | ')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      try {
        await Promise.race([conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
        await conn.sendNotification('exit');
      } catch {
        /* already gone */
      }
      conn.dispose();
      if (proc.exitCode === null) {
        await Promise.race([new Promise((r) => proc.once('exit', r)), new Promise((r) => setTimeout(r, 2000))]);
        if (proc.exitCode === null) proc.kill();
      }
    },
  };
  proc.stderr.on('data', (d) => server.logs.push(String(d)));
  conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    const list = server.published.get(p.uri) ?? [];
    list.push({ version: p.version, diagnostics: p.diagnostics });
    server.published.set(p.uri, list);
  });
  conn.onNotification('window/logMessage', (p: { message: string }) => {
    server.logs.push(p.message);
  });
  conn.onNotification((method: string, params: unknown) => {
    server.notifications.push({ method, params });
  });
  return server;
}
