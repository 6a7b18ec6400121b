/**
 * Checks the framing of the LSP base protocol on the server's input, byte by
 * byte as it arrives: header fields `Name: value\r\n`, an empty line, then a
 * body of exactly Content-Length bytes
 * (https://microsoft.github.io/language-server-protocol/specifications/lsp/3.17/specification/#baseProtocol).
 *
 * Why: vscode-jsonrpc's reader reports a missing or non-numeric Content-Length
 * as an error and then waits forever on the same bytes, takes `-5` as a
 * length, and waits for a header end that garbage never sends; the server sat
 * wedged, and the client never restarted it. With this check the server logs
 * what was wrong and exits, and the client starts a fresh one.
 */

/** Largest body accepted, bytes: a 64 MiB config (the file cap) as a JSON string, escapes and all, fits. */
export const MAX_CONTENT_BYTES = 512 * 2 ** 20;
/** Largest header block, bytes: real ones are two short fields (Content-Length, Content-Type). */
export const MAX_HEADER_BYTES = 4096;

const CR = 13;
const LF = 10;
const COLON = 58;

/** RFC 7230 token characters (a header field name). */
function isTokenChar(b: number): boolean {
  return (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(b));
}

export class FramingChecker {
  private inBody = false;
  private remaining = 0;
  private header: number[] = [];
  private lineStart = 0;
  private lineHasColon = false;
  private sawCr = false;
  private problem?: string;

  /** Feeds bytes; returns what is wrong with the stream (then and forever after), or undefined. */
  push(chunk: Uint8Array): string | undefined {
    for (let i = 0; i < chunk.length && !this.problem; i++) {
      if (this.inBody) {
        const n = Math.min(this.remaining, chunk.length - i);
        this.remaining -= n;
        i += n - 1;
        if (this.remaining === 0) this.inBody = false;
        continue;
      }
      this.headerByte(chunk[i]);
    }
    return this.problem;
  }

  private fail(why: string): void {
    this.problem ??= why;
  }

  private headerByte(b: number): void {
    if (this.header.length >= MAX_HEADER_BYTES) return this.fail(`a header longer than ${MAX_HEADER_BYTES} bytes`);
    const lineLen = this.header.length - this.lineStart;
    if (this.sawCr && b !== LF) return this.fail('a CR not followed by LF in a header');
    if (b === CR) {
      if (lineLen > 0 && !this.lineHasColon) return this.fail('a header line without a colon');
      this.sawCr = true;
      this.header.push(b);
      return;
    }
    if (b === LF) {
      if (!this.sawCr) return this.fail('a header line ended by LF alone (the protocol needs CRLF)');
      this.sawCr = false;
      this.header.push(b);
      if (lineLen === 1) return this.endOfHeader(); // the line held only its CR: the empty line
      this.lineStart = this.header.length;
      this.lineHasColon = false;
      return;
    }
    if (!this.lineHasColon) {
      if (b === COLON) {
        if (lineLen === 0) return this.fail('a header field without a name');
        this.lineHasColon = true;
      } else if (!isTokenChar(b)) {
        return this.fail('bytes that are not a header field (no Content-Length header)');
      }
    }
    this.header.push(b);
  }

  private endOfHeader(): void {
    const text = Buffer.from(this.header).toString('latin1');
    this.header = [];
    this.lineStart = 0;
    this.lineHasColon = false;
    let length: string | undefined;
    for (const line of text.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0 && line.slice(0, colon).toLowerCase() === 'content-length') length = line.slice(colon + 1).trim();
    }
    if (length === undefined) return this.fail('a message without a Content-Length header');
    if (!/^[0-9]{1,16}$/.test(length)) return this.fail(`a Content-Length that is not a byte count (${JSON.stringify(length.slice(0, 20))})`);
    const n = Number(length);
    if (n > MAX_CONTENT_BYTES) return this.fail(`a Content-Length of ${n} bytes (at most ${MAX_CONTENT_BYTES} accepted)`);
    this.remaining = n;
    this.inBody = n > 0;
  }
}
