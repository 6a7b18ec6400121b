/**
 * `shardlens import`: a `*.shard.yaml` built from a CSV or JSON list of
 * tables, as users dump their TorchRec `EmbeddingBagConfig`s: `name`,
 * `num_embeddings`, `embedding_dim`, `feature_names`, `data_type` (FP32 by
 * default, as in TorchRec's BaseEmbeddingConfig), `pooling` (SUM or MEAN,
 * TorchRec's PoolingType), with the measured pooling factors in a column of
 * their own (`pooling_factor`, or `pooling_factors` with one number per
 * feature) and optional skew (`zipf`). ShardLens's own column names work too
 * (`rows`, `dim`, a numeric `pooling`).
 *
 * Every bad row is an error with its 1-based line, none is silently dropped;
 * good rows are still imported. Names, the input file name and numbers are
 * sanitised so nothing in the input can add YAML of its own. Pure: text in,
 * text out.
 */
import { LineCounter, parseDocument, isMap, isScalar, isSeq, type Node } from 'yaml';
import { shardMemoryBytes, usableMemoryBytes } from '../cost/memory';
import { formatBytes } from '../config/byteUnits';
import { excerpt, parseCsv } from '../config/csv';
import { keyInfo } from '../config/keys';
import { renderName } from '../config/placementText';
import { GPU_PRESETS } from '../config/presets';
import { DTYPE_BYTES, type Dtype } from '../config/types';
import { TORCHREC_API } from '../plan/torchrecApi';

export interface ImportError {
  /** 1-based line in the input (0: not tied to a line). */
  line: number;
  message: string;
  /** error: the row (or file) was not imported; warning: something was ignored. Default error. */
  severity?: 'error' | 'warning';
}

export interface ImportResult {
  /** The config text; undefined when nothing could be imported. */
  yaml?: string;
  errors: ImportError[];
  /** Tables imported. */
  tables: number;
  /** Rows that were not imported (each has an error). */
  rejected: number;
  /** GPUs written in `devices.count`. */
  count?: number;
}

export interface ImportOptions {
  /** Device preset for `devices.type` (default H100-80GB). */
  device?: string;
  /** GPUs (default: the suggestion below). */
  count?: number;
}

type Field = 'name' | 'rows' | 'dim' | 'poolingFactor' | 'poolingType' | 'pooling' | 'zipf' | 'dtype' | 'features';

/** Column / key names per field (lower case). `pooling` is SUM/MEAN in a TorchRec dump and a number in ShardLens's format. */
const ALIASES: Readonly<Record<Field, readonly string[]>> = {
  name: ['name', 'table', 'table_name'],
  rows: ['num_embeddings', 'rows', 'num_rows', 'hash_size', 'cardinality'],
  dim: ['embedding_dim', 'dim', 'dimension', 'emb_dim'],
  poolingFactor: ['pooling_factor', 'pooling_factors', 'avg_pooling', 'mean_lookups', 'lookups_per_bag'],
  poolingType: ['pooling_type', 'pooling_mode'],
  pooling: ['pooling'],
  zipf: ['zipf', 'skew', 'alpha', 'zipf_alpha'],
  dtype: ['data_type', 'dtype', 'precision'],
  features: ['feature_names', 'features'],
};

/**
 * EmbeddingBagConfig fields ShardLens does not use (ignored with one warning,
 * not reported as unknown): its keyword parameters as the TorchRec API table
 * lists them (plan/torchrecApi.ts), less those read above.
 */
const TORCHREC_UNUSED: ReadonlySet<string> = (() => {
  const config = TORCHREC_API['torchrec.modules.embedding_configs'].EmbeddingBagConfig;
  const read = new Set(Object.values(ALIASES).flat());
  return new Set(config.kind === 'callable' ? config.params.filter((p) => !read.has(p)) : []);
})();

