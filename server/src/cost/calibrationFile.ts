/**
 * Applies the calibration file chosen for a GPU type (setting
 * `shardlens.costModel.calibrations`, CLI `--calibration PATH`) to the model
 * the registry picked. Never throws: an unreadable or invalid file, or one
 * without a correction for this GPU type, is a warning and the uncalibrated
 * model. Ignored (with a note) in an untrusted workspace, like model paths.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DeviceSpec, Kernel } from '../config/types';
import { calibrated, parseCalibration } from './calibration';
import { pricedBy } from './kernelDispatch';
import type { LoadedCostModel } from './registry';

export interface CalibrationOptions {
  /** GPU type → calibration JSON path; the key '*' applies to every GPU type (the CLI's --calibration). */
  calibrations?: Record<string, string>;
  trusted?: boolean;
}

function withNote(loaded: LoadedCostModel, note: string): LoadedCostModel {
  return { ...loaded, warning: loaded.warning ? `${loaded.warning}; ${note}` : note };
}

export async function applyCalibration(loaded: LoadedCostModel, device: DeviceSpec, opts: CalibrationOptions): Promise<LoadedCostModel> {
  const file = opts.calibrations?.[device?.type] ?? opts.calibrations?.['*'];
  if (!file) return loaded;
  if (opts.trusted === false) return withNote(loaded, `the calibration setting for ${device.type} (${file}) is ignored in an untrusted workspace`);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    return withNote(loaded, `calibration ${file} not used: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const parsed = parseCalibration(text);
  if (!parsed.ok) return withNote(loaded, `calibration ${file} not used: ${parsed.error}`);
  const gpu = parsed.file.gpus[device.type];
  if (!gpu || Object.keys(gpu.kernels).length === 0) {
    return withNote(loaded, `calibration ${path.basename(file)} has no correction for ${device.type} (it covers ${Object.keys(parsed.file.gpus).join(', ') || 'no GPU type'})`);
  }
  // A correction of one model's errors says nothing about another's (e.g. the
  // analytic fallback when the learned model did not load): not applied.
  // Each corrected kernel must still be priced by a model the corrections were fitted for.
  const base = gpu.base_model;
  if (base) {
    const fitted = new Set(base.split(', '));
    const now = [...new Set((Object.keys(gpu.kernels) as Kernel[]).map((k) => pricedBy(loaded.model, k)))];
    const other = now.filter((n) => !fitted.has(n));
    if (other.length > 0) {
      return withNote(loaded, `calibration ${path.basename(file)} was fitted for ${base}, not ${other.join(', ')}; not applied`);
    }
  }
  return { ...loaded, model: calibrated(loaded.model, gpu, { file: path.basename(file) }) };
}
