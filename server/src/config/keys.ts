/**
 * The catalogue of every key a `*.shard.yaml` file may hold, per section: type,
 * allowed values or range, default and documentation (with units). It is the
 * single source for unknown-key checks, type/range validation, hover text,
 * completion and the JSON schema (scripts/genSchema.ts writes
 * server/schema/shardlens.schema.json from it).
 */
import { CUSTOM_HOST_MEMORY_BYTES, GPU_PRESETS, PRESET_OVERRIDE_KEYS } from './presets';
import { ALL_SHARDING_KINDS, SHARDING_KIND_ALIASES, SHARDING_KIND_INFO } from './shardingKinds';
import { DEFAULT_KERNEL, KERNELS } from './types';

/** `top`: the document; `devices`: the devices mapping; `table`: one item of `tables`;
 *  `placement`: the mapping form of one placement entry (`{column: [..]}`). */
export type Section = 'top' | 'devices' | 'table' | 'placement';
export const SECTIONS: readonly Section[] = ['top', 'devices', 'table', 'placement'];

/**
 * - integer/number: a scalar number (plain `50_000_000` accepted);
 * - string: any string; enum: one of `values`; enumList: a list of `values`;
 * - numberList: a list of `length` numbers; gpuList: a list of GPU indices (or `all`);
 * - hostRef: `{host: H}`; hostList: `{hosts: [H, …]}` (host indices);
 * - devices/tables/placement: the structured sections (or a file path for devices).
 */
export type KeyKind = 'integer' | 'number' | 'string' | 'enum' | 'enumList' | 'numberList' | 'gpuList' | 'hostRef' | 'hostList' | 'devices' | 'tables' | 'placement';

export interface KeyInfo {
  key: string;
  kind: KeyKind;
  /** Allowed words for enum / enumList. */
  values?: readonly string[];
  /** Other words accepted for enum / enumList, each meaning one of `values` (e.g. TorchRec's names). */
  aliases?: Readonly<Record<string, string>>;
  /** Inclusive lower bound unless minExclusive. */
  min?: number;
  minExclusive?: boolean;
  /** Inclusive upper bound unless maxExclusive. */
  max?: number;
  maxExclusive?: boolean;
  /** gpuList: the word `all` (every GPU, in order) is accepted instead of a list. */
  acceptsAll?: boolean;
  /** Exact list length (numberList). */
  length?: number;
  /** Default as a value, when it is a constant. */
  default?: number | string | readonly string[];
  /** Default in words when it depends on other keys (e.g. "min(count, 8)"). */
  defaultText?: string;
  required?: boolean;
  /** One paragraph, with units. */
  doc: string;
}

export const PRESET_NAMES: readonly string[] = Object.keys(GPU_PRESETS);
export const DTYPES = ['fp32', 'fp16', 'bf16'] as const;
export const OPTIMIZERS = ['sgd', 'adagrad', 'rowwise_adagrad', 'adam'] as const;
export const ID_ORDERS = ['hashed', 'sorted'] as const;
/**
 * FBGEMM's default HBM cache size for UVM caching, as a fraction of the rows
 * (`cache_load_factor` of SplitTableBatchedEmbeddingBagsCodegen in
 * fbgemm_gpu/split_table_batched_embeddings_ops_training.py; TorchRec's
 * CacheParams default too).
 */
export const DEFAULT_CACHE_LOAD_FACTOR = 0.2;
/** TorchRec's sharding types by the config's short words (config/shardingKinds.ts); the default allows all, as TorchRec does. */
export const SHARDING_KINDS = ALL_SHARDING_KINDS;
/** Number of log2 reuse bins of a histogram (DreamShard's table feature, docs/research/perf-models.md). */
export const HISTOGRAM_BINS = 17;

/** Upper bounds that catch typos and overflow (a row count of 1e15 is a slip, not a model). */
const MAX_ROWS = 1e12;
const MAX_DIM = 65_536;

