/**
 * Protocol tests: the real server over stdio, driven like an editor.
 * Expected diagnostics come from the engine itself (loadConfig on the same
 * text) plus independent spot checks of ranges, so the server is tested for
 * faithfully publishing, not for re-implementing validation.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CancellationTokenSource } from 'vscode-jsonrpc/node';
import type { CodeAction, CodeLens, CompletionItem, Hover, TextEdit } from 'vscode-languageserver-protocol';
import { loadConfig } from '../../../server/src/config/load';
import type { FileReader } from '../../../server/src/config/loaded';
import { BalanceRequest, ReplanRequest, type BalanceResult, type ReplanApplied, type ReplanResult } from '../../../server/src/lsp/protocol';
import { configText, devicesText, lineOf, tableName } from '../../fixtures/configText';
import { applyEdits } from '../../fixtures/textEdits';
import { startInTempDir, stopInTempDir, until, type TestServer } from './lspClient';

let dir: string;
let server: TestServer;
let seq = 0;

function uriFor(name: string): string {
  return `file://${path.join(dir, name)}`;
}
function fresh(): string {
  return uriFor(`doc${++seq}.shard.yaml`);
}

const noFiles: FileReader = { readFile: () => undefined };

before(async () => {
  ({ dir, server } = await startInTempDir('shardlens-lsp-'));
});
after(() => stopInTempDir({ dir, server }));

describe('diagnostics', () => {
  it('publishes the engine diagnostics (codes and ranges) for the opened version', async () => {
    const uri = fresh();
    const text = configText({ firstDim: 130, firstTableExtra: 'poolling: 3' });
    await server.open(uri, text, 1);
    const pub = await until('diagnostics', () => server.lastPublished(uri));
    assert.equal(pub.version, 1);
    const expected = loadConfig(path.join(dir, path.basename(uri)), text, noFiles)
      .diagnostics.map((d) => `${d.code}@${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character}`)
      .sort();
    const got = pub.diagnostics
      .filter((d) => !String(d.code).startsWith('SL1'))
      .map((d) => `${d.code}@${d.range.start.line}:${d.range.start.character}-${d.range.end.line}:${d.range.end.character}`)
      .sort();
    assert.deepEqual(got, expected);
    // Spot checks: the unknown key and the bad dim are errors on their own lines.
    const errorsOn = (needle: string) => pub.diagnostics.filter((d) => d.severity === 1 && d.range.start.line === lineOf(text, needle));
    assert.ok(errorsOn('poolling').length >= 1, 'unknown key flagged on its line');
    assert.ok(errorsOn('dim: 130').length >= 1, 'dim not a multiple of 4 flagged on its line');
    const unknown = errorsOn('poolling')[0];
    const line = text.split('\n')[unknown.range.start.line];
    assert.equal(line.slice(unknown.range.start.character, unknown.range.end.character), 'poolling');
    for (const d of pub.diagnostics) assert.equal(d.source, 'shardlens');
  });

  it('after a burst of edits, diagnostics always match their version and the last published is the latest', async () => {
    const uri = fresh();
    const texts = new Map<number, string>();
    const textFor = (v: number) => configText({ firstDim: v % 2 ? 130 : 128 });
    texts.set(1, textFor(1));
    await server.open(uri, texts.get(1)!, 1);
    for (let v = 2; v <= 20; v++) {
      texts.set(v, textFor(v));
      void server.change(uri, v, texts.get(v)!);
    }
    const last = await until('version 20', () => server.lastPublished(uri)?.version === 20 && server.lastPublished(uri));
    assert.equal(last.diagnostics.filter((d) => d.severity === 1).length, 0, 'version 20 (dim 128) is clean');
    const versions = (server.published.get(uri) ?? []).map((p) => p.version!);
    for (let i = 1; i < versions.length; i++) assert.ok(versions[i] >= versions[i - 1], `versions never go back: ${versions}`);
    for (const p of server.published.get(uri)!) {
      const hasError = p.diagnostics.some((d) => d.severity === 1);
      assert.equal(hasError, p.version! % 2 === 1, `version ${p.version}'s diagnostics belong to its own text`);
    }
  });

  it('closing a document clears its diagnostics', async () => {
    const uri = fresh();
    await server.open(uri, configText({ firstDim: 130 }));
    await until('diagnostics', () => server.lastPublished(uri)?.diagnostics.length);
    await server.close(uri);
    await until('cleared', () => server.lastPublished(uri)?.diagnostics.length === 0);
  });

  it('warns (SL101) when the written placement is imbalanced, with the numbers', async () => {
    const uri = fresh();
    const text = configText({ tables: 8, gpus: 4, placement: 'all-on-0' });
    await server.open(uri, text);
    // Config diagnostics may come first while the cost model loads; SL101 follows for the same version.
    const pub = await until('costed diagnostics', () => server.published.get(uri)?.find((p) => p.diagnostics.some((d) => d.code === 'SL101')));
    assert.equal(pub.version, 1);
    const sl101 = pub.diagnostics.find((d) => d.code === 'SL101');
    assert.ok(sl101, JSON.stringify(pub.diagnostics));
    assert.equal(sl101.severity, 2);
    assert.match(sl101.message, /\d+(\.\d+)?\u00d7/);
    assert.match(sl101.message, /GPU 0/);
    assert.equal(sl101.range.start.line, lineOf(text, 'placement:'));
  });

  it('publishes problems of a referenced devices file on that file, and re-checks when it changes', async () => {
    const devUri = uriFor('cluster.shard.yaml');
    writeFileSync(path.join(dir, 'cluster.shard.yaml'), devicesText(2));
    const uri = fresh();
    await server.open(uri, configText({ devicesRef: './cluster.shard.yaml' }));
    const clean = await until('main diagnostics', () => server.lastPublished(uri));
    assert.equal(clean.diagnostics.filter((d) => d.severity === 1).length, 0, JSON.stringify(clean.diagnostics));
    // Break the devices file in an editor (unsaved): its problem lands on the devices file.
    await server.open(devUri, devicesText(2).replace('H100-80GB', 'H900-1TB'), 1);
    await until('devices file diagnostic', () => server.lastPublished(devUri)?.diagnostics.some((d) => d.severity === 1));
    await until('main re-checked', () => server.lastPublished(uri)!.diagnostics.length !== clean.diagnostics.length || server.published.get(uri)!.length > 1);
    await server.close(devUri);
  });
  it('re-checks dependents when a referenced file changes on disk (didChangeWatchedFiles)', async () => {
    const devPath = path.join(dir, 'disk-cluster.shard.yaml');
    const devUri = uriFor('disk-cluster.shard.yaml');
    writeFileSync(devPath, devicesText(2));
    const uri = fresh();
    await server.open(uri, configText({ devicesRef: './disk-cluster.shard.yaml' }));
    await until('first analysis', () => server.lastPublished(uri));
    assert.equal(server.lastPublished(devUri)?.diagnostics.length ?? 0, 0);
    writeFileSync(devPath, devicesText(2).replace('count: 2', 'count: many'));
    await server.conn.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: devUri, type: 2 }] });
    const pub = await until('devices diagnostics', () => (server.lastPublished(devUri)?.diagnostics.length ?? 0) > 0 && server.lastPublished(devUri));
    assert.equal(pub.diagnostics[0].range.start.line, 1, 'on the count line of the devices file');
    await server.close(uri);
    await until('withdrawn with its owner', () => server.lastPublished(devUri)?.diagnostics.length === 0);
  });
});

describe('robustness', () => {
  it('survives garbage edits and keeps answering', async () => {
    const uri = fresh();
    const valid = configText({ tables: 4, gpus: 2, placement: 'round-robin' });
    await server.open(uri, valid, 1);
    const garbage = [
      '\u0000\u0001\u0002\uffff',
      '{{{{{{{{{{',
      '- - - - -\n  - [',
      'version: 1\ntables: [' + '['.repeat(500),
      valid.replace('rows: 100000', 'rows: 1e400'),
      valid.replace('dim: 64', 'dim: NaN'),
      valid.replace(/t000/g, '\u{1F600}\u0301'),
      valid.replace('count: 2', 'count: 100000000'),
      valid.replace('placement:', 'placement: *nope'),
      'a: &x [*x]',
      valid.repeat(3),
      valid.replace('devices:', 'devices: ../../../../etc/passwd\nold_devices:'),
    ];
    let v = 1;
    for (const g of garbage) {
      await server.change(uri, ++v, g);
      const pub = await until(`garbage v${v} analysed`, () => server.lastPublished(uri)?.version === v && server.lastPublished(uri));
      const lines = g.split('\n');
      for (const d of pub.diagnostics) {
        assert.ok(d.range.start.line <= lines.length && d.range.end.line <= lines.length, `range inside the document (v${v})`);
      }
    }
    void server.change(uri, ++v, valid);
    const last = await until('last version', () => server.lastPublished(uri)?.version === v && server.lastPublished(uri));
    assert.equal(last.diagnostics.filter((d) => d.severity === 1).length, 0);
    const lenses = await server.conn.sendRequest<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
    assert.ok(lenses.length > 4);
    assert.equal(server.proc.exitCode, null, 'server still running');
  });
});

describe('code lenses, hover, completion, code actions', () => {
  let uri: string;
  let text: string;
  before(async () => {
    uri = fresh();
    text = configText({ tables: 6, gpus: 2, placement: 'round-robin' });
    await server.open(uri, text);
    await until('diagnostics', () => server.lastPublished(uri));
  });

  it('code lenses: one per table, per GPU, Replan and balance at the top', async () => {
    const lenses = await server.conn.sendRequest<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
    const titles = lenses.map((l) => l.command?.title ?? '');
    const tableLenses = titles.filter((t) => /^\u2248 .+ ms \(fwd .+ \+ bwd .+\) \u00b7 .+ \u00b7 GPU \d \u00b7 fbgemm_tbe \(analytic\)$/.test(t));
    assert.equal(tableLenses.length, 6, titles.join('\n'));
    const first = lenses.find((l) => /^\u2248/.test(l.command!.title))!;
    assert.equal(first.range.start.line, lineOf(text, `name: ${tableName(0)}`));
    assert.equal(titles.filter((t) => /^GPU \d: .+ ms .+memory \d+(\.\d)?% of .+ \u00b7 fbgemm_tbe \(analytic\)/.test(t)).length, 2, titles.join('\n'));
    const replan = lenses.find((l) => l.command?.command === 'shardlens.replan');
    assert.ok(replan, titles.join('\n'));
    assert.match(replan.command!.title, /Replan/);
    assert.deepEqual(replan.command!.arguments![0].uri, uri);
    assert.equal(replan.command!.arguments![0].version, 1);
    assert.ok(lenses.some((l) => l.command?.command === 'shardlens.showBalance' && l.command.title === 'Show GPU balance'));
  });

  it('the Replan lens shows before → after once the background plan lands', async () => {
    const deadline = Date.now() + 20_000;
    let replanTitle = '';
    while (Date.now() < deadline) {
      const lenses = await server.conn.sendRequest<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
      replanTitle = lenses.find((l) => l.command?.command === 'shardlens.replan')?.command?.title ?? '';
      if (/\u2192 \d/.test(replanTitle)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(replanTitle, /^Replan \u2014 step [\d.]+ ms \u2192 [\d.]+ ms( \([^)]+\))? \[best\]/);
    assert.ok(server.lensRefreshes > 0, 'asked the client to refresh lenses');
  });

  it('hover on a table name shows its predicted cost breakdown', async () => {
    const line = lineOf(text, `name: ${tableName(1)}`);
    const character = text.split('\n')[line].indexOf(tableName(1)) + 1;
    const hover = await server.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line, character } });
    assert.ok(hover);
    const value = (hover.contents as { value: string }).value;
    assert.match(value, /forward \| [\d.]+ ms/);
    assert.match(value, /backward/);
    assert.match(value, /Memory: /);
    // What it does per step, the figures of `shardlens explain`.
    assert.match(
      value,
      /Per step, alone \(as the fbgemm-tbe analytic model counts\): [\d,]+ lookups, [\d,]+ distinct rows, L2 hit rate [\d.]+%; forward reads [\d.,]+ [KMG]?i?B and writes [\d.,]+ [KMG]?i?B of HBM/,
    );
    assert.match(value, /`shardlens explain FILE t001`/);
    assert.match(value, /Kernel `fbgemm_tbe`, ids hashed, optimizer sgd\./);
    assert.match(value, /_Priced by fbgemm-tbe analytic: H100-80GB \(analytic\) for kernel fbgemm_tbe\._/);
    // The model's error: a ± on the compute total and what it means (FBGEMM's provisional ±).
    assert.match(value, /compute total\*\* \| \*\*[\d.]+ ms\*\* \u00b1[\d.]+ ms \|/);
    assert.match(value, /about 68% of measured sets fall within 38% of its prediction/);
  });

  it('hover on a device type shows the preset numbers', async () => {
    const line = lineOf(text, 'type: H100-80GB');
    const hover = await server.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line, character: 10 } });
    assert.ok(hover);
    assert.match((hover.contents as { value: string }).value, /HBM bandwidth \| 3350 GB\/s/);
  });

  it('hover on a GPU in placement shows its load', async () => {
    const line = lineOf(text, `  ${tableName(1)}: 1`);
    const hover = await server.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line, character: text.split('\n')[line].length - 1 } });
    assert.ok(hover);
    assert.match((hover.contents as { value: string }).value, /^\*\*GPU 1\*\* \u2014 3 tables/);
  });

  it('hover on a key shows its documentation', async () => {
    const line = lineOf(text, 'pooling:');
    const hover = await server.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line, character: 6 } });
    assert.ok(hover);
    assert.match((hover.contents as { value: string }).value, /pooling/i);
  });

  it('completion: presets after type:, keys in a table item, table names in placement', async () => {
    const uri2 = fresh();
    const t2 = configText({ tables: 3, gpus: 2 }).replace('type: H100-80GB', 'type: ') + 'placement:\n  \n';
    await server.open(uri2, t2);
    await until('diagnostics', () => server.lastPublished(uri2));
    const typeLine = lineOf(t2, '  type: ');
    const presets = await server.conn.sendRequest<CompletionItem[]>('textDocument/completion', { textDocument: { uri: uri2 }, position: { line: typeLine, character: 8 } });
    assert.ok(presets.some((c) => c.label === 'H100-80GB'));
    assert.ok(presets.some((c) => c.label === 'A100-40GB'));
    const placementLine = t2.split('\n').length - 2;
    const names = await server.conn.sendRequest<CompletionItem[]>('textDocument/completion', { textDocument: { uri: uri2 }, position: { line: placementLine, character: 2 } });
    assert.deepEqual(names.map((c) => c.label).sort(), [tableName(0), tableName(1), tableName(2)]);
    const rowsLine = lineOf(t2, 'rows:');
    const keys = await server.conn.sendRequest<CompletionItem[]>('textDocument/completion', { textDocument: { uri: uri2 }, position: { line: rowsLine, character: 4 } });
    const labels = keys.map((c) => c.label);
    assert.ok(labels.includes('sharding') && labels.includes('pin'), labels.join(','));
  });

  it('code actions: the engine fixes become quick fixes on their diagnostics', async () => {
    const uri3 = fresh();
    const t3 = configText().replace('pooling: 1\n', 'poolling: 1\n');
    await server.open(uri3, t3);
    const pub = await until('diagnostics', () => server.lastPublished(uri3));
    const engine = loadConfig(path.join(dir, path.basename(uri3)), t3, noFiles).diagnostics.find((d) => d.fixes?.length);
    assert.ok(engine, 'the engine offers at least one fix for this text');
    const diag = pub.diagnostics.find((d) => d.code === engine.code && d.range.start.line === engine.range.start.line)!;
    const actions = await server.conn.sendRequest<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri: uri3 },
      range: diag.range,
      context: { diagnostics: [diag] },
    });
    const action = actions.find((a) => a.title === engine.fixes![0].title);
    assert.ok(action, JSON.stringify(actions));
    assert.equal(action.kind, 'quickfix');
    assert.deepEqual(action.diagnostics![0].code, engine.code);
    assert.deepEqual(action.edit!.changes![uri3], engine.fixes![0].edits);
  });
});

describe('replan and balance', () => {
  it('replan returns a versioned edit that replaces only the placement section', async () => {
    const uri = fresh();
    const text = configText({ tables: 8, gpus: 4, placement: 'all-on-0' });
    await server.open(uri, text, 3);
    const result = (await server.conn.sendRequest(ReplanRequest, { uri, version: 3, strategy: 'greedy' })) as ReplanResult;
    assert.ok(!result.stale);
    const applied = result as ReplanApplied;
    assert.equal(applied.strategy, 'greedy');
    assert.equal(applied.version, 3);
    assert.ok(applied.beforeMaxMs! > applied.afterMaxMs, `${applied.beforeMaxMs} > ${applied.afterMaxMs}`);
    // Both steps carry the model's ± (the notification shows it as the lens does).
    assert.ok(applied.beforeUncertaintyMs! > 0 && applied.afterUncertaintyMs! > 0, JSON.stringify([applied.beforeUncertaintyMs, applied.afterUncertaintyMs]));
    const change = applied.edit.documentChanges![0] as { textDocument: { uri: string; version: number }; edits: TextEdit[] };
    assert.deepEqual(change.textDocument, { uri, version: 3 });
    const next = applyEdits(text, change.edits);
    const head = text.slice(0, text.indexOf('placement:'));
    assert.ok(next.startsWith(head), 'text before placement: untouched');
    assert.ok(next.includes('# trailing comment that must survive'));
    const reloaded = loadConfig(path.join(dir, 'x.shard.yaml'), next, noFiles);
    assert.equal(reloaded.diagnostics.filter((d) => d.severity === 'error').length, 0, JSON.stringify(reloaded.diagnostics));
    assert.equal(reloaded.config!.placement!.size, 8);
  });

  it('replan for an old version answers stale and computes nothing', async () => {
    const uri = fresh();
    await server.open(uri, configText(), 5);
    const result = await server.conn.sendRequest(ReplanRequest, { uri, version: 4 });
    assert.deepEqual(result, { stale: true, currentVersion: 5 });
  });

  it('replan honours $/cancelRequest', async () => {
    const uri = fresh();
    await server.open(uri, configText({ tables: 40, gpus: 8 }), 1);
    const source = new CancellationTokenSource();
    const pending = server.conn.sendRequest(ReplanRequest, { uri, version: 1, strategy: 'search' }, source.token);
    source.cancel();
    await assert.rejects(pending, (err: { code?: number }) => err.code === -32800);
  });

  it('balance: per-GPU rows for the current and the proposed placement', async () => {
    const uri = fresh();
    await server.open(uri, configText({ tables: 8, gpus: 4, placement: 'all-on-0' }));
    const b = (await server.conn.sendRequest(BalanceRequest, { uri })) as BalanceResult;
    assert.equal(b.uri, uri);
    assert.equal(b.version, 1);
    assert.equal(b.errors, 0);
    assert.match(b.costModel!, /./);
    assert.equal(b.devices, '4 \u00d7 H100-80GB');
    for (const side of [b.current!, b.proposed!]) {
      assert.equal(side.gpus.length, 4);
      for (const g of side.gpus) {
        for (const k of ['fwdMs', 'bwdMs', 'commMs', 'totalMs', 'memoryBytes', 'capacityBytes'] as const) assert.equal(typeof g[k], 'number');
        // The learned model's ± on each GPU with tables (its held-out error at that size).
        if (g.tables.length > 0) assert.ok(g.uncertaintyMs! > 0 && g.uncertaintyMs! < g.fwdMs + g.bwdMs, `GPU ${g.gpu} ± ${g.uncertaintyMs}`);
      }
      assert.ok(side.imbalance >= 1);
      assert.ok(side.maxUncertaintyMs! > 0);
    }
    assert.equal(b.current!.gpus.find((g) => g.gpu === 0)!.tables.length, 8);
    assert.ok(b.proposed!.maxMs < b.current!.maxMs);
    assert.ok(b.locations[tableName(0)].item && b.locations[tableName(0)].placement);
    assert.ok(server.notifications.some((n) => n.method === 'shardlens/balanceChanged'));
    assert.ok(server.notifications.some((n) => n.method === 'shardlens/status'));
  });
});

describe("TorchRec's sharding kinds in the editor", () => {
  const KINDS = `version: 1
batch_size: 65536
devices:
  type: H100-80GB
  count: 16
  per_host: 8
tables:
  - {name: small, rows: 1000, dim: 64, pooling: 1}
  - {name: rows, rows: 10000000, dim: 128, pooling: 2}
  - {name: trow, rows: 1000000, dim: 128, pooling: 2}
  - {name: grid, rows: 10000000, dim: 256, pooling: 2}
  - {name: only, rows: 1000, dim: 64, pooling: 1, sharding: [table, data_parallel]}
placement:
  small: dp
  rows: {row: all}
  trow: {table_row: {host: 1}}
  grid: {grid: {hosts: [0, 1]}}
  only: 5
`;
  let uri: string;
  before(async () => {
    uri = fresh();
    await server.open(uri, KINDS);
    const pub = await until('diagnostics', () => server.lastPublished(uri));
    assert.deepEqual(
      pub.diagnostics.filter((d) => d.severity === 1),
      [],
    );
  });
  const hoverAt = async (needle: string, inLine: string) => {
    const line = lineOf(KINDS, inLine);
    const character = KINDS.split('\n')[line].indexOf(needle) + 1;
    const hover = await server.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line, character } });
    return hover ? (hover.contents as { value: string }).value : '';
  };

  it('hover on an entry explains its kind (TorchRec name and call) and its shards', async () => {
    const row = await hoverAt('all', '  rows: {row: all}');
    assert.match(row, /^\*\*rows\*\*: `\{row: all\}` \u2014 row-wise \(TorchRec `row_wise`, `row_wise\(\)`\)/);
    assert.match(row, /16 shards of 10,000,000 rows \u00d7 dim 128/);
    assert.match(row, /\| 0 \| 0 \| 0\u2013624,999 \(625,000\) \| all 128 \| 65,536 \|/);
    assert.match(row, /\| 15 \| 1 \| 9,375,000\u20139,999,999 \(625,000\) \|/);
    const dp = await hoverAt('dp', '  small: dp');
    assert.match(dp, /data-parallel \(TorchRec `data_parallel`, `data_parallel\(\)`\)/);
    assert.match(dp, /\| 0 \| 0 \| all 1,000 \| all 64 \| 4,096 \|/, 'a replica serves its local batch: 65,536 / 16');
    const host = await hoverAt('1', '  trow: {table_row: {host: 1}}');
    assert.match(host, /table-row-wise \(TorchRec `table_row_wise`, `table_row_wise\(host_index=1\)`\)/, 'a host number explains the entry, not GPU 1');
    assert.match(host, /\| 8 \| 1 \| 0\u2013124,999 \(125,000\) \|/);
    const grid = await hoverAt('hosts', '  grid: {grid: {hosts: [0, 1]}}');
    assert.match(grid, /\| 8 \| 1 \| 0\u20131,249,999 \(1,250,000\) \| 128\u2013255 \(128\) \|/, 'host 1 holds column block 1');
  });

  it('the table lens names the kind', async () => {
    const lenses = await server.conn.sendRequest<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
    const titles = lenses.map((l) => l.command?.title ?? '');
    assert.ok(
      titles.some((t) => /GPUs 0\u201315 \(data-parallel\)( · .*)?$/.test(t)),
      titles.join('\n'),
    );
    assert.ok(
      titles.some((t) => /GPUs 8\u201315 \(table-row-wise\)( · .*)?$/.test(t)),
      titles.join('\n'),
    );
  });

  it('completion offers every form, limited to the kinds a table allows', async () => {
    const uri2 = fresh();
    const text = KINDS.replace('  only: 5\n', '  only: \n').replace('  small: dp\n', '  small: \n');
    await server.open(uri2, text);
    await until('diagnostics', () => server.lastPublished(uri2));
    const at = async (name: string) => {
      const line = lineOf(text, `  ${name}: `);
      const items = await server.conn.sendRequest<CompletionItem[]>('textDocument/completion', { textDocument: { uri: uri2 }, position: { line, character: name.length + 4 } });
      return items.map((c) => c.label);
    };
    const all = await at('small');
    for (const l of ['dp', '{row: all}', '{column: [...]}', '{table_row: {host: ...}}', '{table_column: [...]}', '{grid: {hosts: [...]}}', '0', '15'])
      assert.ok(all.includes(l), `${l} in ${all.join(' ')}`);
    const only = await at('only');
    assert.ok(only.includes('dp') && only.includes('3'));
    assert.ok(!only.includes('{row: all}') && !only.includes('{grid: {hosts: [...]}}'), only.join(' '));
    const rowLine = lineOf(text, '  rows: {row: all}');
    const inRow = await server.conn.sendRequest<CompletionItem[]>('textDocument/completion', {
      textDocument: { uri: uri2 },
      position: { line: rowLine, character: KINDS.split('\n')[lineOf(KINDS, '  rows: {row: all}')].indexOf('all') },
    });
    assert.equal(inRow[0].label, 'all');
  });

  it('the balance panel shows a data-parallel table on every GPU and a table_row one on its host', async () => {
    const b = (await server.conn.sendRequest(BalanceRequest, { uri })) as BalanceResult;
    assert.equal(b.current!.gpus.length, 16);
    for (const g of b.current!.gpus) {
      assert.ok(g.tables.includes('small'), `GPU ${g.gpu} holds a replica of small`);
      assert.equal(g.tables.includes('trow'), g.gpu >= 8, `GPU ${g.gpu}: trow only on host 1`);
    }
  });
});
