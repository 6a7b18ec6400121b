/**
 * One cost model per GPU type and kernel set, loaded once and shared by every
 * document and request (ONNX sessions are expensive to create: load lazily,
 * reuse). The loader is injected (the registry in production, a double in
 * tests), so the engine does no I/O of its own.
 */
import type { DeviceSpec, Kernel } from '../config/types';
import { kernelSet } from '../cost/kernelDispatch';
import type { LoadedCostModel } from '../cost/registry';

export type { LoadedCostModel };

/**
 * Loads the best available model for a device and the kernels its tables run
 * (absent: every kernel): learned where present and usable, else analytic.
 */
export type CostModelLoader = (device: DeviceSpec, kernels?: readonly Kernel[]) => Promise<LoadedCostModel>;

export interface CostModels {
  get(device: DeviceSpec, kernels?: readonly Kernel[]): Promise<LoadedCostModel>;
  /** Whether `get(device, kernels)` would answer at once (its model finished loading, successfully). */
  ready(device: DeviceSpec, kernels?: readonly Kernel[]): boolean;
  /** Forget every model (settings or trust changed). */
  clear(): void;
}

export function createCostModelCache(load: CostModelLoader): CostModels {
  const cache = new Map<string, Promise<LoadedCostModel>>();
  /** Keys whose load settled successfully (a Promise cannot be inspected). */
  const settled = new Set<string>();
  // Keyed by the preset name and the kernel set: learned models are trained per
  // GPU type and kernel, and the set names the model; the device's numbers
  // (overrides included) reach the model through CostEnv.
  const keyOf = (device: DeviceSpec, kernels?: readonly Kernel[]) => `${device.type}|${kernels ? kernelSet(kernels).join(',') : '*'}`;
  return {
    get(device, kernels) {
      const key = keyOf(device, kernels);
      let entry = cache.get(key);
      if (!entry) {
        entry = kernels ? load(device, kernelSet(kernels)) : load(device);
        // A failed load is not cached: the next analysis tries again (file may be fixed).
        const mine = entry;
        mine.then(
          () => {
            if (cache.get(key) === mine) settled.add(key);
          },
          () => {
            if (cache.get(key) === mine) cache.delete(key);
          },
        );
        cache.set(key, entry);
      }
      return entry;
    },
    ready(device, kernels) {
      return settled.has(keyOf(device, kernels));
    },
    clear() {
      cache.clear();
      settled.clear();
    },
  };
}
