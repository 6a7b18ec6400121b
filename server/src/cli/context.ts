/**
 * What every CLI command gets: parsed args, output streams, cost models, and
 * how to show a path. Side effects (stdout, stderr, fs) live only at this edge.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { loadCostModel } from '../cost/registry';
import { analyzeDocument, createCostModelCache, unreadableAnalysis, type Analysis, type CostModels } from '../engine';
import type { ParsedArgs } from './args';
import { diskFileReader, readTextFileOrWhy } from './diskFileReader';
import { colourEnabled, colours, type Colours } from './textTable';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Colours for stdout / stderr (no-ops when not a TTY). */
  c: Colours;
  ce: Colours;
}

export interface CliContext {
  args: ParsedArgs;
  io: CliIo;
  cwd: string;
  costModels: CostModels;
  /** A path as the user should read it: relative to cwd when inside it. */
  display(file: string): string;
}

export function processIo(): CliIo {
  return {
    out: (t) => { process.stdout.write(t.endsWith('\n') ? t : `${t}\n`); },
    err: (t) => { process.stderr.write(t.endsWith('\n') ? t : `${t}\n`); },
    c: colours(colourEnabled(process.stdout)),
    ce: colours(colourEnabled(process.stderr)),
  };
}

/**
 * Shipped models live in `<package>/models`. From the bundle (dist/cli.js) that
 * is `../models`; from the sources (server/src/cli, tests with tsx) `../../../models`.
 */
export function defaultModelsDir(): string {
  const candidates = [path.join(__dirname, '..', 'models'), path.join(__dirname, '..', '..', '..', 'models')];
  return candidates.find((c) => existsSync(c)) ?? candidates[0];
}

export function createContext(args: ParsedArgs, io: CliIo, cwd = process.cwd()): CliContext {
  const modelsDir = args.modelsDir ?? process.env.SHARDLENS_MODELS_DIR ?? defaultModelsDir();
  const userModels = args.models.map((m) => path.resolve(cwd, m));
  const calibrations = args.calibration ? { '*': path.resolve(cwd, args.calibration) } : undefined;
  const costModels = createCostModelCache((device, kernels) =>
    loadCostModel(device, { modelPaths: userModels.length ? { [device.type]: userModels } : undefined, calibrations, modelsDir, trusted: true, kernels }));
  return {
    args, io, cwd, costModels,
    display(file) {
      if (!path.isAbsolute(file)) return file;
      const rel = path.relative(cwd, file);
      return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
    },
  };
}

/** Reads and analyses one file; an unreadable file is an SL100 diagnostic, not a crash. */
export async function analyzeFile(ctx: CliContext, file: string): Promise<Analysis> {
  const abs = path.resolve(ctx.cwd, file);
  const read = readTextFileOrWhy(abs);
  if ('why' in read) return unreadableAnalysis(abs, read.why);
  return analyzeDocument(abs, read.text, diskFileReader(), ctx.costModels);
}
