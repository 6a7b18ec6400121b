/**
 * `shardlens import` as TorchRec users feed it: EmbeddingBagConfig dumps
 * (num_embeddings, embedding_dim, feature_names, data_type, pooling SUM/MEAN)
 * with pooling factors in their own column, FP32 by default; every bad row
 * listed with its line; nothing in the input (names, file names, numbers)
 * can add YAML of its own; the suggested GPU count is what its comment says.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { importTables, suggestedCount } from '../../../server/src/engine/importTables';
import { loadConfig } from '../../../server/src/config/load';
import { formatBytes } from '../../../server/src/config/byteUnits';
import { GPU_PRESETS } from '../../../server/src/config/presets';
import { tableMemoryBytes, usableMemoryBytes } from '../../../server/src/cost/memory';

const noFiles = { readFile: () => undefined };

function loadOut(yaml: string) {
  return loadConfig('/x/out.shard.yaml', yaml, noFiles);
}

const errorsOf = (r: ReturnType<typeof importTables>) => r.errors.filter((e) => (e.severity ?? 'error') === 'error');

test('a TorchRec EmbeddingBagConfig dump (CSV): pooling SUM/MEAN, factors in their own column, FP32 default', () => {
  const csv = [
    'name,num_embeddings,embedding_dim,feature_names,data_type,pooling,pooling_factor,weight_init_max',
    't_user,50000000,128,user_id,DataType.FP32,PoolingType.SUM,1.0,',
    '"t_hist, long",2000000,64,"[""hist"", ""hist2""]",FP16,MEAN,"10;25.5",0.1',
    't_country,200,16,country,,SUM,1,',
    't_bf,1000,32,bf,BF16,SUM,3,',
  ].join('\n');
  const r = importTables('/x/tables.csv', csv);
  assert.deepEqual(errorsOf(r), []);
  assert.deepEqual(
    r.errors.map((e) => [e.line, e.severity]),
    [[1, 'warning']],
    'weight_init_max is ignored with a warning',
  );
  assert.match(r.errors[0].message, /column "weight_init_max" is not used by ShardLens/);
  const l = loadOut(r.yaml!);
  assert.deepEqual(
    l.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  const c = l.config!;
  assert.equal(c.dtype, 'fp32', "TorchRec's default data_type");
  assert.deepEqual(
    c.tables.map((t) => [t.name, t.rows, t.dim, t.pooling, t.dtype]),
    [
      ['t_user', 50_000_000, 128, 1, 'fp32'],
      ['t_hist, long', 2_000_000, 64, 35.5, 'fp16'],
      ['t_country', 200, 16, 1, 'fp32'],
      ['t_bf', 1000, 32, 3, 'bf16'],
    ],
  );
  assert.match(r.yaml!, /pooling: 35\.5 {3}# 2 features: sum of their factors \[10, 25\.5\]; TorchRec pooling MEAN/);
  assert.match(r.yaml!, /dtype: bf16/);
});

test('a TorchRec dump as JSON: embedding_bag_configs, enum names, per-feature factors', () => {
  const json = JSON.stringify(
    {
      embedding_bag_configs: [
        { name: 'a', num_embeddings: 1000, embedding_dim: 64, feature_names: ['f1', 'f2'], data_type: 'FP16', pooling: 'SUM', pooling_factors: [2, 3] },
        { name: 'b', num_embeddings: 10, embedding_dim: 8, feature_names: ['g'], pooling: 'PoolingType.NONE', pooling_factor: 1 },
        { name: 'c', num_embeddings: 10, embedding_dim: 8, feature_names: ['h'], data_type: 'INT8', pooling_factor: 1 },
        { name: 'd', num_embeddings: 10, embedding_dim: 8, feature_names: ['i', 'j'], pooling_factors: [1, 2, 3] },
      ],
    },
    null,
    2,
  );
  const r = importTables('/x/dump.json', json);
  assert.equal(r.tables, 1);
  assert.equal(r.rejected, 3);
  assert.deepEqual(
    errorsOf(r).map((e) => e.line),
    [18, 28, 38],
    'the line of each rejected object',
  );
  assert.match(errorsOf(r)[0].message, /pooling NONE is an unpooled \(EmbeddingCollection\) table/);
  assert.match(errorsOf(r)[1].message, /INT8 is a quantized \(inference\) type/);
  assert.match(errorsOf(r)[2].message, /3 pooling factors for 2 features/);
  const c = loadOut(r.yaml!).config!;
  assert.deepEqual(
    c.tables.map((t) => [t.name, t.pooling, t.dtype]),
    [['a', 5, 'fp16']],
  );
});

test('every bad row is listed with its line; none is silently dropped', () => {
  const csv = 'name,rows,dim,pooling\nok,10,8,1\n"broken"x,10,8,1\nshort,10\nbad,ten,8,1\nok,10,8,1\n,10,8,1\nneg,10,8,-1\n';
  const r = importTables('/x/t.csv', csv);
  assert.equal(r.tables, 1);
  assert.equal(r.rejected, 6);
  assert.deepEqual(
    errorsOf(r).map((e) => e.line),
    [3, 4, 5, 6, 7, 8],
  );
  assert.match(
    errorsOf(r)
      .map((e) => e.message)
      .join('\n'),
    /text after a closing quote[\s\S]*expected 4 cells[\s\S]*rows\) must be a whole number[\s\S]*duplicate table name "ok"[\s\S]*missing table name[\s\S]*pooling factors must be numbers > 0/,
  );
});

test('quoted fields with commas and newlines are one cell (hardening)', () => {
  const r = importTables('/x/t.csv', 'name,rows,dim,pooling\n"item, hist",10,8,1\n"line\nbreak",10,8,1\n');
  assert.deepEqual(
    errorsOf(r).map((e) => e.message),
    ['table name "line break" holds a line break or control character'],
  );
  assert.equal(errorsOf(r)[0].line, 3);
  assert.deepEqual(
    loadOut(r.yaml!).config!.tables.map((t) => t.name),
    ['item, hist'],
  );
});

test('a file name or table name cannot inject YAML (a newline in the file name once put `version: 2` in)', () => {
  const r = importTables('/x/evil\nversion: 2\n#.csv', 'name,rows,dim,pooling\n"a: b",10,8,1\n"- x",10,8,1\n"null",10,8,1\n"#c",10,8,1\n');
  assert.deepEqual(errorsOf(r), []);
  const lines = r.yaml!.split('\n');
  assert.equal(lines.filter((l) => /^version:/.test(l)).length, 1);
  assert.equal(lines.filter((l) => l.startsWith('#')).length, 2, 'the header is two comment lines');
  const l = loadOut(r.yaml!);
  assert.deepEqual(
    l.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  assert.deepEqual(
    l.config!.tables.map((t) => t.name),
    ['a: b', '- x', 'null', '#c'],
  );
});

test('property: any file name and any printable names give a config that loads with exactly those tables', () => {
  const text = fc.string({
    unit: fc.constantFrom('a', 'Z', ' ', ':', '#', '"', "'", '-', '{', '[', ',', '\\', 'é', '\u2028', '0', '*', '&', '!', '|', '>'),
    minLength: 1,
    maxLength: 10,
  });
  fc.assert(
    fc.property(
      fc.uniqueArray(
        text.filter((s) => s.trim() !== '' && s.trim() === s),
        { minLength: 1, maxLength: 5 },
      ),
      fc.string({ maxLength: 20 }),
      (names, file) => {
        const csv = `name,rows,dim,pooling\n${names.map((n) => `"${n.replace(/"/g, '""')}",10,8,1`).join('\n')}\n`;
        const r = importTables(`/x/${file}.csv`, csv);
        const bad = errorsOf(r);
        // U+2028 is a line separator in some readers: refused like a newline.
        const expected = names.filter((n) => !n.includes('\u2028'));
        assert.equal(r.tables, expected.length, JSON.stringify(bad));
        if (!r.yaml) return;
        const l = loadOut(r.yaml);
        assert.deepEqual(
          l.diagnostics.filter((d) => d.severity === 'error'),
          [],
          r.yaml,
        );
        assert.deepEqual(
          l.config!.tables.map((t) => t.name),
          expected,
        );
        assert.equal(r.yaml.split('\n').filter((x) => /^version:/.test(x)).length, 1);
      },
    ),
    { numRuns: 200 },
  );
});

test('numeric sanity: huge or absurd numbers are rejected by the config ranges, not written as 3.04e291', () => {
  const r = importTables('/x/t.csv', 'name,rows,dim,pooling\nhuge,1e300,128,1\nwide,100,1e9,1\ninf,Infinity,8,1\nhex,0x10,8,1\nbig_pool,10,8,1e7\nok,10,8,1\n');
  assert.deepEqual(
    errorsOf(r).map((e) => e.line),
    [2, 3, 4, 5, 6],
  );
  assert.match(errorsOf(r)[0].message, /must be a whole number ≥ 1 and ≤ 1,000,000,000,000 \(got 1e300\)/);
  assert.doesNotMatch(r.yaml!, /e\+?\d{2,}/, 'no exponent notation in the output');
  // Within range per table but more than a config's 65,536 GPUs can hold: an error, count capped, exit status 1.
  const many = Array.from({ length: 60 }, (_, i) => `t${i},1000000000000,65536,1`).join('\n');
  const h = importTables('/x/t.csv', `name,rows,dim,pooling\n${many}\n`);
  assert.match(errorsOf(h)[0].message, /more than the 65,536 GPUs a config holds/);
  assert.match(h.yaml!, /count: 65536/);
});

test('the suggested GPU count is the fewest 8-GPU hosts at ≤ 60% fill, and its comment states the real fill', () => {
  // Usable bytes as the validator counts them: ⌊HBM × (1 − 0.15)⌋.
  const usable = Math.floor(GPU_PRESETS['H100-80GB'].memoryBytes * 0.85);
  for (const bytes of [1e6, usable * 0.6 * 8, usable * 0.6 * 8 + 1, usable * 100]) {
    const s = suggestedCount(bytes, 'H100-80GB');
    assert.equal(s.count % 8, 0);
    assert.ok(s.fill <= 0.6 + 1e-12, `fill ${s.fill} ≤ 60%`);
    if (s.count > 8) assert.ok(bytes / (usable * (s.count - 8)) > 0.6, 'one host fewer would be over 60%');
  }
  const r = importTables('/x/t.csv', 'name,rows,dim,pooling\na,200000000,128,1\nb,100000000,256,2\n');
  const m = /count: (\d+) {3}# suggested: .*: ([\d.,]+ GiB) of ([\d.,]+ GiB) \(([\d.]+)%\)/.exec(r.yaml!);
  assert.ok(m, r.yaml);
  const [count, used, of, pct] = [Number(m[1]), m[2], m[3], Number(m[4])];
  // 200M × (128 × 4 + 4) B + 100M × (256 × 4 + 4) B = 103.2e9 + 102.8e9 = 206.0e9 B = 191.85 GiB.
  const bytes = 200e6 * 128 * 4 + 200e6 * 4 + 100e6 * 256 * 4 + 100e6 * 4;
  assert.equal(bytes, 206e9);
  assert.equal(count, 8);
  assert.equal(used, '191.9 GiB');
  // 8 × ⌊85,017,493,504 × 0.85⌋ B = 578,118,955,824 B = 538.4 GiB.
  assert.equal(of, '538.4 GiB');
  assert.equal(pct, Number(((bytes / (usable * count)) * 100).toFixed(1)));
  assert.ok(pct <= 60);
  assert.equal(r.count, count);
});

test("the suggestion's comment uses the validator's memory accounting, and says so when a config cannot hold the count", () => {
  const csv = 'name,num_embeddings,embedding_dim,data_type,pooling_factor\na,900000000,128,FP32,1\nb,300000000,64,FP16,2\nc,1000,16,BF16,3\n';
  const r = importTables('/x/t.csv', csv);
  const m = /count: (\d+) {3}# suggested: .*: ([\d.,]+ GiB) of ([\d.,]+ GiB) \(([\d.]+)%\)/.exec(r.yaml!);
  assert.ok(m, r.yaml);
  const config = loadOut(r.yaml!).config!;
  const bytes = config.tables.reduce((s, t) => s + tableMemoryBytes(t, config.optimizer), 0);
  const usable = usableMemoryBytes(config.devices) * config.devices.count;
  assert.equal(Number(m[1]), config.devices.count);
  assert.equal(m[2], formatBytes(bytes), 'the bytes `check` counts, printed as everywhere else');
  assert.equal(m[3], formatBytes(usable), 'the usable HBM `check` counts');
  assert.ok(Number(m[4]) <= 60 && bytes / usable <= 0.6);

  const many = Array.from({ length: 60 }, (_, i) => `t${i},1000000000000,65536,1`).join('\n');
  const capped = importTables('/x/t.csv', `name,rows,dim,pooling\n${many}\n`).yaml!;
  assert.doesNotMatch(capped, /suggested: the fewest/, 'a capped count is not the suggestion');
  assert.match(capped, /count: 65536 {3}# the most a config holds, not enough: ≤ 60% fill needs [\d,]+ GPUs; the tables need [\d.,]+ GiB of [\d.,]+ GiB usable \([\d.]+%\)/);
});
