/**
 * SL110: a table's input, the batch, the optimizer or a GPU's table count is
 * outside what the cost model was measured on (the model's `rangeNotes` /
 * `setSizeNote`, from guard.ts). Each warning sits on the key it is about —
 * the table's `rows:`/`dim:`/`pooling:`/`zipf:`/`dtype:` entry, the top-level
 * `batch_size:`/`optimizer:`, or the GPU's first placement entry — and says
 * the value, the measured range and how the number was priced instead.
 * Each table asks the model of its own kernel (a config priced by FBGEMM's
 * analytic model gets none); information-level notes (a dim inside the
 * measured range that was not itself measured) are hover lines, not warnings.
 * Keys are found in the text on demand (the loader keeps only item and name
 * ranges of tables, to keep 10,000-table heaps small).
 */
import type { Diagnostic } from '../config/diagnostics';
import type { LoadedConfig } from '../config/loaded';
import { entryRanks } from '../config/placementRanks';
import type { Kernel, Range, ShardConfig } from '../config/types';
import { tableShard } from '../cost/shards';
import type { CostEnv, CostModel, RangeNote } from '../cost/types';
import type { PlanResult } from '../plan/types';
import { ENGINE_CODES, headOf } from './engineDiagnostics';

const ESC = /[.*+?^${}()|[\]\\]/g;

/**
 * The range of `key: value` inside `within` (block or flow style, key quoted
 * or not): from the key to the end of its value (the line's end in block
 * style, the next `,` or `}` in flow style, comments excluded).
 */
export function keyRange(lines: readonly string[], within: Range, key: string): Range | undefined {
  const re = new RegExp(`(^|[\\s{,])(["']?)${key.replace(ESC, '\\$&')}\\2\\s*:`, 'g');
  const last = Math.min(lines.length - 1, within.end.line);
  for (let line = Math.max(0, within.start.line); line <= last; line++) {
    const text = lines[line] ?? '';
    const from = line === within.start.line ? within.start.character : 0;
    const to = line === within.end.line ? Math.min(text.length, within.end.character) : text.length;
    re.lastIndex = from;
    for (let m = re.exec(text); m && m.index < to; m = re.exec(text)) {
      const start = m.index + m[1].length;
      if (start < from) continue;
      let end = m.index + m[0].length;
      const rest = text.slice(end, to);
      const stop = rest.search(/\s#|[,}]/);
      end += stop >= 0 ? stop : rest.length;
      while (end > start && /\s/.test(text[end - 1])) end--;
      return { start: { line, character: start }, end: { line, character: end } };
    }
  }
  return undefined;
}

/** A top-level key: the first occurrence outside every table item. */
function topKeyRange(lines: readonly string[], loaded: LoadedConfig, key: string): Range | undefined {
  const items = [...loaded.source.tables.values()].map((t) => t.item);
  const whole: Range = { start: { line: 0, character: 0 }, end: { line: lines.length - 1, character: (lines[lines.length - 1] ?? '').length } };
  let from = whole;
  for (let guard = 0; guard < 10_000; guard++) {
    const r = keyRange(lines, from, key);
    if (!r) return undefined;
    const inside = items.some(
      (i) =>
        (r.start.line > i.start.line || (r.start.line === i.start.line && r.start.character >= i.start.character)) &&
        (r.start.line < i.end.line || (r.start.line === i.end.line && r.start.character < i.end.character)),
    );
    if (!inside) return r;
    from = { start: { line: r.end.line, character: r.end.character }, end: whole.end };
  }
  return undefined;
}

/** Table inputs and the top-level key each env-wide input lives at. */
const TABLE_KEYS: Partial<Record<RangeNote['input'], string>> = { rows: 'rows', dim: 'dim', pooling: 'pooling', zipf: 'zipf', dtype: 'dtype' };
const TOP_KEYS: Partial<Record<RangeNote['input'], string>> = { batch_size: 'batch_size', optimizer: 'optimizer', dtype: 'dtype' };

/**
 * SL110 warnings for one analysed config. `model` must be the one that priced
 * it; `current` is the written placement scored (for tables per GPU).
 */
export function rangeDiagnostics(file: string, text: string, loaded: LoadedConfig, config: ShardConfig, model: CostModel, env: CostEnv, current?: PlanResult): Diagnostic[] {
  if (!model.rangeNotes && !model.setSizeNote) return [];
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  let lines: string[] | undefined;
  const linesOf = () => (lines ??= text.split(/\r\n|\r|\n/));
  // Env-wide inputs repeat on every table: find each top-level key once.
  const topKeys = new Map<string, Range | undefined>();
  const topKey = (key: string) => {
    if (!topKeys.has(key)) topKeys.set(key, topKeyRange(linesOf(), loaded, key));
    return topKeys.get(key);
  };
  const top = loaded.source.top;
  const push = (range: Range, message: string) => {
    const key = `${range.start.line}:${range.start.character}|${message}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ file, range, severity: 'warning', code: ENGINE_CODES.outsideTrainingRange, message });
  };

  if (model.rangeNotes) {
    for (const table of config.tables) {
      // Information-level notes (an unmeasured dim inside the measured range) go to hover only.
      const notes = model.rangeNotes(tableShard(table), env, table.dtype).filter((n) => n.level !== 'info');
      if (notes.length === 0) continue;
      const where = loaded.source.tables.get(table.name);
      for (const n of notes) {
        const tableKey = TABLE_KEYS[n.input];
        const topName = TOP_KEYS[n.input];
        const own = tableKey && where ? keyRange(linesOf(), where.item, tableKey) : undefined;
        if (own) {
          push(own, `Table '${table.name}': ${n.message}`);
          continue;
        }
        // An env-wide input (batch, optimizer, an inherited dtype) is reported once, at its top-level key.
        const shared = topName ? topKey(topName) : undefined;
        if (shared) push(shared, n.message);
        else push(where?.name ?? top, `Table '${table.name}': ${n.message}`);
      }
    }
  }

  if (model.setSizeNote && current && config.placement) {
    const firstEntry = new Map<number, Range>();
    for (const [name, entry] of config.placement) {
      const range = loaded.source.placementEntries.get(name);
      if (!range) continue;
      for (const g of entryRanks(entry, config.devices)) if (!firstEntry.has(g)) firstEntry.set(g, range);
    }
    // Each kernel's tables are their own set for that kernel's model (kernelDispatch.ts).
    const kernelOf = new Map(config.tables.map((t) => [t.name, t.kernel]));
    current.gpus.forEach((g, gpu) => {
      const counts = new Map<Kernel, number>();
      for (const name of g.tables) {
        const k = kernelOf.get(name);
        if (k) counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      for (const [kernel, n] of counts) {
        const note = model.setSizeNote!(n, kernel);
        if (!note) continue;
        const section = loaded.source.placementSection;
        const at = firstEntry.get(gpu) ?? (section ? headOf(section, 'placement'.length) : top);
        push(at, `GPU ${gpu}${counts.size > 1 ? ` (${kernel} tables)` : ''}: ${note.message}`);
      }
    });
  }
  return out;
}
