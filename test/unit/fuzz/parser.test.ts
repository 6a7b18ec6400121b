/**
 * Fuzzing the parser and validator: whatever the text, loadConfig
 * never throws, every diagnostic and fix range lies inside its document, the
 * number of diagnostics is bounded by the size of the input, and a usable
 * config only holds finite, in-range numbers.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { checkLoad } from '../../fuzz/checkLoad';
import { configTextArb } from '../../fuzz/configGen';
import { mutateAll, mutationArb } from '../../fuzz/mutate';
import { property, runs } from '../../fuzz/runs';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const EXAMPLES = ['examples/criteo-26.shard.yaml', 'examples/mistakes.shard.yaml', 'examples/split/model.shard.yaml', 'examples/split/cluster.shard.yaml'].map((f) =>
  readFileSync(path.join(ROOT, f), 'utf8'),
);

const noProblems = (text: string) => {
  const { problems } = checkLoad(text);
  assert.deepEqual(problems, [], `text (${text.length} chars): ${JSON.stringify(text.slice(0, 600))}`);
};

/** Keys of the format, so random mappings sometimes hit the validator's real paths. */
const keyArb = fc.constantFrom(
  'version',
  'batch_size',
  'dtype',
  'optimizer',
  'devices',
  'tables',
  'placement',
  'type',
  'count',
  'per_host',
  'reserve',
  'name',
  'rows',
  'dim',
  'pooling',
  'zipf',
  'histogram',
  'sharding',
  'pin',
  'column',
  'row',
  'x',
);
const valueArb = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.string({ unit: 'grapheme', maxLength: 8 }), fc.constantFrom('H100-80GB', 'fp16', 'table', 'adam')),
    fc.array(tie('v'), { maxLength: 5 }),
    fc.dictionary(keyArb, tie('v'), { maxKeys: 6 }),
  ),
})).v;

describe('fuzz: parser and validator', () => {
  it('random text never throws and stays in range', async () => {
    await property(
      'random text',
      fc.property(
        fc.oneof(
          fc.string({ unit: 'grapheme', maxLength: 300 }),
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc
            .array(
              fc.constantFrom(
                'version: 1',
                'tables:',
                '  - name: a',
                '    rows: 1',
                '- ',
                ': ',
                '{',
                '}',
                '[',
                ']',
                '"',
                "'",
                '#',
                '\t',
                '\r',
                '\n',
                '\r\n',
                '&a',
                '*a',
                '!!',
                '---',
                '...',
                '|',
                '>',
                '?',
              ),
              { maxLength: 60 },
            )
            .map((a) => a.join('')),
        ),
        noProblems,
      ),
      runs(400),
    );
  });

  it("random YAML mappings with the format's keys never throw and stay in range", async () => {
    await property(
      'random YAML mappings',
      fc.property(fc.dictionary(keyArb, valueArb, { maxKeys: 8 }), fc.boolean(), (doc, flow) => noProblems(flow ? JSON.stringify(doc) : stringify(doc))),
      runs(200),
    );
  });

  it('mutated examples never throw and stay in range', async () => {
    await property(
      'mutated examples',
      fc.property(fc.nat({ max: EXAMPLES.length - 1 }), fc.array(mutationArb, { minLength: 1, maxLength: 6 }), (i, ms) => noProblems(mutateAll(EXAMPLES[i], ms))),
      runs(150),
    );
  });

  it('mutated generated configs never throw and stay in range', async () => {
    await property(
      'mutated generated configs',
      fc.property(configTextArb, fc.array(mutationArb, { minLength: 0, maxLength: 6 }), ({ text }, ms) => noProblems(mutateAll(text, ms))),
      runs(300),
    );
  });

  it('generated valid configs load without errors', async () => {
    await property(
      'valid generated configs',
      fc.property(configTextArb, ({ config, text }) => {
        const { loaded, problems } = checkLoad(text);
        assert.deepEqual(problems, []);
        // Memory (random sizes may not fit) and the deliberately incomplete placement are legitimate; nothing else may fire.
        const unexpected = loaded!.diagnostics.filter((d) => d.severity === 'error' && !['SL036', 'SL037', 'SL043', 'SL047', 'SL054'].includes(d.code));
        assert.deepEqual(
          unexpected.map((d) => `${d.code} ${d.message}`),
          [],
          text,
        );
        assert.ok(loaded!.config, 'a valid file gives a usable config');
        assert.equal(loaded!.config!.tables.length, config.tables.length);
      }),
      runs(300),
    );
  });

  it('deep nesting (flow and block) does not overflow the stack', () => {
    for (const depth of process.env.FUZZ_RUNS ? [100, 1_000, 10_000, 100_000] : [100, 1_000, 10_000]) {
      noProblems(`version: 1\ntables: ${'['.repeat(depth)}${']'.repeat(depth)}\n`);
      noProblems(`devices: ${'{a: '.repeat(depth)}1${'}'.repeat(depth)}\n`);
    }
    noProblems(Array.from({ length: 2_000 }, (_, d) => `${' '.repeat(d)}k${d}:`).join('\n'));
    noProblems(`tables:\n${Array.from({ length: 3_000 }, (_, d) => `${'  '.repeat(d)}- `).join('\n')}x\n`);
  });

  it('binary garbage and invalid UTF-8 never throw', () => {
    const rng = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 4096 }), { numRuns: runs(30), seed: 7 });
    for (const bytes of rng) {
      noProblems(Buffer.from(bytes).toString('utf8'));
      noProblems(Buffer.from(bytes).toString('latin1'));
    }
    noProblems('\uFEFFversion: 1\n\u0000\u0000\n');
    noProblems('\r\r\r\nversion: 1\rtables: x\r');
  });

  it('a 10 MB config (2 MB in npm test) loads, and the diagnostics stay bounded', () => {
    // ~10 MB of tables (about 140,000 of them) with a mistake every 1,000 tables;
    // 2 MB in `npm test` (same code paths, a fifth of the time).
    const megabytes = process.env.FUZZ_RUNS ? 10 : 2;
    const lines = ['version: 1', 'batch_size: 65536', 'devices: {type: H100-80GB, count: 512, per_host: 8}', 'tables:'];
    let size = 0;
    for (let i = 0; size < megabytes * 2 ** 20; i++) {
      const line = `  - {name: t${i}, rows: ${1000 + i}, dim: ${i % 1000 === 0 ? 7 : 64}, pooling: 2, zipf: 0.9}`;
      lines.push(line);
      size += line.length + 1;
    }
    const text = lines.join('\n');
    const { loaded, problems } = checkLoad(text);
    assert.deepEqual(problems, []);
    const badDims = loaded!.diagnostics.filter((d) => /multiple of 4/.test(d.message)).length;
    assert.ok(badDims >= Math.floor((lines.length - 4) / 1000), `one diagnostic per bad dim (${badDims})`);
  });

  it('a 10 MB (2 MB in npm test) single line of garbage loads with a bounded number of diagnostics', () => {
    const text = 'x'.repeat((process.env.FUZZ_RUNS ? 10 : 2) * 2 ** 20) + ': ' + '['.repeat(1000) + '\u0000'.repeat(1000);
    noProblems(text);
  });
});
