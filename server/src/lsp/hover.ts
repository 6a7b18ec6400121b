/**
 * Hover: what a key means (docs from the key catalogue), a device preset's
 * numbers, a table's predicted cost breakdown and memory, a GPU's load.
 */
import { PHASE_TITLES } from '../cost/phases';
import { MarkupKind, type Hover, type Position, type Range } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { GPU_PRESETS } from '../config/presets';
import { formatBytes, formatGpus, formatMs, formatPercent } from '../engine/format';
import type { AnalysisRecord } from './documents';
import { keyDoc, looksLikeDevicesFile } from './keyDocs';
import { cursorContext, type CursorContext } from './yamlCursor';

function md(value: string, ctx: CursorContext): Hover {
  return { contents: { kind: MarkupKind.Markdown, value }, range: ctx.wordRange };
}

export function presetMarkdown(type: string): string | undefined {
  const p = GPU_PRESETS[type];
  if (!p) return undefined;
  return [
    `**${type}** (GPU preset)`,
    '',
    '| | |',
    '| --- | --- |',
    `| memory | ${formatBytes(p.memoryBytes)} (${p.memoryBytes.toLocaleString('en-US')} B) |`,
    `| HBM bandwidth | ${p.hbmGBps} GB/s |`,
    `| L2 cache | ${(p.l2Bytes / 1e6).toFixed(0)} MB |`,
    `| SMs | ${p.sms} |`,
    `| NVLink (per direction) | ${p.nvlinkGBps} GB/s |`,
    `| network (per GPU, per direction) | ${p.networkGBps} GB/s |`,
    '',
    'Override any number in `devices:` (`memory_bytes`, `hbm_gbps`, `l2_bytes`, `sms`, `nvlink_gbps`, `network_gbps`).',
  ].join('\n');
}

export function tableMarkdown(name: string, record: AnalysisRecord | undefined): string | undefined {
  const a = record?.analysis;
  const cost = a?.tableCosts.get(name);
  const spec = a?.loaded.config?.tables.find((t) => t.name === name);
  if (!a || !cost || !spec) return undefined;
  const device = a.loaded.config!.devices;
  const lines = [
    `**${name}** \u2014 ${spec.rows.toLocaleString('en-US')} rows \u00d7 dim ${spec.dim}, ${spec.dtype}, pooling ${spec.pooling}, zipf ${spec.zipf}`,
    '',
    `Predicted alone on one ${device.type} (batch ${a.loaded.config!.batchSize.toLocaleString('en-US')}):`,
    '',
    '| | ms per step |',
    '| --- | ---: |',
    `| forward | ${formatMs(cost.fwdMs)} |`,
    `| backward + update | ${formatMs(cost.bwdMs)} |`,
    `| **compute total** | **${formatMs(cost.fwdMs + cost.bwdMs)}** |`,
  ];
  const current = a.current;
  if (current && cost.gpus.length > 0) {
    const comm = current.gpus.filter((g) => cost.gpus.includes(g.gpu));
    for (const g of comm) {
      lines.push(`| GPU ${g.gpu} communication (all its tables) | ${formatMs(g.commMs)} |`);
    }
  }
  lines.push('', `Memory: ${formatBytes(cost.memoryBytes)} (weights + ${a.loaded.config!.optimizer} state).`);
  lines.push(`Placement: ${formatGpus(cost.gpus)}${cost.kind && cost.kind !== 'table' ? ` (${cost.kind}-wise)` : ''}.`);
  if (a.costModel) lines.push('', `_Cost model: ${a.costModel.name}_`);
  return lines.join('\n');
}

