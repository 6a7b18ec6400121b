/**
 * Hover: what a key means (docs from the key catalogue), a device preset's
 * numbers, a table's predicted cost breakdown and memory, a GPU's load.
 */
import { MarkupKind, type Hover, type Position, type Range } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { GPU_PRESETS } from '../config/presets';
import { calibrationNote } from '../cost/calibration';
import { PHASE_TITLES } from '../cost/phases';
import { tableShard } from '../cost/shards';
import { trafficBreakdown } from '../cost/trafficBreakdown';
import { renderEntry } from '../config/placementText';
import { kindLabel } from '../config/shardingKinds';
import type { Kernel } from '../config/types';
import type { CostModelInfo } from '../engine/analyze';
import { formatBytes } from '../config/byteUnits';
import { formatGpus, formatMs, formatPercent, formatPlusMinus } from '../engine/format';
import { describeEntry, type ShardInfo } from '../engine/placementInfo';
import { kernelsOfTables } from '../engine/pricingText';
import { costEnv } from '../engine/tableCosts';
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
    `| L2 cache | ${formatBytes(p.l2Bytes)} (${p.l2Bytes.toLocaleString('en-US')} B) |`,
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
  const cache = spec.cacheLoadFactor !== undefined ? `, cache_load_factor ${spec.cacheLoadFactor}` : '';
  const lines = [
    `**${name}** \u2014 ${spec.rows.toLocaleString('en-US')} rows \u00d7 dim ${spec.dim}, ${spec.dtype}, pooling ${spec.pooling}, zipf ${spec.zipf}`,
    '',
    `Kernel \`${spec.kernel}\`${cache}, ids ${spec.ids}, optimizer ${a.loaded.config!.optimizer}.`,
    '',
    `Predicted alone on one ${device.type} (batch ${a.loaded.config!.batchSize.toLocaleString('en-US')}):`,
    '',
    '| | ms per step |',
    '| --- | ---: |',
    `| forward | ${formatMs(cost.fwdMs)} |`,
    `| backward + update | ${formatMs(cost.bwdMs)} |`,
    `| **compute total** | **${formatMs(cost.fwdMs + cost.bwdMs)}**${cost.uncertainty !== undefined ? ` ${formatPlusMinus(cost.uncertainty * (cost.fwdMs + cost.bwdMs))}` : ''} |`,
  ];
  const current = a.current;
  if (current && cost.gpus.length > 0) {
    const comm = current.gpus.filter((g) => cost.gpus.includes(g.gpu));
    if (comm.length <= 4) {
      for (const g of comm) lines.push(`| GPU ${g.gpu} communication (all its tables) | ${formatMs(g.commMs)} |`);
    } else {
      // A table on many GPUs (data-parallel, row-wise): the spread, not one line per GPU.
      const ms = comm.map((g) => g.commMs);
      lines.push(
        `| communication on its ${comm.length} GPUs (all their tables), max / mean | ${formatMs(Math.max(...ms))} / ${formatMs(ms.reduce((a, b) => a + b, 0) / ms.length)} |`,
      );
    }
  }
  if (cost.uncertainty !== undefined) {
    lines.push('', `\u00b1 is the model's error: about 68% of measured sets fall within ${formatPercent(cost.uncertainty)} of its prediction at this size.`);
  }
  // Inputs inside the measured ranges but not themselves measured (SL110 warns only outside them).
  const info = a.model?.rangeNotes?.(tableShard(spec), costEnv(a.loaded.config!), spec.dtype).filter((n) => n.level === 'info') ?? [];
  if (info.length > 0) lines.push('', ...info.map((n) => `_Note: ${n.message}_`));
  // What the table does per step, as its kernel's analytic model counts it (the same figures as `shardlens explain`).
  const t = trafficBreakdown(tableShard(spec), costEnv(a.loaded.config!));
  lines.push(
    '',
    `Per step, alone (as the ${t.countedBy} model counts): ${Math.round(t.lookups).toLocaleString('en-US')} lookups, ${Math.round(t.distinctRows).toLocaleString('en-US')} distinct rows, L2 hit rate ${formatPercent(t.hitRate)}; forward reads ${formatBytes(t.fwdReadBytes)} and writes ${formatBytes(t.fwdWrittenBytes)} of HBM, backward moves ${formatBytes(t.bwdBytes)} (optimizer state ${formatBytes(t.stateBytes)}). Per shard: \`shardlens explain FILE ${name}\`.`,
  );
  lines.push('', `Memory: ${formatBytes(cost.memoryBytes)} (weights + ${a.loaded.config!.optimizer} state).`);
  lines.push(`Placement: ${formatGpus(cost.gpus)}${cost.kind && cost.kind !== 'table' ? ` (${kindLabel(cost.kind)})` : ''}.`);
  if (a.costModel) lines.push('', ...pricingLines(a.costModel, spec.kernel));
  const calibration = calibrationNote(a.model);
  if (calibration) lines.push('', `_${calibration}_`);
  return lines.join('\n');
}

