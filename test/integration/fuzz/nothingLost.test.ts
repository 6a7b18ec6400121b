/**
 * Nothing lost: Replan's edit and every quick fix change only what
 * they own; every other line (comments included) survives byte for byte; a
 * plan computed for an older version is never applied; the CLI writes a file
 * only with `--write`, and then atomically.
 */
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextEdit } from '../../../server/src/config/diagnostics';
import { placementEdit } from '../../../server/src/config/placementText';
import type { Placement, PlacementEntry, Range } from '../../../server/src/config/types';
import { configText } from '../../fixtures/configText';
import { applyEdits } from '../../fixtures/textEdits';
import { CLI, ensureBuilt, startTestServer, until, type TestServer } from '../lsp/lspClient';
import { checkLoad, MAIN } from '../../fuzz/checkLoad';
import { configArb, renderBlock, renderFlow } from '../../fuzz/configGen';
import { mutateAll, mutationArb } from '../../fuzz/mutate';
import { property, runs } from '../../fuzz/runs';

function offsetOf(text: string, p: Range['start']): number {
  return TextDocument.create('file:///x', 'shardlens', 1, text).offsetAt(p);
}

/**
 * Lines of `text` (with their breaks) that no edit touches: none of their bytes
 * replaced, and no insertion inside them (an insertion at character 0 only
 * prefixes the line, which then still appears whole).
 */
function untouchedLines(text: string, edits: TextEdit[]): Array<{ line: number; content: string }> {
  const doc = TextDocument.create('file:///x', 'shardlens', 1, text);
  const spans = edits
    .filter((e) => doc.offsetAt(e.range.start) !== doc.offsetAt(e.range.end) || e.range.start.character > 0)
    .map((e) => [e.range.start.line, e.range.end.line] as const);
  const out: Array<{ line: number; content: string }> = [];
  for (let line = 0; line < doc.lineCount; line++) {
    if (spans.some(([a, b]) => line >= a && line <= b)) continue;
    const start = doc.offsetAt({ line, character: 0 });
    const end = line + 1 < doc.lineCount ? doc.offsetAt({ line: line + 1, character: 0 }) : text.length;
    out.push({ line, content: text.slice(start, end) });
  }
  return out;
}

/**
 * Every untouched line appears in the result, in order, byte for byte (an
 * insertion may put new lines between them, or text at the start of one).
 */
function survivors(text: string, edits: TextEdit[], result: string): string[] {
  const lost: string[] = [];
  let from = 0;
  for (const { line, content } of untouchedLines(text, edits)) {
    // An insertion at the very start of a line prefixes it: compare the line's tail.
    const at = result.indexOf(content, from);
    if (at < 0) {
      lost.push(`line ${line}: ${JSON.stringify(content)}`);
      continue;
    }
    from = at + content.length;
  }
  return lost;
}

const placementArb = (names: string[], gpus: number): fc.Arbitrary<Placement> =>
  fc
    .array(
      fc.oneof(
        fc.integer({ min: 0, max: gpus - 1 }).map((gpu): PlacementEntry => ({ kind: 'table', gpu })),
        fc.uniqueArray(fc.integer({ min: 0, max: gpus - 1 }), { minLength: 1, maxLength: gpus }).map((g): PlacementEntry => ({ kind: 'column', gpus: g })),
        fc.uniqueArray(fc.integer({ min: 0, max: gpus - 1 }), { minLength: 1, maxLength: gpus }).map((g): PlacementEntry => ({ kind: 'row', gpus: g })),
      ),
      { minLength: names.length, maxLength: names.length },
    )
    .map((entries) => new Map(names.map((n, i) => [n, entries[i]])));

const commentedConfigArb = fc.tuple(configArb, fc.integer({ min: 0, max: 3 })).map(([c, style]) => {
  const config = { ...c, comments: true };
  return { config, text: style === 0 ? renderFlow(config) : renderBlock(config) };
});

