/**
 * `shardlens explain FILE TABLE`: one table's cost taken apart
 * (engine/explainTable.ts), per shard of its written placement entry: where
 * it sits, lookups, distinct rows, hit rate, bytes read and written forward
 * and backward, optimizer state traffic and memory, forward / backward /
 * communication ms, the ± and the model and kernel that priced it, then the
 * cost model's range notes (SL110) for the table. `--format json`: the shape
 * in docs/cli.md. Exit 1 when the config cannot be costed or has no such
 * table.
 */
import type { Diagnostic } from '../config/diagnostics';
import { closest } from '../config/didYouMean';
import { excerpt } from '../config/excerpt';
import { formatBytes } from '../config/byteUnits';
import { entryRanks } from '../config/placementRanks';
import { kindLabel } from '../config/shardingKinds';
import type { Range } from '../config/types';
import { explainTable, type ShardExplanation, type TableExplanation } from '../engine/explainTable';
import { formatPercent, msCell } from '../engine/format';
import { UsageError } from './args';
import { analyzeFile, type CliContext } from './context';
import { costModelWarningsJson, printCostModelWarnings } from './costModelWarnings';
import { formatDiagnosticLine } from './check';
import { diagnosticJson, explainJson } from './jsonShapes';
import { reportProblems } from './plan';
import { renderTable, type Column } from './textTable';

/** Shards shown side by side in text; the rest are in `--format json`. */
export const MAX_SHARD_COLUMNS = 6;

/** Errors that leave a written entry without usable shards: GPUs or hosts that do not exist, splits that cannot be cut, GPUs listed twice. */
const UNUSABLE_ENTRY = new Set(['SL041', 'SL046', 'SL048']);

function inside(r: Range, outer: Range): boolean {
  const before = (a: Range['start'], b: Range['start']) => a.line < b.line || (a.line === b.line && a.character <= b.character);
  return before(outer.start, r.start) && before(r.end, outer.end);
}

/** The error diagnostics on `table`'s written placement entry. */
function entryErrors(diagnostics: readonly Diagnostic[], file: string, entry: Range | undefined): Diagnostic[] {
  if (!entry) return [];
  return diagnostics.filter((d) => d.severity === 'error' && d.file === file && inside(d.range, entry));
}

function span(start: number, count: number, of: number): string {
  if (start === 0 && count === of) return `all ${count.toLocaleString('en-US')}`;
  if (count === 0) return 'none';
  return `${start.toLocaleString('en-US')}\u2013${(start + count - 1).toLocaleString('en-US')}`;
}

const int = (x: number) => Math.round(x).toLocaleString('en-US');
/** A count that may be small and fractional (an expectation): 3 significant digits below 100. */
const count = (x: number) => (Math.abs(x) >= 100 || x === 0 ? int(x) : String(Number(x.toPrecision(3))));

/** The shards shown in text: the slowest first, then the others in order, up to MAX_SHARD_COLUMNS. */
export function shownShards(shards: readonly ShardExplanation[]): { index: number; slowest: boolean }[] {
  if (shards.length === 0) return [];
  let slowest = 0;
  shards.forEach((s, i) => {
    if (s.fwdMs + s.bwdMs > shards[slowest].fwdMs + shards[slowest].bwdMs) slowest = i;
  });
  // Marked only when it is slower than another shard (equal shards have no slowest).
  const marked = shards.some((s) => s.fwdMs + s.bwdMs < shards[slowest].fwdMs + shards[slowest].bwdMs);
  if (shards.length <= MAX_SHARD_COLUMNS) return shards.map((_, index) => ({ index, slowest: marked && index === slowest }));
  const rest = shards
    .map((_, i) => i)
    .filter((i) => i !== slowest)
    .slice(0, MAX_SHARD_COLUMNS - 1);
  return [{ index: slowest, slowest: marked }, ...rest.map((index) => ({ index, slowest: false }))];
}

