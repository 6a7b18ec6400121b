/**
 * The learned cost model (DreamShard-style set network, see
 * models/shardlens_cost/net.py) behind the `CostModel` interface.
 *
 * - `predict` runs the ONNX graph with onnxruntime-node once per call over all
 *   sets (padded to the largest set, with a mask), so one call scores every GPU
 *   of a plan.
 * - `prepare` encodes each shard once in JS from the sidecar's weights and then
 *   scores any subset with the pooling and heads only (planners' inner loops).
 * A model trained on the analytic base (sidecar `base`) predicts the factor
 * by which the analytic model (analytic.ts, with the sidecar's constants) is
 * off: both paths multiply it in (ONNX input `base_log`).
 * Both give the same numbers up to float32 rounding (test/unit/learned).
 *
 * onnxruntime-node is a native addon of tens of MB: it is required lazily, on
 * the first model load, so activating the extension stays light.
 */
import type * as OrtTypes from 'onnxruntime-node';
import { ANALYTIC_CONSTANTS, AnalyticCostModel } from './analytic';
import { shardFeatures, NUM_FEATURES } from './features';
import { CostNetwork } from './learnedNetwork';
import { shardCostKey } from './shardKey';
import { bandOf } from './errorBands';
import type { ModelFiles } from './modelFiles';
import { parseSidecar, sidecarRanges, type CostModelSidecar } from './learnedSidecar';
import type { TrainingRanges } from './trainingRanges';
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
/** Caps on what a model file may hold: the shipped ONNX is ~0.4 MB and its sidecar ~1 MB; 100× leaves room for bigger nets. */
const MAX_ONNX_BYTES = 256 * 2 ** 20;
const MAX_SIDECAR_BYTES = 64 * 2 ** 20;

