/**
 * `npm run bench:lsp`: the language server under editing load.
 *
 * Spawns `node dist/cli.js serve --stdio` (default settings: the real 30 ms
 * debounce) and speaks LSP to it. For configs of 100 tables / 8 GPUs, 1,000 /
 * 64 and 10,000 / 512 (each with a full written placement, as after a Replan):
 * - edit → publishDiagnostics of that version, and edit → code lenses answered,
 *   over ≥ 30 single-number edits (median and p95, ms);
 * - peak RSS of the server process (VmHWM from /proc/PID/status).
 * Then a load phase on the 10,000-table document: 100 edits/s for 10 s with a
 * code-lens and a hover request every 10th edit: every request answered, the
 * published versions only increase and the last one is the final version, a
 * replan request is cancelled through `$/cancelRequest`, RSS stays bounded.
 *
 * Targets: median edit → diagnostics < 50 ms at 1,000 tables, < 300 ms at 10,000.
 * Env: BENCH_EDITS (default 40), BENCH_LOAD_S (default 10), BENCH_SIZES (e.g. "100,1000"),
 * BENCH_CPU_PROF=DIR (write a V8 CPU profile of each server process there).
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CancellationTokenSource, type MessageConnection } from 'vscode-jsonrpc/node';
import { connectServer, ensureBuilt, ROOT } from '../integration/lsp/lspClient';

interface Sized {
  tables: number;
  gpus: number;
}
const ALL_SIZES: Sized[] = [
  { tables: 100, gpus: 8 },
  { tables: 1_000, gpus: 64 },
  { tables: 10_000, gpus: 512 },
];
const EDITS = Number(process.env.BENCH_EDITS ?? 40);
const LOAD_S = Number(process.env.BENCH_LOAD_S ?? 10);
const LOAD_RATE_HZ = 100;

/** Table line numbers start after this header (see configFor). */
const HEADER_LINES = 10;

function tableLine(i: number, rows: number): string {
  const dim = [16, 32, 64, 128, 256, 64, 32, 8][i % 8];
  const pooling = [1, 2, 4, 8, 16, 30, 1, 60][i % 8];
  return `  - {name: t${String(i).padStart(5, '0')}, rows: ${rows}, dim: ${dim}, pooling: ${pooling}, zipf: ${(0.2 + (i % 9) * 0.1).toFixed(1)}}`;
}
function rowsOf(i: number): number {
  return 10_000 + ((i * 7_919) % 5_000_000);
}

/** A DLRM-like config: `tables` tables, a round-robin placement on `gpus` H100s (8 per host). */
function configFor({ tables, gpus }: Sized): string {
  const lines = [
    `# bench: ${tables} tables on ${gpus} GPUs`,
    'version: 1',
    'batch_size: 65536',
    'dtype: fp16',
    'optimizer: rowwise_adagrad',
    'devices:',
    '  type: H100-80GB',
    `  count: ${gpus}`,
    '  per_host: 8',
    'tables:',
  ];
  for (let i = 0; i < tables; i++) lines.push(tableLine(i, rowsOf(i)));
  lines.push('placement:');
  for (let i = 0; i < tables; i++) lines.push(`  t${String(i).padStart(5, '0')}: ${i % gpus}`);
  return `${lines.join('\n')}\n`;
}

/** The incremental change that rewrites table i's rows to `rows` (what VS Code sends for a typed digit). */
function rowsEdit(i: number, rows: number) {
  const before = tableLine(i, rowsOf(i));
  const start = before.indexOf('rows: ') + 'rows: '.length;
  const end = before.indexOf(',', start);
  return { range: { start: { line: HEADER_LINES + i, character: start }, end: { line: HEADER_LINES + i, character: end } }, text: String(rows) };
}

const f1 = (x: number) => x.toFixed(1);
const log = (m: string) => console.log(`  ${m}`);

