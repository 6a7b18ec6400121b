/**
 * A placement as TorchRec takes it, exactly as written: per table the
 * sharding type, the ranks of its shards and the compute kernel its `kernel:`
 * asks for, as JSON or as a complete Python module that builds the
 * `ShardingPlan` with TorchRec's own generators (torchrec/distributed/
 * sharding_plan.py: data_parallel, table_wise, row_wise, column_wise,
 * table_row_wise, grid_shard) through `construct_module_sharding_plan`, plus
 * per-table `ParameterConstraints` for TorchRec's planner. What TorchRec
 * cannot express is refused with the reason, table by table, never
 * approximated. Every TorchRec name used is in torchrecApi.ts, read from
 * TorchRec's source (the commits recorded there). Pure: data in, text out.
 */
import { entryRanks, hostOf, type RankShape } from '../config/placementRanks';
import { renderEntry } from '../config/placementText';
import { SHARDING_KIND_INFO } from '../config/shardingKinds';
import { torchrecGap, torchrecGenerator } from '../config/torchrecForm';
import type { Dtype, Placement, PlacementEntry, ShardConfig, TableSpec } from '../config/types';
import { canSplitColumns } from '../cost/shards';
import { COMPUTE_KERNEL_MEMBER, COMPUTE_KERNEL_VALUE, SHARDING_TYPE_MEMBER, TORCHREC_SOURCES } from './torchrecApi';
import type { PlanResult } from './types';

export type TorchRecFormat = 'python' | 'json';

/** The module path of the EmbeddingBagCollection in a TorchRec DLRM (torchrec/models/dlrm.py: DLRM.sparse_arch.embedding_bag_collection). */
export const DEFAULT_MODULE_PATH = 'sparse_arch.embedding_bag_collection';

export interface TorchRecExportOptions {
  format: TorchRecFormat;
  /** Path of the EmbeddingBagCollection inside the model: the ShardingPlan key ('' when the model is the collection). */
  modulePath?: string;
  /** Where the placement comes from: the file as written, or a new plan. */
  origin: { kind: 'written' } | { kind: 'replan'; strategy: string };
  /** The config file (its base name goes into the header). */
  file?: string;
  /** The placement scored, for the header's predicted numbers (and which model scored them). */
  scored?: Pick<PlanResult, 'maxMs' | 'meanMs' | 'costModel' | 'feasible'>;
}

export interface ExportRefusal {
  /** The table it concerns (absent: the whole placement). */
  table?: string;
  reason: string;
}

export type TorchRecExport = { ok: true; text: string } | { ok: false; refusals: ExportRefusal[] };

type KernelMember = 'DENSE' | 'FUSED' | 'FUSED_UVM_CACHING';

interface TableExport {
  table: TableSpec;
  entry: PlacementEntry;
  /** TorchRec's ShardingType value. */
  shardingType: string;
  ranks: number[];
  kernel: KernelMember;
  cacheLoadFactor?: number;
  /** Column shard width (column kinds and grid), for ParameterConstraints.min_partition. */
  minPartition?: number;
  /** Why the kernel differs from what `kernel:` names, for a comment. */
  kernelNote?: string;
}

const DATA_TYPE: Readonly<Record<Dtype, string>> = { fp32: 'FP32', fp16: 'FP16', bf16: 'BF16' };

/** The compute kernel TorchRec runs for this table, or why it has none. */
function kernelOf(table: TableSpec, entry: PlacementEntry): { kernel: KernelMember; note?: string } | { why: string } {
  if (entry.kind === 'data_parallel') {
    // BaseEmbeddingSharder.compute_kernels (embedding_types.py): DENSE is the only data-parallel kernel.
    if (table.kernel === 'fbgemm_tbe_uvm_caching')
      return { why: 'TorchRec runs data-parallel tables only with the dense kernel (replicated in HBM); UVM caching needs a model-parallel kind (table, row, …)' };
    return { kernel: 'DENSE', note: table.kernel === 'torch_embedding_bag' ? undefined : `kernel ${table.kernel}: TorchRec's only data-parallel kernel is dense` };
  }
  if (table.kernel === 'torch_embedding_bag') {
    return {
      why: "kernel torch_embedding_bag (PyTorch's nn.EmbeddingBag) has no TorchRec compute kernel for sharded tables (TorchRec offers fused, fused_uvm, fused_uvm_caching, key_value); set kernel: fbgemm_tbe, TorchRec's default 'fused'",
    };
  }
  return { kernel: COMPUTE_KERNEL_MEMBER[table.kernel] };
}

