/**
 * `shardlens check --format sarif`: the diagnostics as a SARIF 2.1.0 log, the
 * format GitHub code scanning uploads (github/codeql-action/upload-sarif).
 * One result per diagnostic, `ruleId` = its code, the exact region; every
 * code ShardLens knows is a rule in `tool.driver.rules`.
 *
 * Positions: SARIF lines and columns are 1-based and a region's endColumn is
 * the column of the character just after the region (SARIF 2.1.0, "region
 * object": startLine, startColumn, endLine, endColumn), while the engine's
 * ranges are 0-based and end-exclusive (LSP): so every number is +1 and
 * nothing else changes. Columns count UTF-16 code units, as LSP's do, which
 * the run's `columnKind: "utf16CodeUnits"` states.
 * Spec: https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CODES } from '../config/codes';
import type { Diagnostic } from '../config/diagnostics';
import { ENGINE_CODE_TITLES } from '../engine/engineDiagnostics';

export const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
/** The base every relative artifact URI is resolved against (run.originalUriBaseIds): the folder `check` ran in. */
const SRCROOT = '%SRCROOT%';

export interface SarifRule {
  id: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string };
}

export interface SarifRegion {
  startLine: number;
  startColumn: number;
  endLine: number;
  endColumn: number;
}

export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: 'error' | 'warning' | 'note';
  message: { text: string };
  locations: Array<{ physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region: SarifRegion } }>;
}

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: Array<{
    tool: { driver: { name: string; version: string; semanticVersion: string; rules: SarifRule[] } };
    originalUriBaseIds: Record<string, { uri: string }>;
    columnKind: 'utf16CodeUnits';
    invocations: Array<{ executionSuccessful: boolean }>;
    results: SarifResult[];
  }>;
}

/** Every diagnostic code with its one-line title: config codes (SL0xx) then engine codes (SL1xx). */
export function ruleCatalogue(): Array<[string, string]> {
  return [...Object.entries(CODES), ...Object.entries(ENGINE_CODE_TITLES)];
}

function level(severity: Diagnostic['severity']): SarifResult['level'] {
  return severity === 'error' ? 'error' : severity === 'warning' ? 'warning' : 'note';
}

/** 0-based, end-exclusive LSP range → 1-based SARIF region (end column just past the last character). */
export function sarifRegion(range: Diagnostic['range']): SarifRegion {
  return {
    startLine: range.start.line + 1,
    startColumn: range.start.character + 1,
    endLine: range.end.line + 1,
    endColumn: range.end.character + 1,
  };
}

/**
 * A file as an artifact URI: relative to `cwd` (resolved against %SRCROOT%)
 * when inside it, as GitHub code scanning expects paths from the repository
 * root; else an absolute file: URI.
 */
export function artifactLocation(file: string, cwd: string): { uri: string; uriBaseId?: string } {
  const abs = path.resolve(cwd, file);
  const rel = path.relative(cwd, abs);
  if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) {
    return { uri: rel.split(path.sep).map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
  }
  return { uri: pathToFileURL(abs).href };
}

export function sarifLog(diagnostics: readonly Diagnostic[], cwd: string, version: string): SarifLog {
  const catalogue = ruleCatalogue();
  const index = new Map(catalogue.map(([id], i) => [id, i]));
  const rules: SarifRule[] = catalogue.map(([id, title]) => ({
    id,
    shortDescription: { text: title },
    fullDescription: { text: `${id}: ${title}.` },
    help: { text: `${id}: ${title}. docs/diagnostics.md lists every code, with what to do; the message of each result says what to change.` },
  }));
  const results: SarifResult[] = diagnostics.map((d) => {
    let ruleIndex = index.get(d.code);
    if (ruleIndex === undefined) {
      // A code added without a catalogue entry still gets a rule, so ruleIndex stays valid.
      ruleIndex = rules.length;
      index.set(d.code, ruleIndex);
      rules.push({ id: d.code, shortDescription: { text: d.code }, fullDescription: { text: d.code }, help: { text: d.code } });
    }
    return {
      ruleId: d.code,
      ruleIndex,
      level: level(d.severity),
      message: { text: d.message },
      locations: [{ physicalLocation: { artifactLocation: artifactLocation(d.file, cwd), region: sarifRegion(d.range) } }],
    };
  });
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'ShardLens', version, semanticVersion: version, rules } },
        originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(cwd.endsWith(path.sep) ? cwd : cwd + path.sep).href } },
        columnKind: 'utf16CodeUnits',
        invocations: [{ executionSuccessful: true }],
        results,
      },
    ],
  };
}
