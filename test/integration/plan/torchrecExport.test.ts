/**
 * The TorchRec export as Python: every kind through TorchRec's own
 * generators, the compute kernel from `kernel:`, and Python that parses and uses
 * only names, keywords and enum members recorded from TorchRec's source
 * (server/src/plan/torchrecApi.ts), checked with Python's own parser
 * ($PYTHON, else python3, and test/integration/plan/pyApiScan.py; no TorchRec needed).
 * The JSON export and the refusals, in-process: test/unit/plan/torchrecExport.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../server/src/config/load';
import type { FileReader } from '../../../server/src/config/loaded';
import type { PlacementEntry } from '../../../server/src/config/types';
import { pythonWith } from '../../../server/src/io/python';
import { TORCHREC_API } from '../../../server/src/plan/torchrecApi';
import { exportTorchRec } from '../../../server/src/plan/torchrecExport';
import { config, everyKind, EXPORT_OPTIONS as OPTIONS, table } from '../../unit/plan/fixtures';

const python = pythonWith([]);
const SCAN = path.resolve(__dirname, 'pyApiScan.py');
const EXAMPLES = path.resolve(__dirname, '../../../examples');

interface Scan {
  imports: [string, string][];
  calls: { func: string | null; keywords: string[]; positional: number }[];
  attributes: string[];
}

/** Parses `source` with Python's ast (fails the test with Python's message if it does not parse) and lists what it uses. */
function scan(source: string): Scan {
  if (!python.ok) assert.fail(python.why);
  const r = spawnSync(python.python, [SCAN], { input: source, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  assert.equal(r.status, 0, `the export parses as Python: ${r.stderr}`);
  return JSON.parse(r.stdout) as Scan;
}

/** Every TorchRec name, keyword and enum member the source uses is one recorded from TorchRec's source. */
function assertTorchRecApi(source: string): Scan {
  const s = scan(source);
  const imported = new Map<string, { module: string; name: string }>();
  for (const [module, name] of s.imports) {
    if (!module.startsWith('torchrec')) continue;
    assert.ok(TORCHREC_API[module], `module ${module} is recorded`);
    assert.ok(TORCHREC_API[module][name], `${module}.${name} is recorded`);
    imported.set(name, { module, name });
  }
  for (const c of s.calls) {
    const callee = c.func && imported.get(c.func);
    if (callee) {
      const sym = TORCHREC_API[callee.module][callee.name];
      assert.equal(sym.kind, 'callable', `${c.func} is callable`);
      if (sym.kind !== 'callable') continue;
      for (const k of c.keywords) assert.ok(sym.params.includes(k), `${c.func}(${k}=…) is a parameter of ${callee.module}.${callee.name}`);
      assert.ok(c.positional <= sym.params.length, `${c.func}: ${c.positional} positional arguments`);
    }
    // _with(generator, **fields) replaces ParameterSharding fields (dataclasses.replace).
    if (c.func === '_with') {
      const fields = (TORCHREC_API['torchrec.distributed.types'].ParameterSharding as { params: readonly string[] }).params;
      for (const k of c.keywords) assert.ok(fields.includes(k), `ParameterSharding has a field ${k}`);
      assert.equal(c.positional, 1);
    }
  }
  for (const a of s.attributes) {
    const [head, member] = a.split('.');
    const sym = imported.get(head) && TORCHREC_API[imported.get(head)!.module][head];
    if (sym?.kind === 'enum' && member !== undefined) assert.ok(sym.members.includes(member), `${head}.${member} is a member`);
  }
  return s;
}

describe('exportTorchRec', () => {
  it("Python: every kind through TorchRec's generators, kernels from kernel:, only recorded API", () => {
    const { cfg, placement } = everyKind();
    const r = exportTorchRec(cfg, placement, OPTIONS);
    assert.ok(r.ok, JSON.stringify(!r.ok && r.refusals));
    const py = r.text;
    const s = assertTorchRecApi(py);
    const line = (name: string) =>
      py
        .split('\n')
        .find((l) => l.startsWith(`        "${name}": `))!
        .trim();
    const FUSED = 'compute_kernel=EmbeddingComputeKernel.FUSED.value';
    assert.match(line('small'), /^"small": data_parallel\(\),/);
    assert.equal(line('whole'), `"whole": table_wise(rank=3, ${FUSED}),`);
    assert.equal(line('cols'), `"cols": column_wise(ranks=[0, 1], ${FUSED}),`);
    assert.equal(line('rows'), `"rows": row_wise(${FUSED}),`);
    assert.equal(line('trow'), `"trow": _with(table_row_wise(host_index=1), ${FUSED}),`);
    assert.equal(line('tcol'), `"tcol": _with(column_wise(ranks=[8, 9], ${FUSED}), sharding_type=ShardingType.TABLE_COLUMN_WISE.value),`);
    assert.equal(line('grid'), `"grid": _with(grid_shard(host_indexes=[0, 1]), ${FUSED}),`);
    assert.equal(line('uvm'), '"uvm": _with(table_wise(rank=5, compute_kernel=EmbeddingComputeKernel.FUSED_UVM_CACHING.value), cache_params=CacheParams(load_factor=0.2)),');
    // Constraints: one per table with its type, kernel, pooling factor; column widths as min_partition.
    assert.match(
      py,
      /"cols": ParameterConstraints\(\n\s+sharding_types=\[ShardingType\.COLUMN_WISE\.value\],\n\s+compute_kernels=\[EmbeddingComputeKernel\.FUSED\.value\],\n\s+pooling_factors=\[4\.0\],\n\s+min_partition=64,/,
    );
    assert.match(py, /"small": ParameterConstraints\(\n\s+sharding_types=\[ShardingType\.DATA_PARALLEL\.value\],\n\s+compute_kernels=\[EmbeddingComputeKernel\.DENSE\.value\]/);
    assert.match(py, /"uvm": ParameterConstraints\([\s\S]*?cache_params=CacheParams\(load_factor=0\.2\),/);
    // The plan for a module path, and a runnable main on the meta device.
    assert.match(py, /^MODULE_PATH = "sparse_arch\.embedding_bag_collection"$/m);
    assert.match(py, /construct_module_sharding_plan\(\n\s+ebc, per_table_sharding\(\), local_size=LOCAL_WORLD_SIZE, world_size=WORLD_SIZE, device_type="cuda"/);
    assert.match(py, /^WORLD_SIZE = 16$/m);
    assert.match(py, /^LOCAL_WORLD_SIZE = 8$/m);
    assert.ok(s.calls.some((c) => c.func === 'EmbeddingBagCollection' && c.keywords.includes('device')));
    assert.match(py, /EmbeddingBagConfig\(name="small", num_embeddings=1000, embedding_dim=64, feature_names=\["small"\], data_type=DataType\.FP16, pooling=PoolingType\.SUM\)/);
  });

  it('names and file names cannot break out of strings or comments', () => {
    const evil = 'a"\nimport os  # \u2028\\N{x}"""';
    const cfg = config([table(evil, 1000, 32), table('b', 1000, 32)], 2);
    const r = exportTorchRec(
      cfg,
      new Map<string, PlacementEntry>([
        [evil, { kind: 'table', gpu: 0 }],
        ['b', { kind: 'table', gpu: 1 }],
      ]),
      {
        ...OPTIONS,
        file: '/w/x"""\nimport os\\N.shard.yaml',
        scored: { maxMs: 1, meanMs: 1, costModel: 'm"\n x', feasible: true },
      },
    );
    assert.ok(r.ok);
    const s = assertTorchRecApi(r.text);
    assert.ok(!s.imports.some(([m]) => m === 'os') && !r.text.split('\n').some((l) => l.startsWith('import os')), 'no injected import');
    assert.ok(r.text.includes(JSON.stringify(evil)), 'the name is a Python string literal');
  });
});

describe("every example exports valid Python against TorchRec's API", () => {
  const reader: FileReader = {
    readFile: (p) => {
      try {
        return readFileSync(p, 'utf8');
      } catch {
        return undefined;
      }
    },
  };
  const files = [...readdirSync(EXAMPLES).filter((f) => f.endsWith('.shard.yaml')), 'split/model.shard.yaml'];
  for (const f of files) {
    it(f, () => {
      const file = path.join(EXAMPLES, f);
      const loaded = loadConfig(file, readFileSync(file, 'utf8'), reader);
      const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
      if (f === 'mistakes.shard.yaml') {
        assert.ok(errors.length > 0, 'the mistakes example holds errors, which the CLI refuses to export');
        return;
      }
      assert.deepEqual(errors, []);
      const cfg = loaded.config!;
      // split/model has no placement: export every table table-wise round-robin, as a user's first placement would be.
      const placement = cfg.placement ?? new Map(cfg.tables.map((t, i) => [t.name, { kind: 'table' as const, gpu: i % cfg.devices.count }]));
      const r = exportTorchRec(cfg, placement, OPTIONS);
      assert.ok(r.ok, JSON.stringify(!r.ok && r.refusals.slice(0, 3)));
      assertTorchRecApi(r.text);
    });
  }
});
