/**
 * Cost models are registered per (GPU type, kernel). The model of a config
 * (`loadCostModel`) prices each shard with the model for (device type,
 * shard.kernel) and sums the kernel groups of a GPU (kernelDispatch.ts):
 * - torch_embedding_bag: the learned model shipped for the GPU type (the H100
 *   model in models/ measured exactly this kernel) or the user's own, else the
 *   analytic model (analytic.ts) with a warning that says why;
 * - fbgemm_tbe, fbgemm_tbe_uvm_caching: a user's learned model for that kernel
 *   if given, else FBGEMM's TBE model (fbgemm.ts);
 * a learned model gets the optimizer and device-override terms of its
 * kernel's analytic model (learnedCorrections.ts). A user model says which
 * kernel it prices in its sidecar (`kernel`, absent = torch_embedding_bag).
 * Never throws: a missing, corrupt or incompatible model file is a warning and
 * analytic numbers, not a crash.
 *
 * Every model is served through the trust guard (guard.ts). Per kernel, from
 * the inside out:
 * 1. the learned model (SGD steps on the GPU type's preset numbers);
 * 2. guardModel(learned, its analytic base, its training ranges): outside the
 *    ranges the learned correction fades to the analytic model, every number
 *    stays physical, sets never cost less than their costliest table, and each
 *    number carries its ± (an analytic model alone: guardModel(analytic), the
 *    bounds and its error bands; FBGEMM's: the provisional ±);
 * 3. AnalyticCorrectedModel around the guarded model: the guard prices the
 *    world the model was measured in (SGD, preset device numbers) and the
 *    analytic optimizer term and device-override ratio are applied to that
 *    guarded SGD number, so they are added once, never blended away;
 * 4. KernelDispatchModel over the kernels, then the user's calibration
 *    outermost (calibrationFile.ts), which corrects what the user measured:
 *    the served numbers, corrections included.
 */
import * as path from 'node:path';
import { KERNELS, type DeviceSpec, type Kernel } from '../config/types';
import { AnalyticCostModel } from './analytic';
import { applyCalibration } from './calibrationFile';
import { FbgemmCostModel } from './fbgemm';
import { KernelDispatchModel, kernelSet } from './kernelDispatch';
import { AnalyticCorrectedModel } from './learnedCorrections';
import { FBGEMM_PROVISIONAL_ERROR } from './errorBands';
import { guardModel } from './guard';
import { LearnedCostModel, type LearnedModelFiles, type OnnxRuntime } from './learnedModel';
import type { ModelFiles } from './modelFiles';
import { loadOnnxRuntimeWithoutTelemetry } from './onnxRuntime';
import { sidecarKernel } from './learnedSidecar';
import type { CostModel } from './types';

/** Shipped models (in `modelsDir`) by device type and kernel: base name of `<name>.onnx` + `<name>.json`. */
export const BUILTIN_MODELS: Readonly<Record<string, Readonly<Partial<Record<Kernel, string>>>>> = {
  'H100-80GB': { torch_embedding_bag: 'h100-cost' },
};

export interface LoadCostModelOptions {
  /**
   * User models by device type: a path (or several, one per kernel) to the
   * `.onnx` (sidecar: same name, `.json`) or to the sidecar. The sidecar's
   * `kernel` says which kernel each prices.
   */
  modelPaths?: Readonly<Record<string, string | readonly string[]>>;
  /** Folder holding the shipped models (the extension's `models/`). */
  modelsDir: string;
  /** How model, sidecar and calibration files are read (server/src/io/modelFiles.ts `diskModelFiles`). */
  files: ModelFiles;
  /** False in an untrusted workspace: user model paths are then ignored. Default true. */
  trusted?: boolean;
  /** Injected for tests; default loads onnxruntime-node lazily, telemetry off (onnxRuntime.ts). */
  loadRuntime?: () => OnnxRuntime;
  /** Calibration files by device type ('*': any type); ignored when untrusted (cost/calibrationFile.ts). */
  calibrations?: Record<string, string>;
  /**
   * The kernels the config runs: they name the model, and only their shipped
   * learned models are loaded. Default: every kernel.
   */
  kernels?: readonly Kernel[];
}

