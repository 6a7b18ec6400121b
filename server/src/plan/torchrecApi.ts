/**
 * The part of TorchRec's Python API the export writes, recorded as facts read
 * from TorchRec's source (github.com/meta-pytorch/torchrec, the commit of each
 * file below): every module, name, keyword and enum member the generated
 * module uses must appear here, and a test checks the generated Python against
 * this table (test/integration/plan/torchrecExport.test.ts). Update it by re-reading
 * the source when TorchRec changes, never by guessing.
 *
 * Checked facts beyond the names:
 * - sharding_plan.py: `construct_module_sharding_plan` asserts that every
 *   shardable parameter (EmbeddingBagCollection: one per table, keyed by table
 *   name) has a generator, so every table must be placed; it calls each
 *   generator as `(param, local_size, world_size, device_type, sharder)`.
 * - `data_parallel`, `table_row_wise`, `grid_shard` take no compute_kernel; the
 *   kernel they pick is DENSE for data-parallel and otherwise FUSED only when
 *   the parameter carries an in-backward optimizer (`_get_compute_kernel`), so
 *   the export sets it on the ParameterSharding (a dataclass in types.py).
 * - there is no table_column_wise generator: TABLE_COLUMN_WISE cuts columns
 *   like COLUMN_WISE (`calculate_shard_sizes_and_offsets`), so the export
 *   builds column_wise's shards and sets sharding_type.
 * - embedding_types.py `BaseEmbeddingSharder.compute_kernels`: data-parallel
 *   tables get only DENSE; other types FUSED, FUSED_UVM, FUSED_UVM_CACHING
 *   (and key-value kernels), not DENSE.
 * - utils.py `add_params_from_parameter_sharding`: ParameterSharding.cache_params
 *   (CacheParams.load_factor) becomes the table's cache_load_factor.
 */

/** Where each fact was read: file → commit of meta-pytorch/torchrec. */
export const TORCHREC_SOURCES: Readonly<Record<string, string>> = {
  'torchrec/distributed/sharding_plan.py': '13c7f287c2a29211ca03d3c2ff818e50b3723d01',
  'torchrec/distributed/types.py': '065090bb12a6363e81a23a4882315ab1a9333419',
  'torchrec/distributed/planner/types.py': '02a01c5eb8ad7090c4e8c908c49ec8ad612530d1',
  'torchrec/distributed/embedding_types.py': '02a772c4006cd7cf850d2ad14a25b74df453a9a0',
  'torchrec/distributed/constants.py': '3d3ca93279cc7cbeb0aeea1c72216895d6f96d9d',
  'torchrec/modules/embedding_configs.py': '1d8ac815fee72ef9c4af16fd8f3385e73c157c8e',
  /** DataType lives here and is imported into embedding_configs.py (older versions defined it there, without BF16). */
  'torchrec/types.py': '44902b0ad070d2c066f5b14806fa61d0b5dfbe6f',
  'torchrec/modules/embedding_modules.py': '0fcce44df336577ccf0166aa7d13c33303c70a03',
};

export type ApiSymbol =
  /** A function or class called with these keyword names (in signature order); positional count allowed. */
  | { kind: 'callable'; params: readonly string[] }
  /** An Enum with these members. */
  | { kind: 'enum'; members: readonly string[] };

