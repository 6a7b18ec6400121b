/**
 * Applies the calibration file chosen for a GPU type (setting
 * `shardlens.costModel.calibrations`, CLI `--calibration PATH`) to the model
 * the registry picked. Never throws: an unreadable or invalid file, or one
 * without a correction for this GPU type, is a warning and the uncalibrated
 * model. Ignored (with a note) in an untrusted workspace, like model paths.
 */
import * as path from 'node:path';
import type { DeviceSpec, Kernel } from '../config/types';
import { calibrated, parseCalibration } from './calibration';
import { pricedBy } from './kernelDispatch';
import type { ModelFiles } from './modelFiles';
import type { LoadedCostModel } from './registry';

export interface CalibrationOptions {
  /** GPU type → calibration JSON path; the key '*' applies to every GPU type (the CLI's --calibration). */
  calibrations?: Record<string, string>;
  trusted?: boolean;
  /** How the calibration file is read (server/src/io/modelFiles.ts `diskModelFiles`). */
  files: ModelFiles;
}

/** Largest calibration file read, bytes (one is a few KB: a correction per GPU type and kernel). */
const MAX_CALIBRATION_BYTES = 16 * 2 ** 20;

function withNote(loaded: LoadedCostModel, note: string): LoadedCostModel {
  return { ...loaded, warning: loaded.warning ? `${loaded.warning}; ${note}` : note };
}

export async function applyCalibration(loaded: LoadedCostModel, device: DeviceSpec, opts: CalibrationOptions): Promise<LoadedCostModel> {
  const file = opts.calibrations?.[device?.type] ?? opts.calibrations?.['*'];
  if (!file) return loaded;
  if (opts.trusted === false) return withNote(loaded, `the calibration setting for ${device.type} (${file}) is ignored in an untrusted workspace`);
  const read = await opts.files.read(file, MAX_CALIBRATION_BYTES);
  if ('why' in read) return withNote(loaded, `calibration ${file} not used: ${read.why}`);
  const parsed = parseCalibration(new TextDecoder('utf-8', { ignoreBOM: true }).decode(read.bytes));
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
