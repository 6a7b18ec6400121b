/**
 * Which two models price a kernel in the planner benchmark: the model the
 * product plans with (the registry's model for the kernel, cost/registry.ts)
 * and a second model of the *same kernel* that re-scores every plan, so a gain
 * that exists in one model's eyes only shows:
 * - fbgemm_tbe: FBGEMM's TBE model (cost/fbgemm.ts) plans; TorchRec's own
 *   estimator (cost/torchrecEstimator.ts, re-derived from TorchRec's
 *   EmbeddingPerfEstimator: the industry's analytic model of the same kernel)
 *   re-scores. The two were written independently: FBGEMM's model prices
 *   launches, fusion of a GPU's tables into one TBE call and the backward's
 *   hot rows; TorchRec's is bandwidth-only and additive per shard.
 * - torch_embedding_bag: the learned H100 model (h100-cost-v3 and later)
 *   plans; the analytic roofline model (cost/analytic.ts) re-scores. Not
 *   independent: the learned model is the analytic model (the same constants)
 *   times a learned correction (learnedModel.ts `base_log`), and outside its
 *   training ranges the guard fades it to the analytic model (guard.ts), so
 *   the two disagree only by the correction; `modelAgreement` says by how much.
 * The step's collectives (cost/comm.ts, cost/stepCost.ts) are the same under
 * both scorings: only the compute is priced twice.
 */
import * as path from 'node:path';
import type { Kernel } from '../../server/src/config/types';
import { AnalyticCostModel } from '../../server/src/cost/analytic';
import { loadCostModel } from '../../server/src/cost/registry';
import { diskModelFiles } from '../../server/src/io/modelFiles';
import { TorchRecEstimatorModel } from '../../server/src/cost/torchrecEstimator';
import type { CostModel } from '../../server/src/cost/types';
import { h100 } from './tasks';

/** The kernels the benchmark has a section for, in the order printed. */
export const BENCH_KERNELS = ['fbgemm_tbe', 'torch_embedding_bag'] as const satisfies readonly Kernel[];
export type BenchKernel = (typeof BENCH_KERNELS)[number];

export interface ModelPair {
  kernel: BenchKernel;
  /** The model the product plans with for this kernel. */
  plan: CostModel;
  /** The second model of the same kernel. */
  second: CostModel;
  /** One line: what the second model is and how independent it is of the first. */
  secondIs: string;
  /** The registry's note about the planning model, if any. */
  warning?: string;
}

const SECOND_IS: Record<BenchKernel, string> = {
  fbgemm_tbe: "TorchRec's EmbeddingPerfEstimator (re-derived), the industry's analytic model of the same TBE kernel; written independently of FBGEMM's model",
  torch_embedding_bag:
    "the analytic roofline model of PyTorch's embedding_bag; the learned model is this model × a learned correction (same constants), so only the correction is a second opinion",
};

export async function modelPair(kernel: BenchKernel, modelsDir = path.join(__dirname, '../../models')): Promise<ModelPair> {
  const { model, warning } = await loadCostModel(h100(8), { files: diskModelFiles, modelsDir, kernels: [kernel] });
  const second = kernel === 'fbgemm_tbe' ? new TorchRecEstimatorModel('H100-80GB') : new AnalyticCostModel('H100-80GB');
  return { kernel, plan: model, second, secondIs: SECOND_IS[kernel], ...(warning ? { warning } : {}) };
}