function vmKb(pid: number, key: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

interface Server {
  conn: MessageConnection;
  proc: ChildProcess;
  /** uri → published versions in arrival order, with arrival time. */
  published: Map<string, Array<{ version: number; at: number; count: number }>>;
  waiters: Array<{ uri: string; version: number; resolve: (at: number) => void }>;
}

async function start(): Promise<Server> {
  // BENCH_CPU_PROF=DIR: profile the server (node --cpu-prof), one .cpuprofile per server process.
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROF] : [];
  let server!: Server;
  await connectServer({
    nodeArgs: prof,
    // Default debounce (no debounceMs): what users get.
    initializationOptions: { modelsDir: path.join(ROOT, 'models') },
    setup: (conn, proc) => {
      proc.stderr.pipe(process.stderr);
      server = { conn, proc, published: new Map(), waiters: [] };
      conn.onNotification('textDocument/publishDiagnostics', (p: { uri: string; version?: number; diagnostics: unknown[] }) => {
        const at = performance.now();
        const list = server.published.get(p.uri) ?? [];
        list.push({ version: p.version ?? -1, at, count: p.diagnostics.length });
        server.published.set(p.uri, list);
        for (const w of server.waiters.filter((x) => x.uri === p.uri && (p.version ?? -1) >= x.version)) {
          server.waiters.splice(server.waiters.indexOf(w), 1);
          w.resolve(at);
        }
      });
      conn.onNotification(() => undefined);
    },
  });
  return server;
}

/** Arrival time of the first publish of `version` or newer; NaN after `timeoutMs` (the table then says so). */
function diagnosticsOf(server: Server, uri: string, version: number, timeoutMs = 120_000): Promise<number> {
  const list = server.published.get(uri) ?? [];
  const hit = list.find((p) => p.version >= version);
  if (hit) return Promise.resolve(hit.at);
  return new Promise((resolve) => {
    const w = {
      uri,
      version,
      resolve: (at: number) => {
        clearTimeout(timer);
        resolve(at);
      },
    };
    const timer = setTimeout(() => {
      server.waiters.splice(server.waiters.indexOf(w), 1);
      resolve(NaN);
    }, timeoutMs);
    server.waiters.push(w);
  });
}

async function stop(server: Server): Promise<void> {
  try {
    await Promise.race([server.conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 3000))]);
    await server.conn.sendNotification('exit');
  } catch {
    /* gone */
  }
  server.conn.dispose();
  await Promise.race([new Promise((r) => server.proc.once('exit', r)), new Promise((r) => setTimeout(r, 3000))]);
  if (server.proc.exitCode === null) server.proc.kill();
}

interface SizeRow {
  size: Sized;
  openMs: number;
  diag: number[];
  lens: number[];
  hwmMb: number;
  lensCount: number;
}

async function measureSize(size: Sized): Promise<SizeRow> {
  const server = await start();
  const uri = `file://${ROOT}/bench-${size.tables}.shard.yaml`;
  const text = configFor(size);
  const t0 = performance.now();
  await server.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'shardlens', version: 1, text } });
  const openAt = await diagnosticsOf(server, uri, 1);
  // Let the background proposal (Replan lens) settle once, as after opening a file.
  await server.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } });
  await new Promise((r) => setTimeout(r, 500));
  const diag: number[] = [];
  const lens: number[] = [];
  let lensCount = 0;
  for (let k = 0; k < EDITS; k++) {
    const version = k + 2;
    const i = (k * 37) % size.tables;
    const sent = performance.now();
    await server.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [rowsEdit(i, rowsOf(i) + k + 1)] });
    const lensP = server.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } }).then((r) => {
      lensCount = (r as unknown[]).length;
      return performance.now();
    });
    const [dAt, lAt] = await Promise.all([diagnosticsOf(server, uri, version), lensP]);
    diag.push(dAt - sent);
    lens.push(lAt - sent);
  }
  const hwmMb = vmKb(server.proc.pid!, 'VmHWM') / 1024;
  await stop(server);
  return { size, openMs: openAt - t0, diag, lens, hwmMb, lensCount };
}