/** TorchRec DataType names (and common spellings) → ShardLens dtype; quantized types are inference-only. */
const DTYPE_WORDS: Readonly<Record<string, Dtype>> = {
  fp32: 'fp32',
  float32: 'fp32',
  float: 'fp32',
  fp16: 'fp16',
  float16: 'fp16',
  half: 'fp16',
  bf16: 'bf16',
  bfloat16: 'bf16',
};
const QUANTIZED = new Set(['int8', 'uint8', 'int4', 'int2', 'nfp8', 'int32', 'int64']);

/** TorchRec's default data type (BaseEmbeddingConfig.data_type = DataType.FP32). */
const DEFAULT_DTYPE: Dtype = 'fp32';
const DEFAULT_DEVICE = 'H100-80GB';
const PER_HOST = 8;
const RESERVE = 0.15;
/** Suggested cluster fill: at most this share of usable memory, leaving room for growth and for the planner to balance. */
const TARGET_FILL = 0.6;
/** Longest table name accepted, characters. */
const MAX_NAME = 256;

const info = (key: string) => keyInfo('table', key)!;
const MAX_GPUS = keyInfo('devices', 'count')!.max!;

function fieldOf(key: string): Field | undefined {
  const k = key.trim().toLowerCase();
  for (const f of Object.keys(ALIASES) as Field[]) if (ALIASES[f].includes(k)) return f;
  return undefined;
}

interface RawRow {
  line: number;
  values: Partial<Record<Field, unknown>>;
}
interface Table {
  name: string;
  rows: number;
  dim: number;
  pooling: number;
  zipf?: number;
  dtype: Dtype;
  mean?: boolean;
  factors?: number[];
}

/** A number written as a number or a string (`50_000_000`, `1e6`); NaN otherwise. */
function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\s*[-+]?(\d[\d_]*(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/.test(v)) return Number(v.trim().replace(/_/g, ''));
  return NaN;
}

function shown(v: unknown): string {
  return excerpt(typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v)));
}

