/**
 * The keys that say which kernel runs a table and how: `kernel`,
 * `cache_load_factor` and `ids`, at the top level (defaults) and per table
 * (overrides). Reads them with the catalogue's ranges and words (near misses
 * get a did-you-mean fix through readEnum), and warns (SL038) where a
 * cache_load_factor cannot apply because no UVM-caching kernel runs it.
 */
import { readEnum, readNumber } from './fields';
import { DEFAULT_CACHE_LOAD_FACTOR, keyInfo, type Section } from './keys';
import { DEFAULT_KERNEL, type IdOrder, type Kernel } from './types';
import { report, type Entry, type Sink, type SourceFile } from './yamlSource';

/** What a table gets when it does not say: the top-level values. */
export interface KernelDefaults {
  kernel: Kernel;
  ids: IdOrder;
  /** The top-level `cache_load_factor`, when written (else FBGEMM's 0.2 applies). */
  cacheLoadFactor?: number;
}

export const DEFAULT_KERNEL_DEFAULTS: Readonly<KernelDefaults> = { kernel: DEFAULT_KERNEL, ids: 'hashed' };

/** A table's (or the document's) kernel keys after defaults. */
export interface KernelKeys {
  kernel: Kernel;
  ids: IdOrder;
  /** Set for fbgemm_tbe_uvm_caching tables only: the HBM cache fraction that applies. */
  cacheLoadFactor?: number;
  /** The `cache_load_factor` entry as written here, for SL038. */
  cacheEntry?: Entry;
}

function word<T extends string>(src: SourceFile, entries: Map<string, Entry>, section: Section, key: string, label: string, fallback: T, out: Sink): T {
  const e = entries.get(key);
  if (!e) return fallback;
  return (readEnum(src, e.value, e.keyRange, keyInfo(section, key)!.values!, label, out) as T | undefined) ?? fallback;
}

function factor(src: SourceFile, entries: Map<string, Entry>, section: Section, label: string, out: Sink): number | undefined {
  const e = entries.get('cache_load_factor');
  return e ? readNumber(src, e, keyInfo(section, 'cache_load_factor')!, out, label) : undefined;
}

/** The top-level kernel keys: the tables' defaults. */
export function readKernelDefaults(src: SourceFile, entries: Map<string, Entry>, out: Sink): KernelDefaults {
  const d: KernelDefaults = {
    kernel: word(src, entries, 'top', 'kernel', "'kernel'", DEFAULT_KERNEL, out),
    ids: word(src, entries, 'top', 'ids', "'ids'", 'hashed', out),
  };
  const lf = factor(src, entries, 'top', "'cache_load_factor'", out);
  if (lf !== undefined) d.cacheLoadFactor = lf;
  return d;
}

/**
 * One table's kernel keys: its own or the defaults. A bad value is reported
 * and the default used, so the table stays costed.
 */
export function readTableKernelKeys(src: SourceFile, entries: Map<string, Entry>, defaults: KernelDefaults, label: (key: string) => string, out: Sink): KernelKeys {
  const kernel = word(src, entries, 'table', 'kernel', label('kernel'), defaults.kernel, out);
  const ids = word(src, entries, 'table', 'ids', label('ids'), defaults.ids, out);
  const own = factor(src, entries, 'table', label('cache_load_factor'), out);
  const keys: KernelKeys = { kernel, ids };
  // A value already reported as out of range gets no second (SL038) message.
  const cacheEntry = entries.get('cache_load_factor');
  if (cacheEntry && own !== undefined) keys.cacheEntry = cacheEntry;
  if (kernel === 'fbgemm_tbe_uvm_caching') keys.cacheLoadFactor = own ?? defaults.cacheLoadFactor ?? DEFAULT_CACHE_LOAD_FACTOR;
  return keys;
}

/**
 * SL038: a cache_load_factor written for a table whose kernel keeps every row
 * in HBM does nothing; a top-level one that no table uses neither. Warnings:
 * the numbers are still right, but the file says something it does not do.
 */
export function checkCacheLoadFactor(src: SourceFile, top: Entry | undefined, tables: readonly { name: string; kernel: Kernel; cacheEntry?: Entry }[], out: Sink): void {
  for (const t of tables) {
    if (!t.cacheEntry || t.kernel === 'fbgemm_tbe_uvm_caching') continue;
    report(
      out,
      src,
      t.cacheEntry.keyRange,
      'SL038',
      `'cache_load_factor' of table '${t.name}' has no effect: the table runs on ${t.kernel}, which keeps every row in HBM. Set \`kernel: fbgemm_tbe_uvm_caching\` on the table to cache it, or remove the key.`,
      'warning',
    );
  }
  if (top && tables.length > 0 && !tables.some((t) => t.kernel === 'fbgemm_tbe_uvm_caching')) {
    report(
      out,
      src,
      top.keyRange,
      'SL038',
      "'cache_load_factor' applies to no table: none runs on fbgemm_tbe_uvm_caching (set `kernel: fbgemm_tbe_uvm_caching` at the top or on a table to use UVM caching).",
      'warning',
    );
  }
}
