/**
 * The result of loading one config document (and the files it references):
 * the usable config, if any, every diagnostic, and where things are written.
 */
import type { Diagnostic } from './diagnostics';
import type { Position, Range, ShardConfig } from './types';

/** Where the parts of a config are written in its main file. */
export interface SourceMap {
  /** The main file (as given to loadConfig). */
  file: string;
  /** Per table name: the range of its list item and of its `name` value. */
  tables: Map<string, { item: Range; name: Range }>;
  /** Per table name: the range of its entry in `placement:` (key to end of value). */
  placementEntries: Map<string, Range>;
  /** Entries written for a table but unusable (reported there), so not in the config's placement: key to end of value. */
  unusablePlacementEntries?: Map<string, Range>;
  /** The whole `placement:` section, key included; absent if there is none. */
  placementSection?: Range;
  /** The `devices:` key (in the main file). */
  devices?: Range;
  /** Range of the first line of the document, where file-level lenses go. */
  top: Range;
  /**
   * How placementEdit writes a new or replaced `placement:` section in the main
   * file: block style at the end of the file, or flow (JSON) style before the
   * closing brace of a `{…}` document. Absent when the file is not a mapping.
   * (Optional field added by the config engineer.)
   */
  placementWrite?: { style: 'block' | 'flow'; insertAt: Position; insertPrefix: string; newline: string };
}

export interface LoadedConfig {
  /** Absent when errors make the document unusable for costing/planning. */
  config?: ShardConfig;
  diagnostics: Diagnostic[];
  source: SourceMap;
  /** Every file read (main first), for file watching and cache keys. */
  files: string[];
}

/** Injected file access, so the engine needs no fs and tests need no disk. */
export interface FileReader {
  /**
   * The text of a file; undefined if it does not exist or cannot be read, or
   * why not (in words for a message: "it is a named pipe (FIFO), not a regular file").
   */
  readFile(path: string): string | undefined | { why: string };
  /** Whether a referenced path may be read (workspace trust, stays inside the workspace or the CLI's root). */
  mayRead?(path: string): boolean;
  /** Why mayRead refused a path and how to allow it, in words for the SL025 message. */
  refusal?(path: string): string;
}
