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
  for (const [what, p] of [
    ['start', start],
    ['end', end],
  ] as const) {
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
    if (!l) {
      l = lspLines(texts.get(f) ?? '');
      lineCache.set(f, l);
    }
    return l;
  };
  for (const d of diagnostics) {
    if (!texts.has(d.file)) {
      out.push(`${d.code} names file ${d.file}, which was not read`);
      continue;
    }
    if (typeof d.message !== 'string' || d.message.length === 0) out.push(`${d.code} has no message`);
    // Input is echoed only as an excerpt: no message (or fix title) grows with the input.
    else if (d.message.length > MAX_MESSAGE_CHARS) out.push(`${d.code} message of ${d.message.length} chars: ${d.message.slice(0, 80)}…`);
    for (const fix of d.fixes ?? []) if (fix.title.length > MAX_MESSAGE_CHARS) out.push(`${d.code} fix title of ${fix.title.length} chars`);
    if (!/^SL\d{3}$/.test(d.code)) out.push(`code ${d.code} is not SLnnn`);
    for (const p of rangeProblems(d, texts.get(d.file)!, linesOf(d.file))) out.push(`${d.code} "${d.message.slice(0, 80)}": ${p}`);
    for (const fix of d.fixes ?? []) {
      if (!texts.has(fix.file)) {
        out.push(`fix "${fix.title}" edits unknown file ${fix.file}`);
        continue;
      }
      for (const e of fix.edits) for (const p of rangeProblems(e, texts.get(fix.file)!, linesOf(fix.file))) out.push(`fix "${fix.title}": ${p}`);
    }
  }
  return out;
}

// ---------------------------------------------------------------- plans

const BYTES = { fp32: 4, fp16: 2, bf16: 2 } as const;
const ALL = ['data_parallel', 'table', 'column', 'row', 'table_row', 'table_column', 'grid'];

/** Weights + optimizer state of `rows × dim`, bytes (FBGEMM state sizes: fp32 whatever the weight dtype). */
function tensorBytes(rows: number, dim: number, dtypeBytes: number, optimizer: ShardConfig['optimizer']): number {
  const w = rows * dim * dtypeBytes;
  if (optimizer === 'rowwise_adagrad') return w + rows * 4;
  if (optimizer === 'adagrad') return w + rows * dim * 4;
  if (optimizer === 'adam') return w + rows * dim * 8;
  return w;
}

/** TorchRec's row blocks: ⌈R/W⌉ each, the last non-empty one the rest, then empty ones. */
function blocks(rows: number, parts: number): number[] {
  const b = Math.ceil(rows / parts);
  return Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(b, rows - i * b)));
}

/**
 * Why a plan that says `feasible` is not (empty: it is): every table placed
 * once, on existing distinct GPUs, with an allowed kind, pins kept, column
 * widths multiples of 4, and per-GPU HBM (recomputed here as TorchRec
 * accounts for it: weights + state + I/O buffers) within HBM × (1 − reserve)
 * − dense − the ids reservation. Also the reported numbers are finite.
 */
export function planProblems(config: ShardConfig, plan: PlanResult): string[] {
  const out: string[] = [];
  const d = config.devices;
  const n = Number.isInteger(d.count) && d.count > 0 ? d.count : 0;
  const perHost = Math.max(1, Math.min(n, d.perHost));
  const B = config.batchSize;
  const b = B / Math.max(1, n);
  const kjt = 20 * Math.ceil(8 * config.tables.reduce((a, t) => a + t.pooling * b, 0));
  const capacity = Math.floor(d.memoryBytes * (1 - d.reserve)) - (config.denseBytes ?? 0) - kjt;
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
  const hostGpus = (h: number) => Array.from({ length: Math.max(0, Math.min(perHost, n - h * perHost)) }, (_, i) => h * perHost + i);
  for (const t of config.tables) {
    const e = plan.placement.get(t.name);
    if (!e) {
      out.push(`${t.name} unplaced in a feasible plan`);
      continue;
    }
    const kinds: string[] = t.sharding?.length ? t.sharding : ALL;
    const gpus =
      e.kind === 'table'
        ? [e.gpu]
        : e.kind === 'data_parallel'
          ? Array.from({ length: n }, (_, g) => g)
          : e.kind === 'table_row'
            ? hostGpus(e.host)
            : e.kind === 'grid'
              ? e.hosts.flatMap(hostGpus)
              : e.gpus;
    if (!kinds.includes(e.kind)) out.push(`${t.name} placed ${e.kind}-wise, allows ${kinds.join(',')}`);
    if (gpus.length === 0) {
      out.push(`${t.name} has no GPUs`);
      continue;
    }
    if (gpus.some((g) => !Number.isInteger(g) || g < 0 || g >= n)) {
      out.push(`${t.name} on GPUs ${gpus} of ${n}`);
      continue;
    }
    if (new Set(gpus).size !== gpus.length) out.push(`${t.name} lists a GPU twice: ${gpus}`);
    if (t.pin !== undefined && !(e.kind === 'table' && gpus[0] === t.pin)) out.push(`${t.name} pinned to ${t.pin} but on ${gpus}`);
    const w = BYTES[t.dtype];
    const L = t.pooling;
    const io = (kind: string, width: number) => {
      const inp = kind === 'data_parallel' || kind === 'row' ? 8 * L * b : kind === 'table_row' || kind === 'grid' ? (8 * L * B) / perHost : 8 * L * B;
      return Math.ceil(inp) + Math.ceil((kind === 'data_parallel' ? b : B) * width * w);
    };
    const add = (g: number, rows: number, width: number, kind: string) => {
      if (rows > 0) used[g] += tensorBytes(rows, width, w, config.optimizer) + io(gpus.length === 1 && kind !== 'data_parallel' ? 'table' : kind, width);
    };
    if ((e.kind === 'column' || e.kind === 'table_column') && gpus.length > 1) {
      const width = t.dim / gpus.length;
      if (!Number.isInteger(width) || width % 4 !== 0) out.push(`${t.name}: dim ${t.dim} / ${gpus.length} columns = ${width}`);
      for (const g of gpus) add(g, t.rows, width, e.kind);
    } else if ((e.kind === 'row' || e.kind === 'table_row') && gpus.length > 1) {
      blocks(t.rows, gpus.length).forEach((r, i) => add(gpus[i], r, t.dim, e.kind));
    } else if (e.kind === 'grid') {
      const width = t.dim / e.hosts.length;
      for (const h of e.hosts) blocks(t.rows, hostGpus(h).length).forEach((r, i) => add(hostGpus(h)[i], r, width, 'grid'));
    } else if (e.kind === 'data_parallel') {
      for (const g of gpus) add(g, t.rows, t.dim, 'data_parallel');
    } else {
      add(gpus[0], t.rows, t.dim, 'table');
    }
  }
  used.forEach((u, g) => {
    if (u > capacity) out.push(`GPU ${g} holds ${u} B > space for shards ${capacity} B`);
  });
  return out;
}
