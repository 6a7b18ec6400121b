/**
 * fast-check generators of VALID ShardLens configs (docs/config-format.md),
 * written as text with comments in block or flow style, plus the model they
 * describe so properties can compare. Sizes stay small (≤ 14 tables, ≤ 8 GPUs)
 * so planners run in milliseconds per case.
 */
import fc from 'fast-check';
import { GPU_PRESETS } from '../../server/src/config/presets';

export interface GenTable {
  name: string;
  rows: number;
  dim: number;
  pooling: number;
  zipf: number;
  dtype?: 'fp32' | 'fp16';
  sharding?: Array<'table' | 'column' | 'row'>;
  pin?: number;
}

export interface GenConfig {
  batchSize: number;
  dtype: 'fp32' | 'fp16';
  optimizer: 'sgd' | 'rowwise_adagrad' | 'adam';
  type: string;
  count: number;
  perHost: number;
  reserve: number;
  tables: GenTable[];
  /** Table name → GPU, for a table-wise placement of some tables (may be incomplete). */
  placement?: Array<[string, number]>;
  /** Comments sprinkled in; each is unique so a test can find it after an edit. */
  comments: boolean;
  newline: '\n' | '\r\n';
}

const SAFE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Names: plain identifiers most of the time, unicode and YAML-hostile strings sometimes. */
const nameArb = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/) },
  { weight: 1, arbitrary: fc.constantFrom('ユーザーID', 'émbed', 'ключ', 'true', 'null', 'a: b', '#hash', '- dash', 'x"y', "it's", '🙂emoji', 'tab\there', '0x1F', '1e3') },
);

const tableArb = (gpus: number): fc.Arbitrary<Omit<GenTable, 'name'>> =>
  fc
    .record({
      rows: fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 50_000_000 })),
      dim: fc.integer({ min: 1, max: 64 }).map((k) => k * 4),
      pooling: fc.oneof(
        fc.constant(1),
        fc.double({ min: 0.01, max: 100, noNaN: true }).map((x) => Math.round(x * 100) / 100 || 1),
      ),
      zipf: fc.oneof(
        fc.constant(0),
        fc.double({ min: 0, max: 2, noNaN: true }).map((x) => Math.round(x * 100) / 100),
      ),
      dtype: fc.option(fc.constantFrom('fp32' as const, 'fp16' as const), { nil: undefined }),
      sharding: fc.option(fc.subarray(['table', 'column', 'row'] as Array<'table' | 'column' | 'row'>, { minLength: 1 }), { nil: undefined, freq: 3 }),
      pin: fc.option(fc.integer({ min: 0, max: gpus - 1 }), { nil: undefined, freq: 6 }),
    })
    .map((t) => {
      // A pinned table is placed whole on its GPU: it must allow table-wise sharding.
      if (t.pin !== undefined && t.sharding && !t.sharding.includes('table')) t.sharding = [...t.sharding, 'table'];
      return t;
    });

export const configArb: fc.Arbitrary<GenConfig> = fc
  .integer({ min: 1, max: 8 })
  .chain((count) =>
    fc.record({
      batchSize: fc.constantFrom(512, 4096, 65_536, 262_144),
      dtype: fc.constantFrom('fp32' as const, 'fp16' as const),
      optimizer: fc.constantFrom('sgd' as const, 'rowwise_adagrad' as const, 'adam' as const),
      type: fc.constantFrom(...Object.keys(GPU_PRESETS)),
      count: fc.constant(count),
      perHost: fc.integer({ min: 1, max: count }),
      reserve: fc.constantFrom(0, 0.1, 0.15, 0.5),
      tables: fc.uniqueArray(fc.tuple(nameArb, tableArb(count)), { minLength: 1, maxLength: 14, selector: ([n]) => n }).map((list) => list.map(([name, t]) => ({ name, ...t }))),
      comments: fc.boolean(),
      newline: fc.constantFrom('\n' as const, '\n' as const, '\r\n' as const),
      placementSeed: fc.option(fc.array(fc.integer({ min: 0, max: count - 1 }), { minLength: 14, maxLength: 14 }), { nil: undefined }),
      placementDrop: fc.integer({ min: 0, max: 3 }),
    }),
  )
  .map(({ placementSeed, placementDrop, ...c }) => {
    const cfg: GenConfig = c;
    if (placementSeed) {
      cfg.placement = c.tables
        .map((t, i): [string, number] => [t.name, t.pin ?? placementSeed[i]])
        .filter((_, i) => i >= placementDrop || c.tables.length <= 1)
        // Written placements here are table-wise: only for tables that allow it.
        .filter(([name]) => {
          const t = c.tables.find((x) => x.name === name)!;
          return !t.sharding || t.sharding.includes('table');
        });
    }
    return cfg;
  });