const TOP: readonly KeyInfo[] = [
  { key: 'version', kind: 'integer', min: 1, max: 1, required: true, default: 1, doc: 'Format version of this file. Must be 1.' },
  {
    key: 'batch_size',
    kind: 'integer',
    min: 1,
    max: 2 ** 31 - 1,
    required: true,
    doc: 'Global batch size: bags (samples) looked up per table per training step, summed over all GPUs. Drives lookup traffic and all-to-all volume.',
  },
  {
    key: 'dtype',
    kind: 'enum',
    values: DTYPES,
    default: 'fp32',
    doc: 'Default element type of the embedding weights: fp32 (4 bytes), fp16 or bf16 (2 bytes). A table may override it.',
  },
  {
    key: 'optimizer',
    kind: 'enum',
    values: OPTIMIZERS,
    default: 'sgd',
    doc: "Sparse optimizer, which sets the state kept per table and the time of the update: sgd none; adagrad one fp32 per element (4 B × dim per row); rowwise_adagrad one fp32 per row (4 B/row); adam two fp32 moments per element (8 B × dim per row). The state counts against GPU memory, and every distinct row a step touches reads and writes it: fused into the backward by FBGEMM, extra elementwise passes in PyTorch's sparse optimizers.",
  },
  {
    key: 'kernel',
    kind: 'enum',
    values: KERNELS,
    default: DEFAULT_KERNEL,
    doc: "Embedding kernel that runs the tables, which decides how their time is priced (a table may override it): fbgemm_tbe, FBGEMM's table-batched embedding with the optimizer fused into the backward (TorchRec's `fused` compute kernel); fbgemm_tbe_uvm_caching, the same with the weights in host memory (UVM) behind an HBM cache of cache_load_factor × rows, misses crossing the host link (TorchRec's `fused_uvm_caching`); torch_embedding_bag, PyTorch's nn.EmbeddingBag(sparse=True) and a sparse optimizer step (the DLRM reference implementation; what the shipped learned H100 model measured).",
  },
  {
    key: 'cache_load_factor',
    kind: 'number',
    min: 0,
    minExclusive: true,
    max: 1,
    default: DEFAULT_CACHE_LOAD_FACTOR,
    doc: "For tables on kernel fbgemm_tbe_uvm_caching: the HBM cache as a fraction of each table's rows (0 < f ≤ 1; 0.2 = 20% of the rows cached in HBM, FBGEMM's and TorchRec's default). Smaller saves HBM and sends more of the distinct rows of a step over the host link (~32 GB/s). A table may override it.",
  },
  {
    key: 'ids',
    kind: 'enum',
    values: ID_ORDERS,
    default: 'hashed',
    doc: "How ids map to rows, which decides where a row-split table's hot rows land: hashed (ids hashed over the rows, the default: the hot rows are scattered and one block holds the hottest) or sorted (ids numbered by frequency: the first row block holds the head). A table may override it.",
  },
  {
    key: 'dense_bytes',
    kind: 'integer',
    min: 0,
    max: 1e13,
    default: 0,
    doc: "Bytes every GPU holds for the dense part of the model: its parameters, their optimizer state and the DDP gradient buffers (TorchRec estimates 6 × the dense parameter bytes). Taken off each GPU's HBM before tables, with `reserve` and the ids reservation, as TorchRec's planner reserves it. Default 0.",
  },
  {
    key: 'devices',
    kind: 'devices',
    required: true,
    doc: 'The GPUs: a mapping (type, count, per_host, reserve and optional preset overrides) or a relative path to a file holding that mapping, e.g. `./cluster.shard.yaml`.',
  },
  {
    key: 'tables',
    kind: 'tables',
    required: true,
    doc: 'The embedding tables: a list of mappings with name, rows, dim, pooling and optional zipf/histogram, dtype, sharding and pin.',
  },
  {
    key: 'placement',
    kind: 'placement',
    defaultText: 'none (each table is costed alone; Replan writes one)',
    doc: "Where each table lives, one of TorchRec's sharding types per table: `name: dp` (data_parallel), `name: 3` (table_wise on GPU 3), `{column: [0, 1]}` (column_wise), `{row: all}` (row_wise over every GPU), `{table_row: {host: 1}}` (table_row_wise), `{table_column: [8, 9]}` (table_column_wise, GPUs of one host), `{grid: {hosts: [0, 1]}}` (grid_shard). Written by Replan; hand-editable. When present, every table must be placed.",
  },
];

/*
 * Bandwidth floors, GB/s. A bandwidth near zero is a typo or a unit slip, and
 * it makes costs meaningless rather than large (`nvlink_gbps: 1e-310` priced
 * communication at 0 ms). The floors sit below any real link:
 * - HBM: the slowest preset is 864 GB/s (L40S) and even one DDR4-3200 channel
 *   gives 25.6 GB/s, so 10 GB/s is no GPU memory;
 * - inside a host: one PCIe 3.0 lane carries ~1 GB/s per direction (8 GT/s,
 *   128b/130b coding); GPU-to-GPU links are x16 or NVLink;
 * - across hosts: 1 Gb/s Ethernet is 0.125 GB/s; 0.1 GB/s is below it.
 */
