/**
 * A new user's first config, mistakes and all: every problem the known facts
 * allow is reported in one pass (not one round per fix), nothing is reported
 * twice over, and the suggestions point where the user meant: `type: A100`
 * names the A100 presets, a misspelt placement entry names the table that has
 * no entry, an unclosed bracket is reported where it opens.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Diagnostic } from '../../../server/src/config/diagnostics';
import { loadConfig } from '../../../server/src/config/load';
import { hostSizes } from '../../../server/src/config/placementRanks';
import { suggestPresets } from '../../../server/src/config/presetSuggestions';
import { SYNTAX_MESSAGES } from '../../../server/src/config/yamlErrors';
import { hostsText } from '../../../server/src/cli/check';

const load = (text: string) => loadConfig('/w/m.shard.yaml', text, { readFile: () => undefined });
const codes = (ds: readonly Diagnostic[]) => ds.map((d) => d.code).sort();
const where = (d: Diagnostic) => [d.range.start.line, d.range.start.character];
const ofCode = (ds: readonly Diagnostic[], code: string) => ds.filter((d) => d.code === code);

describe('all problems at once', () => {
  it('a table with a bad pooling still has its memory, pin and placement entry checked', () => {
    const text = `version: 1
batch_size: 4096
devices: {type: H100-80GB, count: 2}
tables:
  - {name: huge, rows: 2000000000, dim: 128, pooling: x, sharding: [table], pin: 4}
  - {name: c, dim: 16, pooling: 2}
  - {name: d, rows: 10, dim: 16, pooling: 2}
placement:
  huge: {row: [0, 0]}
  c: 5
  d: 1
`;
    const ds = load(text).diagnostics;
    assert.deepEqual(codes(ds), ['SL005', 'SL009', 'SL035', 'SL036', 'SL037', 'SL041', 'SL044', 'SL048', 'SL050'].sort(), JSON.stringify(ds.map((d) => `${d.code} ${d.message}`)));
    assert.match(ofCode(ds, 'SL036')[0].message, /Table 'huge' needs at least 953\.7 GiB on one GPU .*with sharding \[table\]/);
    assert.deepEqual(where(ofCode(ds, 'SL036')[0]), [4, 11], 'on the table name');
    assert.match(ofCode(ds, 'SL035')[0].message, /'huge' is pinned to GPU 4, but the cluster has 2 GPUs/);
    assert.match(ofCode(ds, 'SL044')[0].message, /'huge' allows sharding \[table\], so it cannot be placed/);
    assert.deepEqual(where(ofCode(ds, 'SL041')[0]), [9, 5], "c's GPU 5, though c has no rows");
    assert.equal(ofCode(ds, 'SL043').length, 0, 'a table left out of the config is not also "missing from placement"');
    assert.deepEqual(
      load(text).config?.tables.map((t) => t.name),
      ['d'],
      'costs still cover the usable tables only',
    );
  });

  it('GPU and host indices are checked against count and per_host while the GPU type is unknown', () => {
    const text = `version: 1
batch_size: 4096
devices: {type: foo, count: 4, per_host: 2}
tables:
  - {name: a, rows: 100, dim: 16, pooling: 1, pin: 9}
  - {name: b, rows: 100, dim: 16, pooling: 1}
placement:
  a: 7
  b: {table_row: {host: 3}}
`;
    const ds = load(text).diagnostics;
    assert.deepEqual(codes(ds), ['SL020', 'SL035', 'SL041', 'SL041']);
    assert.match(ofCode(ds, 'SL041')[0].message, /GPU 7 does not exist: the cluster has 4 GPUs/);
    assert.match(ofCode(ds, 'SL041')[1].message, /Host 3 does not exist: 4 GPUs at 2 per host make 2 hosts/);
    assert.equal(load(text).config, undefined, 'nothing is costed without a GPU type');
  });

  it('no cascade: a dim that is not a multiple of 4 is SL031 on the table, not also SL046 on its split', () => {
    const ds = load(`version: 1
batch_size: 4096
devices: {type: H100-80GB, count: 2}
tables:
  - {name: a, rows: 100, dim: 13, pooling: 1}
placement:
  a: {column: [0, 1]}
`).diagnostics;
    assert.deepEqual(codes(ds), ['SL031']);
  });
});

describe('SL020: the presets a GPU name means', () => {
  it('a model name offers each of its presets; a full name or size picks one', () => {
    assert.deepEqual(suggestPresets('A100'), ['A100-80GB', 'A100-40GB']);
    assert.deepEqual(suggestPresets('NVIDIA A100-SXM4-40GB'), ['A100-40GB']);
    assert.deepEqual(suggestPresets('a100 80gb'), ['A100-80GB']);
    assert.deepEqual(suggestPresets('NVIDIA H100 80GB HBM3'), ['H100-80GB']);
    assert.deepEqual(suggestPresets('h200'), ['H200-141GB']);
    assert.deepEqual(suggestPresets('H100-80G'), ['H100-80GB'], 'a typo: the closest name');
    assert.deepEqual(suggestPresets('A10'), [], 'another GPU is not an A100');
    assert.deepEqual(suggestPresets('MI300X'), []);
  });

  it('type: A100 names both A100 presets, one fix each, and costs with the first meanwhile', () => {
    const text = 'version: 1\nbatch_size: 4096\ndevices:\n  type: A100\n  count: 2\ntables:\n  - {name: a, rows: 100, dim: 16, pooling: 1}\n';
    const r = load(text);
    const [d] = ofCode(r.diagnostics, 'SL020');
    assert.match(d.message, /^Unknown device type 'A100'\. Did you mean 'A100-80GB' or 'A100-40GB'\? .* Until then A100-80GB's numbers are assumed\.$/);
    assert.deepEqual(
      d.fixes?.map((f) => [f.title, f.edits[0].newText, f.preferred]),
      [
        ["Change to 'A100-80GB'", 'A100-80GB', false],
        ["Change to 'A100-40GB'", 'A100-40GB', false],
      ],
    );
    assert.equal(r.config?.devices.type, 'A100-80GB');
    const one = ofCode(load(text.replace('A100', 'NVIDIA H100 80GB HBM3')).diagnostics, 'SL020')[0];
    assert.match(one.message, /Did you mean 'H100-80GB'\?/);
    assert.equal(one.fixes?.length, 1);
    assert.equal(one.fixes?.[0].preferred, true);
  });
});

describe('SL040: the table that is actually missing', () => {
  const base = (placement: string) => `version: 1
batch_size: 4096
devices: {type: H100-80GB, count: 2}
tables:
  - {name: user_id, rows: 100, dim: 16, pooling: 1}
  - {name: user_ids, rows: 100, dim: 16, pooling: 1}
  - {name: clicks, rows: 100, dim: 16, pooling: 1}
placement:
${placement}`;

  it('one table without an entry and one entry naming no table: that table, however it is spelt', () => {
    const [d] = ofCode(load(base('  user_id: 0\n  user_ids: 1\n  clikcs_v2: 1\n')).diagnostics, 'SL040');
    assert.match(d.message, /placement names 'clikcs_v2', which is not a table\. Did you mean 'clicks' \(not placed yet\)\?/);
    assert.equal(d.fixes?.[0].edits[0].newText, 'clicks');
  });

  it('never a table that already has an entry (the rename would repeat its key)', () => {
    // 'user_idd' is one edit from user_id and from user_ids, both placed; only clicks lacks an entry.
    const ds = load(base('  user_id: 0\n  user_ids: 1\n  user_idd: 1\n  extra: 0\n')).diagnostics;
    const [first, second] = ofCode(ds, 'SL040');
    assert.doesNotMatch(first.message, /Did you mean 'user_ids?'/);
    assert.equal(first.fixes, undefined, 'clicks is too far from user_idd, and two entries name no table');
    assert.match(second.message, /'extra', which is not a table/);
    const all = load(base('  user_id: 0\n  user_ids: 1\n  clicks: 0\n  clicks2: 1\n')).diagnostics;
    assert.match(ofCode(all, 'SL040')[0].message, /Every table already has an entry: remove this one or add the table\./);
  });

  it('several tables without an entry: the closest of those', () => {
    const [d] = ofCode(load(base('  user_idz: 0\n  clicks: 1\n')).diagnostics, 'SL040');
    assert.match(d.message, /Did you mean 'user_id' \(not placed yet\)\?/);
  });
});

describe('SL001: an unclosed bracket is reported where it opens', () => {
  const syntax = (text: string) => ofCode(load(text).diagnostics, 'SL001');

  it('a flow mapping never closed: on its {, not where the parser gave up', () => {
    const ds = syntax('version: 1\nbatch_size: 4096\ndevices: {type: H100-80GB, count: 2\ntables:\n  - {name: a, rows: 100, dim: 16, pooling: 1}\n');
    assert.equal(ds.length, 1, JSON.stringify(ds));
    assert.deepEqual(ds[0].range, { start: { line: 2, character: 9 }, end: { line: 2, character: 10 } });
    assert.equal(ds[0].message, "YAML syntax error: this '{' is never closed: add '}' after the last item of the mapping.");
  });

  it('a list closed by }: on its [', () => {
    const ds = syntax('version: 1\ntables:\n  - {name: a, rows: 100, sharding: [row, pooling: 1}\n  - {name: b, rows: 100, dim: 16, pooling: 1}\n');
    assert.equal(ds.length, 1, JSON.stringify(ds));
    assert.deepEqual(where(ds[0]), [2, 35]);
    assert.equal(ds[0].message, "YAML syntax error: this '[' is closed by '}': end the list with ']'.");
  });

  it('a flow list at the top never closed, and its messages are among the known SL001 words', () => {
    const ds = syntax('version: 1\ntables: [\n  {name: a, rows: 100, dim: 16, pooling: 1},\n\nplacement: {a: 0}\n');
    assert.equal(ds.length, 1);
    assert.deepEqual(where(ds[0]), [1, 8]);
    for (const d of ds) assert.ok(SYNTAX_MESSAGES.has(d.message.replace(/^YAML syntax error: /, '').replace(/\.$/, '')), d.message);
  });

  it('one message for a run of unclosed brackets, however deep', () => {
    assert.equal(syntax(`version: 1\ntables: ${'['.repeat(20_000)}\n`).length, 1);
  });
});

describe('hosts in the summary line', () => {
  it('a partly filled last host is counted as what it holds', () => {
    assert.deepEqual(hostSizes({ count: 12, perHost: 8 }), [8, 4]);
    assert.equal(hostsText(hostSizes({ count: 12, perHost: 8 })), '2 hosts: 8 + 4');
    assert.equal(hostsText(hostSizes({ count: 20, perHost: 8 })), '3 hosts: 2 \u00d7 8 + 4');
    assert.equal(hostsText(hostSizes({ count: 64, perHost: 8 })), '8 hosts \u00d7 8');
    assert.equal(hostsText(hostSizes({ count: 2, perHost: 2 })), '1 host \u00d7 2');
  });
});