describe('nothing lost: Replan edit (placementEdit)', () => {
  it('rewrites only the placement section; every other line and comment survives; the result reads back', async () => {
    await property(
      'replan edit keeps other lines',
      fc.asyncProperty(
        commentedConfigArb.chain(({ config, text }) =>
          fc.tuple(
            fc.constant(text),
            placementArb(
              config.tables.map((t) => t.name),
              config.count,
            ),
          ),
        ),
        async ([text, placement]) => {
          const { loaded, problems } = checkLoad(text);
          assert.deepEqual(problems, []);
          const { file, edit } = placementEdit(loaded!, placement);
          assert.equal(file, MAIN);
          const result = applyEdits(text, [edit]);
          assert.deepEqual(survivors(text, [edit], result), [], `edit ${JSON.stringify(edit)}`);
          // Comments outside the placement section (which Replan owns) are all still there.
          const section = loaded!.source.placementSection;
          const start = section ? offsetOf(text, section.start) : text.length;
          const end = section ? offsetOf(text, section.end) : text.length;
          const outside = text.slice(0, start) + text.slice(end);
          for (const c of outside.match(/# c\d+ [a-z ]+/g) ?? []) assert.ok(result.includes(c), `comment lost: ${c}`);
          // What was written reads back as the plan.
          const back = checkLoad(result);
          assert.deepEqual(back.problems, []);
          const read = back.loaded!.config?.placement;
          assert.ok(read, `no placement read back from ${JSON.stringify(result.slice(-400))}`);
          assert.deepEqual([...read].sort(), [...placement].sort());
          // Applying the same plan again is a no-op (idempotent: no drift line by line).
          const again = placementEdit(back.loaded!, placement);
          assert.equal(applyEdits(result, [again.edit]), result);
        },
      ),
      runs(200),
    );
  });
});

describe('nothing lost: quick fixes', () => {
  it('every quick fix replaces only lines of its diagnostic (or the placement section), never a comment, never breaks the YAML', async () => {
    let applied = 0;
    await property(
      'quick fixes keep other lines',
      fc.asyncProperty(
        commentedConfigArb,
        fc.array(
          mutationArb.filter((m) => m.op !== 'garbage' && m.op !== 'truncate'),
          { minLength: 1, maxLength: 3 },
        ),
        async ({ text }, ms) => {
          const mutated = mutateAll(text, ms);
          const { loaded, problems } = checkLoad(mutated);
          assert.deepEqual(problems, []);
          const hadSyntaxError = loaded!.diagnostics.some((d) => d.code === 'SL001');
          const section = loaded!.source.placementSection;
          for (const d of loaded!.diagnostics) {
            for (const fix of d.fixes ?? []) {
              if (fix.file !== MAIN) continue;
              const result = applyEdits(mutated, fix.edits);
              applied++;
              assert.deepEqual(survivors(mutated, fix.edits, result), [], `${d.code} fix "${fix.title}"`);
              for (const e of fix.edits) {
                const replaced = mutated.slice(offsetOf(mutated, e.range.start), offsetOf(mutated, e.range.end));
                assert.ok(!/# c\d+/.test(replaced), `${d.code} fix "${fix.title}" replaces a comment: ${JSON.stringify(replaced)}`);
                const inDiagnostic = e.range.start.line >= d.range.start.line && e.range.end.line <= d.range.end.line;
                const inPlacement = section && e.range.start.line >= section.start.line && e.range.end.line <= section.end.line + 1;
                const insertion = replaced.length === 0;
                assert.ok(inDiagnostic || inPlacement || insertion, `${d.code} fix "${fix.title}" edits ${JSON.stringify(e.range)} outside ${JSON.stringify(d.range)}`);
              }
              if (!hadSyntaxError) {
                const after = checkLoad(result);
                assert.deepEqual(after.problems, []);
                const syntax = after.loaded!.diagnostics.filter((x) => x.code === 'SL001');
                assert.deepEqual(
                  syntax.map((x) => x.message),
                  [],
                  `${d.code} fix "${fix.title}" broke the YAML:\n${result}`,
                );
              }
            }
          }
        },
      ),
      runs(250),
    );
    // The mutants must exercise fixes at all, or the property above says nothing.
    assert.ok(applied >= runs(250) / 10, `only ${applied} quick fixes applied`);
  });
});

describe('nothing lost: regressions found by the fuzzer', () => {
  it('"Add version: 1" in a JSON-style document goes inside the braces (it used to break the YAML)', () => {
    const text = '{\n "batch_size": 512,  # c1 keep me\n "devices": {"type": "H100-80GB", "count": 1},\n "tables": [{"name": "a", "rows": 1, "dim": 4, "pooling": 1}]\n}\n';
    const { loaded } = checkLoad(text);
    const fix = loaded!.diagnostics.find((d) => d.code === 'SL009' && /version/.test(d.message))?.fixes?.[0];
    assert.ok(fix);
    const result = applyEdits(text, fix.edits);
    const after = checkLoad(result).loaded!;
    assert.deepEqual(
      after.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code),
      [],
    );
    assert.equal(after.config?.version, 1);
    assert.ok(result.includes('# c1 keep me'));
  });

  it('adding a table to a flow placement with a trailing comma does not write a second comma', () => {
    const text =
      '{"version": 1, "batch_size": 512, "devices": {"type": "H100-80GB", "count": 2},\n "tables": [{"name": "a", "rows": 1, "dim": 4, "pooling": 1}, {"name": "b", "rows": 1, "dim": 4, "pooling": 1}],\n "placement": {\n  "a": 0,\n }\n}\n';
    const { loaded } = checkLoad(text);
    const fix = loaded!.diagnostics.find((d) => d.code === 'SL043')?.fixes?.[0];
    assert.ok(fix, JSON.stringify(loaded!.diagnostics));
    const after = checkLoad(applyEdits(text, fix.edits)).loaded!;
    assert.deepEqual(
      after.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`),
      [],
    );
    assert.equal(after.config?.placement?.size, 2);
  });
});

describe('nothing lost: stale plans are never applied (protocol)', () => {
  let server: TestServer;
  const uri = 'file:///ws/stale.shard.yaml';
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.stop();
  });

  it('replan for an older version answers stale, with the current version', async () => {
    const v1 = configText({ tables: 8, gpus: 2, placement: 'all-on-0' });
    await server.open(uri, v1, 1);
    await until('diagnostics v1', () => server.lastPublished(uri)?.version === 1);
    await server.change(uri, 2, v1.replace('batch_size: 65536', 'batch_size: 32768'));
    const r = (await server.conn.sendRequest('shardlens/replan', { uri, version: 1 })) as { stale?: boolean; currentVersion?: number };
    assert.equal(r.stale, true);
    assert.equal(r.currentVersion, 2);
  });

  it('an edit that lands while planning makes the answer stale, never an edit for the old text', async () => {
    const text = configText({ tables: 40, gpus: 4, placement: 'all-on-0' });
    await server.change(uri, 3, text);
    await until('diagnostics v3', () => server.lastPublished(uri)?.version === 3);
    const pending = server.conn.sendRequest('shardlens/replan', { uri, version: 3, strategy: 'best' }) as Promise<{ stale?: boolean; version?: number; edit?: unknown }>;
    await server.change(uri, 4, text.replace('# trailing comment', '# edited while planning'));
    const r = await pending.catch((e: { code?: number }) => ({ error: e.code }));
    // Either stale, or (if planning finished before the edit arrived) an edit pinned to version 3,
    // which the client's versioned documentChanges refuses on version 4.
    if ('stale' in r && r.stale) return;
    const edit = (r as { edit?: { documentChanges?: Array<{ textDocument: { version: number } }> } }).edit;
    assert.ok(edit?.documentChanges, `unexpected answer ${JSON.stringify(r)}`);
    assert.equal(edit.documentChanges[0].textDocument.version, 3, 'a versioned edit for the version planned');
  });
});

describe('nothing lost: the CLI writes only with --write, atomically', () => {
  let dir: string;
  before(() => {
    ensureBuilt();
    dir = mkdtempSync(path.join(tmpdir(), 'shardlens-write-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: dir });

  it('check and plan without --write leave the file alone', () => {
    const file = path.join(dir, 'model.shard.yaml');
    const text = configText({ tables: 6, gpus: 2, placement: 'all-on-0' });
    writeFileSync(file, text);
    const before = statSync(file).mtimeMs;
    for (const args of [
      ['check', file],
      ['plan', file],
      ['plan', file, '--strategy', 'greedy', '--format', 'json'],
      ['plan', file, '--compare'],
    ]) {
      const r = run(...args);
      assert.ok(r.status === 0 || r.status === 1, `${args.join(' ')}: exit ${r.status} ${r.stderr}`);
    }
    assert.equal(readFileSync(file, 'utf8'), text);
    assert.equal(statSync(file).mtimeMs, before);
    assert.deepEqual(readdirSync(dir), ['model.shard.yaml']);
  });

  it('plan --write replaces only the placement section, via a temp file renamed over the original', () => {
    const file = path.join(dir, 'model.shard.yaml');
    const text = configText({ tables: 6, gpus: 2, placement: 'all-on-0' }).replace('tables:', 'tables:  # keep this comment');
    writeFileSync(file, text);
    const inodeBefore = statSync(file).ino;
    const r = run('plan', file, '--strategy', 'greedy', '--write');
    assert.equal(r.status, 0, r.stderr);
    const written = readFileSync(file, 'utf8');
    assert.notEqual(written, text);
    const head = text.slice(0, text.indexOf('placement:'));
    assert.ok(written.startsWith(head), 'everything before placement: survives byte for byte');
    assert.ok(written.includes('# trailing comment that must survive'));
    // Rename over the original gives a new inode; an in-place write would keep it.
    assert.notEqual(statSync(file).ino, inodeBefore, 'written through a temp file and rename');
    assert.deepEqual(readdirSync(dir), ['model.shard.yaml'], 'no temp file left behind');
    const back = checkLoad(written, file);
    assert.deepEqual(back.problems, []);
    assert.equal(back.loaded!.config!.placement!.size, 6);
  });
});
