/**
 * `npm run bench:lsp-open`: what a user meets on opening a DLRM-scale config in a
 * freshly started language server.
 *
 * For each run: spawn `node dist/cli.js serve --stdio` (cold: nothing loaded,
 * default 30 ms debounce), initialize, then didOpen examples/dlrm-856.shard.yaml
 * and time, from didOpen:
 * - the first publishDiagnostics of version 1 (config diagnostics),
 * - the first publish that carries cost-based (SL1xx engine) results or the full set,
 * - the first textDocument/codeLens answer that holds per-table lenses
 *   (requested right after didOpen, as VS Code does, and re-requested on every
 *   workspace/codeLens/refresh until per-table lenses arrive),
 * - the first codeLens answer after the Replan proposal landed (top lens without "…");
 * then, warm, edit → publishDiagnostics of an edit that adds an unknown key
 * (an error squiggle), once while the background Replan plan runs (edit sent
 * 400 ms after the per-table lenses) and once after it settled.
 * Prints medians over BENCH_RUNS (default 5) runs. No thresholds: numbers only.
 * BENCH_OPEN_AFTER_MS (default 0): idle time between `initialized` and didOpen
 * (VS Code starts the server at activation, usually before a file is opened).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { connectServer, ensureBuilt, ROOT } from '../integration/lsp/lspClient';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const OPEN_AFTER_MS = Number(process.env.BENCH_OPEN_AFTER_MS ?? 0);
const FILE = path.join(ROOT, 'examples', 'dlrm-856.shard.yaml');

interface Lens {
  command?: { title: string };
}
interface Run {
  editDuringPlanMs: number;
  editIdleMs: number;
  spawnToReadyMs: number;
  firstDiagMs: number;
  fullDiagMs: number;
  lensMs: number;
  replanLensMs: number;
  publishes: number;
  tableLenses: number;
}

const tableLensCount = (lenses: Lens[]) => lenses.filter((l) => l.command?.title.startsWith('\u2248')).length;
const replanSettled = (lenses: Lens[]) => lenses.some((l) => /^(Replan|Plan placement) —/.test(l.command?.title ?? '') && !l.command!.title.includes('\u2026'));

async function once(): Promise<Run> {
  const tSpawn = performance.now();
  const uri = `file://${FILE}`;
  const publishes: Array<{ at: number; version?: number; codes: string[] }> = [];
  let onRefresh: () => void = () => undefined;
  const { conn, proc } = await connectServer({
    initializationOptions: { modelsDir: path.join(ROOT, 'models') },
    onLensRefresh: () => onRefresh(),
    setup: (c, p) => {
      p.stderr.pipe(process.stderr);
      c.onNotification('textDocument/publishDiagnostics', (d: { uri: string; version?: number; diagnostics: Array<{ code?: string }> }) => {
        if (d.uri === uri) publishes.push({ at: performance.now(), version: d.version, codes: d.diagnostics.map((x) => String(x.code)) });
      });
      c.onNotification(() => undefined);
    },
  });
  const ready = performance.now();
  await new Promise((r) => setTimeout(r, OPEN_AFTER_MS));

  const t0 = performance.now();
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'shardlens', version: 1, text: readFileSync(FILE, 'utf8') } });
  let lensAt = NaN;
  let replanAt = NaN;
  let tableLenses = 0;
  /** Sends version `v` (an unknown key after `batch_size`) and resolves at its publish. */
  const text = readFileSync(FILE, 'utf8');
  const editAt = async (v: number): Promise<number> => {
    const sent = performance.now();
    await conn.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: v },
      contentChanges: [{ text: text.replace(/^batch_size:.*$/m, (m) => `${m}\nbatch_sise${v}: 1`) }],
    });
    while (!publishes.some((p) => (p.version ?? 0) >= v && p.codes.includes('SL003'))) await new Promise((r) => setTimeout(r, 2));
    return performance.now() - sent;
  };
  await new Promise<void>((resolve) => {
    let inFlight = false;
    let again = false;
    const ask = () => {
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      void conn.sendRequest('textDocument/codeLens', { textDocument: { uri } }).then((r) => {
        const lenses = (r ?? []) as Lens[];
        const now = performance.now();
        const n = tableLensCount(lenses);
        if (n > 0 && Number.isNaN(lensAt)) {
          lensAt = now;
          tableLenses = n;
        }
        if (replanSettled(lenses) && Number.isNaN(replanAt)) replanAt = now;
        inFlight = false;
        if (!Number.isNaN(replanAt)) resolve();
        else if (again) {
          again = false;
          ask();
        }
      });
    };
    onRefresh = ask;
    ask();
    setTimeout(resolve, 20_000);
  });
  // Replan settled: warm edit (new version 2 would restart planning; measure that edit too).
  const editIdleMs = await editAt(2);
  await new Promise((r) => setTimeout(r, 200));
  // Back to the original text (version 3), whose plan starts ~250 ms after its analysis; edit inside it.
  await conn.sendNotification('textDocument/didChange', { textDocument: { uri, version: 3 }, contentChanges: [{ text }] });
  while (!publishes.some((p) => (p.version ?? 0) >= 3)) await new Promise((r) => setTimeout(r, 2));
  await new Promise((r) => setTimeout(r, 400));
  const editDuringPlanMs = await editAt(4);
  const first = publishes.find((p) => p.version === 1);
  const v1 = publishes.filter((p) => p.version === 1);
  // The full set: the one with cost-based codes, else the last publish of version 1.
  const full = v1.find((p) => p.codes.some((c) => /^SL1\d\d$/.test(c))) ?? v1[v1.length - 1];
  proc.kill();
  return {
    editDuringPlanMs,
    editIdleMs,
    spawnToReadyMs: ready - tSpawn,
    firstDiagMs: (first?.at ?? NaN) - t0,
    fullDiagMs: (full?.at ?? NaN) - t0,
    lensMs: lensAt - t0,
    replanLensMs: replanAt - t0,
    publishes: v1.length,
    tableLenses,
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};
const f1 = (x: number) => x.toFixed(1);