/** Shard rows shown in full up to this many; longer splits show the first ones and the last. */
const MAX_SHARD_ROWS = 10;

function span(start: number, count: number, of: number): string {
  if (start === 0 && count === of) return `all ${count.toLocaleString('en-US')}`;
  if (count === 0) return 'none';
  return `${start.toLocaleString('en-US')}–${(start + count - 1).toLocaleString('en-US')} (${count.toLocaleString('en-US')})`;
}

/** A placement entry explained: its kind (TorchRec's name), its TorchRec call, and each shard's GPU, host, rows, columns, bags and memory. */
export function placementMarkdown(name: string, record: AnalysisRecord | undefined): string | undefined {
  const config = record?.analysis.loaded.config;
  const info = config && describeEntry(config, name);
  if (!config || !info) return undefined;
  const world = config.devices.count;
  const written = renderEntry(info.entry, world);
  const lines = [
    `**${name}**: \`${written}\` — ${info.kind.label} (TorchRec \`${info.kind.torchrec}\`, \`${info.torchrecCall}\`)`,
    '',
    `${info.kind.label[0].toUpperCase()}${info.kind.label.slice(1)}: ${info.kind.doc}`,
    '',
    `${info.shards.length} shard${info.shards.length === 1 ? '' : 's'} of ${info.tableRows.toLocaleString('en-US')} rows × dim ${info.dim}:`,
    '',
    '| GPU | host | rows | columns | bags/step | memory |',
    '| ---: | ---: | --- | --- | ---: | ---: |',
  ];
  const row = (s: ShardInfo) =>
    `| ${s.gpu} | ${s.host} | ${span(s.rowStart, s.rows, info.tableRows)} | ${span(s.colStart, s.cols, info.dim)} | ${Math.round(s.bags).toLocaleString('en-US')} | ${formatBytes(s.bytes)} |`;
  const shown = info.shards.length <= MAX_SHARD_ROWS ? info.shards : [...info.shards.slice(0, MAX_SHARD_ROWS - 1)];
  for (const s of shown) lines.push(row(s));
  if (shown.length < info.shards.length) {
    lines.push(`| … | | ${info.shards.length - shown.length - 1} more | | | |`);
    lines.push(row(info.shards[info.shards.length - 1]));
  }
  if (info.shards.length === 0) lines.push('| – | | this split cannot be cut (see the diagnostics) | | | |');
  if (info.gap) lines.push('', `⚠ ${info.gap.message}`);
  return lines.join('\n');
}

/** Which model priced a kernel, in full: name, kernel, learned or analytic, and what was added to it. */
export function pricingLines(info: CostModelInfo, kernel: Kernel): string[] {
  const p = info.kernels.find((k) => k.kernel === kernel);
  if (!p) return [`_Cost model: ${info.name}_`];
  return [`_Priced by ${p.model} (${p.source}) for kernel ${p.kernel}._`, ...p.notes.map((n) => `- ${n}`)];
}

