/**
 * Applying an LSP text edit to the bytes of a file, not to its decoded text:
 * every byte outside the edited range is written back exactly as it was read,
 * invalid UTF-8 and a byte-order mark included (decoding and re-encoding would
 * turn invalid bytes into U+FFFD).
 *
 * Positions are LSP positions in the text the engine analysed, which is the
 * bytes decoded as UTF-8 (Buffer#toString, the WHATWG decoder: each maximal
 * invalid subsequence becomes one U+FFFD). Lines end at \n, \r\n and a lone \r,
 * as LSP counts them.
 */
import type { TextEdit } from '../config/diagnostics';

type Pos = TextEdit['range']['start'];

/**
 * For each UTF-16 code unit of the decoded text, the byte offset where the
 * character it belongs to starts (plus one entry for the end). Follows the
 * WHATWG UTF-8 decoder (https://encoding.spec.whatwg.org/#utf-8-decoder), so
 * the units line up with Buffer#toString('utf8') one for one.
 */
export function utf16ByteStarts(bytes: Uint8Array): Int32Array {
  const starts = new Int32Array(bytes.length + 1);
  let units = 0;
  const emit = (at: number, n: number) => {
    for (let k = 0; k < n; k++) starts[units++] = at;
  };
  let needed = 0;
  let seen = 0;
  let cp = 0;
  let lower = 0x80;
  let upper = 0xbf;
  let seqStart = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (needed === 0) {
      seqStart = i;
      if (b <= 0x7f) emit(i, 1);
      else if (b >= 0xc2 && b <= 0xdf) {
        needed = 1;
        cp = b & 0x1f;
      } else if (b >= 0xe0 && b <= 0xef) {
        if (b === 0xe0) lower = 0xa0;
        if (b === 0xed) upper = 0x9f;
        needed = 2;
        cp = b & 0x0f;
      } else if (b >= 0xf0 && b <= 0xf4) {
        if (b === 0xf0) lower = 0x90;
        if (b === 0xf4) upper = 0x8f;
        needed = 3;
        cp = b & 0x07;
      } else emit(i, 1); // invalid lead byte: one U+FFFD
      continue;
    }
    if (b < lower || b > upper) {
      // The sequence so far is one U+FFFD; this byte starts over.
      needed = seen = cp = 0;
      lower = 0x80;
      upper = 0xbf;
      emit(seqStart, 1);
      i--;
      continue;
    }
    lower = 0x80;
    upper = 0xbf;
    cp = (cp << 6) | (b & 0x3f);
    if (++seen === needed) {
      emit(seqStart, cp > 0xffff ? 2 : 1);
      needed = seen = cp = 0;
    }
  }
  if (needed !== 0) emit(seqStart, 1); // truncated sequence at the end
  starts[units] = bytes.length;
  return starts.subarray(0, units + 1);
}

/** A position's offset in `text` (UTF-16 units), counting lines as LSP does; clamped to the line. */
export function offsetAt(text: string, pos: Pos): number {
  let i = 0;
  for (let line = 0; line < pos.line; line++) {
    const lf = text.indexOf('\n', i);
    const cr = text.indexOf('\r', i);
    if (lf < 0 && cr < 0) return text.length;
    if (cr >= 0 && (lf < 0 || cr < lf)) i = text[cr + 1] === '\n' ? cr + 2 : cr + 1;
    else i = lf + 1;
  }
  let end = i;
  while (end < text.length && text[end] !== '\n' && text[end] !== '\r') end++;
  return Math.min(i + pos.character, end);
}

/** The bytes with `edit` applied; `text` must be `bytes` decoded as UTF-8 (what was analysed). */
export function applyEditToBytes(bytes: Buffer, edit: TextEdit, text = bytes.toString('utf8')): Buffer {
  const starts = utf16ByteStarts(bytes);
  if (starts.length !== text.length + 1) throw new Error('the text is not the UTF-8 decoding of these bytes');
  const a = offsetAt(text, edit.range.start);
  const b = Math.max(a, offsetAt(text, edit.range.end));
  return Buffer.concat([bytes.subarray(0, starts[a]), Buffer.from(edit.newText, 'utf8'), bytes.subarray(starts[b])]);
}
