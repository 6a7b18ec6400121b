/**
 * The learned cost model (DreamShard-style set network, see
 * models/shardlens_cost/net.py) behind the `CostModel` interface.
 *
 * - `predict` runs the ONNX graph with onnxruntime-node once per call over all
 *   sets (padded to the largest set, with a mask), so one call scores every GPU
 *   of a plan.
 * - `prepare` encodes each shard once in JS from the sidecar's weights and then
 *   scores any subset with the pooling and heads only (planners' inner loops).
 * Both give the same numbers up to float32 rounding (test/unit/learned).
 *
 * onnxruntime-node is a native addon of tens of MB: it is required lazily, on
 * the first model load, so activating the extension stays light.
 */
import { promises as fs } from 'node:fs';
import type * as OrtTypes from 'onnxruntime-node';
import { shardFeatures, NUM_FEATURES } from './features';
import { CostNetwork } from './learnedNetwork';
import { parseSidecar, type CostModelSidecar } from './learnedSidecar';
import type { ComputeCost, CostEnv, CostModel, SetScorer, Shard } from './types';

export type OnnxRuntime = typeof OrtTypes;

/** Load onnxruntime-node on demand (a dynamic require keeps it out of activation). */
export function loadOnnxRuntime(): OnnxRuntime {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('onnxruntime-node') as OnnxRuntime;
}

/** Feature/encoding caches are keyed by the shard's numbers; bounded so a long
 * editing session cannot grow them without limit. */
const CACHE_LIMIT = 100_000;

function shardKey(s: Shard, batchSize: number): string {
  return `${s.rows}|${s.dim}|${s.pooling}|${s.zipf}|${s.dtypeBytes}|${batchSize}|${s.histogram ? s.histogram.join(',') : ''}`;
}

export interface LearnedModelFiles {
  onnxPath: string;
  sidecarPath: string;
}

export class LearnedCostModel implements CostModel {
  readonly source = 'learned' as const;
  readonly name: string;
  private readonly features = new Map<string, Float64Array>();
  private readonly encodings = new Map<string, Float64Array>();

  private constructor(
    readonly sidecar: CostModelSidecar,
    private readonly session: OrtTypes.InferenceSession,
    private readonly ort: OnnxRuntime,
    private readonly network: CostNetwork,
  ) {
    this.name = `learned: ${sidecar.name}`;
  }

  /**
   * Load a model from its ONNX file and sidecar. Throws an Error whose message
   * says what is wrong (the registry turns it into a warning).
   */
  static async load(files: LearnedModelFiles, ort: OnnxRuntime = loadOnnxRuntime()): Promise<LearnedCostModel> {
    let text: string;
    try {
      text = await fs.readFile(files.sidecarPath, 'utf8');
    } catch (e) {
      throw new Error(`cannot read model sidecar ${files.sidecarPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const parsed = parseSidecar(text);
    if (!parsed.ok) throw new Error(`${files.sidecarPath}: ${parsed.error}`);
    let bytes: Uint8Array;
    try {
      bytes = await fs.readFile(files.onnxPath);
    } catch (e) {
      throw new Error(`cannot read ONNX model ${files.onnxPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    let session: OrtTypes.InferenceSession;
    try {
      // One thread: a plan is one small batched call (~1e8 multiply-adds), where
      // a thread pool's spin-up costs more than it saves, and the editor's
      // language server should not take every core.
      session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 });
    } catch (e) {
      throw new Error(`${files.onnxPath} is not a loadable ONNX model: ${(e as Error).message.split('\n')[0]}`);
    }
    const need = ['features', 'mask'];
    if (!need.every((n) => session.inputNames.includes(n)) || !['fwd_ms', 'bwd_ms'].every((n) => session.outputNames.includes(n))) {
      throw new Error(`${files.onnxPath} has inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}]; expected features, mask → fwd_ms, bwd_ms`);
    }
    return new LearnedCostModel(parsed.sidecar, session, ort, new CostNetwork(parsed.sidecar));
  }

  /** Raw feature row of one shard (cached). */
  featuresOf(shard: Shard, batchSize: number): Float64Array {
    const key = shardKey(shard, batchSize);
    let f = this.features.get(key);
    if (!f) {
      if (this.features.size >= CACHE_LIMIT) this.features.clear();
      f = Float64Array.from(shardFeatures(shard, batchSize));
      this.features.set(key, f);
    }
    return f;
  }

  private encodingOf(shard: Shard, batchSize: number): Float64Array {
    const key = shardKey(shard, batchSize);
    let e = this.encodings.get(key);
    if (!e) {
      if (this.encodings.size >= CACHE_LIMIT) this.encodings.clear();
      e = this.network.encode(this.featuresOf(shard, batchSize));
      this.encodings.set(key, e);
    }
    return e;
  }

  async predict(sets: readonly (readonly Shard[])[], env: CostEnv): Promise<ComputeCost[]> {
    const out: ComputeCost[] = sets.map(() => ({ fwdMs: 0, bwdMs: 0 }));
    // An empty GPU does no embedding work: 0 ms, and it is not sent to ONNX.
    const live = sets.map((s, i) => (s.length > 0 ? i : -1)).filter((i) => i >= 0);
    if (live.length === 0) return out;
    const t = Math.max(...live.map((i) => sets[i].length));
    const f = NUM_FEATURES;
    const feats = new Float32Array(live.length * t * f);
    const mask = new Float32Array(live.length * t);
    live.forEach((si, row) => {
      sets[si].forEach((shard, j) => {
        feats.set(this.featuresOf(shard, shard.bags ?? env.batchSize), (row * t + j) * f);
        mask[row * t + j] = 1;
      });
    });
    const res = await this.session.run({
      features: new this.ort.Tensor('float32', feats, [live.length, t, f]),
      mask: new this.ort.Tensor('float32', mask, [live.length, t]),
    });
    const fwd = res.fwd_ms.data as Float32Array;
    const bwd = res.bwd_ms.data as Float32Array;
    live.forEach((si, row) => {
      out[si] = { fwdMs: fwd[row], bwdMs: bwd[row] };
    });
    return out;
  }

  prepare(shards: readonly Shard[], env: CostEnv): SetScorer {
    const enc = shards.map((s) => this.encodingOf(s, s.bags ?? env.batchSize));
    const net = this.network;
    return {
      score(members: readonly number[]): ComputeCost {
        return net.score(members.map((i) => enc[i]));
      },
    };
  }
}
