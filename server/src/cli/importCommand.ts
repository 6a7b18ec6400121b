/**
 * `shardlens import FILE.csv|FILE.json [-o OUT.shard.yaml]`: turn a table list
 * (e.g. exported from a model definition) into a config. Prints the YAML, or
 * writes it (atomically) with -o; never overwrites the input.
 */
import * as path from 'node:path';
import { importTables } from '../engine/importTables';
import { UsageError } from './args';
import { writeFileAtomic } from './atomicWrite';
import type { CliContext } from './context';
import { readTextFileOrWhy } from '../io/diskFileReader';

export async function runImport(ctx: CliContext): Promise<number> {
  const [file, ...extra] = ctx.args.positionals;
  if (!file) throw new UsageError('import needs a FILE.csv or FILE.json');
  if (extra.length > 0) throw new UsageError('import takes one FILE');
  const abs = path.resolve(ctx.cwd, file);
  const read = readTextFileOrWhy(abs);
  if ('why' in read) {
    ctx.io.err(`shardlens import: cannot read ${file}: ${read.why}`);
    return 1;
  }
  const result = importTables(abs, read.text, { device: ctx.args.device });
  for (const e of result.errors) ctx.io.err(`${ctx.display(abs)}:${e.line}: ${e.severity ?? 'error'}: ${e.message}`);
  if (result.rejected > 0)
    ctx.io.err(
      `${ctx.display(abs)}: ${result.rejected} row${result.rejected === 1 ? '' : 's'} not imported (listed above); ${result.tables} table${result.tables === 1 ? '' : 's'} imported.`,
    );
  if (result.yaml === undefined) return 1;
  if (ctx.args.output) {
    const out = path.resolve(ctx.cwd, ctx.args.output);
    if (out === abs) {
      ctx.io.err('shardlens import: -o must not be the input file');
      return 2;
    }
    writeFileAtomic(out, result.yaml);
    ctx.io.err(`wrote ${ctx.display(out)}`);
  } else {
    ctx.io.out(result.yaml);
  }
  return result.errors.some((e) => (e.severity ?? 'error') === 'error') ? 1 : 0;
}