function shardKey(s: Shard, batchSize: number): string {
  return `${batchSize}|${shardCostKey(s)}`;
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
  private readonly encodingsByShard = new WeakMap<Shard, { batch: number; e: Float64Array }>();

  private constructor(
    readonly sidecar: CostModelSidecar,
    private readonly session: OrtTypes.InferenceSession,
    private readonly ort: OnnxRuntime,
    private readonly network: CostNetwork,
  ) {
    this.name = `learned: ${sidecar.name}`;
    this.ranges = sidecarRanges(sidecar);
    if (sidecar.base) this.base = new AnalyticCostModel(sidecar.gpu_type, { ...ANALYTIC_CONSTANTS, ...sidecar.base.constants });
  }

  /**
   * The analytic model the network corrects (sidecar `base`), with the
   * constants it was trained against; undefined for a plain network.
   */
  readonly base: AnalyticCostModel | undefined;

  /** What the model was measured on (the guard's ranges); undefined for older sidecars. */
  readonly ranges: TrainingRanges | undefined;

  /** The cost with its held-out ± for its predicted size (sidecar `uncertainty`), when the sidecar has one. */
  private withUncertainty(c: ComputeCost): ComputeCost {
    const bands = this.sidecar.uncertainty;
    if (!bands) return c;
    return { ...c, uncertainty: bandOf(bands, c.fwdMs + c.bwdMs) };
  }

  /**
   * Load a model from its ONNX file and sidecar, read through `io` (capped,
   * never from a device). Throws an Error whose message says what is wrong
   * (the registry turns it into a warning).
   */
  static async load(files: LearnedModelFiles, io: ModelFiles, ort: OnnxRuntime = loadOnnxRuntime()): Promise<LearnedCostModel> {
    // Read with a cap, and never from a device: /dev/zero named in settings must not fill the server's memory.
    // (A named pipe is accepted: model paths come only from trusted settings or the command line, and the read waits off the event loop.)
    const side = await io.read(files.sidecarPath, MAX_SIDECAR_BYTES);
    if ('why' in side) throw new Error(`cannot read model sidecar ${files.sidecarPath}: ${side.why}`);
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(side.bytes);
    const parsed = parseSidecar(text);
    if (!parsed.ok) throw new Error(`${files.sidecarPath}: ${parsed.error}`);
    const onnx = await io.read(files.onnxPath, MAX_ONNX_BYTES);
    if ('why' in onnx) throw new Error(`cannot read ONNX model ${files.onnxPath}: ${onnx.why}`);
    const bytes: Uint8Array = onnx.bytes;
    let session: OrtTypes.InferenceSession;
    try {
      // One thread: a plan is one small batched call (~1e8 multiply-adds), where
      // a thread pool's spin-up costs more than it saves, and the editor's
      // language server should not take every core.
      session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 });
    } catch (e) {
      throw new Error(`${files.onnxPath} is not a loadable ONNX model: ${(e as Error).message.split('\n')[0]}`, { cause: e });
    }
    const need = parsed.sidecar.base ? ['features', 'mask', 'base_log'] : ['features', 'mask'];
    if (!need.every((n) => session.inputNames.includes(n)) || session.inputNames.length !== need.length || !['fwd_ms', 'bwd_ms'].every((n) => session.outputNames.includes(n))) {
      throw new Error(
        `${files.onnxPath} has inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}]; its sidecar expects ${need.join(', ')} → fwd_ms, bwd_ms`,
      );
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
    // By shard object first: a plan's shards come back call after call.
    const known = this.encodingsByShard.get(shard);
    if (known && known.batch === batchSize) return known.e;
    const e = this.encodingByKey(shard, batchSize);
    this.encodingsByShard.set(shard, { batch: batchSize, e });
    return e;
  }

  private encodingByKey(shard: Shard, batchSize: number): Float64Array {
    const key = shardKey(shard, batchSize);
    let e = this.encodings.get(key);
    if (!e) {
      if (this.encodings.size >= CACHE_LIMIT) this.encodings.clear();
      e = this.network.encode(this.featuresOf(shard, batchSize));
      this.encodings.set(key, e);
    }
    return e;
  }

  /**
   * One set through the JS evaluator with the ensemble's spread: the standard
   * deviation over members of ln(fwd_k + bwd_k) (bench:cost compares it with
   * the held-out error; the ± shown to users comes from the error bands).
   */
  ensemble(set: readonly Shard[], env: CostEnv): ComputeCost & { spread: number } {
    if (set.length === 0) return { fwdMs: 0, bwdMs: 0, spread: 0 };
    const b = this.base?.prepare(set, env).score(set.map((_, i) => i));
    return this.network.scoreWithSpread(
      set.map((s) => this.encodingOf(s, env.batchSize)),
      b ? [Math.log(b.fwdMs), Math.log(b.bwdMs)] : [0, 0],
    );
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
    const feeds: Record<string, OrtTypes.Tensor> = {
      features: new this.ort.Tensor('float32', feats, [live.length, t, f]),
      mask: new this.ort.Tensor('float32', mask, [live.length, t]),
    };
    if (this.base) {
      const base = await this.base.predict(
        live.map((i) => sets[i]),
        env,
      );
      const logs = new Float32Array(live.length * 2);
      base.forEach((c, row) => {
        logs[2 * row] = Math.log(c.fwdMs);
        logs[2 * row + 1] = Math.log(c.bwdMs);
      });
      feeds.base_log = new this.ort.Tensor('float32', logs, [live.length, 2]);
    }
    const res = await this.session.run(feeds);
    const fwd = res.fwd_ms.data as Float32Array;
    const bwd = res.bwd_ms.data as Float32Array;
    live.forEach((si, row) => {
      out[si] = this.withUncertainty({ fwdMs: fwd[row], bwdMs: bwd[row] });
    });
    return out;
  }

  prepare(shards: readonly Shard[], env: CostEnv): SetScorer {
    const enc = shards.map((s) => this.encodingOf(s, s.bags ?? env.batchSize));
    const net = this.network;
    const self = this;
    const base = this.base?.prepare(shards, env);
    return {
      score(members: readonly number[]): ComputeCost {
        if (members.length === 0) return { fwdMs: 0, bwdMs: 0 };
        const c = net.score(members.map((i) => enc[i]));
        if (base) {
          const b = base.score(members);
          c.fwdMs *= b.fwdMs;
          c.bwdMs *= b.bwdMs;
        }
        return self.withUncertainty(c);
      },
    };
  }
}
