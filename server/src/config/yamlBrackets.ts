/**
 * Unclosed `[` and `{`. The `yaml` parser reports an unclosed flow collection
 * where it gives up — often the end of the file or a later line that "has the
 * wrong indentation" — far from the mistake. Its concrete syntax tree keeps
 * each flow collection's opening token and closing tokens, so the opening
 * bracket that is never closed (or is closed by the other kind) can be named
 * where it is. Run only on text that already failed to parse.
 */
import { Parser, type CST } from 'yaml';

export interface UnclosedBracket {
  /** Offset of the opening bracket. */
  offset: number;
  open: '[' | '{';
  /** The wrong closing bracket that ends it, if any (`[a, b}`). */
  closedBy?: ']' | '}';
}

const CLOSE = { '[': ']', '{': '}' } as const;

/** Our words for one (constant per kind: SL001 messages never echo input). */
export function unclosedMessage(b: Pick<UnclosedBracket, 'open' | 'closedBy'>): string {
  const close = CLOSE[b.open];
  const what = b.open === '[' ? 'list' : 'mapping';
  return b.closedBy
    ? `this '${b.open}' is closed by '${b.closedBy}': end the ${what} with '${close}'`
    : `this '${b.open}' is never closed: add '${close}' after the last item of the ${what}`;
}

/** Every message unclosedMessage can return. */
export const UNCLOSED_MESSAGES: readonly string[] = (['[', '{'] as const).flatMap((open) =>
  [undefined, ']', '}'].filter((c) => c !== CLOSE[open]).map((closedBy) => unclosedMessage({ open, closedBy: closedBy as ']' | '}' | undefined })),
);

/**
 * The opening bracket to blame, the first in the text: a collection closed by
 * the wrong bracket, or one never closed, unless a wrongly closed one inside it
 * took its closing bracket (then closing the inner one fixes both). One only:
 * everything after an unclosed bracket is inside it, so a second one is often
 * the same mistake seen again (`[[[[` would be one message per bracket).
 */
export function firstUnclosedBracket(text: string): UnclosedBracket | undefined {
  const found: UnclosedBracket[] = [];
  // Iterative: a line of 10,000 `[` nests 10,000 deep.
  const stack: (CST.Token | undefined)[] = [...new Parser().parse(text)];
  while (stack.length > 0) {
    const tok = stack.pop();
    if (!tok) continue;
    switch (tok.type) {
      case 'document':
        stack.push(tok.value);
        break;
      case 'block-map':
      case 'block-seq':
        for (const it of tok.items) stack.push(it.key ?? undefined, it.value);
        break;
      case 'flow-collection': {
        const open = tok.start.source === '[' ? '[' : '{';
        const closer = tok.end.find((t) => t.type === 'flow-map-end' || t.type === 'flow-seq-end');
        const closedBy = closer ? (closer.source === ']' ? ']' : '}') : undefined;
        if (closedBy !== CLOSE[open]) found.push(closedBy ? { offset: tok.start.offset, open, closedBy } : { offset: tok.start.offset, open });
        for (const it of tok.items) stack.push(it.key ?? undefined, it.value);
        break;
      }
      default:
        break;
    }
  }
  const wrong = found.filter((f) => f.closedBy);
  let first: UnclosedBracket | undefined;
  for (const f of found) {
    if (!f.closedBy && wrong.some((w) => w.offset > f.offset)) continue;
    if (!first || f.offset < first.offset) first = f;
  }
  return first;
}