async function main(): Promise<void> {
  ensureBuilt();
  console.log(`ShardLens open benchmark: cold server, didOpen ${path.relative(ROOT, FILE)}, ${RUNS} runs, didOpen ${OPEN_AFTER_MS} ms after initialized, node ${process.version}`);
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await once();
    runs.push(r);
    console.log(
      `  run ${i + 1}: ready ${f1(r.spawnToReadyMs)} · first diag ${f1(r.firstDiagMs)} · full diag ${f1(r.fullDiagMs)} · table lenses ${f1(r.lensMs)} (${r.tableLenses}) · replan lens ${f1(r.replanLensMs)} ms · ${r.publishes} publishes · edit→squiggle idle ${f1(r.editIdleMs)}, during plan ${f1(r.editDuringPlanMs)} ms`,
    );
  }
  console.log('\n| measure (ms, median) | value |');
  console.log('|---|---:|');
  console.log(`| spawn → initialized | ${f1(median(runs.map((r) => r.spawnToReadyMs)))} |`);
  console.log(`| didOpen → first publishDiagnostics | ${f1(median(runs.map((r) => r.firstDiagMs)))} |`);
  console.log(`| didOpen → diagnostics after costing (last of v1) | ${f1(median(runs.map((r) => r.fullDiagMs)))} |`);
  console.log(`| didOpen → codeLens with per-table lenses | ${f1(median(runs.map((r) => r.lensMs)))} |`);
  console.log(`| didOpen → codeLens with Replan result | ${f1(median(runs.map((r) => r.replanLensMs)))} |`);
  console.log(`| edit → error squiggle (warm, plan settled) | ${f1(median(runs.map((r) => r.editIdleMs)))} |`);
  console.log(`| edit → error squiggle (warm, during Replan planning) | ${f1(median(runs.map((r) => r.editDuringPlanMs)))} |`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
