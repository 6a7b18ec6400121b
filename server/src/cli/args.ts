/**
 * Command-line parsing for `shardlens`: one command word, then options.
 * Usage mistakes throw UsageError (exit 2) with a message that says what to type.
 */
import { parseArgs } from 'node:util';
import { excerpt } from '../config/excerpt';

export class UsageError extends Error {}

/** Largest --seed: the planners' generator keeps 32 bits. */
const MAX_SEED = 2 ** 32 - 1;
/** Largest --budget, ms: a day; more is a slip (seconds × 1000 twice), not a plan. */
const MAX_BUDGET_MS = 86_400_000;
/** Largest --max-moves: beyond any real config (a 10,000-table file is ~1 MB); more is a slip, not a budget. */
const MAX_MOVES = 1_000_000;

export const COMMANDS = ['check', 'plan', 'explain', 'predict', 'import', 'measure', 'calibrate', 'sweep', 'diff', 'serve'] as const;
export type Command = (typeof COMMANDS)[number];

/** `sarif` and `github` (CI annotations) are for `check` only. */
export type Format = 'text' | 'json' | 'sarif' | 'github';
const CHECK_ONLY_FORMATS: readonly Format[] = ['sarif', 'github'];

export interface ParsedArgs {
  command?: Command;
  positionals: string[];
  format: Format;
  help: boolean;
  version: boolean;
  /** ONNX models for the config's GPU type (each overrides the shipped one of the kernel its sidecar names). */
  models: string[];
  /** Folder of shipped models. */
  modelsDir?: string;
  strategy?: string;
  compare: boolean;
  /** plan: list each table's cost under the plan. */
  tables: boolean;
  export?: string;
  /** With --export: plan anew (from the written placement) instead of exporting it as written. */
  replan: boolean;
  /** With --export: module path of the EmbeddingBagCollection in the model. */
  module?: string;
  write: boolean;
  seed?: number;
  /** Soft planner time limit per plan, ms (optional search phases stop after it). */
  budgetMs?: number;
  /** `--budget 0` was given: no limit (sweep's default limit is off too). */
  budgetOff?: boolean;
  sets?: string;
  device?: string;
  /** predict: the kernel every set runs (default: each line's `kernel`, else torch_embedding_bag). */
  kernel?: string;
  output?: string;
  /** measure: 'written' = measure the placement in FILE instead of planning. */
  placement?: string;
  /** measure: rounds per set (noise floor); calibrate/measure: output folder or file. */
  repeats?: number;
  dryRun: boolean;
  out?: string;
  /** measure: run the collector on CPU tensors (a functional check; not GPU times). */
  cpu: boolean;
  /** Calibration JSON (from `shardlens calibrate`) applied to the cost model. */
  calibration?: string;
  stdio: boolean;
  nodeIpc: boolean;
  /** sweep: GPU counts as typed (`16,32,64`). */
  gpus?: string;
  /** sweep: GPU types as typed (`H100-80GB,A100-80GB`). */
  type?: string;
  /** diff: a git revision to compare FILE against. */
  against?: string;
  /** plan: the gate, as typed (`5%`). */
  failIfWorse?: string;
  /** plan: at most this many tables change place from the written placement. */
  maxMoves?: number;
  /** Referenced files must lie inside this folder (default: each config's own folder). */
  root?: string;
  /** Read referenced files wherever they are. */
  allowOutside: boolean;
  /** `--write` replaces a read-only file too. */
  force: boolean;
}

const OPTIONS = {
  format: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  model: { type: 'string', multiple: true },
  'models-dir': { type: 'string' },
  strategy: { type: 'string', short: 's' },
  compare: { type: 'boolean' },
  tables: { type: 'boolean' },
  export: { type: 'string' },
  replan: { type: 'boolean' },
  module: { type: 'string' },
  write: { type: 'boolean' },
  seed: { type: 'string' },
  budget: { type: 'string' },
  sets: { type: 'string' },
  device: { type: 'string' },
  kernel: { type: 'string' },
  output: { type: 'string', short: 'o' },
  placement: { type: 'string' },
  repeats: { type: 'string' },
  'dry-run': { type: 'boolean' },
  out: { type: 'string' },
  cpu: { type: 'boolean' },
  calibration: { type: 'string' },
  stdio: { type: 'boolean' },
  'node-ipc': { type: 'boolean' },
  gpus: { type: 'string' },
  type: { type: 'string' },
  against: { type: 'string' },
  'fail-if-worse': { type: 'string' },
  'max-moves': { type: 'string' },
  root: { type: 'string' },
  'allow-outside': { type: 'boolean' },
  force: { type: 'boolean' },
  // Accepted (and ignored) because language clients append them for some transports.
  clientProcessId: { type: 'string' },
} as const;

