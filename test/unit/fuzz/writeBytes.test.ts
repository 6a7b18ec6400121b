/**
 * `plan --write` edits bytes, not decoded text: over random line endings (LF,
 * CRLF, lone CR), a byte-order mark, invalid UTF-8 and comments anywhere,
 * every byte outside the `placement:` section survives, and what was written
 * reads back as the new placement.
 */
import fc from 'fast-check';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { placementEdit } from '../../../server/src/config/placementText';
import type { Placement } from '../../../server/src/config/types';
import { applyEditToBytes, utf16ByteStarts } from '../../../server/src/io/byteEdit';
import { checkLoad } from '../../fuzz/checkLoad';
import { property, runs } from '../../fuzz/runs';

const eolArb = fc.constantFrom('\n', '\r\n', '\r');
/** Comment bodies: ASCII, valid multi-byte UTF-8, and invalid sequences (never a line break). */
const commentBytesArb = fc.oneof(
  fc.string({ maxLength: 12 }).map((s) => Buffer.from(s.replace(/[\r\n]/g, ' '), 'utf8')),
  fc.constantFrom('é', 'ユーザー', '🙂', '\u00a0').map((s) => Buffer.from(s, 'utf8')),
  fc.uint8Array({ minLength: 1, maxLength: 8 }).map((b) => Buffer.from(Array.from(b, (x) => (x === 10 || x === 13 ? 0x80 : x | 0x80)))),
);
const commentArb = commentBytesArb.map((b) => Buffer.concat([Buffer.from('# '), b]));

const TABLES = ['a', 'b', 'c', 'd'];

interface Doc {
  bytes: Buffer;
  start: number;
  end: number;
}

/** One config as bytes, with the byte range of its placement section (key to end of the last entry). */
const docArb: fc.Arbitrary<Doc> = fc
  .record({
    bom: fc.boolean(),
    eols: fc.array(eolArb, { minLength: 40, maxLength: 40 }),
    comments: fc.array(fc.option(commentArb, { freq: 2 }), { minLength: 40, maxLength: 40 }),
    trailing: fc.array(commentArb, { maxLength: 3 }),
    placementAt: fc.integer({ min: 0, max: 4 }),
    endsWithEol: fc.boolean(),
  })
  .map(({ bom, eols, comments, trailing, placementAt, endsWithEol }) => {
    let n = 0;
    const parts: Buffer[] = [];
    let size = 0;
    const push = (b: Buffer) => {
      parts.push(b);
      size += b.length;
    };
    const line = (s: string) => {
      const c = comments[n];
      push(Buffer.from(s));
      // A comment on its own line before the next one (a trailing comment would belong to the value).
      push(Buffer.from(eols[n++ % eols.length]));
      if (c) {
        push(c);
        push(Buffer.from(eols[n++ % eols.length]));
      }
    };
    if (bom) push(Buffer.from([0xef, 0xbb, 0xbf]));
    const blocks: Array<() => void> = [
      () => line('version: 1'),
      () => line('batch_size: 4096'),
      () => {
        line('devices:');
        line('  type: H100-80GB');
        line('  count: 2');
      },
      () => {
        line('tables:');
        for (const t of TABLES) line(`  - {name: ${t}, rows: 1000, dim: 16, pooling: 2}`);
      },
    ];
    let start = -1;
    let end = -1;
    const placement = () => {
      start = size;
      push(Buffer.from('placement:'));
      for (const t of TABLES) {
        push(Buffer.from(eols[n++ % eols.length]));
        push(Buffer.from(`  ${t}: 0`));
      }
      end = size;
      push(Buffer.from(eols[n++ % eols.length]));
    };
    blocks.splice(placementAt, 0, placement);
    for (const b of blocks) b();
    trailing.forEach((c, i) => {
      push(c);
      if (i < trailing.length - 1 || endsWithEol) push(Buffer.from(eols[n++ % eols.length]));
    });
    return { bytes: Buffer.concat(parts), start, end };
  });

const newPlacement: Placement = new Map([
  ['a', { kind: 'table', gpu: 1 }],
  ['b', { kind: 'column', gpus: [0, 1] }],
  ['c', { kind: 'row', gpus: [1, 0] }],
  ['d', { kind: 'table', gpu: 0 }],
]);

describe('fuzz: --write edits bytes', () => {
  it('the UTF-16 → byte map agrees with Buffer#toString on any bytes', async () => {
    await property(
      'utf-8 offset map',
      fc.property(fc.uint8Array({ maxLength: 64 }), (raw) => {
        const bytes = Buffer.from(raw);
        const text = bytes.toString('utf8');
        const starts = utf16ByteStarts(bytes);
        assert.equal(starts.length, text.length + 1);
        // Decoding the bytes of each character alone gives that character.
        let rebuilt = '';
        for (let k = 0; k < text.length;) {
          let next = k + 1;
          while (next < text.length && starts[next] === starts[k]) next++;
          rebuilt += bytes.subarray(starts[k], starts[next]).toString('utf8');
          k = next;
        }
        assert.equal(rebuilt, text);
      }),
      runs(1000),
    );
  });

  it('every byte outside placement: survives; the result reads back as the plan', async () => {
    await property(
      'write keeps bytes',
      fc.property(docArb, ({ bytes, start, end }) => {
        const text = bytes.toString('utf8');
        const { loaded, problems } = checkLoad(text);
        assert.deepEqual(problems, []);
        const errors = loaded!.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`);
        assert.deepEqual(errors, [], JSON.stringify(bytes.toString('latin1')));
        const { edit } = placementEdit(loaded!, newPlacement);
        const out = applyEditToBytes(bytes, edit, text);
        assert.ok(out.subarray(0, start).equals(bytes.subarray(0, start)), 'bytes before placement: changed');
        const tail = bytes.subarray(end);
        assert.ok(out.subarray(out.length - tail.length).equals(tail), `bytes after the placement section changed: ${JSON.stringify(out.toString('latin1'))}`);
        const back = checkLoad(out.toString('utf8'));
        assert.deepEqual(back.problems, []);
        assert.deepEqual([...(back.loaded!.config?.placement ?? [])].sort(), [...newPlacement].sort());
      }),
      runs(300),
    );
  });
});
