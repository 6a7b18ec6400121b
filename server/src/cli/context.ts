/**
 * What every CLI command gets: parsed args, output streams, cost models, and
 * how to show a path. Side effects (stdout, stderr, fs) live only at this edge.
 */
import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { loadCostModel } from '../cost/registry';
import { diskModelFiles } from '../io/modelFiles';
import { analyzeDocument, createCostModelCache, unreadableAnalysis, type Analysis, type CostModels } from '../engine';
import { diskFileReader, readTextFileOrWhy } from '../io/diskFileReader';
import type { FileReader } from '../config/loaded';
import { UsageError, type ParsedArgs } from './args';
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
  /** The reader for the files a config at `file` references: inside its folder or --root, unless --allow-outside. */
  referenceReader(file: string): FileReader;
}

export function processIo(): CliIo {
  return {
    out: (t) => {
      process.stdout.write(t.endsWith('\n') ? t : `${t}\n`);
    },
    err: (t) => {
      process.stderr.write(t.endsWith('\n') ? t : `${t}\n`);
    },
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
  if (args.root !== undefined && args.allowOutside) throw new UsageError('--root and --allow-outside contradict each other: choose one');
  const root = args.root === undefined ? undefined : path.resolve(cwd, args.root);
  if (root !== undefined) {
    let isDir = false;
    try {
      isDir = statSync(root).isDirectory();
    } catch {
      /* reported below */
    }
    if (!isDir) throw new UsageError(`--root must be an existing folder, not '${args.root}'`);
  }
  const costModels = createCostModelCache((device, kernels) =>
    loadCostModel(device, { modelPaths: userModels.length ? { [device.type]: userModels } : undefined, calibrations, modelsDir, files: diskModelFiles, trusted: true, kernels }),
  );
  return {
    args,
    io,
    cwd,
    costModels,
    display(file) {
      if (!path.isAbsolute(file)) return file;
      const rel = path.relative(cwd, file);
      return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
    },
    referenceReader(file) {
      // CI checks configs from untrusted pull requests: a reference may not reach
      // outside the repository (or the config's folder) unless the user says so.
      if (args.allowOutside) return diskFileReader();
      return diskFileReader({
        roots: [root ?? path.dirname(file)],
        howToAllow: root ? 'pass --allow-outside to read it anyway' : 'pass --root DIR (a folder holding both files) or --allow-outside to read it',
      });
    },
  };
}

/** Reads and analyses one file; an unreadable file is an SL100 diagnostic, not a crash. */
export async function analyzeFile(ctx: CliContext, file: string): Promise<Analysis> {
  return (await analyzeFileBytes(ctx, file)).analysis;
}

/** The same, keeping the bytes analysed (so `--write` edits exactly those, and notices a change since). */
export async function analyzeFileBytes(ctx: CliContext, file: string): Promise<{ analysis: Analysis; bytes?: Buffer }> {
  const abs = path.resolve(ctx.cwd, file);
  const read = readTextFileOrWhy(abs);
  if ('why' in read) return { analysis: unreadableAnalysis(abs, read.why) };
  return { analysis: await analyzeDocument(abs, read.text, ctx.referenceReader(abs), ctx.costModels), bytes: read.bytes };
}