/** Python module → exported name → what it is. */
export const TORCHREC_API: Readonly<Record<string, Readonly<Record<string, ApiSymbol>>>> = {
  'torchrec.distributed.sharding_plan': {
    data_parallel: { kind: 'callable', params: [] },
    table_wise: { kind: 'callable', params: ['rank', 'device', 'compute_kernel'] },
    row_wise: { kind: 'callable', params: ['sizes_placement', 'compute_kernel', 'num_buckets'] },
    column_wise: { kind: 'callable', params: ['ranks', 'size_per_rank', 'compute_kernel', 'device_types'] },
    table_row_wise: { kind: 'callable', params: ['host_index'] },
    grid_shard: { kind: 'callable', params: ['host_indexes'] },
    construct_module_sharding_plan: { kind: 'callable', params: ['module', 'per_param_sharding', 'sharder', 'local_size', 'world_size', 'device_type'] },
  },
  'torchrec.distributed.types': {
    ShardingType: { kind: 'enum', members: ['DATA_PARALLEL', 'TABLE_WISE', 'COLUMN_WISE', 'ROW_WISE', 'TABLE_ROW_WISE', 'TABLE_COLUMN_WISE', 'GRID_SHARD'] },
    ShardingPlan: { kind: 'callable', params: ['plan'] },
    ParameterSharding: {
      kind: 'callable',
      params: [
        'sharding_type',
        'compute_kernel',
        'ranks',
        'sharding_spec',
        'cache_params',
        'enforce_hbm',
        'stochastic_rounding',
        'bounds_check_mode',
        'output_dtype',
        'key_value_params',
      ],
    },
    CacheParams: { kind: 'callable', params: ['algorithm', 'load_factor', 'reserved_memory', 'precision', 'prefetch_pipeline', 'stats', 'multipass_prefetch_config'] },
  },
  'torchrec.distributed.planner.types': {
    ParameterConstraints: {
      kind: 'callable',
      params: [
        'sharding_types',
        'compute_kernels',
        'min_partition',
        'pooling_factors',
        'num_poolings',
        'batch_sizes',
        'is_weighted',
        'cache_params',
        'enforce_hbm',
        'stochastic_rounding',
        'bounds_check_mode',
        'feature_names',
        'output_dtype',
        'device_group',
        'key_value_params',
        'use_virtual_table',
      ],
    },
  },
  'torchrec.distributed.embedding_types': {
    EmbeddingComputeKernel: { kind: 'enum', members: ['DENSE', 'FUSED', 'FUSED_UVM', 'FUSED_UVM_CACHING', 'QUANT', 'QUANT_UVM', 'QUANT_UVM_CACHING', 'KEY_VALUE'] },
  },
  'torchrec.modules.embedding_configs': {
    EmbeddingBagConfig: {
      kind: 'callable',
      params: [
        'num_embeddings',
        'embedding_dim',
        'name',
        'data_type',
        'feature_names',
        'weight_init_max',
        'weight_init_min',
        'num_embeddings_post_pruning',
        'init_fn',
        'need_pos',
        'input_dim',
        'total_num_buckets',
        'use_virtual_table',
        'virtual_table_eviction_policy',
        'enable_embedding_update',
        'pooling',
      ],
    },
    DataType: { kind: 'enum', members: ['FP32', 'FP16', 'BF16', 'INT64', 'INT32', 'INT8', 'UINT8', 'INT4', 'INT2', 'NFP8'] },
    PoolingType: { kind: 'enum', members: ['SUM', 'MEAN', 'NONE'] },
  },
  'torchrec.modules.embedding_modules': {
    EmbeddingBagCollection: { kind: 'callable', params: ['tables', 'is_weighted', 'device'] },
  },
};

/** TorchRec's `EmbeddingComputeKernel` member for a ShardLens kernel on a model-parallel table (undefined: TorchRec has none). */
export const COMPUTE_KERNEL_MEMBER = {
  fbgemm_tbe: 'FUSED',
  fbgemm_tbe_uvm_caching: 'FUSED_UVM_CACHING',
} as const;

/** The string values of the members above (`EmbeddingComputeKernel.FUSED.value` = "fused"). */
export const COMPUTE_KERNEL_VALUE: Readonly<Record<string, string>> = {
  DENSE: 'dense',
  FUSED: 'fused',
  FUSED_UVM: 'fused_uvm',
  FUSED_UVM_CACHING: 'fused_uvm_caching',
};

/** `ShardingType` member per TorchRec sharding type value. */
export const SHARDING_TYPE_MEMBER: Readonly<Record<string, string>> = {
  data_parallel: 'DATA_PARALLEL',
  table_wise: 'TABLE_WISE',
  column_wise: 'COLUMN_WISE',
  row_wise: 'ROW_WISE',
  table_row_wise: 'TABLE_ROW_WISE',
  table_column_wise: 'TABLE_COLUMN_WISE',
  grid_shard: 'GRID_SHARD',
};