export interface LoadedCostModel {
  model: CostModel;
  /** Set when the learned model could not be used, or was used with a caveat. */
  warning?: string;
}

/** ONNX + sidecar paths for a user-given path to either file. */
export function modelFilesFor(p: string): LearnedModelFiles {
  const abs = path.resolve(p);
  const ext = path.extname(abs).toLowerCase();
  const base = ext === '.onnx' || ext === '.json' ? abs.slice(0, -ext.length) : abs;
  return { onnxPath: `${base}.onnx`, sidecarPath: `${base}.json` };
}

// Loaded models by file identity (path + size + mtime of both files): reopening
// a config reuses the ONNX session; a retrained file is picked up.
const loaded = new Map<string, Promise<LearnedCostModel>>();

async function fileIdentity(files: LearnedModelFiles, io: ModelFiles): Promise<string> {
  // One after the other, so a missing model is always reported by its .onnx first (deterministic message).
  const a = await io.identity(files.onnxPath);
  const b = await io.identity(files.sidecarPath);
  return `${a}|${b}`;
}

async function loadLearned(files: LearnedModelFiles, io: ModelFiles, loadRuntime: () => OnnxRuntime): Promise<LearnedCostModel> {
  let key: string;
  try {
    key = await fileIdentity(files, io);
  } catch (e) {
    throw new Error(`model file missing: ${(e as NodeJS.ErrnoException).path ?? (e as Error).message}`, { cause: e });
  }
  let p = loaded.get(key);
  if (!p) {
    p = (async () => {
      let ort: OnnxRuntime;
      try {
        ort = loadRuntime();
      } catch (e) {
        throw new Error(`onnxruntime-node could not be loaded (${(e as Error).message.split('\n')[0]})`, { cause: e });
      }
      return LearnedCostModel.load(files, io, ort);
    })();
    loaded.set(key, p);
    p.catch(() => loaded.delete(key));
  }
  return p;
}

/** The analytic model of a kernel: PyTorch's embedding bag, or FBGEMM's TBE (both TBE kernels). */
export function analyticModelFor(kernel: Kernel, deviceType?: string): CostModel {
  return kernel === 'torch_embedding_bag' ? new AnalyticCostModel(deviceType) : new FbgemmCostModel(deviceType);
}

function pathsOf(p: string | readonly string[] | undefined): string[] {
  if (typeof p === 'string') return p.trim() ? [p] : [];
  return Array.isArray(p) ? p.filter((x): x is string => typeof x === 'string' && x.trim() !== '') : [];
}

/** The user's learned models for the device type, by the kernel each prices. */
async function userModels(device: DeviceSpec, opts: LoadCostModelOptions, notes: string[]): Promise<{ byKernel: Map<Kernel, LearnedCostModel>; failed: boolean }> {
  const byKernel = new Map<Kernel, LearnedCostModel>();
  const paths = pathsOf(opts.modelPaths?.[device.type]);
  if (paths.length === 0) return { byKernel, failed: false };
  if (opts.trusted === false) {
    notes.push(`the model setting for ${device.type} (${paths.join(', ')}) is ignored in an untrusted workspace`);
    return { byKernel, failed: false };
  }
  let failed = false;
  for (const p of paths) {
    let model: LearnedCostModel;
    try {
      model = await loadLearned(modelFilesFor(p), opts.files, opts.loadRuntime ?? (() => loadOnnxRuntimeWithoutTelemetry()));
    } catch (e) {
      notes.push(`learned cost model not used: ${(e as Error).message}; using the analytic model`);
      failed = true;
      continue;
    }
    const kernel = sidecarKernel(model.sidecar);
    const first = byKernel.get(kernel);
    if (first) {
      notes.push(`${model.name} (${p}) is not used: ${first.name} is given first for ${kernel} on ${device.type}`);
      continue;
    }
    if (model.sidecar.gpu_type !== device.type) notes.push(`cost model ${model.sidecar.name} was measured on ${model.sidecar.gpu_type}, not ${device.type}`);
    byKernel.set(kernel, model);
  }
  return { byKernel, failed };
}

