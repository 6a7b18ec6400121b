/**
 * One YAML verdict: whatever path parses a config (the fast parser, or `yaml`
 * itself), a document is accepted exactly when `yaml` accepts it (YAML 1.2,
 * where a lone CR is a line break), and an accepted document means the same
 * node for node. Differential, over configs and examples mutated with what
 * trips parsers: tabs, CRs, tags, anchors, flow collections inside block
 * ones (`{name: - a}`), indicators and quotes at random places.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isMap, isScalar, isSeq, parseDocument, type Node, type Pair } from 'yaml';
import { parseFast } from '../../../server/src/config/fastYaml';
import { endOffset, parseSource } from '../../../server/src/config/yamlSource';
import type { Diagnostic } from '../../../server/src/config/diagnostics';
import { configTextArb } from '../../fuzz/configGen';
import { mutateAll, mutationArb } from '../../fuzz/mutate';
import { property, runs } from '../../fuzz/runs';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const EXAMPLES = ['examples/criteo-26.shard.yaml', 'examples/mistakes.shard.yaml', 'examples/split/model.shard.yaml', 'examples/split/cluster.shard.yaml'].map((f) =>
  readFileSync(path.join(ROOT, f), 'utf8'),
);

/** YAML 1.2 line breaks are \n, \r\n and a lone \r; `yaml` only knows the first two. */
const yaml12 = (text: string) => text.replace(/\r(?!\n)/g, '\n');

function shape(node: unknown): unknown {
  if (node === null || node === undefined) return null;
  const n = node as Node;
  // An empty value: `yaml` gives a null Scalar or no node at all depending on the line ending; both mean null.
  if (isScalar(n) && n.value === null && n.type === 'PLAIN' && n.range && n.range[0] === n.range[1]) return null;
  const r = [n.range?.[0], endOffset(n)];
  if (isScalar(n)) return { v: Number.isNaN(n.value) ? 'NaN' : n.value, t: n.type, r: n.value === null ? undefined : r };
  if (isMap(n)) return { m: n.items.map((p: Pair) => [shape(p.key), shape(p.value)]), f: !!n.flow, r };
  if (isSeq(n)) return { s: n.items.map(shape), f: !!n.flow, r };
  return 'other';
}

/**
 * Accepted documents compared node for node, by the parser that read them
 * (SourceFile.parsedBy). The meaning check below only bites on the fast path
 * (`yaml` against itself always agrees), so each property asserts that enough
 * of its cases took it: were parseFast to give up on everything, they fail.
 */
const compared = { fast: 0, yaml: 0 };
const resetCompared = () => {
  compared.fast = 0;
  compared.yaml = 0;
};
function assertFastShare(what: string, atLeast: number): void {
  const share = compared.fast / Math.max(1, compared.fast + compared.yaml);
  assert.ok(share >= atLeast, `${what}: only ${compared.fast} of ${compared.fast + compared.yaml} accepted documents took the fast path (want ≥ ${atLeast * 100}%)`);
}

/** Our verdict and meaning against `yaml`'s; returns what disagrees (empty: agreement). */
function disagreement(text: string): string | undefined {
  const out: Diagnostic[] = [];
  const { src, ok } = parseSource('/ws/x.shard.yaml', text, out);
  const doc = parseDocument(yaml12(text), { uniqueKeys: false });
  const theirs = doc.errors.length === 0;
  if (ok !== theirs) return `ours ${ok ? 'accepts' : 'rejects'}, yaml ${theirs ? 'accepts' : `rejects (${doc.errors[0].code})`}`;
  if (ok) compared[src.parsedBy]++;
  if (ok && src.parsedBy === 'fast') {
    // The fast path took it: it must mean what yaml means.
    try {
      assert.deepEqual(shape(src.contents), shape(doc.contents));
    } catch {
      return 'fast path and yaml disagree on the nodes';
    }
  }
  return undefined;
}

/** Text that trips parsers, inserted at a random offset. */
const TOKENS = [
  '\t',
  '\r',
  '\r\n',
  '\n',
  ' ',
  '- ',
  ': ',
  ':',
  ',',
  '#',
  ' #',
  '{',
  '}',
  '[',
  ']',
  '"',
  "'",
  '!!str ',
  '!!int ',
  '!!float ',
  '!foo ',
  '!',
  '&a ',
  '*a',
  '? ',
  '|',
  '>',
  '---\n',
  '...\n',
  '%YAML 1.2\n',
  '@',
  '`',
  '{name: - a, rows: 1}',
  '[- a]',
  '{a: [b, - c]}',
  '- {x: 1}\n',
  '\t- a',
  'key: \tvalue',
  '\uFEFF',
  '"\\x"',
  "'it''s'",
];

