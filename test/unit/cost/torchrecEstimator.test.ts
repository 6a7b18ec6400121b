import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import type { DeviceSpec } from '../../../server/src/config/types';
import {
  defaultTopology,
  TORCHREC_CONSTANTS,
  TorchRecEstimatorModel,
  torchRecKernelBandwidth,
  torchRecPerfTotal,
  torchRecShardPerf,
  type TorchRecKernel,
  type TorchRecShardInput,
  type TorchRecSharding,
} from '../../../server/src/cost/torchrecEstimator';
import type { CostEnv, Shard } from '../../../server/src/cost/types';

/**
 * Golden vectors of torchrec/distributed/planner/tests/test_shard_estimators.py
 * (docs/research/torchrec-planner.md §3.7): a 100 × 10 fp32 table, world size
 * = local world size = 2, per-rank batch 512, pooling 1, pooled, default
 * constants. Values in ms.
 */
const GOLDEN: { kernel: TorchRecKernel; sharding: TorchRecSharding[]; fwdCompute: number; fwdComms: number; bwdCompute: number; bwdComms: number }[] = [
  { kernel: 'fused', sharding: ['table_wise', 'column_wise', 'table_column_wise'], fwdCompute: 3.274601e-4, fwdComms: 6.357829e-5, bwdCompute: 6.549202e-4, bwdComms: 6.357829e-5 },
  { kernel: 'fused_uvm', sharding: ['table_wise'], fwdCompute: 9.179115e-2, fwdComms: 6.357829e-5, bwdCompute: 1.835823e-1, bwdComms: 6.357829e-5 },
  { kernel: 'fused_uvm_caching', sharding: ['table_wise'], fwdCompute: 1.432838e-2, fwdComms: 6.357829e-5, bwdCompute: 2.865675e-2, bwdComms: 6.357829e-5 },
  { kernel: 'fused', sharding: ['row_wise', 'table_row_wise', 'grid_shard'], fwdCompute: 6.804365e-5, fwdComms: 6.357829e-5, bwdCompute: 1.360873e-4, bwdComms: 1.679828e-4 },
  { kernel: 'dense', sharding: ['data_parallel'], fwdCompute: 9.356002e-5, fwdComms: 0, bwdCompute: 1.8712e-4, bwdComms: 2.255939e-4 },
];

function golden(kernel: TorchRecKernel, sharding: TorchRecSharding): TorchRecShardInput {
  return { sharding, kernel, batchSizes: [512], poolingFactors: [1], dim: 10, rows: 100, tableBytes: 4 };
}