/** A word such as `PoolingType.SUM` or `DataType.FP16` without its enum prefix, lower case. */
function word(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const w = v
    .trim()
    .replace(/^[A-Za-z]+Type\./, '')
    .replace(/^["']|["']$/g, '');
  return w === '' ? undefined : w.toLowerCase();
}

/** A list given as a JSON array, `[a, b]` text, or `a;b` / `a|b` text. */
function listOf(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (typeof v === 'number') return [v];
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  const s = v.trim().replace(/^\[|\]$/g, '');
  return s
    .split(/[;|,]/)
    .map((x) => x.trim().replace(/^["']|["']$/g, ''))
    .filter((x) => x !== '');
}

function inRange(x: number, key: string): boolean {
  const k = info(key);
  if (!Number.isFinite(x)) return false;
  if (k.min !== undefined && (k.minExclusive ? x <= k.min : x < k.min)) return false;
  if (k.max !== undefined && (k.maxExclusive ? x >= k.max : x > k.max)) return false;
  return true;
}

function rangeText(key: string): string {
  const k = info(key);
  const lo = k.min === undefined ? '' : `${k.minExclusive ? '>' : '≥'} ${k.min}`;
  const hi = k.max === undefined ? '' : `${k.maxExclusive ? '<' : '≤'} ${k.max.toLocaleString('en-US')}`;
  return [lo, hi].filter(Boolean).join(' and ');
}

function checkRow(r: RawRow, seen: Set<string>, errors: ImportError[], factorColumn: boolean): Table | undefined {
  const bad = (message: string): undefined => {
    errors.push({ line: r.line, message });
    return undefined;
  };
  const v = r.values;
  const name = typeof v.name === 'string' ? v.name.trim() : typeof v.name === 'number' ? String(v.name) : '';
  if (!name) return bad('missing table name (column "name")');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(name)) return bad(`table name "${excerpt(name)}" holds a line break or control character`);
  if (name.length > MAX_NAME) return bad(`table name "${excerpt(name)}" is ${name.length} characters long (at most ${MAX_NAME})`);
  const label = `table ${JSON.stringify(excerpt(name))}`;
  if (seen.has(name)) return bad(`duplicate table name ${JSON.stringify(excerpt(name))}`);
  const rows = num(v.rows);
  if (!Number.isInteger(rows) || !inRange(rows, 'rows')) return bad(`${label}: num_embeddings (rows) must be a whole number ${rangeText('rows')} (got ${shown(v.rows ?? null)})`);
  const dim = num(v.dim);
  if (!Number.isInteger(dim) || !inRange(dim, 'dim')) return bad(`${label}: embedding_dim must be a whole number ${rangeText('dim')} (got ${shown(v.dim ?? null)})`);
  if (dim % 4 !== 0) return bad(`${label}: embedding_dim ${dim} is not a multiple of 4 (FBGEMM pads rows to 4 elements); use ${Math.ceil(dim / 4) * 4}`);

  // Pooling: SUM/MEAN (the type) and the pooling factor(s), in their own column or a numeric `pooling`.
  let typeWord = word(v.poolingType);
  let factorsRaw: unknown = v.poolingFactor;
  if (v.pooling !== undefined && v.pooling !== '') {
    const asNumber = typeof v.pooling === 'number' || (typeof v.pooling === 'string' && !Number.isNaN(num(v.pooling)));
    if (asNumber && !factorColumn) factorsRaw = v.pooling;
    else if (!asNumber) typeWord = word(v.pooling);
    else return bad(`${label}: pooling is ${shown(v.pooling)} but the pooling factor has its own column; pooling takes SUM or MEAN`);
  }
  if (typeWord !== undefined && typeWord !== 'sum' && typeWord !== 'mean') {
    return bad(
      typeWord === 'none'
        ? `${label}: pooling NONE is an unpooled (EmbeddingCollection) table; ShardLens models pooled EmbeddingBag tables (SUM or MEAN)`
        : `${label}: pooling must be SUM or MEAN (TorchRec's PoolingType), not ${shown(typeWord)}`,
    );
  }
  if (factorsRaw === undefined || factorsRaw === '' || (Array.isArray(factorsRaw) && factorsRaw.length === 0)) {
    return bad(`${label}: the pooling factor (mean lookups per bag, column "pooling_factor") is missing; measure it: a default of 1.0 is wrong for multi-hot features`);
  }
  const factorList = listOf(factorsRaw) ?? [factorsRaw];
  const factors = factorList.map(num);
  if (factors.some((f) => !Number.isFinite(f) || f <= 0)) return bad(`${label}: pooling factors must be numbers > 0 (got ${shown(factorsRaw)})`);
  const features = v.features === undefined || v.features === '' ? undefined : listOf(v.features);
  if (v.features !== undefined && v.features !== '' && (!features || features.length === 0 || features.some((f) => typeof f !== 'string' || f.trim() === ''))) {
    return bad(`${label}: feature_names must be a list of names (got ${shown(v.features)})`);
  }
  if (factors.length > 1 && features && features.length !== factors.length) {
    return bad(`${label}: ${factors.length} pooling factors for ${features.length} feature${features.length === 1 ? '' : 's'}; give one per feature`);
  }
  // Each feature is a bag of lookups into the same table: per sample the table serves the sum of their factors.
  const pooling = factors.reduce((a, b) => a + b, 0);
  if (!inRange(pooling, 'pooling')) return bad(`${label}: pooling factor ${pooling} is out of range (${rangeText('pooling')})`);
  const t: Table = { name, rows, dim, pooling, dtype: DEFAULT_DTYPE };
  if (factors.length > 1) t.factors = factors;
  if (typeWord === 'mean') t.mean = true;
  if (v.zipf !== undefined && v.zipf !== '') {
    const z = num(v.zipf);
    if (!inRange(z, 'zipf')) return bad(`${label}: zipf must be a number ${rangeText('zipf')} (got ${shown(v.zipf)})`);
    t.zipf = z;
  }
  const d = word(v.dtype);
  if (d !== undefined) {
    if (QUANTIZED.has(d)) return bad(`${label}: data_type ${d.toUpperCase()} is a quantized (inference) type; ShardLens plans training tables in FP32, FP16 or BF16`);
    const dtype = DTYPE_WORDS[d];
    if (!dtype) return bad(`${label}: data_type must be FP32, FP16 or BF16 (got ${shown(v.dtype)})`);
    t.dtype = dtype;
  }
  seen.add(name);
  return t;
}

function readCsv(text: string, errors: ImportError[]): { rows: RawRow[]; factorColumn: boolean; dropped: number } {
  const { records, problems } = parseCsv(text);
  for (const p of problems) errors.push({ line: p.line, message: p.message });
  const badLines = new Set(problems.map((p) => p.line));
  if (records.length === 0) {
    errors.push({ line: 1, message: 'the file is empty: expected a header row such as name,num_embeddings,embedding_dim,pooling_factor' });
    return { rows: [], factorColumn: false, dropped: 0 };
  }
  const [head, ...body] = records;
  const fields = head.fields.map(fieldOf);
  const seenField = new Set<Field>();
  head.fields.forEach((h, i) => {
    const f = fields[i];
    if (f && seenField.has(f)) {
      errors.push({ line: head.line, message: `column "${excerpt(h)}" repeats another column for the same field (${ALIASES[f][0]})` });
      fields[i] = undefined;
      return;
    }
    if (f) {
      seenField.add(f);
      return;
    }
    const known = TORCHREC_UNUSED.has(h.trim().toLowerCase());
    errors.push({
      line: head.line,
      severity: 'warning',
      message: known
        ? `column "${excerpt(h)}" is not used by ShardLens (ignored)`
        : `unknown column "${excerpt(h)}" (ignored); known: ${Object.values(ALIASES)
            .map((a) => a[0])
            .join(', ')}`,
    });
  });
  const need: [Field, string][] = [
    ['name', 'name'],
    ['rows', 'num_embeddings'],
    ['dim', 'embedding_dim'],
  ];
  let missing = false;
  for (const [f, label] of need) {
    if (!fields.includes(f)) {
      errors.push({ line: head.line, message: `missing column "${label}" (also accepted: ${ALIASES[f].filter((a) => a !== label).join(', ')})` });
      missing = true;
    }
  }
  if (!fields.includes('poolingFactor') && !fields.includes('pooling')) {
    errors.push({ line: head.line, message: 'missing column "pooling_factor" (mean lookups per bag, measured; a numeric "pooling" column works too)' });
    missing = true;
  }
  if (missing) return { rows: [], factorColumn: false, dropped: body.length };
  const rows: RawRow[] = [];
  let dropped = 0;
  for (const rec of body) {
    // A record with broken quoting was reported above; its cells cannot be trusted.
    if (badLines.has(rec.line)) {
      dropped++;
      continue;
    }
    if (rec.fields.length !== head.fields.length) {
      errors.push({ line: rec.line, message: `expected ${head.fields.length} cells like the header, found ${rec.fields.length}` });
      dropped++;
      continue;
    }
    const values: Partial<Record<Field, unknown>> = {};
    rec.fields.forEach((c, j) => {
      const f = fields[j];
      if (f) values[f] = c.trim();
    });
    rows.push({ line: rec.line, values });
  }
  return { rows, factorColumn: fields.includes('poolingFactor'), dropped };
}

function readJson(text: string, errors: ImportError[]): { rows: RawRow[]; factorColumn: boolean; dropped: number } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false });
  const none = { rows: [], factorColumn: false, dropped: 0 };
  if (doc.errors.length > 0) {
    for (const e of doc.errors.slice(0, 5)) errors.push({ line: e.linePos?.[0]?.line ?? 1, message: `invalid JSON: ${excerpt(e.message.split('\n')[0], 120)}` });
    return none;
  }
  const lineOf = (n: Node | null | undefined): number => (n?.range ? lc.linePos(n.range[0]).line : 1);
  let list: Node | null | undefined = doc.contents as Node | null;
  if (isMap(list)) {
    const key = ['tables', 'embedding_bag_configs', 'configs'].find((k) => list && isMap(list) && list.has(k));
    const tables = key ? (list.get(key, true) as Node | undefined) : undefined;
    if (!tables) {
      errors.push({ line: lineOf(list), message: 'expected a list of tables, or an object with a "tables" list' });
      return none;
    }
    list = tables;
  }
  if (!isSeq(list)) {
    errors.push({ line: lineOf(list), message: 'expected a list of tables, or an object with a "tables" list' });
    return none;
  }
  const rows: RawRow[] = [];
  const warned = new Set<string>();
  let factorColumn = false;
  let dropped = 0;
  for (const item of list.items as Node[]) {
    if (!isMap(item)) {
      errors.push({ line: lineOf(item), message: 'each table must be an object such as {"name": …, "num_embeddings": …, "embedding_dim": …, "pooling_factor": …}' });
      dropped++;
      continue;
    }
    const values: Partial<Record<Field, unknown>> = {};
    for (const pair of item.items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value ?? '') : '';
      const f = fieldOf(key);
      const value = (pair.value as { toJSON?: () => unknown } | null)?.toJSON?.() ?? (pair.value as { value?: unknown } | null)?.value;
      if (f) {
        if (f === 'poolingFactor') factorColumn = true;
        values[f] = value;
      } else if (!warned.has(key)) {
        warned.add(key);
        const known = TORCHREC_UNUSED.has(key.toLowerCase());
        errors.push({
          line: lineOf(keyNode),
          severity: 'warning',
          message: known ? `field "${excerpt(key)}" is not used by ShardLens (ignored)` : `unknown field "${excerpt(key)}" (ignored)`,
        });
      }
    }
    rows.push({ line: lineOf(item), values });
  }
  return { rows, factorColumn, dropped };
}

