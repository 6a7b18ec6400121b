/**
 * Document URIs (what LSP speaks) ↔ file paths (what the engine resolves
 * `devices: ./x.shard.yaml` against). Non-file URIs (untitled:) pass through
 * unchanged: their references then simply cannot be read.
 */
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export function uriToPath(uri: string): string {
  if (!uri.startsWith('file:')) return uri;
  try {
    return fileURLToPath(uri);
  } catch {
    return uri;
  }
}

/**
 * Remembers the exact URI spelling the client used for each open path, so
 * diagnostics for that file go back under the same key (VS Code encodes some
 * characters differently from Node's pathToFileURL).
 */
export class UriMap {
  private readonly byPath = new Map<string, string>();

  remember(uri: string): string {
    const p = uriToPath(uri);
    this.byPath.set(p, uri);
    return p;
  }

  toUri(filePath: string): string {
    const known = this.byPath.get(filePath);
    if (known) return known;
    if (!path.isAbsolute(filePath)) return filePath;
    return pathToFileURL(filePath).toString();
  }
}
