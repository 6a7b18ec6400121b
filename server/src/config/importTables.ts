/**
 * `shardlens import`: a `*.shard.yaml` built from a CSV or JSON list of table
 * statistics, as users dump them from their TorchRec `EmbeddingBagConfig`s
 * (name, num_embeddings, embedding_dim) plus measured pooling and, optionally,
 * skew. Column/key names are matched loosely (`rows` or `num_embeddings`,
 * `dim` or `embedding_dim`, `pooling` or `pooling_factor`, `zipf` or `skew`
 * or `alpha`, optional `dtype`). Every bad row is an error with its 1-based
 * line; good rows are still imported. Pure: text in, text out.
 */
import { LineCounter, parseDocument, isMap, isSeq, type Node } from 'yaml';
import { GPU_PRESETS } from './presets';
import { DTYPE_BYTES, type Dtype } from './types';

export interface ImportError {
  /** 1-based line in the input (0: not tied to a line). */
  line: number;
  message: string;
}

export interface ImportResult {
  /** The config text; undefined when nothing could be imported. */
  yaml?: string;
  errors: ImportError[];
  /** Tables imported. */
  tables: number;
}

export interface ImportOptions {
  /** Device preset for `devices.type` (default H100-80GB). */
  device?: string;
  /** GPUs (default: enough for the tables at ≤ 60% of usable memory, in whole 8-GPU hosts). */
  count?: number;
}

type Field = 'name' | 'rows' | 'dim' | 'pooling' | 'zipf' | 'dtype';

const ALIASES: Readonly<Record<Field, readonly string[]>> = {
  name: ['name', 'table', 'table_name', 'feature', 'feature_name'],
  rows: ['rows', 'num_embeddings', 'num_rows', 'hash_size', 'cardinality'],
  dim: ['dim', 'embedding_dim', 'dimension', 'emb_dim'],
  pooling: ['pooling', 'pooling_factor', 'avg_pooling', 'mean_lookups', 'lookups_per_bag'],
  zipf: ['zipf', 'skew', 'alpha', 'zipf_alpha'],
  dtype: ['dtype', 'data_type', 'precision'],
};

const DTYPE_WORDS: Readonly<Record<string, Dtype>> = {
  fp16: 'fp16', float16: 'fp16', half: 'fp16', fp32: 'fp32', float32: 'fp32', float: 'fp32',
};

const DEFAULT_DEVICE = 'H100-80GB';
const PER_HOST = 8;
const RESERVE = 0.15;
// Suggested cluster fill: leave room for growth and for the planner to balance.
const TARGET_FILL = 0.6;

function fieldOf(key: string): Field | undefined {
  const k = key.trim().toLowerCase();
  for (const f of Object.keys(ALIASES) as Field[]) if (ALIASES[f].includes(k)) return f;
  return undefined;
}

interface RawRow { line: number; values: Partial<Record<Field, unknown>> }
interface Table { name: string; rows: number; dim: number; pooling: number; zipf?: number; dtype?: Dtype }

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v.trim().replace(/_/g, ''));
  return NaN;
}

