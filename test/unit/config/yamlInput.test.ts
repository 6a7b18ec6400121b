/**
 * One YAML verdict, and honest messages about what was written: lone-CR line
 * breaks are line breaks (YAML 1.2), `!!str 1000` is a string, integers beyond
 * 2^53 are reported as written (not rounded), a huge key is echoed as an
 * excerpt, and syntax errors are in our words, never the library's.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadConfig } from '../../../server/src/config/load';
import type { FileReader } from '../../../server/src/config/loaded';
import { SYNTAX_MESSAGES } from '../../../server/src/config/yamlErrors';
import { configText } from '../../fixtures/configText';

const MAIN = '/ws/main.shard.yaml';
const reader: FileReader = { readFile: () => undefined };
const load = (text: string) => loadConfig(MAIN, text, reader);
const messages = (text: string) => load(text).diagnostics.map((d) => `${d.code} ${d.message}`);

describe('YAML input: line breaks, tags, big integers', () => {
  it('lone CR line breaks (valid YAML 1.2) load like LF, with the same diagnostics on the same lines', () => {
    const lf = configText({ tables: 3, firstDim: 7 });
    const cr = lf.replace(/\n/g, '\r');
    const a = load(lf);
    const b = load(cr);
    assert.ok(b.config, `lone-CR config rejected: ${messages(cr).join('; ')}`);
    assert.deepEqual(
      b.diagnostics.map((d) => [d.code, d.range.start.line]),
      a.diagnostics.map((d) => [d.code, d.range.start.line]),
    );
    assert.deepEqual(b.config!.tables, a.config!.tables);
  });

  it('!!str 1000 is the string "1000", not a number', () => {
    const text = configText({ tables: 2 }).replace('batch_size: 65536', 'batch_size: !!str 1000');
    const ds = load(text).diagnostics.filter((d) => /batch_size/.test(d.message));
    assert.equal(ds.length, 1, messages(text).join('; '));
    assert.match(ds[0].message, /must be a whole number, not the string "1000"/);
  });

  it('an integer above 2^53 is reported as written, not as its rounded neighbour', () => {
    const text = configText({ tables: 2 }).replace('rows: 100000', 'rows: 9007199254740993');
    const d = load(text).diagnostics.find((x) => /'rows'/.test(x.message));
    assert.ok(d, messages(text).join('; '));
    assert.match(d.message, /9007199254740993/);
    assert.doesNotMatch(d.message, /9007199254740992/);
  });

  it('an integer above 2^53 where no range catches it (a histogram bin) is refused, not rounded silently', () => {
    const bins = Array.from({ length: 17 }, (_, i) => (i === 3 ? '9007199254740993' : '0')).join(', ');
    const text = configText({ tables: 2, firstTableExtra: `histogram: [${bins}]` });
    const d = load(text).diagnostics.find((x) => x.code === 'SL033');
    assert.ok(d, messages(text).join('; '));
    assert.match(d.message, /9007199254740993/);
  });
});

describe('YAML input: messages stay short and ours', () => {
  it('a 5 MB key, table name, placement name and value are echoed only as excerpts', () => {
    const huge = 'k'.repeat(5 * 2 ** 20);
    const texts = [
      `${configText({ tables: 2 })}${huge}: 1\n`,
      configText({ tables: 2 }).replace('name: t000', `name: ${huge}`) + `tables2: x\n`,
      `${configText({ tables: 2, placement: 'all-on-0' })}`.replace('placement:  # hand-written', `placement:\n  ${huge}: 0`),
      configText({ tables: 2 }).replace('dtype: fp16', `dtype: ${huge}`),
      configText({ tables: 2 }).replace('type: H100-80GB', `type: ${huge}`),
    ];
    for (const t of texts) {
      const ds = load(t).diagnostics;
      assert.ok(ds.length > 0);
      for (const d of ds) {
        assert.ok(d.message.length <= 1_000, `${d.code}: ${d.message.length} chars`);
        for (const f of d.fixes ?? []) assert.ok(f.title.length <= 1_000, `${d.code} fix title: ${f.title.length} chars`);
      }
    }
  });

  it("syntax errors never carry the YAML library's text (or echo input)", () => {
    const LIBRARY_WORDS = /Implicit|Nested mappings|flow-(seq|map)|token|at line \d|Unexpected|Map keys|Plain value|compact|scalar|BLOCK_|MISSING_CHAR/;
    const garbage = fc.sample(
      fc
        .array(fc.constantFrom('a: ', 'b', '- ', '{', '}', '[', ']', ',', '"', "'", '\n', '  ', '\t', '&x ', '*x', '!!t ', '? ', ': ', '#', '%', '@', '|', '>', 'x'.repeat(300)), {
          maxLength: 40,
        })
        .map((a) => a.join('')),
      { numRuns: 400, seed: 11 },
    );
    let seen = 0;
    for (const t of garbage) {
      for (const d of load(t).diagnostics.filter((x) => x.code === 'SL001')) {
        seen++;
        assert.doesNotMatch(d.message, LIBRARY_WORDS, d.message);
        assert.ok(d.message.length < 200, d.message);
      }
    }
    assert.ok(seen > 100, `only ${seen} syntax errors produced`);
  });

  it("every syntax error message is one of ShardLens's own", () => {
    for (const t of ['a: [1, 2\n', 'a: "x\n', 'a:\n\t- 1\n', '{a: - b}\n', 'a: b: c\n', 'a: 1\n---\nb: 2\n', 'a: &\n', '- a\nb: 1\n', 'a: "\\q"\n']) {
      const ds = load(t).diagnostics.filter((d) => d.code === 'SL001');
      assert.ok(ds.length > 0, t);
      for (const d of ds) assert.ok(SYNTAX_MESSAGES.has(d.message.replace(/^YAML syntax error: /, '').replace(/\.$/, '')), `${JSON.stringify(t)}: ${d.message}`);
    }
  });
});