type OptionName = keyof typeof OPTIONS;

/** Which options each command accepts (beyond format/help/version/model/models-dir). */
const ALLOWED: Record<Command, OptionName[]> = {
  check: ['calibration', 'root', 'allow-outside'],
  plan: ['strategy', 'compare', 'tables', 'export', 'replan', 'module', 'write', 'seed', 'budget', 'calibration', 'fail-if-worse', 'max-moves', 'root', 'allow-outside', 'force'],
  explain: ['calibration', 'root', 'allow-outside'],
  predict: ['sets', 'device', 'kernel', 'calibration'],
  import: ['output', 'device'],
  measure: ['strategy', 'placement', 'repeats', 'dry-run', 'out', 'seed', 'budget', 'cpu', 'calibration', 'root', 'allow-outside'],
  calibrate: ['out', 'device'],
  serve: ['stdio', 'node-ipc', 'clientProcessId'],
  sweep: ['gpus', 'type', 'strategy', 'seed', 'budget', 'root', 'allow-outside'],
  diff: ['against', 'root', 'allow-outside'],
};
const GLOBAL: OptionName[] = ['format', 'help', 'version', 'model', 'models-dir'];

export function parseCommandLine(argv: string[]): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message.replace(/\. To specify a positional argument.*$/s, '') : String(err));
  }
  const v = parsed.values as Record<string, string | boolean | string[] | undefined>;
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
  const format = (v.format ?? 'text') as Format;
  if (format !== 'text' && format !== 'json' && !CHECK_ONLY_FORMATS.includes(format)) {
    throw new UsageError(`--format must be 'text' or 'json' (or, for check, 'sarif' or 'github'), not '${String(format)}'`);
  }
  if (CHECK_ONLY_FORMATS.includes(format) && command !== undefined && command !== 'check') {
    throw new UsageError(`--format ${format} is for 'check' only; '${command}' prints text or json`);
  }
  let seed: number | undefined;
  if (typeof v.seed === 'string') {
    seed = Number(v.seed);
    // The planners' generator (plan/rng.ts, mulberry32) has a 32-bit state: larger seeds would alias.
    if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) throw new UsageError(`--seed must be a whole number from 0 to ${MAX_SEED}, not '${excerpt(v.seed)}'`);
  }
  let budgetMs: number | undefined;
  if (typeof v.budget === 'string') {
    budgetMs = Number(v.budget);
    if (!(budgetMs >= 0 && budgetMs <= MAX_BUDGET_MS))
      throw new UsageError(`--budget must be a number of milliseconds from 0 to ${MAX_BUDGET_MS} (a day), not '${excerpt(v.budget)}'`);
    if (budgetMs === 0) budgetMs = undefined; // 0 = no limit
  }
  let repeats: number | undefined;
  if (typeof v.repeats === 'string') {
    repeats = Number(v.repeats);
    if (!Number.isInteger(repeats) || repeats < 1 || repeats > 100) throw new UsageError(`--repeats must be an integer from 1 to 100, not '${v.repeats}'`);
  }
  let maxMoves: number | undefined;
  if (typeof v['max-moves'] === 'string') {
    const text = v['max-moves'].trim();
    maxMoves = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isInteger(maxMoves) || maxMoves > MAX_MOVES)
      throw new UsageError(`--max-moves must be a whole number of tables from 0 to ${MAX_MOVES}, not '${excerpt(v['max-moves'])}'`);
  }
  if (typeof v.placement === 'string' && v.placement !== 'written') throw new UsageError(`--placement takes 'written' (measure the placement in FILE), not '${v.placement}'`);
  return {
    command,
    positionals: rest,
    format,
    help: v.help === true,
    version: v.version === true,
    models: (v.model as string[] | undefined) ?? [],
    modelsDir: v['models-dir'] as string | undefined,
    strategy: v.strategy as string | undefined,
    compare: v.compare === true,
    tables: v.tables === true,
    export: v.export as string | undefined,
    replan: v.replan === true,
    module: v.module as string | undefined,
    write: v.write === true,
    seed,
    budgetMs,
    budgetOff: v.budget !== undefined && budgetMs === undefined,
    sets: v.sets as string | undefined,
    device: v.device as string | undefined,
    kernel: v.kernel as string | undefined,
    output: v.output as string | undefined,
    placement: v.placement as string | undefined,
    repeats,
    dryRun: v['dry-run'] === true,
    out: v.out as string | undefined,
    cpu: v.cpu === true,
    calibration: v.calibration as string | undefined,
    stdio: v.stdio === true,
    nodeIpc: v['node-ipc'] === true,
    gpus: v.gpus as string | undefined,
    type: v.type as string | undefined,
    against: v.against as string | undefined,
    failIfWorse: v['fail-if-worse'] as string | undefined,
    maxMoves,
    root: v.root as string | undefined,
    allowOutside: v['allow-outside'] === true,
    force: v.force === true,
  };
}