function checkRow(r: RawRow, seen: Set<string>, errors: ImportError[]): Table | undefined {
  const bad = (message: string): undefined => { errors.push({ line: r.line, message }); return undefined; };
  const v = r.values;
  const name = typeof v.name === 'string' ? v.name.trim() : typeof v.name === 'number' ? String(v.name) : '';
  if (!name) return bad('missing table name (column "name")');
  if (seen.has(name)) return bad(`duplicate table name "${name}"`);
  const rows = num(v.rows);
  if (!Number.isInteger(rows) || rows < 1) return bad(`table ${name}: rows must be a whole number ≥ 1 (got ${JSON.stringify(v.rows ?? null)})`);
  const dim = num(v.dim);
  if (!Number.isInteger(dim) || dim < 1) return bad(`table ${name}: dim must be a whole number ≥ 1 (got ${JSON.stringify(v.dim ?? null)})`);
  if (dim % 4 !== 0) return bad(`table ${name}: dim ${dim} is not a multiple of 4 (FBGEMM pads rows to 4 elements); use ${Math.ceil(dim / 4) * 4}`);
  if (v.pooling === undefined || v.pooling === '') return bad(`table ${name}: pooling (mean lookups per bag) is missing; measure it, a default of 1.0 is wrong for multi-hot features`);
  const pooling = num(v.pooling);
  if (!Number.isFinite(pooling) || pooling <= 0) return bad(`table ${name}: pooling must be a number > 0 (got ${JSON.stringify(v.pooling)})`);
  const t: Table = { name, rows, dim, pooling };
  if (v.zipf !== undefined && v.zipf !== '') {
    const z = num(v.zipf);
    if (!Number.isFinite(z) || z < 0 || z > 10) return bad(`table ${name}: zipf must be a number in [0, 10] (got ${JSON.stringify(v.zipf)})`);
    t.zipf = z;
  }
  if (v.dtype !== undefined && v.dtype !== '') {
    const d = DTYPE_WORDS[String(v.dtype).trim().toLowerCase()];
    if (!d) return bad(`table ${name}: dtype must be fp16 or fp32 (got ${JSON.stringify(v.dtype)})`);
    t.dtype = d;
  }
  seen.add(name);
  return t;
}