const MIN_HBM_GBPS = 10;
const MIN_NVLINK_GBPS = 1;
const MIN_NETWORK_GBPS = 0.1;

const OVERRIDE_DOCS: Record<string, Omit<KeyInfo, 'key'>> = {
  memory_bytes: { kind: 'integer', min: 1, max: 1e13, doc: 'HBM capacity per GPU in bytes (overrides the preset), before `reserve` is taken off.' },
  hbm_gbps: {
    kind: 'number',
    min: MIN_HBM_GBPS,
    max: 1e6,
    doc: `Peak HBM bandwidth per GPU in GB/s (1e9 bytes/s), overrides the preset. At least ${MIN_HBM_GBPS} GB/s: slower is a unit slip (TB/s written as GB/s), not a GPU.`,
  },
  l2_bytes: { kind: 'integer', min: 0, max: 1e11, doc: 'L2 cache size per GPU in bytes (overrides the preset); sets the hit-rate estimate of lookups.' },
  sms: { kind: 'integer', min: 1, max: 100_000, doc: 'Streaming multiprocessors per GPU (overrides the preset).' },
  nvlink_gbps: {
    kind: 'number',
    min: MIN_NVLINK_GBPS,
    max: 1e6,
    doc: `GPU-to-GPU bandwidth inside a host in GB/s per direction (overrides the preset); used for all-to-all within a host. At least ${MIN_NVLINK_GBPS} GB/s (one PCIe 3.0 lane).`,
  },
  network_gbps: {
    kind: 'number',
    min: MIN_NETWORK_GBPS,
    max: 1e6,
    doc: `Network bandwidth per GPU across hosts in GB/s per direction (overrides the preset); used for all-to-all between hosts. At least ${MIN_NETWORK_GBPS} GB/s (below 1 Gb/s Ethernet).`,
  },
  host_memory_bytes: {
    kind: 'integer',
    min: 0,
    max: 1e14,
    defaultText: `the preset's; ${CUSTOM_HOST_MEMORY_BYTES} (${CUSTOM_HOST_MEMORY_BYTES / 2 ** 30} GiB) for a custom GPU`,
    doc: 'Host (DDR) memory per GPU in bytes (overrides the preset); holds the weights of UVM tables (kernel fbgemm_tbe_uvm_caching).',
  },
};

const DEVICES: readonly KeyInfo[] = [
  {
    key: 'type',
    kind: 'enum',
    values: PRESET_NAMES,
    required: true,
    doc: `GPU preset, which sets memory, HBM bandwidth, L2, SMs, NVLink and network bandwidth: ${PRESET_NAMES.join(', ')}. Any number can be overridden below; with all six overrides any name is accepted.`,
  },
  {
    key: 'count',
    kind: 'integer',
    min: 1,
    max: 65_536,
    required: true,
    doc: 'Number of GPUs in the cluster (all of the same type). GPUs are numbered 0 … count−1 in `placement` and `pin`.',
  },
  {
    key: 'per_host',
    kind: 'integer',
    min: 1,
    max: 65_536,
    defaultText: 'min(count, 8)',
    doc: 'GPUs per host. All-to-all between GPUs of one host uses NVLink; between hosts it uses the network. Default min(count, 8).',
  },
  {
    key: 'reserve',
    kind: 'number',
    min: 0,
    max: 0.9,
    maxExclusive: true,
    default: 0.15,
    doc: "Fraction of each GPU's memory kept free for activations, dense parameters and workspace (0 ≤ reserve < 0.9). Default 0.15: 15% of HBM is not used for tables.",
  },
  ...Object.values(PRESET_OVERRIDE_KEYS).map((key) => ({ key, defaultText: "the preset's", ...OVERRIDE_DOCS[key] })),
];

