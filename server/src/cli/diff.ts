/**
 * `shardlens diff A.shard.yaml B.shard.yaml` and `shardlens diff FILE
 * --against REF`: which tables moved (from → to) between two placements and
 * what that does to each GPU's predicted time and to the step time, both sides
 * scored by the same cost model. Text, or the JSON of docs/cli.md.
 * Exit 0 when both sides were scored, 1 when one cannot be (config errors,
 * unreadable file, no such revision), 2 for usage mistakes.
 */
import * as path from 'node:path';
import { renderEntry } from '../config/placementText';
import { analyzeDocument, blockingErrors, type Analysis } from '../engine';
import { formatBytes } from '../config/byteUnits';
import { formatChange, formatMs, formatSignedMs, msCell } from '../engine/format';
import { comparePlacements, type PlanDiff } from '../engine/planDiff';
import { UsageError } from './args';
import { analyzeFile, type CliContext } from './context';
import { gitShow } from '../io/gitShow';
import { planDiffJson } from './jsonShapes';
import { renderTable } from './textTable';

/** Rows of moves shown in text mode before "… and N more" (JSON lists all). */
const MAX_MOVES_SHOWN = 40;

interface Side {
  analysis: Analysis;
  name: string;
}

async function sides(ctx: CliContext): Promise<{ before: Side; after: Side } | { why: string }> {
  const files = ctx.args.positionals;
  const ref = ctx.args.against;
  if (ref !== undefined) {
    if (files.length !== 1) throw new UsageError(`diff --against ${ref} takes one FILE, got ${files.length}`);
    const abs = path.resolve(ctx.cwd, files[0]);
    const display = ctx.display(abs);
    const shown = gitShow(abs, ref, display);
    if ('why' in shown) return { why: shown.why };
    const before = await analyzeDocument(abs, shown.text, ctx.referenceReader(abs), ctx.costModels);
    return { before: { analysis: before, name: `${ref}:${display}` }, after: { analysis: await analyzeFile(ctx, files[0]), name: display } };
  }
  if (files.length !== 2) throw new UsageError(`diff takes two files (A B), or one FILE with --against REF; got ${files.length}`);
  const [a, b] = await Promise.all(files.map((f) => analyzeFile(ctx, f)));
  return { before: { analysis: a, name: ctx.display(a.file) }, after: { analysis: b, name: ctx.display(b.file) } };
}

/**
 * The errors that stop a side from being compared, as `name:line:col: error CODE message`
 * (errors in the placement itself do not: the diff shows them as infeasible).
 */
function sideErrors(s: Side): string[] {
  return blockingErrors(s.analysis).map((d) => `${s.name}:${d.range.start.line + 1}:${d.range.start.character + 1}: error ${d.code} ${d.message}`);
}

