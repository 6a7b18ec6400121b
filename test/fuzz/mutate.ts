/**
 * Mutations of config text, the kind users (and bad tools) make: deleted,
 * duplicated and retyped keys, huge/negative/NaN/Infinity values, unicode,
 * deep nesting, truncation, binary garbage. Line-based so most mutants stay
 * YAML-ish and reach the validator rather than stopping at the parser.
 */
import fc from 'fast-check';

/** Values that are the wrong type, out of range or not numbers at all. */
export const JUNK_VALUES = [
  '-1',
  '0',
  '-0',
  '1e308',
  '1e309',
  '-1e309',
  '9007199254740993',
  '99999999999999999999999',
  '0.5',
  '3.0000001',
  'NaN',
  '.nan',
  '.NaN',
  'Infinity',
  '-Infinity',
  '.inf',
  '-.inf',
  '+.inf',
  'null',
  '~',
  '',
  'true',
  'no',
  'on',
  '[]',
  '{}',
  '[1, 2',
  '{a: 1}',
  '[0, 1, 2, 3]',
  '{column: [0, 1]}',
  '{row: []}',
  '{row: [0, 0]}',
  '{column: [99]}',
  '"12"',
  "'fp64'",
  'fp64',
  'H100',
  'H100-80GB',
  './missing.shard.yaml',
  '../../etc/passwd',
  '/etc/passwd',
  '0x10',
  '0o17',
  '1_000_000',
  '12:30',
  '2026-11-26',
  '!!binary aGVsbG8=',
  '!!str 5',
  '&a 1',
  '*a',
  '*undefined_alias',
  '"\\u0000"',
  '"\\uD800"',
  'ユーザー',
  '🙂🙂',
  '"a\\nb"',
  '|\n  block',
  '>-\n  folded',
  '- x',
  ': :',
  '? q',
] as const;

const KEYS = [
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
  'memory_bytes',
  'hbm_gbps',
  'l2_bytes',
  'name',
  'rows',
  'dim',
  'pooling',
  'zipf',
  'histogram',
  'sharding',
  'pin',
  'poolling',
  'Rows',
  'dimm',
  'column',
  'row',
  'table',
  '',
  'ünïcödé',
  '<<',
];

export type Mutation =
  | { op: 'delete'; at: number }
  | { op: 'duplicate'; at: number }
  | { op: 'value'; at: number; value: string }
  | { op: 'key'; at: number; key: string }
  | { op: 'indent'; at: number; by: number }
  | { op: 'insert'; at: number; line: string }
  | { op: 'truncate'; at: number }
  | { op: 'nest'; at: number; depth: number; flow: boolean }
  | { op: 'garbage'; at: number; bytes: string };

const at = fc.nat({ max: 10_000 });

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('delete' as const), at }),
  fc.record({ op: fc.constant('duplicate' as const), at }),
  fc.record({
    op: fc.constant('value' as const),
    at,
    value: fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...JUNK_VALUES) },
      { weight: 1, arbitrary: fc.double().map(String) },
      { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
    ),
  }),
  fc.record({ op: fc.constant('key' as const), at, key: fc.oneof(fc.constantFrom(...KEYS), fc.string({ unit: 'grapheme-ascii', maxLength: 8 })) }),
  fc.record({ op: fc.constant('indent' as const), at, by: fc.integer({ min: -4, max: 6 }) }),
  fc.record({
    op: fc.constant('insert' as const),
    at,
    line: fc.oneof(
      fc.constantFrom(
        'placement:',
        'tables:',
        'devices: ./self.shard.yaml',
        '  - {}',
        '  - name: x',
        '---',
        '...',
        '%YAML 1.2',
        'a: &anchor [*anchor]',
        '<<: *nope',
        '  x: 1',
        '\t- tab',
        '# comment',
        'version: 1',
        'tables: []',
        'placement: {x: 0}',
      ),
      fc.string({ unit: 'grapheme', maxLength: 30 }),
    ),
  }),
  fc.record({ op: fc.constant('truncate' as const), at }),
  fc.record({ op: fc.constant('nest' as const), at, depth: fc.integer({ min: 1, max: 400 }), flow: fc.boolean() }),
  fc.record({ op: fc.constant('garbage' as const), at, bytes: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('latin1')) }),
);

const VALUE_LINE = /^(\s*(?:-\s+)?[^:#]+:\s*)(.*?)(\s+#.*)?$/;
const KEY_LINE = /^(\s*(?:-\s+)?)([^:#\s][^:#]*?)(\s*:.*)$/;

/** Applies one mutation; positions wrap around the document. */
export function mutate(text: string, m: Mutation): string {
  const lines = text.split('\n');
  const i = m.at % Math.max(1, lines.length);
  switch (m.op) {
    case 'delete':
      lines.splice(i, 1);
      break;
    case 'duplicate':
      lines.splice(i, 0, lines[i]);
      break;
    case 'value': {
      const v = VALUE_LINE.exec(lines[i]);
      lines[i] = v ? `${v[1]}${m.value}${v[3] ?? ''}` : `${lines[i]} ${m.value}`;
      break;
    }
    case 'key': {
      const k = KEY_LINE.exec(lines[i]);
      if (k) lines[i] = `${k[1]}${m.key}${k[3]}`;
      break;
    }
    case 'indent':
      lines[i] = m.by >= 0 ? ' '.repeat(m.by) + lines[i] : lines[i].replace(new RegExp(`^ {0,${-m.by}}`), '');
      break;
    case 'insert':
      lines.splice(i, 0, m.line);
      break;
    case 'truncate':
      return text.slice(0, m.at % (text.length + 1));
    case 'nest': {
      const deep = m.flow
        ? `deep: ${'['.repeat(m.depth)}1${']'.repeat(m.depth)}`
        : Array.from({ length: Math.min(m.depth, 120) }, (_, d) => `${' '.repeat(d)}k${d}:`).join('\n') + ' 1';
      lines.splice(i, 0, deep);
      break;
    }
    case 'garbage': {
      const offset = m.at % (text.length + 1);
      return text.slice(0, offset) + m.bytes + text.slice(offset);
    }
  }
  return lines.join('\n');
}

export function mutateAll(text: string, ms: readonly Mutation[]): string {
  return ms.reduce(mutate, text);
}