export function gpuMarkdown(gpu: number, record: AnalysisRecord | undefined): string | undefined {
  const a = record?.analysis;
  const g = a?.current?.gpus.find((x) => x.gpu === gpu);
  if (!a || !g) return undefined;
  const current = a.current!;
  const lines = [
    `**GPU ${gpu}** \u2014 ${g.tables.length} table${g.tables.length === 1 ? '' : 's'}`,
    '',
    `fwd ${formatMs(g.fwdMs)} + bwd ${formatMs(g.bwdMs)} + comm ${formatMs(g.commMs)} = **${formatMs(g.totalMs)}** per step` +
      (g.uncertaintyMs !== undefined ? ` (compute ${formatPlusMinus(g.uncertaintyMs)}: the model's error, ~68% of measured sets within)` : ''),
  ];
  if (g.phaseMs) {
    // Each phase waits for its slowest GPU: say where this one stands.
    lines.push('', '| phase | this GPU | slowest GPU |', '| --- | ---: | ---: |');
    for (const p of current.phases) {
      lines.push(`| ${PHASE_TITLES[p.name]} | ${formatMs(g.phaseMs[p.name])} | ${formatMs(p.maxMs)} (GPU ${p.gpu}) |`);
    }
    lines.push(
      '',
      `Step (critical path, every phase's slowest GPU): ${formatMs(current.maxMs)}` +
        (current.maxUncertaintyMs !== undefined ? ` ${formatPlusMinus(current.maxUncertaintyMs)}` : '') +
        '.',
    );
  }
  lines.push(
    '',
    `Memory ${formatBytes(g.memoryBytes)} of ${formatBytes(g.capacityBytes)} for shards (${formatPercent(g.capacityBytes > 0 ? g.memoryBytes / g.capacityBytes : NaN)}).`,
  );
  const kernels = kernelsOfTables(a, g.tables);
  if (a.costModel && kernels.length > 0) {
    lines.push('');
    if (kernels.length > 1) lines.push(`Compute is the sum of ${kernels.length} kernel groups (one launch sequence each):`, '');
    // A blank line between kernels: a note list would otherwise swallow the next line.
    kernels.forEach((k, i) => lines.push(...(i > 0 ? [''] : []), ...pricingLines(a.costModel!, k)));
  }
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

/** The placement entry whose value (not key) is under the cursor, from the analysis' source map. */
function placementValueAt(record: AnalysisRecord, position: Position): { name: string; range: Range } | undefined {
  for (const [name, range] of record.analysis.loaded.source.placementEntries) {
    if (position.line < range.start.line || position.line > range.end.line) continue;
    if (contains(range, position)) return { name, range };
  }
  return undefined;
}

export function buildHover(doc0: TextDocument, position: Position, record: AnalysisRecord | undefined): Hover | null {
  if (record && record.version === doc0.version) {
    const hit = tableNameAt(record, position);
    const text = hit && tableMarkdown(hit.name, record);
    if (hit && text) return { contents: { kind: MarkupKind.Markdown, value: text }, range: hit.range };
    const entry = placementValueAt(record, position);
    if (entry) {
      // A GPU index of a GPU-list kind shows that GPU's load; anything else (the kind, `all`, `dp`, a host) explains the entry.
      const ctx = cursorContext(doc0.getText(), position);
      const kind = record.analysis.loaded.config?.placement?.get(entry.name)?.kind;
      const gpuList = kind === 'table' || kind === 'column' || kind === 'row' || kind === 'table_column';
      const gpu = gpuList && /^\d+$/.test(ctx.word) ? gpuMarkdown(Number(ctx.word), record) : undefined;
      if (gpu) return md(gpu, ctx);
      const text2 = placementMarkdown(entry.name, record);
      if (text2) return { contents: { kind: MarkupKind.Markdown, value: text2 }, range: ctx.word ? ctx.wordRange : entry.range };
    }
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