/** The per-shard figures, one row per quantity, one column per shown shard. */
function shardTable(x: TableExplanation): string {
  const shown = shownShards(x.shards);
  const shards = shown.map((s) => x.shards[s.index]);
  const any = (f: (s: ShardExplanation) => boolean) => x.shards.some(f);
  const rows: string[][] = [];
  const add = (label: string, cell: (s: ShardExplanation) => string) => rows.push([label, ...shards.map(cell)]);
  add('GPU (host)', (s) => `${s.gpu} (${s.host})`);
  add('rows', (s) => span(s.rowStart, s.rows, x.table.rows));
  add('columns', (s) => span(s.colStart, s.cols, x.table.dim));
  add('bags', (s) => int(s.bags));
  add('lookups', (s) => int(s.traffic.lookups));
  if (any((s) => s.traffic.block !== undefined)) {
    add("  share of the table's lookups", (s) => (s.traffic.block ? formatPercent(s.traffic.block.lookupShare) : '\u2013'));
    add('  on its hottest 1% of rows', (s) => (s.traffic.block ? formatPercent(s.traffic.block.hotRowsShare) : '\u2013'));
    add('  lookups of its hottest row', (s) => (s.traffic.block ? count(s.traffic.block.hottestRowLookups) : '\u2013'));
  }
  add('distinct rows', (s) => int(s.traffic.distinctRows));
  add('L2 hit rate', (s) => formatPercent(s.traffic.hitRate));
  add('forward HBM read', (s) => formatBytes(s.traffic.fwdReadBytes));
  add('forward HBM written', (s) => formatBytes(s.traffic.fwdWrittenBytes));
  add('forward L2 read', (s) => formatBytes(s.traffic.fwdL2Bytes));
  add('backward read + written', (s) => formatBytes(s.traffic.bwdBytes));
  add('  of which optimizer state', (s) => formatBytes(s.traffic.stateBytes));
  if (any((s) => s.traffic.hostLinkBytes > 0)) add('host link (UVM misses)', (s) => formatBytes(s.traffic.hostLinkBytes));
  add('forward ms', (s) => msCell(s.fwdMs));
  add('backward ms', (s) => msCell(s.bwdMs));
  if (any((s) => s.uncertaintyMs !== undefined)) add('\u00b1 ms (fwd + bwd)', (s) => (s.uncertaintyMs !== undefined ? `\u00b1${msCell(s.uncertaintyMs)}` : '\u2013'));
  add('input dist ms', (s) => msCell(s.commMs.inputDist));
  add('output dist ms', (s) => msCell(s.commMs.outputDist));
  add('grad dist ms', (s) => msCell(s.commMs.gradDist));
  if (any((s) => s.commMs.dpSync > 0)) add('dp sync ms', (s) => msCell(s.commMs.dpSync));
  const uvm = any((s) => s.memory.hostBytes > 0);
  add('HBM', (s) => formatBytes(s.memory.hbmBytes));
  add(uvm ? '  UVM cache and its metadata' : '  weights + optimizer state', (s) => formatBytes(s.memory.hbmTensorBytes));
  add('  I/O buffers', (s) => formatBytes(s.memory.ioBytes));
  if (uvm) add('host memory (UVM): weights + state', (s) => formatBytes(s.memory.hostBytes));
  add('weights held', (s) => formatBytes(s.memory.weightsBytes));
  add('optimizer state held', (s) => formatBytes(s.memory.stateBytes));
  const columns: Column[] = [
    { header: 'per step', align: 'left' },
    ...shown.map((s) => ({ header: x.shards.length === 1 ? 'the table' : `shard ${s.index}${s.slowest ? ' (slowest)' : ''}`, align: 'right' as const })),
  ];
  return renderTable(columns, rows);
}

