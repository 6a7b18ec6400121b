/**
 * The reference tables in docs/ say what the code does: every config key's
 * default (docs/config-format.md against config/keys.ts, also shown on hover)
 * and every field of `predict`'s input with whether it is required
 * (docs/cli.md against cost/jsonlSets.ts, checked by feeding it lines without
 * each field).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { defaultOf, keyDoc, keysOf, type Section } from '../../../server/src/config/keys';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import { parseJsonlSets } from '../../../server/src/cost/jsonlSets';

const doc = (name: string): string => readFileSync(path.resolve(__dirname, '../../../docs', name), 'utf8');
const CONFIG_FORMAT = doc('config-format.md');
const CLI = doc('cli.md');

/** The rows of the first table under `heading` in `text`, as cells. */
function tableUnder(text: string, heading: string): string[][] {
  const at = text.indexOf(`\n${heading}\n`);
  assert.ok(at >= 0, `the doc has the section ${heading}`);
  const lines = text.slice(at).split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const l of lines.slice(start + 2)) {
    if (!l.startsWith('|')) break;
    rows.push(
      l
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );
  }
  return rows;
}

const NAME: Record<Exclude<Section, 'placement'>, (k: string) => string> = { top: (k) => k, devices: (k) => `devices.${k}`, table: (k) => `tables[].${k}` };

test('every config key has a documented default (or is required), in the catalogue, on hover and in docs/config-format.md', () => {
  const documented = new Map(tableUnder(CONFIG_FORMAT, '### Keys and defaults').map(([k, d]) => [k.replace(/`/g, ''), d]));
  const expected = new Map<string, string>();
  for (const section of ['top', 'devices', 'table'] as const) {
    for (const info of keysOf(section)) {
      const def = defaultOf(info);
      assert.ok(info.required || def !== undefined, `${section}.${info.key} says what happens when it is not written`);
      expected.set(NAME[section](info.key), info.required ? 'required' : def!);
      if (!info.required) assert.match(keyDoc(section, info.key)!, new RegExp(`default ${def!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), 'hover shows it');
    }
  }
  assert.deepEqual(documented, expected);
});

test("predict's input table: the required fields are required, the others optional, as documented", () => {
  const rows = tableUnder(CLI, "### `predict`'s input (`--sets FILE.jsonl`)");
  const fields = rows.map(([f, req]) => ({ field: f.replace(/`/g, '').replace(/ \(or zipf\)$/, ''), required: req === 'yes' }));
  const full = {
    id: 'x',
    batch: 4096,
    dtype: 'fp16',
    optimizer: 'adam',
    kernel: 'fbgemm_tbe_uvm_caching',
    fwd_ms: 1,
    bwd_ms: 2,
    tables: [
      {
        name: 'a',
        rows: 1000,
        dim: 16,
        pooling: 2,
        alpha: 0.5,
        histogram: new Array(17).fill(1),
        dtype: 'fp32',
        kernel: 'torch_embedding_bag',
        bags: 128,
        block: { offset: 0, table_rows: 2000, ids: 'sorted' },
        cache_load_factor: 0.5,
      },
    ],
  };
  const device = { type: 'H100-80GB', count: 1, perHost: 1, reserve: 0, ...GPU_PRESETS['H100-80GB'] };
  const parse = (rec: unknown) => parseJsonlSets(JSON.stringify(rec), { device });
  assert.deepEqual(parse(full).errors, []);
  const documented = new Set(fields.flatMap(({ field }) => field.split(', ')));
  for (const key of [...Object.keys(full), ...Object.keys(full.tables[0]).map((k) => `tables[].${k}`)]) assert.ok(documented.has(key), `${key} is documented`);
  for (const { field, required } of fields) {
    for (const f of field.split(', ')) {
      const rec = structuredClone(full) as Record<string, any>;
      if (f.startsWith('tables[].')) delete rec.tables[0][f.slice('tables[].'.length)];
      else delete rec[f];
      const r = parse(rec);
      if (required) assert.ok(r.errors.length === 1 && r.errors[0].message.includes(f.replace('tables[].', '')), `without ${f}: ${JSON.stringify(r.errors)}`);
      else assert.deepEqual(r.errors, [], `${f} is optional`);
    }
  }
});
