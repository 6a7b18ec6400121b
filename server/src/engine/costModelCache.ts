/**
 * One cost model per GPU type, loaded once and shared by every document and
 * request (ONNX sessions are expensive to create: load lazily, reuse).
 * The loader is injected (the registry in production, a double in tests), so
 * the engine does no I/O of its own.
 */
import type { DeviceSpec } from '../config/types';
import type { LoadedCostModel } from '../cost/registry';

export type { LoadedCostModel };

/** Loads the best available model for a device: learned if present and usable, else analytic. */
export type CostModelLoader = (device: DeviceSpec) => Promise<LoadedCostModel>;

export interface CostModels {
  get(device: DeviceSpec): Promise<LoadedCostModel>;
  /** Whether `get(device)` would answer at once (its model finished loading, successfully). */
  ready(device: DeviceSpec): boolean;
  /** Forget every model (settings or trust changed). */
  clear(): void;
}

export function createCostModelCache(load: CostModelLoader): CostModels {
  const cache = new Map<string, Promise<LoadedCostModel>>();
  /** Keys whose load settled successfully (a Promise cannot be inspected). */
  const settled = new Set<string>();
  return {
    get(device) {
      // Keyed by the preset name: learned models are trained per GPU type; the
      // device's numbers (overrides included) reach the model through CostEnv.
      const key = device.type;
      let entry = cache.get(key);
      if (!entry) {
        entry = load(device);
        // A failed load is not cached: the next analysis tries again (file may be fixed).
        const mine = entry;
        mine.then(() => { if (cache.get(key) === mine) settled.add(key); },
          () => { if (cache.get(key) === mine) cache.delete(key); });
        cache.set(key, entry);
      }
      return entry;
    },
    ready(device) { return settled.has(device.type); },
    clear() { cache.clear(); settled.clear(); },
  };
}