export function gpuMarkdown(gpu: number, record: AnalysisRecord | undefined): string | undefined {
  const g = record?.analysis.current?.gpus.find((x) => x.gpu === gpu);
  if (!g) return undefined;
  const current = record!.analysis.current!;
  const lines = [
    `**GPU ${gpu}** \u2014 ${g.tables.length} table${g.tables.length === 1 ? '' : 's'}`,
    '',
    `fwd ${formatMs(g.fwdMs)} + bwd ${formatMs(g.bwdMs)} + comm ${formatMs(g.commMs)} = **${formatMs(g.totalMs)}** per step`,
  ];
  if (g.phaseMs) {
    // Each phase waits for its slowest GPU: say where this one stands.
    lines.push('', '| phase | this GPU | slowest GPU |', '| --- | ---: | ---: |');
    for (const p of current.phases) {
      lines.push(`| ${PHASE_TITLES[p.name]} | ${formatMs(g.phaseMs[p.name])} | ${formatMs(p.maxMs)} (GPU ${p.gpu}) |`);
    }
    lines.push('', `Step (critical path, every phase's slowest GPU): ${formatMs(current.maxMs)}.`);
  }
  lines.push('', `Memory ${formatBytes(g.memoryBytes)} of ${formatBytes(g.capacityBytes)} for shards (${formatPercent(g.capacityBytes > 0 ? g.memoryBytes / g.capacityBytes : NaN)}).`);
  return lines.join('\n');
}

function contains(r: Range, p: Position): boolean {
  const afterStart = p.line > r.start.line || (p.line === r.start.line && p.character >= r.start.character);
  const beforeEnd = p.line < r.end.line || (p.line === r.end.line && p.character <= r.end.character);
  return afterStart && beforeEnd;
}

/** A table name under the cursor, from the analysis' source map (exact, any YAML style). */
function tableNameAt(record: AnalysisRecord, position: Position): { name: string; range: Range } | undefined {
  const source = record.analysis.loaded.source;
  for (const [name, where] of source.tables) {
    if (contains(where.name, position)) return { name, range: where.name };
  }
  for (const [name, entry] of source.placementEntries) {
    if (entry.start.line !== position.line) continue;
    // The entry starts at its key; the key is the (possibly quoted) name.
    const key: Range = { start: entry.start, end: { line: entry.start.line, character: entry.start.character + name.length + (/^[A-Za-z_][\w.\-/]*$/.test(name) ? 0 : 2) } };
    if (contains(key, position)) return { name, range: key };
  }
  return undefined;
}

export function buildHover(doc0: TextDocument, position: Position, record: AnalysisRecord | undefined): Hover | null {
  if (record && record.version === doc0.version) {
    const hit = tableNameAt(record, position);
    const text = hit && tableMarkdown(hit.name, record);
    if (hit && text) return { contents: { kind: MarkupKind.Markdown, value: text }, range: hit.range };
  }
  const ctx = cursorContext(doc0.getText(), position);
  const [top] = ctx.section;

  // A table name: its `name:` value, or a key in `placement:`.
  if (top === 'tables' && ctx.key === 'name' && ctx.kind === 'value') {
    const text = tableMarkdown(ctx.value.replace(/^["']|["']$/g, ''), record);
    if (text) return md(text, ctx);
  }
  if (top === 'placement' && ctx.section.length === 1 && ctx.onKey && ctx.key) {
    const text = tableMarkdown(ctx.key, record);
    if (text) return md(text, ctx);
  }
  // A GPU number in placement values.
  if (top === 'placement' && ctx.kind === 'value' && /^\d+$/.test(ctx.word)) {
    const text = gpuMarkdown(Number(ctx.word), record);
    if (text) return md(text, ctx);
  }
  // A device preset name.
  if (ctx.key === 'type' && ctx.kind === 'value' && (top === 'devices' || ctx.section.length === 0)) {
    const text = presetMarkdown(ctx.value.replace(/^["']|["']$/g, ''));
    if (text) return md(text, ctx);
  }
  // A key.
  if (ctx.onKey && ctx.key) {
    const doc = keyDoc(ctx.section, ctx.key, looksLikeDevicesFile(doc0.getText()));
    if (doc) return md(doc.markdown, ctx);
  }
  return null;
}
