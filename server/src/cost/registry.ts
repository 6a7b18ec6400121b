/**
 * Picks the cost model for a device type: the learned model shipped for it (or
 * the user's own, per GPU type, from settings), else the analytic model with a
 * warning that says why. Never throws: a missing, corrupt or incompatible
 * model file is a warning and analytic numbers, not a crash. Every model is
 * served through the trust guard (guard.ts): a learned model falls back to the
 * analytic model outside its training ranges, every number stays physical.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DeviceSpec } from '../config/types';
import { AnalyticCostModel } from './analytic';
import { guardModel } from './guard';
import { LearnedCostModel, loadOnnxRuntime, type LearnedModelFiles, type OnnxRuntime } from './learnedModel';
import type { CostModel } from './types';

/** Shipped models (in `modelsDir`) by device type: base name of `<name>.onnx` + `<name>.json`. */
export const BUILTIN_MODELS: Readonly<Record<string, string>> = {
  'H100-80GB': 'h100-cost',
};

export interface LoadCostModelOptions {
  /** User models by device type: path to the `.onnx` (sidecar: same name, `.json`) or to the sidecar. */
  modelPaths?: Record<string, string>;
  /** Folder holding the shipped models (the extension's `models/`). */
  modelsDir: string;
  /** False in an untrusted workspace: user model paths are then ignored. Default true. */
  trusted?: boolean;
  /** Injected for tests; default loads onnxruntime-node lazily. */
  loadRuntime?: () => OnnxRuntime;
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

async function fileIdentity(files: LearnedModelFiles): Promise<string> {
  const [a, b] = await Promise.all([fs.stat(files.onnxPath), fs.stat(files.sidecarPath)]);
  return `${files.onnxPath}:${a.size}:${a.mtimeMs}|${files.sidecarPath}:${b.size}:${b.mtimeMs}`;
}

async function loadLearned(files: LearnedModelFiles, loadRuntime: () => OnnxRuntime): Promise<LearnedCostModel> {
  let key: string;
  try {
    key = await fileIdentity(files);
  } catch (e) {
    throw new Error(`model file missing: ${(e as NodeJS.ErrnoException).path ?? (e as Error).message}`);
  }
  let p = loaded.get(key);
  if (!p) {
    p = (async () => {
      let ort: OnnxRuntime;
      try {
        ort = loadRuntime();
      } catch (e) {
        throw new Error(`onnxruntime-node could not be loaded (${(e as Error).message.split('\n')[0]})`);
      }
      return LearnedCostModel.load(files, ort);
    })();
    loaded.set(key, p);
    p.catch(() => loaded.delete(key));
  }
  return p;
}

function analytic(device: DeviceSpec, warning: string): LoadedCostModel {
  return { model: guardModel(new AnalyticCostModel(device?.type)), warning };
}

export async function loadCostModel(device: DeviceSpec, opts: LoadCostModelOptions): Promise<LoadedCostModel> {
  const notes: string[] = [];
  try {
    let files: LearnedModelFiles | undefined;
    const userPath = opts.modelPaths?.[device.type];
    if (userPath && opts.trusted === false) {
      notes.push(`the model setting for ${device.type} (${userPath}) is ignored in an untrusted workspace`);
    } else if (userPath) {
      files = modelFilesFor(userPath);
    }
    if (!files) {
      const builtin = BUILTIN_MODELS[device.type];
      if (!builtin) {
        return analytic(device, [...notes, `no learned cost model for ${device.type}; using the analytic model ` +
          `(to get one, measure your GPUs and train a model as models/README.md describes, then set shardlens.costModel.paths["${device.type}"] to its .onnx file)`].join('; '));
      }
      files = { onnxPath: path.join(opts.modelsDir, `${builtin}.onnx`), sidecarPath: path.join(opts.modelsDir, `${builtin}.json`) };
    }
    let model: LearnedCostModel;
    try {
      model = await loadLearned(files, opts.loadRuntime ?? loadOnnxRuntime);
    } catch (e) {
      return analytic(device, [...notes, `learned cost model not used: ${(e as Error).message}; using the analytic model`].join('; '));
    }
    if (model.sidecar.gpu_type !== device.type) {
      notes.push(`cost model ${model.sidecar.name} was measured on ${model.sidecar.gpu_type}, not ${device.type}`);
    }
    // The fallback is the analytic model of the same kernel; for a model trained
    // on the analytic base it is that base, so the guard fades the learned
    // correction out rather than mixing two sets of constants.
    const guarded = guardModel(model, model.base ?? new AnalyticCostModel(device.type), model.ranges);
    return notes.length ? { model: guarded, warning: notes.join('; ') } : { model: guarded };
  } catch (e) {
    // Defensive: nothing above should throw, but a cost model must never take the engine down.
    return analytic(device, `cost model loading failed (${(e as Error).message}); using the analytic model`);
  }
}