/** Splits one CSV line (RFC 4180 quotes, "" escapes) on `sep`. */
function splitCsv(line: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') quoted = false; else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === sep) { out.push(cur); cur = ''; } else cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

function parseCsv(text: string, errors: ImportError[]): RawRow[] {
  const lines = text.split(/\r?\n/);
  const headerAt = lines.findIndex((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  if (headerAt < 0) { errors.push({ line: 1, message: 'the file is empty: expected a header row such as name,rows,dim,pooling,zipf' }); return []; }
  const sep = lines[headerAt].includes('\t') && !lines[headerAt].includes(',') ? '\t' : ',';
  const header = splitCsv(lines[headerAt], sep);
  const fields = header.map(fieldOf);
  header.forEach((h, i) => {
    if (!fields[i]) errors.push({ line: headerAt + 1, message: `unknown column "${h}" (ignored); known: ${Object.values(ALIASES).map((a) => a[0]).join(', ')}` });
  });
  for (const need of ['name', 'rows', 'dim', 'pooling'] as Field[]) {
    if (!fields.includes(need)) errors.push({ line: headerAt + 1, message: `missing column "${need}" (also accepted: ${ALIASES[need].slice(1).join(', ')})` });
  }
  if (!['name', 'rows', 'dim'].every((f) => fields.includes(f as Field))) return [];
  const rows: RawRow[] = [];
  for (let i = headerAt + 1; i < lines.length; i++) {
    const l = lines[i];
    if (l.trim() === '' || l.trim().startsWith('#')) continue;
    const cells = splitCsv(l, sep);
    if (cells.length !== header.length) {
      errors.push({ line: i + 1, message: `expected ${header.length} cells like the header, found ${cells.length}` });
      continue;
    }
    const values: Partial<Record<Field, unknown>> = {};
    cells.forEach((c, j) => { const f = fields[j]; if (f) values[f] = c; });
    rows.push({ line: i + 1, values });
  }
  return rows;
}

function parseJson(text: string, errors: ImportError[]): RawRow[] {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  if (doc.errors.length > 0) {
    for (const e of doc.errors.slice(0, 5)) errors.push({ line: e.linePos?.[0]?.line ?? 1, message: `invalid JSON: ${e.message.split('\n')[0]}` });
    return [];
  }
  const lineOf = (n: Node | null | undefined): number => (n?.range ? lc.linePos(n.range[0]).line : 1);
  let list: Node | null | undefined = doc.contents as Node | null;
  if (isMap(list)) {
    const tables = list.get('tables', true) as Node | undefined;
    if (!tables) { errors.push({ line: lineOf(list), message: 'expected a list of tables, or an object with a "tables" list' }); return []; }
    list = tables;
  }
  if (!isSeq(list)) { errors.push({ line: lineOf(list), message: 'expected a list of tables, or an object with a "tables" list' }); return []; }
  const rows: RawRow[] = [];
  for (const item of list.items as Node[]) {
    if (!isMap(item)) { errors.push({ line: lineOf(item), message: 'each table must be an object such as {"name": …, "rows": …, "dim": …, "pooling": …}' }); continue; }
    const values: Partial<Record<Field, unknown>> = {};
    for (const pair of item.items) {
      const key = String((pair.key as { value?: unknown })?.value ?? '');
      const f = fieldOf(key);
      const v = (pair.value as { toJSON?: () => unknown } | null)?.toJSON?.() ?? (pair.value as { value?: unknown } | null)?.value;
      if (f) values[f] = v;
      else errors.push({ line: lineOf(pair.key as Node), message: `unknown field "${key}" (ignored)` });
    }
    rows.push({ line: lineOf(item), values });
  }
  return rows;
}

function yamlName(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_.\-]*$/.test(name) && !/^(true|false|null|yes|no|on|off|~)$/i.test(name) ? name : JSON.stringify(name);
}

function suggestedCount(tables: Table[], device: string, dtype: Dtype): number {
  const p = GPU_PRESETS[device];
  const usable = p.memoryBytes * (1 - RESERVE);
  // Weights plus rowwise_adagrad's 4 B per row (the default optimizer below).
  const bytes = tables.reduce((s, t) => s + t.rows * t.dim * DTYPE_BYTES[t.dtype ?? dtype] + t.rows * 4, 0);
  const gpus = Math.max(1, Math.ceil(bytes / (usable * TARGET_FILL)));
  return Math.ceil(gpus / PER_HOST) * PER_HOST;
}

export function importTables(file: string, text: string, options: ImportOptions = {}): ImportResult {
  const errors: ImportError[] = [];
  const device = options.device ?? DEFAULT_DEVICE;
  if (!GPU_PRESETS[device]) {
    return { errors: [{ line: 0, message: `unknown device type "${device}"; use one of ${Object.keys(GPU_PRESETS).join(', ')}` }], tables: 0 };
  }
  const trimmed = text.replace(/^\uFEFF/, '').trimStart();
  const asJson = /\.json$/i.test(file) || trimmed.startsWith('[') || trimmed.startsWith('{');
  const raw = asJson ? parseJson(text, errors) : parseCsv(text, errors);
  const seen = new Set<string>();
  const tables = raw.map((r) => checkRow(r, seen, errors)).filter((t): t is Table => t !== undefined);
  if (tables.length === 0) {
    if (errors.length === 0) errors.push({ line: 1, message: 'no tables found' });
    return { errors, tables: 0 };
  }
  const dtype: Dtype = 'fp16';
  const count = options.count !== undefined && Number.isInteger(options.count) && options.count > 0 ? options.count : suggestedCount(tables, device, dtype);
  const out: string[] = [];
  out.push(`# Imported by ShardLens from ${file.split(/[\\/]/).pop()} (${tables.length} tables).`);
  out.push('# Check batch_size, dtype, optimizer and devices, then run Replan (or `shardlens plan`) to write placement.');
  out.push('version: 1');
  out.push('batch_size: 65536');
  out.push(`dtype: ${dtype}`);
  out.push('optimizer: rowwise_adagrad');
  out.push('devices:');
  out.push(`  type: ${device}`);
  out.push(`  count: ${count}${options.count ? '' : `  # suggested: tables fill about ${Math.round(TARGET_FILL * 100)}% of usable memory`}`);
  out.push(`  per_host: ${Math.min(PER_HOST, count)}`);
  out.push(`  reserve: ${RESERVE}`);
  out.push('tables:');
  for (const t of tables) {
    out.push(`  - name: ${yamlName(t.name)}`);
    out.push(`    rows: ${t.rows}`);
    out.push(`    dim: ${t.dim}`);
    out.push(`    pooling: ${t.pooling}`);
    if (t.zipf !== undefined) out.push(`    zipf: ${t.zipf}`);
    if (t.dtype !== undefined && t.dtype !== dtype) out.push(`    dtype: ${t.dtype}`);
  }
  return { yaml: `${out.join('\n')}\n`, errors, tables: tables.length };
}
