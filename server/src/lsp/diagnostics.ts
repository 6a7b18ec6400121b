/**
 * Engine diagnostics → LSP diagnostics, and publishing them per file.
 *
 * A document's analysis may report problems in other files (its devices file).
 * Several open documents may report on the same devices file, so each file's
 * published list is the union of what every owner currently says about it;
 * closing an owner withdraws its part (and an empty list clears the file:
 * stale problems must not linger).
 */
import { DiagnosticSeverity, type Connection, type Diagnostic as LspDiagnostic } from 'vscode-languageserver/node';
import type { Diagnostic, Severity } from '../config/diagnostics';

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toLspDiagnostic(d: Diagnostic): LspDiagnostic {
  return { range: d.range, severity: SEVERITY[d.severity], code: d.code, source: 'shardlens', message: d.message };
}

export class DiagnosticPublisher {
  /** owner URI → (file URI → diagnostics that owner reports there). */
  private readonly byOwner = new Map<string, Map<string, LspDiagnostic[]>>();

  constructor(private readonly connection: Connection) {}

  /**
   * Replace what `owner` reports, publish every file whose union changed.
   * @param version the owner's document version (sent with the owner's own file)
   */
  update(owner: string, version: number | undefined, perFile: Map<string, LspDiagnostic[]>): void {
    const before = this.byOwner.get(owner);
    this.byOwner.set(owner, perFile);
    const touched = new Set<string>([...(before?.keys() ?? []), ...perFile.keys(), owner]);
    for (const file of touched) this.publish(file, file === owner ? version : undefined);
  }

  /** The owner was closed: withdraw everything it reported. */
  remove(owner: string): void {
    const before = this.byOwner.get(owner);
    this.byOwner.delete(owner);
    const touched = new Set<string>([...(before?.keys() ?? []), owner]);
    for (const file of touched) this.publish(file, undefined);
  }

  /** Current union for a file (tests, code actions). */
  forFile(file: string): LspDiagnostic[] {
    const seen = new Set<string>();
    const out: LspDiagnostic[] = [];
    for (const perFile of this.byOwner.values()) {
      for (const d of perFile.get(file) ?? []) {
        const key = `${d.code}|${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character}|${d.message}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(d);
      }
    }
    return out;
  }

  private publish(file: string, version: number | undefined): void {
    void this.connection.sendDiagnostics({ uri: file, version, diagnostics: this.forFile(file) });
  }
}