const TABLE: readonly KeyInfo[] = [
  { key: 'name', kind: 'string', required: true, doc: 'Unique table name; `placement` refers to the table by it.' },
  {
    key: 'rows',
    kind: 'integer',
    min: 1,
    max: MAX_ROWS,
    required: true,
    doc: "Number of embedding rows (the feature's cardinality, hash size). Plain underscores are allowed: 50_000_000.",
  },
  {
    key: 'dim',
    kind: 'integer',
    min: 4,
    max: MAX_DIM,
    required: true,
    doc: "Embedding dimension (elements per row); a multiple of 4, as FBGEMM's kernels require. Memory = rows × dim × dtype bytes (+ optimizer state).",
  },
  {
    key: 'pooling',
    kind: 'number',
    min: 0,
    minExclusive: true,
    max: 1e6,
    required: true,
    doc: 'Mean number of lookups (indices) per bag; 1 for one-hot features, tens to hundreds for multi-hot histories.',
  },
  {
    key: 'zipf',
    kind: 'number',
    min: 0,
    max: 10,
    default: 0,
    doc: 'Skew of the index distribution as a power-law exponent; 0 = uniform, ~1 = typical hot-ID skew. Higher skew means more cache hits and cheaper lookups.',
  },
  {
    key: 'histogram',
    kind: 'numberList',
    length: HISTOGRAM_BINS,
    min: 0,
    defaultText: 'none (zipf gives the skew)',
    doc: "Optional reuse histogram: 17 non-negative numbers, the fraction of unique indices in each log2 reuse bin (DreamShard's table feature). Takes precedence over zipf where a cost model uses it.",
  },
  {
    key: 'dtype',
    kind: 'enum',
    values: DTYPES,
    defaultText: 'the top-level dtype',
    doc: "Element type of this table's weights: fp32 (4 bytes), fp16 or bf16 (2 bytes); overrides the top-level dtype.",
  },
  {
    key: 'kernel',
    kind: 'enum',
    values: KERNELS,
    defaultText: 'the top-level kernel',
    doc: "Embedding kernel that runs this table (overrides the top-level kernel): fbgemm_tbe (TorchRec's fused TBE), fbgemm_tbe_uvm_caching (weights in host memory behind an HBM cache) or torch_embedding_bag (PyTorch's sparse embedding bag). A GPU holding tables of several kernels runs one launch sequence per kernel: its time is their sum.",
  },
  {
    key: 'cache_load_factor',
    kind: 'number',
    min: 0,
    minExclusive: true,
    max: 1,
    defaultText: 'the top-level cache_load_factor (0.2)',
    doc: "kernel fbgemm_tbe_uvm_caching only: this table's HBM cache as a fraction of its rows (0 < f ≤ 1); overrides the top-level cache_load_factor.",
  },
  {
    key: 'ids',
    kind: 'enum',
    values: ID_ORDERS,
    defaultText: 'the top-level ids (hashed)',
    doc: "How this table's ids map to rows: hashed (hot rows scattered) or sorted (by frequency: the first row block holds the head); decides the cost of its row shards.",
  },
  {
    key: 'sharding',
    kind: 'enumList',
    values: SHARDING_KINDS,
    aliases: SHARDING_KIND_ALIASES,
    default: SHARDING_KINDS,
    doc: `Sharding kinds the planner may use for this table, TorchRec's sharding types: ${SHARDING_KINDS.map((k) => `${k} (${SHARDING_KIND_INFO[k].torchrec})`).join(', ')}. TorchRec's names are accepted too. Default all, as in TorchRec when a table has no constraint.`,
  },
  { key: 'pin', kind: 'integer', min: 0, defaultText: 'none (any GPU)', doc: 'Optional GPU index (0 … count−1) this table must live on, whole.' },
];

const PLACEMENT: readonly KeyInfo[] = [
  { key: 'table', kind: 'integer', min: 0, doc: 'Whole table on this GPU (TorchRec table_wise); same as writing the GPU index directly (`name: 3`).' },
  { key: 'column', kind: 'gpuList', doc: 'TorchRec column_wise: dim is divided equally among the listed GPUs (one shard each, in order); each width must be a multiple of 4.' },
  {
    key: 'row',
    kind: 'gpuList',
    acceptsAll: true,
    doc: 'TorchRec row_wise: `{row: all}` splits the rows into one block per GPU, block i on GPU i (TorchRec cuts blocks of ceil(rows / GPUs)). A list names the GPUs in block order; a list that is not every GPU in order cannot be expressed in TorchRec (warning SL050).',
  },
  {
    key: 'table_row',
    kind: 'hostRef',
    doc: 'TorchRec table_row_wise: `{table_row: {host: 1}}` splits the rows into one block per GPU of host 1 (GPUs host·per_host …), reduced inside the host over NVLink.',
  },
  {
    key: 'table_column',
    kind: 'gpuList',
    doc: 'TorchRec table_column_wise: dim divided equally among the listed GPUs, which must all be on one host; each width a multiple of 4.',
  },
  {
    key: 'grid',
    kind: 'hostList',
    doc: "TorchRec grid_shard: `{grid: {hosts: [0, 1]}}` splits dim into one column block per listed host (widths multiples of 4), each block row-split over that host's GPUs.",
  },
];

