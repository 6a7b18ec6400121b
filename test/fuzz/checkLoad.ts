/**
 * One fuzz case of the parser/validator: load `text` through an in-memory
 * reader and return every broken invariant (empty: fine). Shared by the parser,
 * cost and planner properties.
 */
import { loadConfig } from '../../server/src/config/load';
import type { FileReader, LoadedConfig } from '../../server/src/config/loaded';
import { diagnosticProblems, lspLines } from './invariants';

export const MAIN = '/ws/main.shard.yaml';

/** Referenced files the mutants may name (`devices: ./x`), some broken on purpose. */
export const SIDE_FILES: Record<string, string> = {
  '/ws/cluster.shard.yaml': 'type: H100-80GB\ncount: 4\nper_host: 4\n',
  '/ws/self.shard.yaml': 'devices: ./self.shard.yaml\n',
  '/ws/a.shard.yaml': 'devices: ./b.shard.yaml\n',
  '/ws/b.shard.yaml': 'devices: ./a.shard.yaml\n',
  '/ws/bad.shard.yaml': 'type: [\n',
  '/ws/garbage.shard.yaml': '\u0000\u0001\uFFFD: : :\n\t- x',
};

export interface LoadOutcome {
  loaded?: LoadedConfig;
  problems: string[];
  reads: number;
}

/** Work bound: a few diagnostics per line of input (a line holds a few mistakes, not hundreds). */
const DIAGNOSTICS_PER_LINE = 8;
const DIAGNOSTICS_SLACK = 40;

export function checkLoad(text: string, main = MAIN): LoadOutcome {
  const texts = new Map<string, string>([[main, text]]);
  let reads = 0;
  const reader: FileReader = {
    readFile(p) {
      reads++;
      if (p === main) return text;
      const t = SIDE_FILES[p];
      if (t !== undefined) texts.set(p, t);
      return t;
    },
    mayRead: (p) => p.startsWith('/ws/'),
  };
  let loaded: LoadedConfig;
  try {
    loaded = loadConfig(main, text, reader);
  } catch (err) {
    return { problems: [`loadConfig threw: ${err instanceof Error ? err.stack : String(err)}`], reads };
  }
  const problems = diagnosticProblems(loaded.diagnostics, texts);
  const lines = lspLines(text).length;
  const bound = DIAGNOSTICS_PER_LINE * lines + DIAGNOSTICS_SLACK;
  if (loaded.diagnostics.length > bound) problems.push(`${loaded.diagnostics.length} diagnostics for ${lines} lines (bound ${bound})`);
  // Each reference is read at most once; chains are cut at cycles.
  if (reads > Object.keys(SIDE_FILES).length + 1) problems.push(`${reads} file reads`);
  const c = loaded.config;
  if (c) {
    if (!Number.isInteger(c.devices.count) || c.devices.count < 1) problems.push(`usable config with devices.count ${c.devices.count}`);
    if (!(c.batchSize > 0) || !Number.isFinite(c.batchSize)) problems.push(`usable config with batch ${c.batchSize}`);
    for (const t of c.tables) {
      if (
        !(t.rows >= 1 && Number.isFinite(t.rows)) ||
        !(t.dim >= 1 && Number.isFinite(t.dim)) ||
        !(t.pooling > 0 && Number.isFinite(t.pooling)) ||
        !(t.zipf >= 0 && Number.isFinite(t.zipf))
      ) {
        problems.push(`usable table ${JSON.stringify(t)}`);
      }
    }
  }
  return { loaded, problems, reads };
}