interface LoadResult {
  edits: number;
  requests: number;
  answered: number;
  failed: number;
  monotonic: boolean;
  versions: number[];
  lastVersion: number;
  finalVersion: number;
  publishes: number;
  cancelCode?: number;
  cancelMs: number;
  rssBeforeMb: number;
  rssAfterMb: number;
  hwmMb: number;
  hwm2Mb: number;
  rss2Mb: number;
  finalDiagMs: number;
}

async function loadPhase(): Promise<LoadResult> {
  const size = { tables: 10_000, gpus: 512 };
  const server = await start();
  const uri = `file://${ROOT}/bench-load.shard.yaml`;
  await server.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'shardlens', version: 1, text: configFor(size) } });
  await diagnosticsOf(server, uri, 1);
  await server.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } });
  const pid = server.proc.pid!;
  const rssBeforeMb = vmKb(pid, 'VmRSS') / 1024;

  // $/cancelRequest on a replan of the current version (vscode-jsonrpc sends it when the token fires).
  const cts = new CancellationTokenSource();
  const cancelSent = performance.now();
  const replan = server.conn.sendRequest('shardlens/replan', { uri, version: 1, strategy: 'best' }, cts.token).then(
    () => ({ code: 0 }),
    (e: { code?: number }) => ({ code: e.code }),
  );
  setTimeout(() => cts.cancel(), 50);
  const cancel = await replan;
  const cancelMs = performance.now() - cancelSent - 50;
  log(`load: replan answered (code ${cancel.code}) ${f1(cancelMs)} ms after cancel`);

  let version = 1;
  let requests = 0;
  let answered = 0;
  let failed = 0;
  const pending: Promise<void>[] = [];
  const total = LOAD_S * LOAD_RATE_HZ;
  const t0 = performance.now();
  for (let k = 0; k < total; k++) {
    // Pace to 100 edits/s against the wall clock.
    const due = t0 + (k * 1000) / LOAD_RATE_HZ;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    version++;
    const i = (k * 101) % size.tables;
    void server.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [rowsEdit(i, rowsOf(i) + 1_000 + k)] });
    if (k % 10 === 0) {
      for (const req of [
        () => server.conn.sendRequest('textDocument/codeLens', { textDocument: { uri } }),
        () => server.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line: HEADER_LINES + i, character: 8 } }),
      ]) {
        requests++;
        pending.push(
          req().then(
            () => {
              answered++;
            },
            () => {
              failed++;
            },
          ),
        );
      }
    }
  }
  const lastSent = performance.now();
  const finalVersion = version;
  log(`load: ${total} edits sent in ${f1((lastSent - t0) / 1000)} s; ${answered}/${requests} requests answered so far`);
  const finalAt = await diagnosticsOf(server, uri, finalVersion);
  const finalDiagMs = finalAt - lastSent;
  log(`load: final version's diagnostics ${f1(finalDiagMs)} ms after the last edit`);
  await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, 30_000))]);
  // Give any straggling publish a moment to arrive, then check order.
  await new Promise((r) => setTimeout(r, 500));
  const list = server.published.get(uri) ?? [];
  const versions = list.map((p) => p.version);
  const monotonic = versions.every((v, j) => j === 0 || v >= versions[j - 1]);
  const rssAfterMb = vmKb(pid, 'VmRSS') / 1024;
  const hwmMb = vmKb(pid, 'VmHWM') / 1024;
  // Bounded, not leaking: a second burst of the same load must not raise the peak much further.
  for (let k = 0; k < LOAD_RATE_HZ * 3; k++) {
    await new Promise((r) => setTimeout(r, 1000 / LOAD_RATE_HZ));
    version++;
    const i = (k * 53) % size.tables;
    void server.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [rowsEdit(i, rowsOf(i) + 500_000 + k)] });
  }
  await diagnosticsOf(server, uri, version);
  const hwm2Mb = vmKb(pid, 'VmHWM') / 1024;
  const rss2Mb = vmKb(pid, 'VmRSS') / 1024;
  await stop(server);
  return {
    edits: total,
    requests,
    answered,
    failed,
    monotonic,
    versions,
    lastVersion: versions[versions.length - 1],
    finalVersion,
    publishes: list.length,
    cancelCode: cancel.code,
    cancelMs,
    rssBeforeMb,
    rssAfterMb,
    hwmMb,
    hwm2Mb,
    rss2Mb,
    finalDiagMs,
  };
}