const CATALOGUE: Readonly<Record<Section, readonly KeyInfo[]>> = { top: TOP, devices: DEVICES, table: TABLE, placement: PLACEMENT };
const INDEX: ReadonlyMap<Section, ReadonlyMap<string, KeyInfo>> = new Map(SECTIONS.map((s) => [s, new Map(CATALOGUE[s].map((k) => [k.key, k]))]));

/** Every key of a section, in documentation order. */
export function keysOf(section: Section): readonly KeyInfo[] {
  return CATALOGUE[section];
}

/** The catalogue entry of one key, if the key exists in that section. */
export function keyInfo(section: Section, key: string): KeyInfo | undefined {
  return INDEX.get(section)?.get(key);
}

/** Markdown-free documentation of a key: the paragraph plus type, range and default. */
export function keyDoc(section: Section, key: string): string | undefined {
  const info = keyInfo(section, key);
  if (!info) return undefined;
  const facts = [describeType(info)];
  const range = describeRange(info);
  if (range) facts.push(range);
  const def = defaultOf(info);
  if (def !== undefined) facts.push(`default ${def}`);
  if (info.required) facts.push('required');
  return `${info.doc}\n\n${facts.join('; ')}.`;
}

/** A key's default in words (`0.15`, `min(count, 8)`, `[table, column, …]`), undefined for a required key or a placement form. */
export function defaultOf(info: Pick<KeyInfo, 'default' | 'defaultText'>): string | undefined {
  return info.defaultText ?? (info.default === undefined ? undefined : Array.isArray(info.default) ? `[${info.default.join(', ')}]` : String(info.default));
}

/** Allowed words of an enum key (empty when the key is not an enum). */
export function valuesOf(section: Section, key: string): readonly string[] {
  return keyInfo(section, key)?.values ?? [];
}

/** The word an enum value means: itself when allowed, the word an alias stands for, else undefined. */
export function canonicalValue(info: Pick<KeyInfo, 'values' | 'aliases'>, word: string): string | undefined {
  if (info.values?.includes(word)) return word;
  return info.aliases && Object.prototype.hasOwnProperty.call(info.aliases, word) ? info.aliases[word] : undefined;
}

function describeType(info: KeyInfo): string {
  switch (info.kind) {
    case 'integer':
      return 'whole number';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    case 'enum':
      return `one of ${info.values!.join(' | ')}`;
    case 'enumList':
      return `list of ${info.values!.join(' | ')}`;
    case 'numberList':
      return `list of ${info.length} numbers`;
    case 'gpuList':
      return 'list of GPU indices';
    case 'hostRef':
      return '{host: H}, a host index';
    case 'hostList':
      return '{hosts: [H, …]}, host indices';
    case 'devices':
      return 'mapping or file path';
    case 'tables':
      return 'list of tables';
    case 'placement':
      return 'mapping of table name to GPU or split';
  }
}

/** Whether `value` lies inside the key's range (bounds inclusive unless marked exclusive). */
export function inRange(info: Pick<KeyInfo, 'min' | 'max' | 'minExclusive' | 'maxExclusive'>, value: number): boolean {
  const tooLow = info.min !== undefined && (info.minExclusive ? value <= info.min : value < info.min);
  const tooHigh = info.max !== undefined && (info.maxExclusive ? value >= info.max : value > info.max);
  return !tooLow && !tooHigh;
}

export function describeRange(info: Pick<KeyInfo, 'min' | 'max' | 'minExclusive' | 'maxExclusive'>): string | undefined {
  const lo = info.min === undefined ? undefined : `${info.minExclusive ? '>' : '≥'} ${fmt(info.min)}`;
  const hi = info.max === undefined ? undefined : `${info.maxExclusive ? '<' : '≤'} ${fmt(info.max)}`;
  if (lo && hi) return info.min === info.max ? `= ${fmt(info.min!)}` : `${lo} and ${hi}`;
  return lo ?? hi;
}

function fmt(n: number): string {
  return Math.abs(n) >= 1e6 && Number.isInteger(n) ? n.toExponential().replace('e+', 'e') : String(n);
}
