/**
 * `shardlens check --format sarif|github`, the CI formats. The SARIF of
 * examples/mistakes.shard.yaml is validated against the official SARIF 2.1.0
 * JSON schema (test/fixtures/sarif, with its source) by ajv, and checked
 * against `check --format json`: one result per diagnostic, ruleId = code,
 * the same region +1 (SARIF is 1-based, LSP 0-based; both end-exclusive).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Ajv from 'ajv';
import { CODES } from '../../../server/src/config/codes';
import type { Diagnostic } from '../../../server/src/config/diagnostics';
import { ENGINE_CODE_TITLES } from '../../../server/src/engine/engineDiagnostics';
import { escapeData, escapeProperty, githubAnnotation } from '../../../server/src/cli/githubAnnotations';
import { artifactLocation, sarifRegion } from '../../../server/src/cli/sarif';
import { ROOT, ensureBuilt } from '../lsp/lspClient';
import { runCliProcess } from './cliProcess';

const MISTAKES = 'examples/mistakes.shard.yaml';
const SCHEMA = path.join(ROOT, 'test/fixtures/sarif/sarif-schema-2.1.0.json');

const run = (args: string[]) => runCliProcess(args, ROOT);

/**
 * The official schema is JSON Schema draft-04; ajv 8 validates it with its
 * draft-07 vocabulary, which agrees on every keyword the SARIF schema uses
 * (type, enum, required, properties, additionalProperties, items, minItems,
 * uniqueItems, minimum/maximum, pattern, anyOf/oneOf, $ref to #/definitions).
 * Its three formats are checked with WHATWG URL parsing and Date.parse.
 */
function sarifValidator() {
  const schema = JSON.parse(readFileSync(SCHEMA, 'utf8'));
  // Draft-04 names its own URI `id` (draft-06+ `$id`), and its meta-schema is not bundled with ajv 8.
  schema.$id = schema.id;
  delete schema.id;
  delete schema.$schema;
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  ajv.addFormat('uri', (s: string) => {
    try {
      return new URL(s).protocol.length > 1;
    } catch {
      return false;
    }
  });
  ajv.addFormat('uri-reference', (s: string) => {
    try {
      new URL(s, 'file:///base/');
      return !/\s/.test(s);
    } catch {
      return false;
    }
  });
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  return ajv.compile(schema);
}

let sarif: ReturnType<typeof JSON.parse>;
let json: { diagnostics: Array<{ file: string; code: string; severity: string; message: string; range: Diagnostic['range'] }> };
let sarifExit: number;

before(() => {
  ensureBuilt();
  const s = run(['check', MISTAKES, '--format', 'sarif']);
  sarifExit = s.code;
  sarif = JSON.parse(s.stdout);
  json = JSON.parse(run(['check', MISTAKES, '--format', 'json']).stdout);
});