/** Bytes of the tables with rowwise_adagrad (the optimizer written below), as the validator counts weights + state. */
function tablesBytes(tables: readonly Table[]): number {
  return tables.reduce((s, t) => s + shardMemoryBytes(t.rows, t.dim, DTYPE_BYTES[t.dtype], 'rowwise_adagrad'), 0);
}

/** Usable bytes of one GPU of the preset with the reserve written below. */
function usableBytes(device: string): number {
  return usableMemoryBytes({ memoryBytes: GPU_PRESETS[device].memoryBytes, reserve: RESERVE });
}

/**
 * The smallest whole number of 8-GPU hosts on which the tables fill at most
 * TARGET_FILL of usable memory (HBM × (1 − reserve)); `needed` may exceed
 * what one config can hold (devices.count ≤ 65,536).
 */
export function suggestedCount(bytes: number, device: string): { count: number; fill: number; needed: number } {
  const usable = usableBytes(device);
  const needed = Math.max(PER_HOST, Math.ceil(Math.ceil(bytes / (usable * TARGET_FILL)) / PER_HOST) * PER_HOST);
  const count = Math.min(needed, MAX_GPUS);
  return { count, fill: bytes / (usable * count), needed };
}

/** Text safe in a YAML comment: one line, no control characters, bounded. */
function commentText(s: string, max = 80): string {
  return excerpt(s, max);
}

