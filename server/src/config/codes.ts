/**
 * Stable diagnostic codes of the config loader and validator (SL001–SL099).
 * SL100 and above belong to the cost/plan layer. Codes are part of the public
 * contract (CLI JSON output, README, tests): never renumber, only add.
 */
export const CODES = {
  SL001: 'YAML syntax error',
  SL002: 'Document is empty or not a mapping',
  SL003: 'Unknown key (did you mean …)',
  SL004: 'Duplicate key in one mapping',
  SL005: 'Value has the wrong type',
  SL006: 'Number out of range, not finite, or too large',
  SL007: 'Number must be a whole number',
  SL008: 'Value is not one of the allowed words',
  SL009: 'Required key is missing',
  SL010: 'Unsupported format version (must be 1)',
  SL020: 'Unknown device type',
  SL021: 'per_host larger than count',
  SL022: 'count is not a multiple of per_host',
  SL023: 'Referenced devices file is missing or unreadable',
  SL024: 'Devices file references itself (cycle)',
  SL025: 'Referenced file may not be read (outside the workspace or untrusted workspace)',
  SL026: 'Referenced devices file holds no devices mapping',
  SL030: 'tables is empty',
  SL031: 'dim is not a multiple of 4',
  SL032: 'Duplicate table name',
  SL033: 'histogram is not 17 non-negative numbers',
  SL034: 'sharding list is empty or repeats a kind',
  SL035: 'pin names a GPU that does not exist',
  SL036: 'Table fits no GPU under its allowed sharding',
  SL037: 'Total table memory exceeds the cluster',
  SL038: 'cache_load_factor has no effect: the kernel is not fbgemm_tbe_uvm_caching',
  SL040: 'Placement names an unknown table',
  SL041: 'Placement names a GPU or host that does not exist',
  SL042: 'Placement entry is malformed',
  SL043: 'Table missing from placement',
  SL044: 'Placement kind not allowed by the table\'s sharding',
  SL045: 'Pinned table placed on another GPU',
  SL046: 'Split cannot be cut: column widths not multiples of 4 (or, a warning, fewer rows than row blocks)',
  SL047: 'GPU over memory for the written placement',
  SL048: 'GPU or host listed twice in one split',
  SL049: 'table_column GPUs span more than one host',
  SL050: 'Placement TorchRec cannot express (ShardLens costs it; export refuses it)',
  SL051: 'Data-parallel table does not fit on one GPU',
  SL052: 'dense_bytes and the ids reservation leave no HBM for tables',
  SL053: 'GPU over host memory (UVM-cached tables) for the written placement',
} as const;

export type Code = keyof typeof CODES;
