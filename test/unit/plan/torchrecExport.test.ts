/**
 * The TorchRec export, in-process: the JSON form (per table sharding_type,
 * ranks, compute kernel) and the refusals, table by table, of what TorchRec
 * cannot express. The Python form, parsed by Python against TorchRec's
 * recorded API: test/integration/plan/torchrecExport.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exportTorchRec } from '../../../server/src/plan/torchrecExport';
import { config, everyKind, EXPORT_OPTIONS as OPTIONS, table } from './fixtures';

describe('exportTorchRec (JSON, refusals)', () => {
  it('JSON: per table sharding_type, ranks, compute_kernel (data-parallel as data_parallel)', () => {
    const { cfg, placement } = everyKind();
    const r = exportTorchRec(cfg, placement, { ...OPTIONS, format: 'json', modulePath: 'dlrm.ebc' });
    assert.ok(r.ok);
    const j = JSON.parse(r.text);
    assert.equal(j.module_path, 'dlrm.ebc');
    const pick = (n: string) => [j.tables[n].sharding_type, j.tables[n].ranks, j.tables[n].compute_kernel];
    const all = Array.from({ length: 16 }, (_, g) => g);
    assert.deepEqual(pick('small'), ['data_parallel', all, 'dense']);
    assert.deepEqual(pick('whole'), ['table_wise', [3], 'fused']);
    assert.deepEqual(pick('cols'), ['column_wise', [0, 1], 'fused']);
    assert.deepEqual(pick('rows'), ['row_wise', all, 'fused']);
    assert.deepEqual(pick('trow'), ['table_row_wise', [8, 9, 10, 11, 12, 13, 14, 15], 'fused']);
    assert.deepEqual(pick('tcol'), ['table_column_wise', [8, 9], 'fused']);
    assert.deepEqual(pick('grid'), ['grid_shard', all, 'fused']);
    assert.deepEqual(pick('uvm'), ['table_wise', [5], 'fused_uvm_caching']);
    assert.equal(j.tables.uvm.cache_load_factor, 0.2);
    assert.equal(j.tables.trow.host_index, 1);
    assert.deepEqual(j.tables.grid.host_indexes, [0, 1]);
    assert.equal(j.tables.cols.parameter_constraints.min_partition, 64);
  });

  it('refuses, table by table, what TorchRec cannot express; never a partial export', () => {
    const { cfg, placement } = everyKind();
    cfg.tables.push(table('eb', 1000, 32, { kernel: 'torch_embedding_bag' }), table('dpuvm', 1000, 32, { kernel: 'fbgemm_tbe_uvm_caching' }), table('loose', 1000, 32));
    placement.set('rows', { kind: 'row', gpus: [8, 9, 10, 11, 12, 13, 14, 15] });
    placement.set('grid', { kind: 'grid', hosts: [0] });
    placement.set('tcol', { kind: 'table_column', gpus: [7, 8] });
    placement.set('eb', { kind: 'table', gpu: 0 });
    placement.set('dpuvm', { kind: 'data_parallel' });
    placement.set('ghost', { kind: 'table', gpu: 0 });
    const r = exportTorchRec(cfg, placement, OPTIONS);
    assert.equal(r.ok, false);
    if (r.ok) return;
    const by = new Map(r.refusals.map((x) => [x.table, x.reason]));
    assert.match(by.get('rows')!, /row_wise puts row block i on rank i of all 16 ranks.*host 1's GPUs in order, which is table_row/);
    assert.match(by.get('grid')!, /grid_shard cuts dim 256 into 2 blocks of 128 columns.*needs 2 hosts, not 1/);
    assert.match(by.get('tcol')!, /table_column_wise keeps the shards on one host/);
    assert.match(by.get('eb')!, /torch_embedding_bag.*no TorchRec compute kernel.*set kernel: fbgemm_tbe/);
    assert.match(by.get('dpuvm')!, /data-parallel tables only with the dense kernel/);
    assert.match(by.get('loose')!, /no placement entry; TorchRec's construct_module_sharding_plan needs one for every table/);
    assert.match(by.get('ghost')!, /not a table of the config/);
    assert.equal(r.refusals.length, 7);
  });

  it("data-parallel with torch_embedding_bag exports as dense: TorchRec's only data-parallel kernel", () => {
    const cfg = config([table('eb', 1000, 32, { kernel: 'torch_embedding_bag' })], 4);
    const r = exportTorchRec(cfg, new Map([['eb', { kind: 'data_parallel' }]]), { ...OPTIONS, format: 'json' });
    assert.ok(r.ok);
    assert.equal(JSON.parse(r.text).tables.eb.compute_kernel, 'dense');
  });
});
