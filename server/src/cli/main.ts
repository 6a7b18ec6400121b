/**
 * `shardlens`: the CLI and, with `serve`, the language server (one bundle,
 * dist/cli.js). Exit status: 0 fine, 1 errors found or plan infeasible,
 * 2 usage error. Bad input never ends in a stack trace: it is a message.
 */
import pkg from '../../../package.json';
import { USAGE, UsageError, parseCommandLine, type ParsedArgs } from './args';
import { runCheck } from './check';
import { createContext, defaultModelsDir, processIo, type CliIo } from './context';
import { runCalibrate } from './calibrate';
import { runDiff } from './diff';
import { runExplain } from './explain';
import { WriteError } from './atomicWrite';
import { runImport } from './importCommand';
import { runMeasure } from './measure';
import { runPlan } from './plan';
import { runPredict } from './predict';
import { runSweep } from './sweep';

/** Runs one command line; resolves to the exit status (`serve` never resolves). */
export async function runCli(argv: string[], io: CliIo = processIo(), cwd = process.cwd()): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseCommandLine(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`shardlens: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (args.version) {
    io.out(pkg.version);
    return 0;
  }
  if (args.help) {
    io.out(USAGE);
    return 0;
  }
  if (!args.command) {
    io.err(`shardlens: missing command\n\n${USAGE}`);
    return 2;
  }

  if (args.command === 'serve') {
    if (!args.stdio && !args.nodeIpc) {
      io.err('shardlens serve: choose a transport: --stdio or --node-ipc');
      return 2;
    }
    process.env.SHARDLENS_VERSION = pkg.version;
    // Loaded only here: `check`/`plan` need none of the LSP stack.
    const { startServer } = await import('../lsp/server');
    startServer({ modelsDir: args.modelsDir ?? process.env.SHARDLENS_MODELS_DIR ?? defaultModelsDir(), stdio: args.stdio });
    return new Promise<number>(() => {
      /* the connection owns the process from here */
    });
  }

  try {
    const ctx = createContext(args, io, cwd);
    switch (args.command) {
      case 'check':
        return await runCheck(ctx);
      case 'plan':
        return await runPlan(ctx);
      case 'explain':
        return await runExplain(ctx);
      case 'predict':
        return await runPredict(ctx);
      case 'import':
        return await runImport(ctx);
      case 'measure':
        return await runMeasure(ctx);
      case 'calibrate':
        return await runCalibrate(ctx);
      case 'sweep':
        return await runSweep(ctx);
      case 'diff':
        return await runDiff(ctx);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`shardlens ${args.command}: ${err.message}\n\nRun 'shardlens --help' for usage.`);
      return 2;
    }
    if (err instanceof WriteError) {
      io.err(`shardlens ${args.command}: ${err.message}`);
      return 1;
    }
    // A bug, not bad input: one line, plus the stack only when asked for.
    io.err(`shardlens ${args.command}: internal error: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.SHARDLENS_DEBUG && err instanceof Error && err.stack) io.err(err.stack);
    return 1;
  }
}

/**
 * `shardlens plan … | head`: once the reader has gone, nothing more can be
 * said on stdout, and a stack trace about it would only be noise. Exit quietly
 * with the status so far (as `yes | head` ends without a word).
 */
function exitQuietlyWhenStdoutCloses(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') process.exit(process.exitCode ?? 0);
      throw err;
    });
  }
}

if (require.main === module) {
  exitQuietlyWhenStdoutCloses();
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`shardlens: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
