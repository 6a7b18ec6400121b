/**
 * Completion: keys per section (from the key catalogue), device presets,
 * dtype/optimizer/sharding values, table names in `placement:`, GPU indices.
 * Works on half-typed YAML (the cursor context is read from lines).
 */
import { CompletionItemKind, InsertTextFormat, MarkupKind, type CompletionItem, type Position } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { GPU_PRESETS } from '../config/presets';
import { SHARDING_KIND_INFO } from '../config/shardingKinds';
import type { ShardingKind } from '../config/types';
import { formatBytes } from '../config/byteUnits';
import type { AnalysisRecord } from './documents';
import { keysOf, looksLikeDevicesFile, valuesOf } from './keyDocs';
import { cursorContext, lineShape } from './yamlCursor';

/** Snippets of every placement form but the bare GPU index, with GPUs and hosts that exist on the cluster. */
function placementForms(count: number, perHost: number): { kind: ShardingKind; label: string; snippet: string }[] {
  const per = Math.max(1, Math.min(perHost, count));
  const second = count > per ? per : 0;
  const two = count > 1 ? '${1:0}, ${2:1}' : '${1:0}';
  return [
    { kind: 'data_parallel', label: 'dp', snippet: 'dp' },
    { kind: 'row', label: '{row: all}', snippet: '{row: all}' },
    { kind: 'column', label: '{column: [...]}', snippet: `{column: [${two}]}` },
    { kind: 'table_row', label: '{table_row: {host: ...}}', snippet: '{table_row: {host: ${1:0}}}' },
    { kind: 'table_column', label: '{table_column: [...]}', snippet: per > 1 ? `{table_column: [\${1:${second}}, \${2:${second + 1}}]}` : '{table_column: [${1:0}]}' },
    { kind: 'grid', label: '{grid: {hosts: [...]}}', snippet: count > per ? '{grid: {hosts: [${1:0}, ${2:1}]}}' : '{grid: {hosts: [${1:0}]}}' },
    { kind: 'row', label: '{row: [...]}', snippet: `{row: [${two}]}` },
  ];
}

