/**
 * Multi-file configs through an in-memory FileReader: a devices file next to
 * the model, diagnostics that belong to it, missing files, cycles, files the
 * reader may not open, and devices-only documents.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../server/src/config/load';
import type { FileReader } from '../../../server/src/config/loaded';

function memory(files: Record<string, string>, allowed?: (p: string) => boolean): FileReader {
  return { readFile: (p) => files[p], mayRead: allowed };
}

const MODEL = `version: 1
batch_size: 4096
devices: ./cluster.shard.yaml
tables:
  - {name: a, rows: 1000, dim: 16, pooling: 1}
`;
const CLUSTER = `version: 1
devices:
  type: A100-40GB
  count: 8
`;

test('devices from a second file, relative to the main file', () => {
  const r = loadConfig('/w/m/model.shard.yaml', MODEL, memory({ '/w/m/cluster.shard.yaml': CLUSTER }));
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.config!.devices.type, 'A100-40GB');
  assert.equal(r.config!.devices.count, 8);
  assert.deepEqual(r.files, ['/w/m/model.shard.yaml', '/w/m/cluster.shard.yaml']);
});

test('a bare devices mapping works too, and URIs resolve like paths', () => {
  const r = loadConfig('file:///w/m/model.shard.yaml', MODEL, memory({ 'file:///w/m/cluster.shard.yaml': 'type: V100-32GB\ncount: 2\n' }));
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.config!.devices.type, 'V100-32GB');
});

test('problems inside the devices file carry that file and its ranges', () => {
  const bad = CLUSTER.replace('count: 8', 'count: 8\n  colour: red');
  const r = loadConfig('/w/m/model.shard.yaml', MODEL, memory({ '/w/m/cluster.shard.yaml': bad }));
  const d = r.diagnostics.find((x) => x.code === 'SL003')!;
  assert.equal(d.file, '/w/m/cluster.shard.yaml');
  assert.deepEqual(d.range, { start: { line: 4, character: 2 }, end: { line: 4, character: 8 } });
  assert.ok(r.config, 'still usable');
});

test('a syntax error in the devices file is reported there and on the path', () => {
  const r = loadConfig('/w/m/model.shard.yaml', MODEL, memory({ '/w/m/cluster.shard.yaml': 'type: [H100\ncount: 2\n' }));
  assert.ok(r.diagnostics.some((d) => d.code === 'SL001' && d.file === '/w/m/cluster.shard.yaml'));
  const onPath = r.diagnostics.find((d) => d.code === 'SL026')!;
  assert.equal(onPath.file, '/w/m/model.shard.yaml');
  assert.deepEqual(onPath.range, { start: { line: 2, character: 9 }, end: { line: 2, character: 29 } });
  assert.equal(r.config, undefined);
});

test('SL023 missing devices file, on the path value', () => {
  const r = loadConfig('/w/m/model.shard.yaml', MODEL, memory({}));
  assert.deepEqual(
    r.diagnostics.map((d) => [d.code, d.file, d.range.start.line, d.range.start.character, d.range.end.character]),
    [['SL023', '/w/m/model.shard.yaml', 2, 9, 29]],
  );
  assert.equal(r.config, undefined);
});

test('SL024 a file that references itself, and a two-file cycle', () => {
  const self = MODEL.replace('./cluster.shard.yaml', './model.shard.yaml');
  const r = loadConfig('/w/m/model.shard.yaml', self, memory({ '/w/m/model.shard.yaml': self }));
  assert.deepEqual(
    r.diagnostics.map((d) => d.code),
    ['SL024'],
  );
  const a = 'devices: ./b.shard.yaml\n';
  const b = 'devices: ./a.shard.yaml\n';
  const r2 = loadConfig('/w/m/model.shard.yaml', MODEL.replace('./cluster.shard.yaml', './a.shard.yaml'), memory({ '/w/m/a.shard.yaml': a, '/w/m/b.shard.yaml': b }));
  assert.ok(r2.diagnostics.some((d) => d.code === 'SL024' && d.file === '/w/m/b.shard.yaml'));
});

test('SL025 a file the reader may not open (outside the workspace / untrusted)', () => {
  const outside = MODEL.replace('./cluster.shard.yaml', '../../etc/cluster.shard.yaml');
  let read = false;
  const reader: FileReader = {
    readFile: () => {
      read = true;
      return CLUSTER;
    },
    mayRead: (p) => p.startsWith('/w/'),
  };
  const r = loadConfig('/w/m/model.shard.yaml', outside, reader);
  assert.deepEqual(
    r.diagnostics.map((d) => d.code),
    ['SL025'],
  );
  assert.equal(read, false, 'never read');
});

test('a reader that throws is treated as unreadable', () => {
  const r = loadConfig('/w/m/model.shard.yaml', MODEL, {
    readFile: () => {
      throw new Error('EACCES');
    },
  });
  assert.deepEqual(
    r.diagnostics.map((d) => d.code),
    ['SL023'],
  );
});

test('a devices file opened on its own is validated, with no config and no missing-tables error', () => {
  const r = loadConfig('/w/m/cluster.shard.yaml', CLUSTER, memory({}));
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.config, undefined);
  const bad = loadConfig('/w/m/cluster.shard.yaml', CLUSTER.replace('A100-40GB', 'A100-40'), memory({}));
  assert.deepEqual(
    bad.diagnostics.map((d) => d.code),
    ['SL020'],
  );
});

test('YAML anchors and merge keys are followed', () => {
  const text = `version: 1
batch_size: 4096
devices: {type: H100-80GB, count: 2}
tables:
  - &base {name: a, rows: 1000, dim: 16, pooling: 1}
  - {<<: *base, name: b}
`;
  const r = loadConfig('/w/x.shard.yaml', text, memory({}));
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(
    r.config!.tables.map((t) => [t.name, t.rows]),
    [
      ['a', 1000],
      ['b', 1000],
    ],
  );
});

test('JSON documents load (JSON is YAML)', () => {
  const text = JSON.stringify(
    { version: 1, batch_size: 8, devices: { type: 'H100-80GB', count: 2 }, tables: [{ name: 'a', rows: 10, dim: 8, pooling: 1 }], placement: { a: 1 } },
    null,
    2,
  );
  const r = loadConfig('/w/x.shard.json', text, memory({}));
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.config!.placement!.get('a'), { kind: 'table', gpu: 1 });
});