export const USAGE = `shardlens — check, cost and plan embedding-table sharding configs (*.shard.yaml)

Usage:
  shardlens check FILE... [--root DIR] [--allow-outside]
                                                validate configs; print diagnostics
             [--format sarif|github]            SARIF 2.1.0 for code scanning, or GitHub annotations
  shardlens plan FILE [--strategy S]            plan a placement; print the step's phases and per-GPU costs
             [--compare]                        run every strategy, one row each
             [--tables]                         also list each table: kind, GPUs, fwd/bwd ms,
                                                ±, memory, kernel and model
             [--export torchrec[:python|:json]] print the written placement for TorchRec (a Python module or JSON)
             [--replan] [--module PATH]         with --export: export a new plan; the EmbeddingBagCollection's path
                                                (default sparse_arch.embedding_bag_collection)
             [--write] [--force]                write the placement into FILE (atomically;
                                                --force: even when FILE is read-only)
             [--seed N]                         seed for randomised strategies (default 0)
             [--budget MS]                      soft time limit per plan, set-up included
                                                (default 30000; 0: none)
             [--fail-if-worse P%]               exit 1 when the written placement's step time is
                                                more than P% above the plan found (CI gate)
             [--max-moves N]                    the best plan that moves at most N tables from the
                                                written placement; lists the moves and their gains
  shardlens explain FILE TABLE                  one table's cost taken apart, shard by shard:
                                                lookups, distinct rows, hit rate, bytes, fwd/bwd/comm
                                                ms, memory, the model and kernel that priced it
  shardlens sweep FILE [--gpus 16,32,64,128]    what if: plan the tables on other clusters; step
             [--type H100-80GB,A100-80GB]       time, max/mean, memory, GPU-seconds per step
             [--strategy S] [--budget MS]       (default counts: ¼, ½, 1, 2 × devices.count;
                                                default --budget 5000 per plan)
  shardlens diff A.shard.yaml B.shard.yaml      moved tables, per-GPU and step-time change (A → B)
  shardlens diff FILE --against REF             FILE against its version at git REF (e.g. HEAD)
  shardlens predict --sets FILE.jsonl [--device TYPE] [--kernel K]
                                                predict fwd/bwd ms of measured-format sets
                                                (K: fbgemm_tbe | fbgemm_tbe_uvm_caching |
                                                torch_embedding_bag; default each line's
                                                "kernel", else torch_embedding_bag)
  shardlens import FILE.csv|FILE.json [-o OUT.shard.yaml] [--device TYPE]
                                                turn a table list into a config
  shardlens measure FILE [--strategy S | --placement written]
                                                measure each GPU's shard set on this GPU; print
                                                predicted vs measured per GPU (needs Python + PyTorch:
                                                $PYTHON or python3; a GPU, else exit 2 after the specs)
             [--repeats N]                      measure every set N times, shuffled (noise floor)
             [--out DIR] [--dry-run]            where specs and results go; only write the specs
             [--cpu]                            run the collector on CPU tensors (a functional
                                                check of the pipeline; not GPU times)
  shardlens calibrate MEASURED.jsonl [--out PATH] [--device TYPE]
                                                fit a per-GPU-type, per-kernel correction of the
                                                cost model on your measurements (held-out check)
  shardlens serve --stdio | --node-ipc          run the language server

Options:
  --format text|json   output format (default text); JSON ranges are 0-based as in LSP
  --model PATH         ONNX cost model to use for the config's GPU type, for the
                       kernel its sidecar names (repeat for several kernels)
  --models-dir DIR     folder of shipped models (default: <install>/models; env SHARDLENS_MODELS_DIR)
  --calibration PATH   apply a calibration from 'shardlens calibrate' (check, plan, explain, predict, measure)
  --root DIR           check, plan, explain, sweep, diff, measure: files a config references (devices:) must lie inside DIR
                       (default: the config's own folder)
  --allow-outside      check, plan, explain, sweep, diff, measure: read referenced files wherever they are (trusted configs only)
  -h, --help           this help
  -v, --version        print the version

Strategies: random, round-robin, size, dim, lookup, size-lookup, greedy, search, column, policy,
            torchrec (TorchRec's own planner, re-implemented), best (default)
Exit status: 0 fine, 1 errors found or plan infeasible (sweep: no cluster feasible;
plan --fail-if-worse: the written placement is worse than allowed), 2 usage error
(measure: also no GPU, no PyTorch, or a kernel this machine cannot run).`;