function exportTable(table: TableSpec, entry: PlacementEntry, shape: RankShape): TableExport | ExportRefusal[] {
  const refusals: ExportRefusal[] = [];
  const refuse = (reason: string) => refusals.push({ table: table.name, reason });
  const ranks = entryRanks(entry, shape);
  if (ranks.length === 0) refuse(`${renderEntry(entry, shape.count)} names no GPU that exists`);
  const bad = ranks.filter((g) => !Number.isInteger(g) || g < 0 || g >= shape.count);
  if (bad.length) refuse(`GPU${bad.length === 1 ? '' : 's'} ${bad.join(', ')} do${bad.length === 1 ? 'es' : ''} not exist (the cluster has ${shape.count})`);
  const gap = torchrecGap(table, entry, shape);
  if (gap) refuse(gap.message);
  if (entry.kind === 'table_column' && new Set(entry.gpus.map((g) => hostOf(g, shape))).size > 1) {
    refuse(`table_column_wise keeps the shards on one host; GPUs [${entry.gpus.join(', ')}] span hosts`);
  }
  const parts = entry.kind === 'column' || entry.kind === 'table_column' ? entry.gpus.length : entry.kind === 'grid' ? entry.hosts.length : 1;
  if (parts > 1 && !canSplitColumns(table.dim, parts))
    refuse(`dim ${table.dim} does not split into ${parts} column shards of a multiple of 4 (TorchRec's column_wise needs equal widths)`);
  const k = kernelOf(table, entry);
  if ('why' in k) refuse(k.why);
  if (refusals.length || 'why' in k) return refusals;
  const out: TableExport = { table, entry, shardingType: SHARDING_KIND_INFO[entry.kind].torchrec, ranks, kernel: k.kernel };
  if (k.note) out.kernelNote = k.note;
  if (k.kernel === 'FUSED_UVM_CACHING' && table.cacheLoadFactor !== undefined) out.cacheLoadFactor = table.cacheLoadFactor;
  if (parts > 1 || entry.kind === 'column' || entry.kind === 'table_column') out.minPartition = table.dim / parts;
  return out;
}

