/**
 * Independent checkers for the fuzz properties. They re-derive what must hold
 * from the inputs alone (no planner or validator code), so a bug in the
 * product cannot hide behind the same bug here.
 */
import type { Diagnostic } from '../../server/src/config/diagnostics';
import type { ShardConfig } from '../../server/src/config/types';
import type { PlanResult } from '../../server/src/plan/types';

/** Longest message a diagnostic may carry (the product's bound, restated: 1,000 characters). */
const MAX_MESSAGE_CHARS = 1_000;

/** Lines as an LSP client splits them (\r\n, \r and \n all end a line). */
export function lspLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/** Problems with a diagnostic's range in `text` (empty: fine). */
export function rangeProblems(d: { range: Diagnostic['range'] }, text: string, lines = lspLines(text)): string[] {
  const out: string[] = [];
  const { start, end } = d.range;
  for (const [what, p] of [['start', start], ['end', end]] as const) {
    if (!Number.isInteger(p.line) || !Number.isInteger(p.character) || p.line < 0 || p.character < 0) {
      out.push(`${what} ${JSON.stringify(p)} is not a non-negative integer position`);
    } else if (p.line >= lines.length) {
      out.push(`${what} line ${p.line} ≥ line count ${lines.length}`);
    } else if (p.character > lines[p.line].length) {
      out.push(`${what} character ${p.character} > length ${lines[p.line].length} of line ${p.line}`);
    }
  }
  if (start.line > end.line || (start.line === end.line && start.character > end.character)) out.push(`start ${JSON.stringify(start)} after end ${JSON.stringify(end)}`);
  return out;
}