/** A name as YAML: plain when safe, else JSON-quoted (valid YAML). */
export function yamlName(name: string): string {
  return SAFE_NAME.test(name) && !/^(true|false|null|yes|no|on|off|y|n|~)$/i.test(name) ? name : JSON.stringify(name);
}

/** Block-style text with a unique comment on many lines (when `comments`). */
export function renderBlock(c: GenConfig): string {
  let k = 0;
  const cm = (s: string) => (c.comments ? `${s}  # c${k++} keep me` : s);
  const lines: string[] = [];
  if (c.comments) lines.push(`# c${k++} header comment`, '');
  lines.push(cm('version: 1'), cm(`batch_size: ${c.batchSize}`), cm(`dtype: ${c.dtype}`), cm(`optimizer: ${c.optimizer}`));
  lines.push(cm('devices:'), cm(`  type: ${c.type}`), cm(`  count: ${c.count}`), cm(`  per_host: ${c.perHost}`), cm(`  reserve: ${c.reserve}`));
  if (c.comments) lines.push(`# c${k++} before tables`);
  lines.push(cm('tables:'));
  for (const t of c.tables) {
    lines.push(cm(`  - name: ${yamlName(t.name)}`), cm(`    rows: ${t.rows}`), cm(`    dim: ${t.dim}`), cm(`    pooling: ${t.pooling}`), cm(`    zipf: ${t.zipf}`));
    if (t.dtype) lines.push(cm(`    dtype: ${t.dtype}`));
    if (t.sharding) lines.push(cm(`    sharding: [${t.sharding.join(', ')}]`));
    if (t.pin !== undefined) lines.push(cm(`    pin: ${t.pin}`));
  }
  if (c.placement) {
    if (c.comments) lines.push(`# c${k++} before placement`);
    lines.push(cm('placement:'));
    for (const [name, g] of c.placement) lines.push(cm(`  ${yamlName(name)}: ${g}`));
  }
  if (c.comments) lines.push(`# c${k++} trailing comment`);
  return lines.join(c.newline) + c.newline;
}

/** Flow (JSON) style: one object, tables as inline mappings. */
export function renderFlow(c: GenConfig): string {
  const tables = c.tables.map((t) => {
    const o: Record<string, unknown> = { name: t.name, rows: t.rows, dim: t.dim, pooling: t.pooling, zipf: t.zipf };
    if (t.dtype) o.dtype = t.dtype;
    if (t.sharding) o.sharding = t.sharding;
    if (t.pin !== undefined) o.pin = t.pin;
    return o;
  });
  const doc: Record<string, unknown> = {
    version: 1,
    batch_size: c.batchSize,
    dtype: c.dtype,
    optimizer: c.optimizer,
    devices: { type: c.type, count: c.count, per_host: c.perHost, reserve: c.reserve },
    tables,
  };
  if (c.placement) doc.placement = Object.fromEntries(c.placement);
  return JSON.stringify(doc, null, 1).split('\n').join(c.newline) + c.newline;
}

export const configTextArb: fc.Arbitrary<{ config: GenConfig; text: string }> = fc
  .tuple(configArb, fc.integer({ min: 0, max: 4 }))
  .map(([config, style]) => ({ config, text: style === 0 ? renderFlow(config) : renderBlock(config) }));
