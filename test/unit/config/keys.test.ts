/**
 * The key catalogue is the single source: the committed JSON schema matches
 * it, docs exist for every key, and did-you-mean finds near misses only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { keyDoc, keyInfo, keysOf, SECTIONS, valuesOf } from '../../../server/src/config/keys';
import { PRESET_OVERRIDE_KEYS, GPU_PRESETS } from '../../../server/src/config/presets';
import { schemaText } from '../../../server/src/config/schema';
import { closest, editDistance } from '../../../server/src/config/didYouMean';
import { CODES } from '../../../server/src/config/codes';

const schemaFile = path.resolve(__dirname, '../../../server/schema/shardlens.schema.json');

test('the committed schema is up to date (run `npm run schema`)', () => {
  assert.equal(readFileSync(schemaFile, 'utf8'), schemaText());
});

test('the schema lists exactly the catalogue keys of each section', () => {
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));
  const props = (o: { properties: object }) => Object.keys(o.properties).sort();
  assert.deepEqual(
    props(schema.oneOf[0]),
    keysOf('top')
      .map((k) => k.key)
      .sort(),
  );
  assert.deepEqual(
    props(schema.definitions.devices),
    keysOf('devices')
      .map((k) => k.key)
      .sort(),
  );
  assert.deepEqual(
    props(schema.definitions.table),
    keysOf('table')
      .map((k) => k.key)
      .sort(),
  );
  assert.deepEqual(
    props(schema.definitions.placementEntry.oneOf[2]),
    keysOf('placement')
      .map((k) => k.key)
      .sort(),
  );
});

test("catalogue: the brief's keys, preset overrides, docs with units", () => {
  assert.deepEqual(
    keysOf('top').map((k) => k.key),
    ['version', 'batch_size', 'dtype', 'optimizer', 'kernel', 'cache_load_factor', 'ids', 'dense_bytes', 'devices', 'tables', 'placement'],
  );
  assert.match(keyDoc('top', 'dense_bytes')!, /Bytes every GPU holds for the dense part[\s\S]*default 0/);
  for (const k of Object.values(PRESET_OVERRIDE_KEYS)) assert.ok(keyInfo('devices', k), k);
  for (const k of ['name', 'rows', 'dim', 'pooling', 'zipf', 'histogram', 'dtype', 'kernel', 'cache_load_factor', 'ids', 'sharding', 'pin']) assert.ok(keyInfo('table', k), k);
  for (const s of SECTIONS) for (const k of keysOf(s)) assert.ok((keyDoc(s, k.key) ?? '').length > 30, `${s}.${k.key}`);
  assert.match(keyDoc('devices', 'reserve')!, /default 0.15/);
  assert.match(keyDoc('devices', 'hbm_gbps')!, /GB\/s/);
  assert.equal(keyDoc('table', 'nope'), undefined);
  assert.deepEqual(valuesOf('devices', 'type'), Object.keys(GPU_PRESETS));
  assert.deepEqual(valuesOf('top', 'optimizer'), ['sgd', 'adagrad', 'rowwise_adagrad', 'adam']);
  assert.deepEqual(valuesOf('top', 'dtype'), ['fp32', 'fp16', 'bf16']);
  assert.deepEqual(valuesOf('top', 'kernel'), ['fbgemm_tbe', 'fbgemm_tbe_uvm_caching', 'torch_embedding_bag']);
  assert.deepEqual(valuesOf('table', 'kernel'), valuesOf('top', 'kernel'));
  assert.deepEqual(valuesOf('table', 'ids'), ['hashed', 'sorted']);
  assert.match(keyDoc('top', 'cache_load_factor')!, /> 0 and ≤ 1; default 0\.2/);
  assert.match(keyDoc('top', 'kernel')!, /default fbgemm_tbe/);
});

test('did-you-mean: near misses only', () => {
  assert.equal(editDistance('poolling', 'pooling'), 1);
  assert.equal(editDistance('dmi', 'dim'), 1, 'a swap counts once');
  assert.equal(editDistance('abcdef', 'uvwxyz', 2), 3, 'bounded');
  assert.equal(closest('poolling', ['pooling', 'rows']), 'pooling');
  assert.equal(closest('H100-80G', Object.keys(GPU_PRESETS)), 'H100-80GB');
  assert.equal(closest('colour', ['name', 'rows', 'dim']), undefined);
});

test('codes are unique, in SL001–SL099, and described', () => {
  for (const [code, text] of Object.entries(CODES)) {
    assert.match(code, /^SL0\d\d$/);
    assert.ok(text.length > 5);
  }
});
