/**
 * A small RFC 4180 CSV reader for `shardlens import`: fields separated by a
 * comma (or a tab), quoted fields that hold separators, quotes (written "")
 * and line breaks, CRLF / LF / CR record ends, a leading BOM. Each record
 * carries the 1-based line it starts on, so a bad row is reported where the
 * user sees it. Blank records and records whose first, unquoted field starts
 * with `#` are skipped (comment lines). Malformed quoting is reported, never
 * guessed around: the rest of the record is still read so later records keep
 * their lines. Pure: text in, records out.
 */

export interface CsvRecord {
  /** 1-based line the record starts on. */
  line: number;
  fields: string[];
  /** Which fields were quoted (a quoted empty field is still a value). */
  quoted: boolean[];
}

export interface CsvProblem {
  line: number;
  message: string;
}

export interface CsvResult {
  records: CsvRecord[];
  problems: CsvProblem[];
}

/** The separator of a file: a tab when the first line has tabs and no commas outside quotes, else a comma. */
export function detectSeparator(text: string): ',' | '\t' {
  let quoted = false;
  let commas = 0;
  let tabs = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) {
      if (commas + tabs > 0) break;
    } else if (!quoted && c === ',') commas++;
    else if (!quoted && c === '\t') tabs++;
  }
  return tabs > 0 && commas === 0 ? '\t' : ',';
}

export function parseCsv(input: string, sep: ',' | '\t' = detectSeparator(input)): CsvResult {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const records: CsvRecord[] = [];
  const problems: CsvProblem[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    const quoted: boolean[] = [];
    let endOfRecord = false;
    while (!endOfRecord) {
      let value = '';
      let wasQuoted = false;
      if (text[i] === '"') {
        wasQuoted = true;
        const openLine = line;
        i++;
        let closed = false;
        while (i < n) {
          const c = text[i];
          if (c === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            closed = true;
            break;
          }
          if (c === '\r' || c === '\n') {
            // A line break inside quotes is part of the value (normalised to \n) and still counts as a line.
            if (c === '\r' && text[i + 1] === '\n') i++;
            value += '\n';
            line++;
            i++;
            continue;
          }
          value += c;
          i++;
        }
        if (!closed) problems.push({ line: openLine, message: 'a quoted field is never closed (missing ")' });
        // After the closing quote only a separator or the end of the record may follow.
        let junk = '';
        while (i < n && text[i] !== sep && text[i] !== '\n' && text[i] !== '\r') junk += text[i++];
        if (junk.trim() !== '') problems.push({ line, message: `text after a closing quote: "${excerpt(junk)}" (write "" for a quote inside a quoted field)` });
      } else {
        while (i < n && text[i] !== sep && text[i] !== '\n' && text[i] !== '\r') value += text[i++];
        if (value.includes('"')) problems.push({ line, message: `a quote inside an unquoted field: "${excerpt(value)}" (quote the whole field and write "" for each quote)` });
      }
      fields.push(value);
      quoted.push(wasQuoted);
      if (i >= n) break;
      const c = text[i];
      if (c === sep) {
        i++;
        if (i >= n) {
          fields.push('');
          quoted.push(false);
          endOfRecord = true;
        }
        continue;
      }
      // A record ends at CRLF, LF or CR.
      if (c === '\r' && text[i + 1] === '\n') i++;
      i++;
      line++;
      endOfRecord = true;
    }
    const blank = fields.length === 1 && !quoted[0] && fields[0].trim() === '';
    const comment = !quoted[0] && fields[0].trimStart().startsWith('#');
    if (!blank && !comment) records.push({ line: start, fields, quoted });
  }
  return { records, problems };
}

/** At most 40 characters of input, one line, for messages. */
export function excerpt(s: string, max = 40): string {
  // eslint-disable-next-line no-control-regex
  const one = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