describe('check --format sarif', () => {
  it('the fixture is the official schema (its id), whole', () => {
    const text = readFileSync(SCHEMA, 'utf8');
    const schema = JSON.parse(text);
    assert.equal(schema.id, 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json');
    assert.equal(text.length, 112_768, 'the length of the file at its source (test/fixtures/sarif/README.md)');
    assert.equal(Object.keys(schema.definitions).length, 52);
  });

  it('the SARIF of examples/mistakes.shard.yaml validates against the SARIF 2.1.0 schema', () => {
    const validate = sarifValidator();
    const ok = validate(sarif);
    assert.ok(ok, JSON.stringify(validate.errors, null, 2));
    // The validator is not vacuous: a result without a message, or a 0 line, fails.
    const broken = structuredClone(sarif);
    delete broken.runs[0].results[0].message;
    broken.runs[0].results[1].locations[0].physicalLocation.region.startLine = 0;
    assert.equal(validate(broken), false);
    assert.ok(validate.errors!.length >= 2);
  });

  it('exit 1 (the example has errors), tool name and version, every code a rule with a description', () => {
    assert.equal(sarifExit, 1);
    assert.equal(sarif.version, '2.1.0');
    const run0 = sarif.runs[0];
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.equal(run0.tool.driver.name, 'ShardLens');
    assert.equal(run0.tool.driver.version, pkg.version);
    assert.equal(run0.columnKind, 'utf16CodeUnits');
    const ids = run0.tool.driver.rules.map((r: { id: string }) => r.id);
    assert.deepEqual(ids, [...Object.keys(CODES), ...Object.keys(ENGINE_CODE_TITLES)]);
    for (const r of run0.tool.driver.rules) assert.ok(r.shortDescription.text.length > 3, r.id);
  });

  it('one result per diagnostic: ruleId = code, ruleIndex to that rule, level by severity, the exact region (1-based)', () => {
    const run0 = sarif.runs[0];
    assert.equal(run0.results.length, json.diagnostics.length);
    assert.ok(run0.results.length >= 10);
    const level: Record<string, string> = { error: 'error', warning: 'warning', information: 'note', hint: 'note' };
    json.diagnostics.forEach((d, i) => {
      const r = run0.results[i];
      assert.equal(r.ruleId, d.code);
      assert.equal(run0.tool.driver.rules[r.ruleIndex].id, d.code);
      assert.equal(r.level, level[d.severity]);
      assert.equal(r.message.text, d.message);
      const loc = r.locations[0].physicalLocation;
      assert.deepEqual(loc.artifactLocation, { uri: MISTAKES, uriBaseId: '%SRCROOT%' });
      assert.deepEqual(loc.region, {
        startLine: d.range.start.line + 1,
        startColumn: d.range.start.character + 1,
        endLine: d.range.end.line + 1,
        endColumn: d.range.end.character + 1,
      });
    });
    // Spot check against the file itself: SL020 underlines the misspelt type.
    const lines = readFileSync(path.join(ROOT, MISTAKES), 'utf8').split('\n');
    const sl020 = run0.results.find((r: { ruleId: string }) => r.ruleId === 'SL020').locations[0].physicalLocation.region;
    assert.equal(lines[sl020.startLine - 1].slice(sl020.startColumn - 1, sl020.endColumn - 1), 'H100-80G');
  });

  it('a clean config: no results, exit 0, still a valid log', () => {
    const r = run(['check', 'examples/criteo-26.shard.yaml', '--format', 'sarif']);
    assert.equal(r.code, 0, r.stderr);
    const log = JSON.parse(r.stdout);
    assert.deepEqual(
      log.runs[0].results.filter((x: { level: string }) => x.level === 'error'),
      [],
    );
    assert.ok(sarifValidator()(log));
  });

  it('paths: relative to the folder check ran in, URI-encoded; outside it a file: URI', () => {
    assert.deepEqual(artifactLocation('/w/sub dir/a#1.shard.yaml', '/w'), { uri: 'sub%20dir/a%231.shard.yaml', uriBaseId: '%SRCROOT%' });
    assert.deepEqual(artifactLocation('/elsewhere/a.shard.yaml', '/w'), { uri: 'file:///elsewhere/a.shard.yaml' });
    assert.deepEqual(sarifRegion({ start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }), { startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 });
  });
});

describe('check --format github', () => {
  it('one workflow command per diagnostic, with file, 1-based line/col, end and the code', () => {
    const r = run(['check', MISTAKES, '--format', 'github']);
    assert.equal(r.code, 1);
    const lines = r.stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('::'));
    assert.equal(lines.length, json.diagnostics.length);
    json.diagnostics.forEach((d, i) => {
      const kind = d.severity === 'error' ? 'error' : d.severity === 'warning' ? 'warning' : 'notice';
      const rg = d.range;
      assert.equal(
        lines[i],
        `::${kind} file=${MISTAKES},line=${rg.start.line + 1},col=${rg.start.character + 1},endLine=${rg.end.line + 1},endColumn=${rg.end.character + 1},title=ShardLens ${d.code}::${escapeData(d.message)}`,
      );
    });
    assert.match(r.stdout, /1 file checked: \d+ errors/);
  });

  it('escapes as the Actions runner unescapes: %, CR, LF in messages; also : and , in properties', () => {
    assert.equal(escapeData('50% of a\r\nb: c, d'), '50%25 of a%0D%0Ab: c, d');
    assert.equal(escapeProperty('dir:a,b%/x.yaml'), 'dir%3Aa%2Cb%25/x.yaml');
    const d: Diagnostic = {
      file: '/w/we:ird,name.shard.yaml',
      severity: 'warning',
      code: 'SL101',
      message: 'line one\nline two: 100%',
      range: { start: { line: 2, character: 4 }, end: { line: 3, character: 0 } },
    };
    assert.equal(githubAnnotation(d, '/w'), '::warning file=we%3Aird%2Cname.shard.yaml,line=3,col=5,endLine=4,endColumn=1,title=ShardLens SL101::line one%0Aline two: 100%25');
    assert.match(githubAnnotation({ ...d, severity: 'hint' }, '/w'), /^::notice /);
  });
});