/**
 * The learned model for one (device type, kernel) other than the user's: the
 * shipped one, if any and loadable. `undefined` (with a note where that is
 * news) means the kernel's analytic model prices it.
 */
async function builtinModel(device: DeviceSpec, kernel: Kernel, opts: LoadCostModelOptions, notes: string[]): Promise<LearnedCostModel | undefined> {
  const builtin = BUILTIN_MODELS[device.type]?.[kernel];
  if (!builtin) {
    // FBGEMM's kernels have an analytic model of their own; only PyTorch's
    // embedding bag has a learned one missing for this GPU.
    if (kernel === 'torch_embedding_bag') {
      notes.push(
        `no learned cost model for ${device.type}; using the analytic model ` +
          `(to get one, measure your GPUs and train a model as models/README.md describes, then set shardlens.costModel.paths["${device.type}"] to its .onnx file)`,
      );
    }
    return undefined;
  }
  const files = { onnxPath: path.join(opts.modelsDir, `${builtin}.onnx`), sidecarPath: path.join(opts.modelsDir, `${builtin}.json`) };
  try {
    return await loadLearned(files, opts.files, opts.loadRuntime ?? (() => loadOnnxRuntimeWithoutTelemetry()));
  } catch (e) {
    notes.push(`learned cost model not used: ${(e as Error).message}; using the analytic model`);
    return undefined;
  }
}

/**
 * An analytic model as served: through the guard for its physical bounds, the
 * costliest-table floor and its ±: PyTorch's model reports its own error
 * bands (analytic.ts ANALYTIC_ERROR); FBGEMM's has no held-out measurement
 * yet and gets the provisional ± (errorBands.ts FBGEMM_PROVISIONAL_ERROR).
 */
export function servedAnalytic(kernel: Kernel, analytic: CostModel): CostModel {
  return kernel === 'torch_embedding_bag' ? guardModel(analytic) : guardModel(analytic, undefined, undefined, FBGEMM_PROVISIONAL_ERROR);
}

/**
 * A learned model as served (steps 1–3 of the file comment):
 *   AnalyticCorrectedModel(guardModel(learned, base, ranges), analytic).
 * The guard runs inside the corrections because both the network and its
 * training ranges describe SGD steps on the preset device: it clamps, fades
 * and bounds that SGD number, and the optimizer term A(optimizer) − A(sgd)
 * and the device-override ratio are then applied to the guarded number
 * (AnalyticCorrectedModel hands the guard the SGD, preset env). The other
 * order would make the guard see e.g. adam as out of range and carry the
 * optimizer multiplicatively, and the correction would add it a second time.
 * The guard's fallback is the analytic base the network corrects (sidecar
 * `base`, the constants it was trained against), else the kernel's analytic
 * model; `analytic` (the kernel's analytic model) prices the corrections.
 */
export function servedLearned(learned: LearnedCostModel, analytic: CostModel): CostModel {
  return new AnalyticCorrectedModel(guardModel(learned, learned.base ?? analytic, learned.ranges), analytic);
}

/**
 * The model registered for one (device type, kernel) as served (guarded, with
 * its learned corrections): a learned model (the user's, else the shipped
 * one) or the kernel's analytic model. Per-kernel wrappers belong here, so
 * every surface sees them through `notes`; calibration is applied over the
 * whole config's model (`loadCostModel`).
 */