function printText(ctx: CliContext, x: TableExplanation, file: string): void {
  const { c } = ctx.io;
  const t = x.table;
  ctx.io.out(`${c.bold('ShardLens explain')} \u00b7 ${file} \u00b7 ${c.bold(t.name)}`);
  const cache = t.cacheLoadFactor !== undefined ? ` (cache_load_factor ${t.cacheLoadFactor})` : '';
  ctx.io.out(
    `  ${int(t.rows)} rows \u00d7 dim ${t.dim} \u00b7 ${t.dtype} \u00b7 pooling ${t.pooling} \u00b7 zipf ${t.zipf} \u00b7 ids ${t.ids} \u00b7 optimizer ${x.optimizer} \u00b7 batch ${int(x.batchSize)} \u00b7 ${x.deviceType}`,
  );
  const n = x.shards.length;
  ctx.io.out(
    x.placed
      ? `  placement ${t.name}: ${x.entryText} \u2014 ${kindLabel(x.entry.kind)} (TorchRec ${x.torchrecKind}), ${n} shard${n === 1 ? '' : 's'}`
      : `  no usable placement entry: shown whole on GPU 0 (table-wise)`,
  );
  const p = x.pricing;
  ctx.io.out(`  kernel ${t.kernel}${cache} \u00b7 priced by ${p.model} (${p.source})${p.notes.map((note) => `; ${note}`).join('')}`);
  ctx.io.out(c.dim(`  lookups and bytes as the ${x.shards[0]?.traffic.countedBy ?? ''} model counts them; ms of each shard alone on its GPU; communication of this table alone`));
  ctx.io.out('');
  ctx.io.out(shardTable(x));
  if (n > MAX_SHARD_COLUMNS) ctx.io.out(c.dim(`  \u2026 ${n - MAX_SHARD_COLUMNS} more shards (--format json lists every shard)`));
  if (n > 1) {
    const sum = (f: (s: ShardExplanation) => number) => x.shards.reduce((a, s) => a + f(s), 0);
    ctx.io.out('');
    ctx.io.out(
      `  all ${n} shards: forward ${msCell(sum((s) => s.fwdMs))} + backward ${msCell(sum((s) => s.bwdMs))} GPU-ms \u00b7 HBM ${formatBytes(sum((s) => s.memory.hbmBytes))}${sum((s) => s.memory.hostBytes) > 0 ? ` \u00b7 host ${formatBytes(sum((s) => s.memory.hostBytes))}` : ''}`,
    );
  }
  if (x.rangeNotes.length > 0) {
    ctx.io.out('');
    ctx.io.out("  range notes (the cost model's measured range):");
    for (const r of x.rangeNotes) ctx.io.out(`    ${r.level === 'info' ? c.dim('note') : c.yellow('SL110')} ${r.message}`);
  }
}

export async function runExplain(ctx: CliContext): Promise<number> {
  const [file, name, ...extra] = ctx.args.positionals;
  if (!file || name === undefined) throw new UsageError('explain needs a FILE and a TABLE name: shardlens explain FILE TABLE');
  if (extra.length > 0) throw new UsageError(`explain takes one FILE and one TABLE, got ${ctx.args.positionals.length} words`);
  const a = await analyzeFile(ctx, file);
  if (!reportProblems(ctx, a, 'explain')) return 1;
  const config = a.loaded.config!;
  const where = ctx.display(a.file);
  if (!config.tables.some((t) => t.name === name)) {
    const guess = closest(
      name,
      config.tables.map((t) => t.name),
    );
    const message = `no table '${excerpt(name)}'${guess ? `; did you mean '${guess}'?` : ''}`;
    if (ctx.args.format === 'json') ctx.io.out(JSON.stringify({ error: `${where}: ${message}` }, null, 2));
    else ctx.io.err(`${where}: ${message}`);
    return 1;
  }
  const source = a.loaded.source;
  const errors = entryErrors(a.diagnostics, a.file, source.placementEntries.get(name) ?? source.unusablePlacementEntries?.get(name));
  const written = config.placement?.get(name);
  const outOfRange = written !== undefined && entryRanks(written, config.devices).some((g) => !(g >= 0 && g < config.devices.count));
  const unusable = source.unusablePlacementEntries?.has(name) === true;
  const ignoreWritten = outOfRange || errors.some((d) => UNUSABLE_ENTRY.has(d.code));
  const x = (await explainTable(config, a.model!, name, { ignoreWritten }))!;
  if (ctx.args.format === 'json') {
    ctx.io.out(
      JSON.stringify(
        {
          ...explainJson(x, where, config.devices.count),
          warnings: [...costModelWarningsJson(ctx, a), ...errors.map((d) => diagnosticJson(d, ctx.display))],
        },
        null,
        2,
      ),
    );
    return 0;
  }
  printCostModelWarnings(ctx, a);
  for (const d of errors) ctx.io.err(formatDiagnosticLine(ctx, d, ctx.io.ce));
  if (ignoreWritten || unusable) ctx.io.err(`${where}: the placement entry of '${name}' cannot be used as written (above): it is explained whole on GPU 0.`);
  printText(ctx, x, where);
  return 0;
}