function close(actual: number, expected: number, what: string): void {
  const tol = Math.max(1e-12, Math.abs(expected) * 1e-5);
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} vs ${expected}`);
}

describe('TorchRec EmbeddingPerfEstimator (re-derived)', () => {
  for (const g of GOLDEN) {
    for (const sharding of g.sharding) {
      it(`reproduces the golden vector for ${g.kernel} ${sharding}`, () => {
        const p = torchRecShardPerf(golden(g.kernel, sharding), defaultTopology(2, 2));
        close(p.fwdCompute, g.fwdCompute, 'fwd_compute');
        close(p.fwdComms, g.fwdComms, 'fwd_comms');
        close(p.bwdCompute, g.bwdCompute, 'bwd_compute');
        close(p.bwdComms, g.bwdComms, 'bwd_comms');
        assert.equal(p.prefetchCompute, 0);
      });
    }
  }

  it('reproduces the worked example: 1M × 128 fp32, TW fused, W = w = 8, B = 512, L = 20', () => {
    const p = torchRecShardPerf(
      { sharding: 'table_wise', kernel: 'fused', batchSizes: [512], poolingFactors: [20], dim: 128, rows: 1_000_000, tableBytes: 4 },
      defaultTopology(8, 8),
    );
    // R_in 655,360 B, R_lk 41,943,040 B, R_out 2,097,152 B over 897 GiB/s.
    close(p.fwdCompute, (655_360 + 41_943_040 + 2_097_152) / TORCHREC_CONSTANTS.hbmMemBw, 'fwd_compute');
    assert.ok(Math.abs(p.fwdCompute - 0.0464) < 5e-5);
    assert.ok(Math.abs(torchRecPerfTotal(p) - 0.146) < 5e-4);
  });

  it('applies the block-usage penalty and the 32-column minimum to table-wise shards only', () => {
    const topo = defaultTopology(1, 1);
    const tw = (dim: number) =>
      torchRecShardPerf({ sharding: 'table_wise', kernel: 'fused', batchSizes: [1024], poolingFactors: [10], dim, rows: 1e6, tableBytes: 4 }, topo).fwdCompute;
    const rw = (dim: number) =>
      torchRecShardPerf({ sharding: 'row_wise', kernel: 'fused', batchSizes: [1024], poolingFactors: [10], dim, rows: 1e6, tableBytes: 4 }, topo).fwdCompute;
    // 16 columns are charged as 32, times the quarter-block penalty 1.75.
    const lookups = 1024 * 10;
    close(tw(16), ((8 * lookups + lookups * 32 * 4 + 1024 * 16 * 4) * 1.75) / TORCHREC_CONSTANTS.hbmMemBw, 'tw 16');
    close(tw(96) / ((8 * lookups + lookups * 96 * 4 + 1024 * 96 * 4) / TORCHREC_CONSTANTS.hbmMemBw), 1.15, 'half-block penalty');
    close(rw(16), (8 * lookups + lookups * 16 * 4 + 1024 * 16 * 4) / TORCHREC_CONSTANTS.hbmMemBw, 'rw 16');
  });

  it('looks up kernel bandwidths as kernel_bw_lookup does', () => {
    const t = defaultTopology();
    assert.equal(torchRecKernelBandwidth('fused', t), t.hbmMemBw);
    assert.equal(torchRecKernelBandwidth('dense', t), 0.5 * t.hbmMemBw);
    assert.equal(torchRecKernelBandwidth('fused_uvm', t), t.hbmToDdrMemBw / 10);
    close(torchRecKernelBandwidth('fused_uvm_caching', t, 0.5), (0.5 * t.hbmMemBw + 0.5 * t.hbmToDdrMemBw) / 10, 'caching');
    assert.equal(torchRecKernelBandwidth('fused_uvm_caching', t, 0.2, true), t.hbmMemBw);
  });

  it('prices our shards as TorchRec would, with the device HBM bandwidth', async () => {
    const device: DeviceSpec = { type: 'H100-80GB', count: 8, perHost: 8, reserve: 0.15, ...GPU_PRESETS['H100-80GB'] };
    const env: CostEnv = { batchSize: 65536, optimizer: 'sgd', device };
    const shard: Shard = { table: 't', rows: 1e6, dim: 128, pooling: 20, zipf: 1, dtypeBytes: 4, kernel: 'fbgemm_tbe' };
    const model = new TorchRecEstimatorModel('H100-80GB');
    const [c] = await model.predict([[shard]], env);
    const lookups = 65536 * 20;
    close(c.fwdMs, (8 * lookups + lookups * 128 * 4 + 65536 * 128 * 4) / (3350 * 1e6), 'fwd');
    close(c.bwdMs, 2 * c.fwdMs, 'bwd = 2 × fwd');
    // Backward ignores the optimizer and skew, as TorchRec's does.
    const [adam] = await model.predict([[{ ...shard, zipf: 0 }]], { ...env, optimizer: 'adam' });
    assert.equal(adam.bwdMs, c.bwdMs);
    // TorchRec's default 897 GiB/s is 3.35/0.963 slower.
    const [slow] = await new TorchRecEstimatorModel('H100-80GB', 'torchrec-default').predict([[shard]], env);
    close(slow.fwdMs / c.fwdMs, 3350e6 / TORCHREC_CONSTANTS.hbmMemBw, 'default bandwidth ratio');
    // A set is the sum of its shards; an empty set costs nothing.
    const [pair, none] = await model.predict([[shard, shard], []], env);
    close(pair.fwdMs, 2 * c.fwdMs, 'sum');
    assert.deepEqual(none, { fwdMs: 0, bwdMs: 0 });
  });

  it('prices a row block row-wise and a data-parallel replica with the dense kernel', async () => {
    const device: DeviceSpec = { type: 'A100-80GB', count: 8, perHost: 8, reserve: 0.15, ...GPU_PRESETS['A100-80GB'] };
    const env: CostEnv = { batchSize: 8192, optimizer: 'sgd', device };
    const base: Shard = { table: 't', rows: 1e5, dim: 16, pooling: 4, zipf: 0, dtypeBytes: 4, kernel: 'fbgemm_tbe' };
    const model = new TorchRecEstimatorModel();
    const [block, replica] = await model.predict([[{ ...base, block: { offset: 0, tableRows: 4e5, ids: 'hashed' } }], [{ ...base, bags: 1024 }]], env);
    const hbm = 2039e6;
    close(block.fwdMs, (8 * 8192 * 4 + 8192 * 4 * 16 * 4 + 8192 * 16 * 4) / hbm, 'row block');
    close(replica.fwdMs, (8 * 1024 * 4 + 1024 * 4 * 16 * 4 + 1024 * 16 * 4) / (0.5 * hbm), 'dp replica');
  });

  it('stays finite and non-negative on degenerate shards', async () => {
    const device: DeviceSpec = { type: 'X', count: 1, perHost: 1, reserve: 0, ...GPU_PRESETS['V100-32GB'] };
    const env: CostEnv = { batchSize: 0, optimizer: 'sgd', device };
    const [c] = await new TorchRecEstimatorModel().predict([[{ table: 't', rows: 1, dim: 4, pooling: 0, zipf: 0, dtypeBytes: 2, kernel: 'fbgemm_tbe_uvm_caching' }]], env);
    assert.ok(Number.isFinite(c.fwdMs) && c.fwdMs >= 0 && Number.isFinite(c.bwdMs) && c.bwdMs >= 0);
  });
});