function printText(ctx: CliContext, before: Side, after: Side, d: PlanDiff): void {
  const { c } = ctx.io;
  ctx.io.out(`${c.bold('ShardLens diff')} \u00b7 ${before.name} \u2192 ${after.name}`);
  const change = formatChange(d.before.maxMs, d.after.maxMs);
  ctx.io.out(`  step time ${formatMs(d.before.maxMs)} \u2192 ${formatMs(d.after.maxMs)} (${formatSignedMs(d.stepChangeMs)}${change ? `, ${change}` : ''})`);
  const model = d.sameModel ? `both scored by ${d.after.costModel}` : `scored by ${d.before.costModel} (before) and ${d.after.costModel} (after)`;
  ctx.io.out(c.dim(`  ${model}${d.devicesChange ? ` \u00b7 devices ${d.devicesChange}` : ''}`));
  for (const [name, p] of [
    [before.name, d.before],
    [after.name, d.after],
  ] as const) {
    if (!p.feasible)
      ctx.io.out(`  ${c.yellow('!')} ${name} is not feasible: ${p.reasons.slice(0, 2).join('; ')}${p.reasons.length > 2 ? ` (and ${p.reasons.length - 2} more)` : ''}`);
  }
  const counts = [`${d.moved} moved`, d.added ? `${d.added} newly placed` : '', d.removed ? `${d.removed} no longer placed` : ''].filter(Boolean).join(', ');
  ctx.io.out(`  ${d.moves.length === 0 ? 'no table moved' : `${d.moves.length} table${d.moves.length === 1 ? '' : 's'} changed: ${counts}`}`);
  if (d.moves.length > 0) {
    ctx.io.out('');
    const rows = d.moves.slice(0, MAX_MOVES_SHOWN).map((m) => [m.table, m.from ? renderEntry(m.from) : c.dim('(none)'), m.to ? renderEntry(m.to) : c.dim('(none)')]);
    ctx.io.out(
      renderTable(
        [
          { header: 'table', align: 'left' },
          { header: 'from', align: 'left' },
          { header: 'to', align: 'left' },
        ],
        rows,
      ),
    );
    if (d.moves.length > MAX_MOVES_SHOWN) ctx.io.out(c.dim(`  … and ${d.moves.length - MAX_MOVES_SHOWN} more (--format json lists all)`));
  }
  // GPUs whose time or memory changed (the table shows ms to 3 decimals).
  const changed = d.gpus.filter((g) => msCell(g.beforeMs ?? NaN) !== msCell(g.afterMs ?? NaN) || g.beforeMemoryBytes !== g.afterMemoryBytes);
  if (changed.length > 0) {
    ctx.io.out('');
    const cell = (x: number | undefined) => (x === undefined ? '\u2013' : msCell(x));
    const mem = (x: number | undefined) => (x === undefined ? '\u2013' : formatBytes(x));
    const note = (g: PlanDiff['gpus'][number]) =>
      [g.beforeMs === d.before.maxMs ? 'slowest before' : '', g.afterMs === d.after.maxMs ? 'slowest after' : ''].filter(Boolean).join(', ');
    const rows = changed.map((g) => [
      String(g.gpu),
      cell(g.beforeMs),
      cell(g.afterMs),
      `${g.changeMs > 0 ? '+' : ''}${msCell(g.changeMs)}`,
      mem(g.beforeMemoryBytes),
      mem(g.afterMemoryBytes),
      c.dim(note(g)),
    ]);
    ctx.io.out(
      renderTable(
        [
          { header: 'GPU', align: 'right' },
          { header: 'before ms', align: 'right' },
          { header: 'after ms', align: 'right' },
          { header: 'change ms', align: 'right' },
          { header: 'before mem', align: 'right' },
          { header: 'after mem', align: 'right' },
          { header: '', align: 'left' },
        ],
        rows,
      ),
    );
  }
}

export async function runDiff(ctx: CliContext): Promise<number> {
  if (ctx.args.positionals.length === 0) throw new UsageError('diff needs two files (A B), or one FILE with --against REF');
  const got = await sides(ctx);
  if ('why' in got) {
    if (ctx.args.format === 'json') ctx.io.out(JSON.stringify({ error: got.why }, null, 2));
    else ctx.io.err(`shardlens diff: ${got.why}`);
    return 1;
  }
  const { before, after } = got;
  const errors = [...sideErrors(before), ...sideErrors(after)];
  const result = errors.length > 0 ? undefined : await comparePlacements(before.analysis, after.analysis, before.name);
  if (!result || 'problem' in result) {
    const why = result ? result.problem : `cannot compare: fix the ${errors.length} error${errors.length === 1 ? '' : 's'} first`;
    if (ctx.args.format === 'json') {
      ctx.io.out(JSON.stringify({ error: why, errors }, null, 2));
    } else {
      for (const e of errors) ctx.io.err(e);
      ctx.io.err(`shardlens diff: ${why}`);
    }
    return 1;
  }
  if (ctx.args.format === 'json') ctx.io.out(JSON.stringify(planDiffJson(result, before.name, after.name), null, 2));
  else printText(ctx, before, after, result);
  return 0;
}
