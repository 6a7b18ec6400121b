/**
 * Input echoed in messages is cut to a short excerpt: a 5 MB key must not make
 * a 5 MB diagnostic (or fill a CI log), and a file read by mistake must not
 * have its lines printed back.
 */

/** Characters of user input a message repeats at most. */
export const EXCERPT_CHARS = 40;

/** `s` cut to `max` characters (an ellipsis says so), line breaks and control characters shown escaped. */
export function excerpt(s: string, max = EXCERPT_CHARS): string {
  const cut = s.length > max ? s.slice(0, max) : s;
  // eslint-disable-next-line no-control-regex
  const shown = cut.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
  return s.length > max ? `${shown}…` : shown;
}
