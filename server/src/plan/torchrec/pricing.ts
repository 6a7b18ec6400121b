/**
 * What the re-implemented TorchRec planner believes each shard costs (its
 * `Perf.total`, ms per step), pluggable: the default prices shards with the
 * same numbers as ShardLens' own planners (the cost model's compute and the
 * step model's collectives), so `--strategy torchrec` is TorchRec's search
 * over our costs; a TorchRec-estimator pricing (its EmbeddingPerfEstimator
 * formulas) plugs in through the same interface and gives "the plan a
 * TorchRec user gets today" with TorchRec's own beliefs.
 *
 * TorchRec's perf is additive per rank (its rating is the max over ranks of
 * Σ shard perf: planner/perf_models.py NoopPerfModel), bandwidth-only (no
 * launch or latency terms), and per shard: fwd compute + fwd comms + bwd
 * compute + bwd comms (+ input dist). The model pricing follows that shape:
 * - compute: the shard's marginal fwd + bwd (score of the shard twice minus
 *   once: a GPU's launch costs are paid once, whatever it holds);
 * - comms: the shard's own traffic through cost/comm.ts without latency:
 *   table/column shards the ids and pooled all-to-alls of its bytes alone;
 *   row blocks the ids plus the reduce-scatter (all-gather backward) of the
 *   full-width sums over every rank; table_row/grid blocks the in-host
 *   reduce-scatter plus the cross-host send of the reduced sums;
 *   replicas the gradient all-reduce and element-wise optimizer.
 * Shards identical but for their row-block position share a price: TorchRec
 * prices every row block the same (I/W lookups each).
 */
import type { ShardConfig } from '../../config/types';
import { allReduceMs, allToAllMs, linksOf } from '../../cost/comm';
import { DP_OPTIMIZER_BYTE_PASSES, dpGradientBytes, idsBytesPerBag, pooledBytesPerBag } from '../../cost/stepCost';
import type { CostModel, Shard } from '../../cost/types';
import type { PlanControl } from '../control';
import { envOf } from '../catalog';
import type { OptionShard, ShardingOption } from './options';

/** Distinct shards priced, of how many: fewer when the time budget ran out first (the rest keep perf 0). */
export interface PricingDone {
  priced: number;
  of: number;
}

export interface TorchRecPricing {
  /** Shown with the plan, e.g. "cost model learned: h100-cost-v2". */
  readonly name: string;
  /**
   * Sets `perf` (ms per step) of every shard of every option. A shard's first
   * model call can cost tens of µs (100,000 tables have ~700,000 distinct
   * shards), so it yields to `ctl` as it goes.
   */
  price(options: readonly (readonly ShardingOption[])[], config: ShardConfig, ctl?: PlanControl): Promise<PricingDone>;
}

/** The option's distinct shard objects (its runs' shards, once each). */
function distinctShards(o: ShardingOption): Set<OptionShard> {
  return new Set(o.runs.map((r) => r.shard));
}

function shardKey(s: Shard): string {
  return `${s.rows}|${s.dim}|${s.pooling}|${s.zipf}|${s.dtypeBytes}|${s.kernel}|${s.bags ?? ''}|${s.cacheLoadFactor ?? ''}|${s.histogram?.join(',') ?? ''}`;
}

/** Prices shards with `model`'s compute and the step model's collectives. */
export function modelPricing(model: CostModel): TorchRecPricing {
  return {
    name: `cost model ${model.name}`,
    async price(options, config, ctl) {
      const env = envOf(config);
      const n = config.devices.count;
      const l = linksOf(env, n);
      const k = l.k;
      // Distinct shards, prepared once.
      const index = new Map<string, number>();
      const distinct: Shard[] = [];
      for (const opts of options)
        for (const o of opts)
          for (const s of distinctShards(o)) {
            const key = shardKey(s.shard);
            if (!index.has(key)) {
              index.set(key, distinct.length);
              distinct.push(s.shard);
            }
          }
      const scorer = model.prepare(distinct, env);
      const compute = new Float64Array(distinct.length);
      for (let i = 0; i < distinct.length; i++) {
        if ((i & 511) === 511) {
          await ctl?.tick();
          if (ctl?.outOfTime("pricing TorchRec's options")) return { priced: i, of: distinct.length };
        }
        const one = scorer.score([i]);
        const two = scorer.score([i, i]);
        compute[i] = Math.max(0, two.fwdMs + two.bwdMs - one.fwdMs - one.bwdMs);
      }
      const lat = n > l.perHost ? k.interLatencyMs : k.intraLatencyMs;
      const size = Math.min(l.perHost, n);
      const alone = (x: number) => (n > 1 && x > 0 ? Math.max(0, allToAllMs(l, x, x, x, size) - lat) : 0);
      const ring = (bytes: number, group: number, hosts: number, perHost: number) => {
        if (group <= 1 || !(bytes > 0)) return 0;
        const bus = hosts <= 1 ? l.nvl : Math.min(l.nvl, perHost * l.net);
        return bus > 0 ? (((group - 1) / group) * bytes) / bus : 0;
      };
      const hbm = (env.device.hbmGBps ?? 0) * 1e6;
      for (const opts of options)
        for (const o of opts) {
          const table = config.tables[o.table];
          for (const s of distinctShards(o)) {
            const c = compute[index.get(shardKey(s.shard))!];
            const ids = alone(idsBytesPerBag(s.shard, k));
            const pooled = pooledBytesPerBag(s.shard);
            let comms = 0;
            switch (o.type) {
              case 'table_wise':
              case 'column_wise':
              case 'table_column_wise':
                comms = ids + 2 * alone(pooled);
                break;
              case 'row_wise':
                comms = ids + 2 * ring(l.batch * pooled, n, l.hosts, l.perHost);
                break;
              case 'table_row_wise':
              case 'grid_shard': {
                const p = o.rowsPer;
                const send = p > 0 && l.net > 0 ? ((l.batch / p) * pooled * ((n - p) / n)) / l.net : 0;
                comms = ids + 2 * (ring(l.batch * pooled, p, 1, p) + send);
                break;
              }
              case 'data_parallel': {
                const bytes = dpGradientBytes(table);
                const buckets = Math.max(1, Math.ceil(bytes / k.ddpBucketBytes));
                comms =
                  Math.max(0, allReduceMs(l, bytes) - buckets * (l.hosts > 1 ? k.interLatencyMs : k.intraLatencyMs)) + (hbm > 0 ? (DP_OPTIMIZER_BYTE_PASSES * bytes) / hbm : 0);
                break;
              }
            }
            s.perf = c + comms;
          }
        }
      return { priced: distinct.length, of: distinct.length };
    },
  };
}