export async function loadKernelModel(device: DeviceSpec, kernel: Kernel, opts: LoadCostModelOptions): Promise<LoadedCostModel> {
  const notes: string[] = [];
  const users = await userModels(device, opts, notes);
  const analytic = analyticModelFor(kernel, device.type);
  const model = await kernelModel(device, kernel, opts, users, notes, analytic, servedAnalytic(kernel, analytic));
  return notes.length ? { model, warning: notes.join('; ') } : { model };
}

async function kernelModel(
  device: DeviceSpec,
  kernel: Kernel,
  opts: LoadCostModelOptions,
  users: { byKernel: Map<Kernel, LearnedCostModel>; failed: boolean },
  notes: string[],
  analytic: CostModel,
  served: CostModel,
): Promise<CostModel> {
  // A user whose own model failed to load is told so and gets analytic
  // numbers, not a shipped model silently standing in for theirs.
  const learned = users.byKernel.get(kernel) ?? (users.failed ? undefined : await builtinModel(device, kernel, opts, notes));
  return learned ? servedLearned(learned, analytic) : served;
}

/**
 * The cost model of a config on `device`: each shard priced by the model for
 * (device.type, shard.kernel), a GPU's kernel groups summed, the user's
 * calibration (if any) outermost.
 */
export async function loadCostModel(device: DeviceSpec, opts: LoadCostModelOptions): Promise<LoadedCostModel> {
  return applyCalibration(await loadBaseModel(device, opts), device, opts);
}

/** The raw and the served analytic model of each family, shared by its kernels (so they group under one name). */
function analyticFamilies(deviceType: string | undefined): Record<Kernel, { analytic: CostModel; served: CostModel }> {
  const torch = analyticModelFor('torch_embedding_bag', deviceType);
  const fbgemm = analyticModelFor('fbgemm_tbe', deviceType);
  const t = { analytic: torch, served: servedAnalytic('torch_embedding_bag', torch) };
  const f = { analytic: fbgemm, served: servedAnalytic('fbgemm_tbe', fbgemm) };
  return Object.fromEntries(KERNELS.map((k) => [k, k === 'torch_embedding_bag' ? t : f])) as Record<Kernel, { analytic: CostModel; served: CostModel }>;
}

async function loadBaseModel(device: DeviceSpec, opts: LoadCostModelOptions): Promise<LoadedCostModel> {
  const kernels = opts.kernels && opts.kernels.length > 0 ? kernelSet(opts.kernels) : [...KERNELS];
  const warnings: string[] = [];
  try {
    const users = await userModels(device, opts, warnings);
    // One analytic model per family, shared by its kernels and the learned corrections.
    const families = analyticFamilies(device.type);
    const byKernel = {} as Record<Kernel, CostModel>;
    for (const kernel of KERNELS) {
      const { analytic, served } = families[kernel];
      if (!kernels.includes(kernel)) {
        // Not run by the config: priced (if a planner ever asks) without loading anything.
        const mine = users.byKernel.get(kernel);
        byKernel[kernel] = mine ? servedLearned(mine, analytic) : served;
        if (mine && opts.kernels) warnings.push(`${mine.name} prices ${kernel}, which no table here runs (tables run ${kernels.join(', ')}; set \`kernel: ${kernel}\` to use it)`);
        continue;
      }
      const notes: string[] = [];
      byKernel[kernel] = await kernelModel(device, kernel, opts, users, notes, analytic, served);
      warnings.push(...notes.map((n) => (kernels.length > 1 ? `${kernel} tables: ${n}` : n)));
    }
    const model = new KernelDispatchModel(byKernel, kernels);
    return warnings.length ? { model, warning: warnings.join('; ') } : { model };
  } catch (e) {
    // Defensive: nothing above should throw, but a cost model must never take the engine down.
    const families = analyticFamilies(device?.type);
    const byKernel = Object.fromEntries(KERNELS.map((k) => [k, families[k].served])) as Record<Kernel, CostModel>;
    return { model: new KernelDispatchModel(byKernel, kernels), warning: `cost model loading failed (${(e as Error).message}); using the analytic models` };
  }
}