async function main(): Promise<void> {
  ensureBuilt();
  const only = process.env.BENCH_SIZES?.split(',').map(Number);
  const sizes = only ? ALL_SIZES.filter((s) => only.includes(s.tables)) : ALL_SIZES;
  console.log(`ShardLens LSP benchmark: node ${process.version}, ${EDITS} edits per size, default 30 ms debounce included`);
  const rows: SizeRow[] = [];
  for (const s of sizes) {
    const r = await measureSize(s);
    rows.push(r);
    console.log(`  measured ${s.tables} tables (${r.lensCount} lenses)`);
  }
  console.log('\n| tables | GPUs | open→diag ms | edit→diag median | p95 | edit→lenses median | p95 | peak RSS MB | target (median diag) |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of rows) {
    const target = r.size.tables === 1_000 ? 50 : r.size.tables === 10_000 ? 300 : undefined;
    const med = quantile(r.diag, 0.5);
    const verdict = target === undefined ? '—' : `< ${target} ms: ${med < target ? 'met' : 'MISSED'}`;
    console.log(
      `| ${r.size.tables} | ${r.size.gpus} | ${f1(r.openMs)} | ${f1(med)} | ${f1(quantile(r.diag, 0.95))} | ${f1(quantile(r.lens, 0.5))} | ${f1(quantile(r.lens, 0.95))} | ${f1(r.hwmMb)} | ${verdict} |`,
    );
  }
  if (LOAD_S > 0) {
    const l = await loadPhase();
    console.log(`\nLoad: 10,000 tables / 512 GPUs, ${l.edits} edits at ${LOAD_RATE_HZ}/s for ${LOAD_S} s, ${l.requests} code-lens + hover requests`);
    console.log(`| check | result |`);
    console.log(`|---|---|`);
    console.log(`| requests answered | ${l.answered} / ${l.requests} (${l.failed} errors) ${l.answered + l.failed === l.requests && l.failed === 0 ? 'OK' : 'FAIL'} |`);
    console.log(`| publishes | ${l.publishes} (coalesced from ${l.edits} edits) |`);
    console.log(`| published versions never go back | ${l.monotonic ? 'OK' : `FAIL (${l.versions.join(', ')})`} |`);
    console.log(`| last published version = final version | ${l.lastVersion} = ${l.finalVersion} ${l.lastVersion === l.finalVersion ? 'OK' : 'FAIL'} |`);
    console.log(`| last edit → its diagnostics | ${f1(l.finalDiagMs)} ms |`);
    console.log(
      `| replan cancelled via $/cancelRequest | code ${l.cancelCode} ${l.cancelCode === -32800 ? 'OK (RequestCancelled)' : 'FAIL'}, answered ${f1(l.cancelMs)} ms after cancel |`,
    );
    console.log(`| RSS before → after load | ${f1(l.rssBeforeMb)} → ${f1(l.rssAfterMb)} MB, peak ${f1(l.hwmMb)} MB |`);
    const bounded = l.hwm2Mb <= l.hwmMb * 1.15;
    console.log(`| second 3 s burst: peak, RSS | ${f1(l.hwm2Mb)} MB, ${f1(l.rss2Mb)} MB ${bounded ? 'OK (peak did not grow > 15%: bounded)' : 'GROWING'} |`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