function numberText(x: number): string {
  // Integers print in full; others as JS prints them (YAML 1.2 reads both, e.g. 1.5e-7).
  return String(x);
}

export function importTables(file: string, text: string, options: ImportOptions = {}): ImportResult {
  const errors: ImportError[] = [];
  const device = options.device ?? DEFAULT_DEVICE;
  if (!Object.prototype.hasOwnProperty.call(GPU_PRESETS, device)) {
    return { errors: [{ line: 0, message: `unknown device type "${excerpt(device)}"; use one of ${Object.keys(GPU_PRESETS).join(', ')}` }], tables: 0, rejected: 0 };
  }
  const trimmed = text.replace(/^\uFEFF/, '').trimStart();
  const asJson = /\.json$/i.test(file) || trimmed.startsWith('[') || trimmed.startsWith('{');
  const { rows: raw, factorColumn, dropped } = asJson ? readJson(text, errors) : readCsv(text, errors);
  const seen = new Set<string>();
  const tables = raw.map((r) => checkRow(r, seen, errors, factorColumn)).filter((t): t is Table => t !== undefined);
  const rejected = dropped + raw.length - tables.length;
  if (tables.length === 0) {
    if (!errors.some((e) => (e.severity ?? 'error') === 'error')) errors.push({ line: 1, message: 'no tables found' });
    return { errors, tables: 0, rejected };
  }
  const bytes = tablesBytes(tables);
  const suggestion = suggestedCount(bytes, device);
  const given = options.count !== undefined && Number.isInteger(options.count) && options.count > 0 && options.count <= MAX_GPUS ? options.count : undefined;
  const count = given ?? suggestion.count;
  if (given === undefined && suggestion.needed > MAX_GPUS) {
    errors.push({
      line: 0,
      message: `the tables need ${formatBytes(bytes)} (weights + rowwise_adagrad state): ${suggestion.needed.toLocaleString('en-US')} × ${device} at ${Math.round(TARGET_FILL * 100)}% fill, more than the ${MAX_GPUS.toLocaleString('en-US')} GPUs a config holds; check num_embeddings and embedding_dim`,
    });
  }
  const usable = usableBytes(device) * count;
  const out: string[] = [];
  out.push(`# Imported by ShardLens from ${JSON.stringify(commentText(file.split(/[\\/]/).pop() ?? file))} (${tables.length} table${tables.length === 1 ? '' : 's'}).`);
  out.push('# Check batch_size, optimizer and devices, then run Replan (or `shardlens plan`) to write placement.');
  out.push('version: 1');
  out.push('batch_size: 65536');
  out.push(`dtype: ${DEFAULT_DTYPE}                # TorchRec's default data_type`);
  out.push('optimizer: rowwise_adagrad');
  out.push('devices:');
  out.push(`  type: ${device}`);
  const fillPct = `${(suggestion.fill * 100).toFixed(1)}%`;
  // Capped at a config's GPU limit, the count is no longer the suggestion: the comment says so (an error above too).
  out.push(
    given !== undefined
      ? `  count: ${count}`
      : suggestion.needed > count
        ? `  count: ${count}   # the most a config holds, not enough: ≤ ${Math.round(TARGET_FILL * 100)}% fill needs ${suggestion.needed.toLocaleString('en-US')} GPUs; the tables need ${formatBytes(bytes)} of ${formatBytes(usable)} usable (${fillPct})`
        : `  count: ${count}   # suggested: the fewest ${PER_HOST}-GPU hosts where the tables fill ≤ ${Math.round(TARGET_FILL * 100)}% of usable memory: ${formatBytes(bytes)} of ${formatBytes(usable)} (${fillPct})`,
  );
  out.push(`  per_host: ${Math.min(PER_HOST, count)}`);
  out.push(`  reserve: ${RESERVE}`);
  out.push('tables:');
  for (const t of tables) {
    out.push(`  - name: ${renderName(t.name)}`);
    out.push(`    rows: ${numberText(t.rows)}`);
    out.push(`    dim: ${numberText(t.dim)}`);
    const notes = [t.factors ? `${t.factors.length} features: sum of their factors [${t.factors.join(', ')}]` : '', t.mean ? 'TorchRec pooling MEAN' : ''].filter(Boolean);
    out.push(`    pooling: ${numberText(t.pooling)}${notes.length ? `   # ${notes.join('; ')}` : ''}`);
    if (t.zipf !== undefined) out.push(`    zipf: ${numberText(t.zipf)}`);
    if (t.dtype !== DEFAULT_DTYPE) out.push(`    dtype: ${t.dtype}`);
  }
  return { yaml: `${out.join('\n')}\n`, errors, tables: tables.length, rejected, count };
}
