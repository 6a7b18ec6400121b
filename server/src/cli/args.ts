/**
 * Command-line parsing for `shardlens`: one command word, then options.
 * Usage mistakes throw UsageError (exit 2) with a message that says what to type.
 */
import { parseArgs } from 'node:util';

export class UsageError extends Error {}

export const COMMANDS = ['check', 'plan', 'predict', 'import', 'serve'] as const;
export type Command = (typeof COMMANDS)[number];

export type Format = 'text' | 'json';

export interface ParsedArgs {
  command?: Command;
  positionals: string[];
  format: Format;
  help: boolean;
  version: boolean;
  /** ONNX model for the config's GPU type (overrides the shipped one). */
  model?: string;
  /** Folder of shipped models. */
  modelsDir?: string;
  strategy?: string;
  compare: boolean;
  export?: string;
  write: boolean;
  seed?: number;
  /** Soft planner time limit per plan, ms (optional search phases stop after it). */
  budgetMs?: number;
  sets?: string;
  device?: string;
  output?: string;
  stdio: boolean;
  nodeIpc: boolean;
}

const OPTIONS = {
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  model: { type: 'string' },
  'models-dir': { type: 'string' },
  strategy: { type: 'string', short: 's' },
  compare: { type: 'boolean' },
  export: { type: 'string' },
  write: { type: 'boolean' },
  seed: { type: 'string' },
  budget: { type: 'string' },
  sets: { type: 'string' },
  device: { type: 'string' },
  output: { type: 'string', short: 'o' },
  stdio: { type: 'boolean' },
  'node-ipc': { type: 'boolean' },
  // Accepted (and ignored) because language clients append them for some transports.
  clientProcessId: { type: 'string' },
} as const;

type OptionName = keyof typeof OPTIONS;

/** Which options each command accepts (beyond format/help/version/model/models-dir). */
const ALLOWED: Record<Command, OptionName[]> = {
  check: [],
  plan: ['strategy', 'compare', 'export', 'write', 'seed', 'budget'],
  predict: ['sets', 'device'],
  import: ['output', 'device'],
  serve: ['stdio', 'node-ipc', 'clientProcessId'],
};
const GLOBAL: OptionName[] = ['format', 'help', 'version', 'model', 'models-dir'];

export function parseCommandLine(argv: string[]): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.replace(/\. To specify a positional argument.*$/s, '') : String(err));
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const [first, ...rest] = parsed.positionals;
  let command: Command | undefined;
  if (first !== undefined) {
    if (!(COMMANDS as readonly string[]).includes(first)) {
      throw new UsageError(`unknown command '${first}' (commands: ${COMMANDS.join(', ')})`);
    }
    command = first as Command;
  }
  if (command) {
    const allowed = new Set<string>([...GLOBAL, ...ALLOWED[command]]);
    for (const name of Object.keys(v)) {
      if (v[name] !== undefined && !allowed.has(name)) throw new UsageError(`'${command}' does not take --${name}`);
    }
  }
  const format = v.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be 'text' or 'json', not '${String(format)}'`);
  let seed: number | undefined;
  if (typeof v.seed === 'string') {
    seed = Number(v.seed);
    if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, not '${v.seed}'`);
  }
  let budgetMs: number | undefined;
  if (typeof v.budget === 'string') {
    budgetMs = Number(v.budget);
    if (!(budgetMs >= 0)) throw new UsageError(`--budget must be a number of milliseconds >= 0, not '${v.budget}'`);
    if (budgetMs === 0) budgetMs = undefined; // 0 = no limit
  }
  return {
    command,
    positionals: rest,
    format,
    help: v.help === true,
    version: v.version === true,
    model: v.model as string | undefined,
    modelsDir: v['models-dir'] as string | undefined,
    strategy: v.strategy as string | undefined,
    compare: v.compare === true,
    export: v.export as string | undefined,
    write: v.write === true,
    seed,
    budgetMs,
    sets: v.sets as string | undefined,
    device: v.device as string | undefined,
    output: v.output as string | undefined,
    stdio: v.stdio === true,
    nodeIpc: v['node-ipc'] === true,
  };
}

export const USAGE = `shardlens — check, cost and plan embedding-table sharding configs (*.shard.yaml)

Usage:
  shardlens check FILE...                       validate configs; print diagnostics
  shardlens plan FILE [--strategy S]            plan a placement; print the step's phases and per-GPU costs
             [--compare]                        run every strategy, one row each
             [--export torchrec[:python|:json]] print the plan as TorchRec constraints
             [--write]                          write the placement into FILE (atomically)
             [--seed N]                         seed for randomised strategies (default 0)
             [--budget MS]                      soft time limit per plan (default none)
  shardlens predict --sets FILE.jsonl [--device TYPE]
                                                predict fwd/bwd ms of measured-format sets
  shardlens import FILE.csv|FILE.json [-o OUT.shard.yaml] [--device TYPE]
                                                turn a table list into a config
  shardlens serve --stdio | --node-ipc          run the language server

Options:
  --format text|json   output format (default text); JSON ranges are 0-based as in LSP
  --model PATH         ONNX cost model to use for the config's GPU type
  --models-dir DIR     folder of shipped models (default: <install>/models; env SHARDLENS_MODELS_DIR)
  -h, --help           this help
  -v, --version        print the version

Strategies: random, round-robin, size, dim, lookup, size-lookup, greedy, search, column, policy,
            torchrec (TorchRec's own planner, re-implemented), best (default)
Exit status: 0 fine, 1 errors found or plan infeasible, 2 usage error.`;