/** Every diagnostic (and quick-fix edit) of `files` lies inside its file's text. */
export function diagnosticProblems(diagnostics: readonly Diagnostic[], texts: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  const lineCache = new Map<string, string[]>();
  const linesOf = (f: string) => {
    let l = lineCache.get(f);
    if (!l) { l = lspLines(texts.get(f) ?? ''); lineCache.set(f, l); }
    return l;
  };
  for (const d of diagnostics) {
    if (!texts.has(d.file)) { out.push(`${d.code} names file ${d.file}, which was not read`); continue; }
    if (typeof d.message !== 'string' || d.message.length === 0) out.push(`${d.code} has no message`);
    // Input is echoed only as an excerpt: no message (or fix title) grows with the input.
    else if (d.message.length > MAX_MESSAGE_CHARS) out.push(`${d.code} message of ${d.message.length} chars: ${d.message.slice(0, 80)}…`);
    for (const fix of d.fixes ?? []) if (fix.title.length > MAX_MESSAGE_CHARS) out.push(`${d.code} fix title of ${fix.title.length} chars`);
    if (!/^SL\d{3}$/.test(d.code)) out.push(`code ${d.code} is not SLnnn`);
    for (const p of rangeProblems(d, texts.get(d.file)!, linesOf(d.file))) out.push(`${d.code} "${d.message.slice(0, 80)}": ${p}`);
    for (const fix of d.fixes ?? []) {
      if (!texts.has(fix.file)) { out.push(`fix "${fix.title}" edits unknown file ${fix.file}`); continue; }
      for (const e of fix.edits) for (const p of rangeProblems(e, texts.get(fix.file)!, linesOf(fix.file))) out.push(`fix "${fix.title}": ${p}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------- plans

const BYTES = { fp32: 4, fp16: 2, bf16: 2 } as const;

/** Weights + optimizer state of `rows × dim`, bytes (docs/design.md optimizer line; FBGEMM state sizes). */
function memBytes(rows: number, dim: number, dtypeBytes: number, optimizer: ShardConfig['optimizer']): number {
  const w = rows * dim * dtypeBytes;
  if (optimizer === 'rowwise_adagrad') return w + rows * 4;
  if (optimizer === 'adam') return w + rows * dim * 8;
  return w;
}

/**
 * Why a plan that says `feasible` is not (empty: it is): every table placed
 * once, on existing distinct GPUs, with an allowed kind, pins kept, column
 * widths multiples of 4, row shards ≤ rows, and per-GPU memory (recomputed
 * here) within capacity × (1 − reserve). Also the reported numbers are finite.
 */
export function planProblems(config: ShardConfig, plan: PlanResult): string[] {
  const out: string[] = [];
  const n = Number.isInteger(config.devices.count) && config.devices.count > 0 ? config.devices.count : 0;
  const capacity = Math.floor(config.devices.memoryBytes * (1 - config.devices.reserve));
  const used = new Array<number>(n).fill(0);
  for (const g of plan.gpus) {
    for (const k of ['fwdMs', 'bwdMs', 'commMs', 'totalMs', 'memoryBytes'] as const) {
      if (!Number.isFinite(g[k]) || g[k] < 0) out.push(`GPU ${g.gpu} ${k} = ${g[k]}`);
    }
  }
  if (!Number.isFinite(plan.maxMs) || plan.maxMs < 0 || !Number.isFinite(plan.meanMs) || plan.meanMs < 0) out.push(`max/mean ${plan.maxMs}/${plan.meanMs}`);
  if (!plan.feasible) return out;
  const names = new Set(config.tables.map((t) => t.name));
  for (const name of plan.placement.keys()) if (!names.has(name)) out.push(`placement names unknown table ${name}`);
  for (const t of config.tables) {
    const e = plan.placement.get(t.name);
    if (!e) { out.push(`${t.name} unplaced in a feasible plan`); continue; }
    const kinds = t.sharding?.length ? t.sharding : ['table', 'column', 'row'];
    if (e.kind !== 'table' && e.kind !== 'column' && e.kind !== 'row') { out.push(`${t.name}: kind ${e.kind} is not checked here yet`); continue; }
    const gpus = e.kind === 'table' ? [e.gpu] : e.gpus;
    // One GPU in a split list is the whole table there.
    const effectiveKind = gpus.length === 1 ? 'table' : e.kind;
    if (!kinds.includes(e.kind) && !kinds.includes(effectiveKind)) out.push(`${t.name} placed ${e.kind}-wise, allows ${kinds.join(',')}`);
    if (gpus.length === 0) { out.push(`${t.name} has no GPUs`); continue; }
    if (gpus.some((g) => !Number.isInteger(g) || g < 0 || g >= n)) { out.push(`${t.name} on GPUs ${gpus} of ${n}`); continue; }
    if (new Set(gpus).size !== gpus.length) out.push(`${t.name} lists a GPU twice: ${gpus}`);
    if (t.pin !== undefined && !(gpus.length === 1 && gpus[0] === t.pin)) out.push(`${t.name} pinned to ${t.pin} but on ${gpus}`);
    const b = BYTES[t.dtype];
    if (e.kind === 'column' && gpus.length > 1) {
      const width = t.dim / gpus.length;
      if (!Number.isInteger(width) || width % 4 !== 0) out.push(`${t.name}: dim ${t.dim} / ${gpus.length} columns = ${width}`);
      for (const g of gpus) used[g] += memBytes(t.rows, width, b, config.optimizer);
    } else if (e.kind === 'row' && gpus.length > 1) {
      if (gpus.length > t.rows) out.push(`${t.name}: ${gpus.length} row shards of ${t.rows} rows`);
      const q = Math.floor(t.rows / gpus.length);
      gpus.forEach((g, i) => { used[g] += memBytes(q + (i < t.rows % gpus.length ? 1 : 0), t.dim, b, config.optimizer); });
    } else {
      used[gpus[0]] += memBytes(t.rows, t.dim, b, config.optimizer);
    }
  }
  used.forEach((u, g) => { if (u > capacity) out.push(`GPU ${g} holds ${u} B > usable ${capacity} B`); });
  return out;
}