/** A Python float literal (pooling_factors is List[float]). */
function pyFloat(x: number): string {
  const s = String(x);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

/** A Python string literal (JSON's escapes are valid Python). */
function py(s: string): string {
  return JSON.stringify(s);
}

/** Text safe inside a `#` comment: one line, no control characters, bounded. */
function commentSafe(s: string, max = 120): string {
  // eslint-disable-next-line no-control-regex
  const one = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

function baseName(file: string | undefined): string {
  return file ? commentSafe(file.split(/[\\/]/).pop() ?? file, 80) : 'a ShardLens config';
}

function kernelValue(x: TableExport): string {
  return `EmbeddingComputeKernel.${x.kernel}.value`;
}

/** The generator call for one table, with its kernel and cache settings. */
function generatorCall(x: TableExport): string {
  const gen = torchrecGenerator(x.entry);
  const takesKernel = gen.fn === 'table_wise' || gen.fn === 'row_wise' || gen.fn === 'column_wise';
  const args = [...gen.args];
  // data_parallel picks DENSE itself; the others take the kernel as an argument or have it set.
  if (takesKernel) args.push(`compute_kernel=${kernelValue(x)}`);
  let call = `${gen.fn}(${args.join(', ')})`;
  const fields: string[] = [];
  if (!takesKernel && x.kernel !== 'DENSE') fields.push(`compute_kernel=${kernelValue(x)}`);
  if (x.entry.kind === 'table_column') fields.push('sharding_type=ShardingType.TABLE_COLUMN_WISE.value');
  if (x.cacheLoadFactor !== undefined) fields.push(`cache_params=CacheParams(load_factor=${pyFloat(x.cacheLoadFactor)})`);
  if (fields.length) call = `_with(${call}, ${fields.join(', ')})`;
  return call;
}

function constraintsPy(x: TableExport): string {
  const args = [
    `sharding_types=[ShardingType.${SHARDING_TYPE_MEMBER[x.shardingType]}.value]`,
    `compute_kernels=[${kernelValue(x)}]`,
    `pooling_factors=[${pyFloat(x.table.pooling)}]`,
  ];
  if (x.minPartition !== undefined) args.push(`min_partition=${x.minPartition}`);
  if (x.cacheLoadFactor !== undefined) args.push(`cache_params=CacheParams(load_factor=${pyFloat(x.cacheLoadFactor)})`);
  return `ParameterConstraints(\n        ${args.join(',\n        ')},\n    )`;
}

function header(config: ShardConfig, options: TorchRecExportOptions): string[] {
  const lines: string[] = [];
  const origin = options.origin.kind === 'written' ? 'the placement written in the file' : `a new ${commentSafe(options.origin.strategy, 40)} plan (--replan)`;
  lines.push(`Generated by ShardLens from ${baseName(options.file)}: ${origin}.`);
  lines.push(
    `${config.tables.length} tables on ${config.devices.count} GPUs (${Math.ceil(config.devices.count / Math.max(1, config.devices.perHost))} hosts x ${config.devices.perHost}), batch ${config.batchSize}.`,
  );
  const s = options.scored;
  if (s)
    lines.push(
      `Predicted by ShardLens (cost model ${commentSafe(s.costModel, 60)}): step ${s.maxMs.toFixed(3)} ms (critical path: each phase waits for its slowest GPU), mean GPU ${s.meanMs.toFixed(3)} ms${s.feasible ? '' : ' (NOT feasible as is)'}.`,
    );
  return lines;
}

function toJson(config: ShardConfig, tables: TableExport[], options: TorchRecExportOptions): string {
  const modulePath = options.modulePath ?? DEFAULT_MODULE_PATH;
  const s = options.scored;
  return `${JSON.stringify(
    {
      format: 'shardlens-torchrec',
      version: 2,
      source: options.file ? baseName(options.file) : null,
      placement: options.origin.kind === 'written' ? 'written' : `replan:${options.origin.strategy}`,
      world_size: config.devices.count,
      local_world_size: config.devices.perHost,
      batch_size: config.batchSize,
      module_path: modulePath,
      predicted: s ? { max_ms: s.maxMs, mean_ms: s.meanMs, cost_model: s.costModel, feasible: s.feasible } : null,
      torchrec_source: { repo: 'meta-pytorch/torchrec', files: TORCHREC_SOURCES },
      tables: Object.fromEntries(
        tables.map((x) => {
          const gen = torchrecGenerator(x.entry);
          const t: Record<string, unknown> = {
            sharding_type: x.shardingType,
            ranks: x.ranks,
            compute_kernel: COMPUTE_KERNEL_VALUE[x.kernel],
          };
          if (x.entry.kind === 'table_row') t.host_index = x.entry.host;
          if (x.entry.kind === 'grid') t.host_indexes = [...x.entry.hosts];
          if (x.cacheLoadFactor !== undefined) t.cache_load_factor = x.cacheLoadFactor;
          t.generator = `${gen.fn}(${gen.args.join(', ')})`;
          const pc: Record<string, unknown> = { sharding_types: [x.shardingType], compute_kernels: [COMPUTE_KERNEL_VALUE[x.kernel]], pooling_factors: [x.table.pooling] };
          if (x.minPartition !== undefined) pc.min_partition = x.minPartition;
          if (x.cacheLoadFactor !== undefined) pc.cache_params = { load_factor: x.cacheLoadFactor };
          t.parameter_constraints = pc;
          return [x.table.name, t];
        }),
      ),
    },
    null,
    2,
  )}\n`;
}

function toPython(config: ShardConfig, tables: TableExport[], options: TorchRecExportOptions): string {
  const modulePath = options.modulePath ?? DEFAULT_MODULE_PATH;
  const gens = new Set(tables.map((x) => torchrecGenerator(x.entry).fn));
  const usesWith = tables.some((x) => generatorCall(x).startsWith('_with('));
  const usesCache = tables.some((x) => x.cacheLoadFactor !== undefined);
  const L: string[] = [];
  // The header names the file and cost model: comments only (a docstring would read their backslashes and quotes).
  for (const l of header(config, options)) L.push(`# ${l}`);
  L.push('"""ShardLens placement for TorchRec.');
  L.push('');
  L.push('Use it with TorchRec:');
  L.push('    plan = sharding_plan(model)  # the exact placement, for DistributedModelParallel(model, plan=plan)');
  L.push('    EmbeddingShardingPlanner(topology=..., constraints=CONSTRAINTS)  # or let TorchRec plan within the same kinds and kernels');
  L.push('`python3 this_file.py` prints the plan for the tables below, built on the meta device (no GPU needed).');
  L.push('');
  L.push('TorchRec API as read from meta-pytorch/torchrec:');
  for (const [f, c] of Object.entries(TORCHREC_SOURCES)) L.push(`    ${f} @ ${c.slice(0, 12)}`);
  L.push('"""');
  L.push('import dataclasses');
  L.push('from typing import Any, Callable, Dict, List');
  L.push('');
  L.push('import torch');
  L.push('from torch import nn');
  L.push('from torchrec.distributed.embedding_types import EmbeddingComputeKernel');
  L.push('from torchrec.distributed.planner.types import ParameterConstraints');
  L.push(`from torchrec.distributed.sharding_plan import ${[...gens, 'construct_module_sharding_plan'].sort().join(', ')}`);
  L.push(`from torchrec.distributed.types import ${[...(usesCache ? ['CacheParams'] : []), 'ParameterSharding', 'ShardingPlan', 'ShardingType'].join(', ')}`);
  L.push('from torchrec.modules.embedding_configs import DataType, EmbeddingBagConfig, PoolingType');
  L.push('from torchrec.modules.embedding_modules import EmbeddingBagCollection');
  L.push('');
  L.push(`WORLD_SIZE = ${config.devices.count}`);
  L.push(`LOCAL_WORLD_SIZE = ${config.devices.perHost}`);
  L.push(`MODULE_PATH = ${py(modulePath)}`);
  L.push('');
  L.push("# The tables as ShardLens sized them; feature_names are the table names here: use your model's.");
  L.push('TABLES: List[EmbeddingBagConfig] = [');
  for (const x of tables) {
    const t = x.table;
    L.push(
      `    EmbeddingBagConfig(name=${py(t.name)}, num_embeddings=${t.rows}, embedding_dim=${t.dim}, feature_names=[${py(t.name)}], data_type=DataType.${DATA_TYPE[t.dtype] ?? 'FP32'}, pooling=PoolingType.SUM),`,
    );
  }
  L.push(']');
  L.push('');
  L.push('# For EmbeddingShardingPlanner(constraints=CONSTRAINTS): each table keeps the sharding type and');
  L.push('# compute kernel written in the ShardLens file (the planner still picks the ranks).');
  L.push('CONSTRAINTS: Dict[str, ParameterConstraints] = {');
  for (const x of tables) L.push(`    ${py(x.table.name)}: ${constraintsPy(x)},`);
  L.push('}');
  L.push('');
  if (usesWith) {
    L.push('');
    L.push('def _with(generator: Callable[..., ParameterSharding], **fields: Any) -> Callable[..., ParameterSharding]:');
    L.push('    """The generator\'s ParameterSharding with `fields` replaced (a generator that takes no compute_kernel,');
    L.push('    table_column_wise built from column_wise\'s shards, a cache load factor)."""');
    L.push('');
    L.push('    def generate(*args: Any) -> ParameterSharding:');
    L.push('        return dataclasses.replace(generator(*args), **fields)');
    L.push('');
    L.push('    return generate');
    L.push('');
  }
  L.push('');
  L.push('def per_table_sharding() -> Dict[str, Callable[..., ParameterSharding]]:');
  L.push('    """The exact placement: one TorchRec sharding generator per table."""');
  L.push('    return {');
  for (const x of tables) {
    const note = x.kernelNote ? `  # ${commentSafe(x.kernelNote)}` : '';
    L.push(`        ${py(x.table.name)}: ${generatorCall(x)},${note}`);
  }
  L.push('    }');
  L.push('');
  L.push('');
  L.push('def module_sharding_plan(ebc: nn.Module) -> Any:');
  L.push('    """The EmbeddingModuleShardingPlan of the EmbeddingBagCollection `ebc`."""');
  L.push('    return construct_module_sharding_plan(');
  L.push('        ebc, per_table_sharding(), local_size=LOCAL_WORLD_SIZE, world_size=WORLD_SIZE, device_type="cuda"');
  L.push('    )');
  L.push('');
  L.push('');
  L.push('def sharding_plan(model: nn.Module) -> ShardingPlan:');
  L.push('    """The ShardingPlan of `model`, whose EmbeddingBagCollection is at MODULE_PATH."""');
  L.push('    return ShardingPlan(plan={MODULE_PATH: module_sharding_plan(model.get_submodule(MODULE_PATH))})');
  L.push('');
  L.push('');
  L.push('if __name__ == "__main__":');
  L.push('    collection = EmbeddingBagCollection(tables=TABLES, device=torch.device("meta"))');
  L.push('    print(ShardingPlan(plan={MODULE_PATH: module_sharding_plan(collection)}))');
  return `${L.join('\n')}\n`;
}

/**
 * Exports `placement` of `config` for TorchRec, or every reason it cannot:
 * tables without an entry, entries TorchRec cannot express (row blocks over
 * some GPUs only, grids with another host count than TorchRec cuts, hosts
 * that are not full), kernels TorchRec has no compute kernel for.
 */
export function exportTorchRec(config: ShardConfig, placement: Placement, options: TorchRecExportOptions): TorchRecExport {
  const shape: RankShape = { count: config.devices.count, perHost: config.devices.perHost };
  const refusals: ExportRefusal[] = [];
  const tables: TableExport[] = [];
  const names = new Set(config.tables.map((t) => t.name));
  for (const t of config.tables) {
    const e = placement.get(t.name);
    if (!e) {
      refusals.push({ table: t.name, reason: "no placement entry; TorchRec's construct_module_sharding_plan needs one for every table" });
      continue;
    }
    const x = exportTable(t, e, shape);
    if (Array.isArray(x)) refusals.push(...x);
    else tables.push(x);
  }
  for (const name of placement.keys()) if (!names.has(name)) refusals.push({ table: name, reason: 'placed, but not a table of the config' });
  if (refusals.length) return { ok: false, refusals };
  return { ok: true, text: options.format === 'json' ? toJson(config, tables, options) : toPython(config, tables, options) };
}