type CharMutation = { at: number; token: string };
const charMutationArb: fc.Arbitrary<CharMutation> = fc.record({ at: fc.nat({ max: 100_000 }), token: fc.constantFrom(...TOKENS) });

function applyChars(text: string, ms: CharMutation[]): string {
  let t = text;
  for (const m of ms) {
    const at = m.at % (t.length + 1);
    t = t.slice(0, at) + m.token + t.slice(at);
  }
  return t;
}

const check = (text: string) => {
  const d = disagreement(text);
  assert.equal(d, undefined, `${d}: ${JSON.stringify(text.length > 1500 ? `${text.slice(0, 1500)}…` : text)}`);
};

describe('fuzz: one YAML verdict (fast parser and yaml agree)', () => {
  it('examples with tokens (tabs, CR, tags, anchors, flow-in-block) inserted agree with yaml', async () => {
    resetCompared();
    await property(
      'yaml verdict: mutated examples',
      fc.property(fc.nat({ max: EXAMPLES.length - 1 }), fc.array(charMutationArb, { minLength: 1, maxLength: 4 }), (i, ms) => check(applyChars(EXAMPLES[i], ms))),
      runs(600),
    );
    assertFastShare('mutated examples', 0.5);
  });

  it('generated configs with line and character mutations agree with yaml', async () => {
    resetCompared();
    await property(
      'yaml verdict: mutated configs',
      fc.property(
        configTextArb,
        fc.array(
          mutationArb.filter((m) => m.op !== 'nest'),
          { maxLength: 3 },
        ),
        fc.array(charMutationArb, { maxLength: 3 }),
        ({ text }, lines, chars) => check(applyChars(mutateAll(text, lines), chars)),
      ),
      runs(600),
    );
    assertFastShare('mutated configs', 0.5);
  });

  it('line endings: LF, CRLF and lone CR mean the same document', async () => {
    await property(
      'yaml verdict: line endings',
      fc.property(configTextArb, fc.constantFrom('\r\n', '\r'), ({ text }, eol) => {
        const other = text.replace(/\r?\n/g, eol);
        check(other);
        const a = parseSource('/ws/x.shard.yaml', text, []);
        const b = parseSource('/ws/x.shard.yaml', other, []);
        assert.equal(b.ok, a.ok, 'the same verdict whatever the line endings');
        if (a.ok) assert.deepEqual(JSON.stringify(plain(b.src.contents)), JSON.stringify(plain(a.src.contents)));
      }),
      runs(200),
    );
  });

  it('the fast path is taken for plain configs (the differential test must not pass by never using it)', async () => {
    let taken = 0;
    await property(
      'yaml verdict: fast path taken',
      fc.property(configTextArb, fc.constantFrom('\n', '\r\n', '\r'), ({ text }, eol) => {
        // Generated configs are the fast subset, except names that need YAML the subset leaves to `yaml`.
        const t = text.replace(/\r?\n/g, eol);
        if (/\t/.test(t)) return;
        assert.ok(parseFast(yaml12(t)), `the fast parser gave up on a plain config: ${JSON.stringify(t.slice(0, 400))}`);
        const { src } = parseSource('/ws/x.shard.yaml', t, []);
        assert.equal(src.parsedBy, 'fast', 'parseSource used yaml for a plain config');
        taken++;
      }),
      runs(200),
    );
    assert.ok(taken >= runs(200) / 2, `fast path taken on only ${taken} configs`);
  });
});

/** Values only (no offsets): line endings of different widths move offsets, not meaning. */
function plain(node: unknown): unknown {
  if (node === null || node === undefined) return null;
  const n = node as Node;
  if (isScalar(n)) return Number.isNaN(n.value) ? 'NaN' : n.value;
  if (isMap(n)) return n.items.map((p: Pair) => [plain(p.key), plain(p.value)]);
  if (isSeq(n)) return n.items.map(plain);
  return 'other';
}