/** Table names written in the document, from the analysis or, failing that, the text. */
function tableNames(text: string, record: AnalysisRecord | undefined): string[] {
  const fromSource = record ? [...record.analysis.loaded.source.tables.keys()] : [];
  if (fromSource.length > 0) return fromSource;
  const names: string[] = [];
  for (const m of text.matchAll(/^\s*-?\s*name:\s*["']?([^"'#\s]+)/gm)) names.push(m[1]);
  return names;
}

/** Keys already written in the mapping around `line` (same column), to leave them out. */
function siblingKeys(lines: string[], line: number, col: number): Set<string> {
  const keys = new Set<string>();
  const scan = (from: number, step: number) => {
    for (let i = from; i >= 0 && i < lines.length; i += step) {
      const s = lineShape(lines[i]);
      if (s.blank && s.dashCol < 0) continue;
      if (s.dashCol >= 0 && s.dashCol < col) {
        // The first line of our list item (scanning up) holds a sibling key; any other item ends the mapping.
        if (step < 0 && s.keyCol === col && s.key) keys.add(s.key);
        break;
      }
      if (s.keyCol < col) break;
      if (s.keyCol === col && s.key) keys.add(s.key);
    }
  };
  scan(line - 1, -1);
  scan(line + 1, 1);
  return keys;
}

export function buildCompletions(doc: TextDocument, position: Position, record: AnalysisRecord | undefined): CompletionItem[] {
  const text = doc.getText();
  const ctx = cursorContext(text, position);
  const [top] = ctx.section;
  const range = ctx.wordRange;
  const lines = text.split(/\r?\n/);
  const devicesFile = looksLikeDevicesFile(text);

  if (ctx.kind === 'key') {
    if (top === 'placement' && ctx.section.length === 1) {
      const placed = record ? new Set(record.analysis.loaded.source.placementEntries.keys()) : new Set<string>();
      return tableNames(text, record)
        .filter((n) => !placed.has(n) || n === ctx.key)
        .map((name, i) => ({
          label: name,
          kind: CompletionItemKind.Field,
          detail: 'table',
          sortText: String(i).padStart(6, '0'),
          textEdit: { range, newText: `${name}: ` },
        }));
    }
    const col = ctx.wordRange.start.character;
    const present = siblingKeys(lines, position.line, col);
    return keysOf(ctx.section, devicesFile)
      .filter((k) => !present.has(k.key) || k.key === ctx.key)
      .map((k) => ({
        label: k.key,
        kind: CompletionItemKind.Property,
        detail: k.detail,
        documentation: { kind: MarkupKind.Markdown, value: k.markdown },
        textEdit: k.block ? { range, newText: `${k.key}:\n${' '.repeat(col + 2)}$0` } : { range, newText: `${k.key}: $0` },
        insertTextFormat: InsertTextFormat.Snippet,
      }));
  }

  // Values.
  const key = ctx.key ?? '';
  if (key === 'type' && (top === 'devices' || (ctx.section.length === 0 && devicesFile))) {
    return Object.entries(GPU_PRESETS).map(([name, p]) => ({
      label: name,
      kind: CompletionItemKind.EnumMember,
      detail: `${formatBytes(p.memoryBytes)} · ${p.hbmGBps} GB/s HBM · NVLink ${p.nvlinkGBps} GB/s`,
      textEdit: { range, newText: name },
    }));
  }
  if (top === 'placement' && ctx.section.length === 1) {
    const config = record?.analysis.loaded.config;
    const count = config?.devices.count ?? 8;
    const gpus = Array.from({ length: Math.min(count, 1024) }, (_, g) => ({
      label: String(g),
      kind: CompletionItemKind.Value,
      detail: `GPU ${g} (table-wise)`,
      sortText: String(g).padStart(6, '0'),
      textEdit: { range, newText: String(g) },
    }));
    // The forms of TorchRec's other sharding types, limited to what the table allows.
    const allowed = config?.tables.find((t) => t.name === ctx.key)?.sharding;
    const forms = placementForms(config?.devices.count ?? 8, config?.devices.perHost ?? 8)
      .filter((f) => !allowed || allowed.includes(f.kind))
      .map((f, i) => ({
        label: f.label,
        kind: CompletionItemKind.Snippet,
        detail: `${SHARDING_KIND_INFO[f.kind].label} (TorchRec ${SHARDING_KIND_INFO[f.kind].torchrec})`,
        documentation: { kind: MarkupKind.Markdown, value: `**${SHARDING_KIND_INFO[f.kind].label}**: ${SHARDING_KIND_INFO[f.kind].doc}` },
        sortText: `!${i}`,
        insertTextFormat: InsertTextFormat.Snippet,
        textEdit: { range, newText: f.snippet },
      }));
    return [...forms, ...(!allowed || allowed.includes('table') ? gpus : [])];
  }
  // Inside a placement mapping: `{row: |}` takes `all` or GPUs, `{table: |}` a GPU.
  if (top === 'placement' && ctx.section.length === 2 && (key === 'row' || key === 'table')) {
    const count = record?.analysis.loaded.config?.devices.count ?? 8;
    const gpus = Array.from({ length: Math.min(count, 1024) }, (_, g) => ({
      label: String(g),
      kind: CompletionItemKind.Value,
      detail: `GPU ${g}`,
      sortText: String(g).padStart(6, '0'),
      textEdit: { range, newText: String(g) },
    }));
    return key === 'row'
      ? [
          { label: 'all', kind: CompletionItemKind.EnumMember, detail: 'row blocks over every GPU (TorchRec row_wise)', sortText: '!', textEdit: { range, newText: 'all' } },
          ...gpus,
        ]
      : gpus;
  }
  if (key === 'pin') {
    const count = record?.analysis.loaded.config?.devices.count ?? 8;
    return Array.from({ length: Math.min(count, 1024) }, (_, g) => ({
      label: String(g),
      kind: CompletionItemKind.Value,
      detail: `GPU ${g}`,
      sortText: String(g).padStart(6, '0'),
      textEdit: { range, newText: String(g) },
    }));
  }
  return valuesOf(ctx.section, key, devicesFile).map((v) => ({ label: v.value, kind: CompletionItemKind.EnumMember, detail: v.detail, textEdit: { range, newText: v.value } }));
}
