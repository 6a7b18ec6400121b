import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { test, waitFor } from './harness';
import { cliJson, exampleUri, show } from './fixtures';

interface CliDiagnostic {
  file: string;
  severity: string;
  code: string;
  message: string;
  range: { start: { line: number } };
}

test('mistakes example: the editor shows the same errors as `shardlens check`', async () => {
  const uri = exampleUri('mistakes.shard.yaml');
  await show(uri);
  const expected = cliJson<{ diagnostics: CliDiagnostic[] }>(['check', uri.fsPath])
    .diagnostics.filter((d) => path.resolve(d.file) === uri.fsPath && d.severity === 'error')
    .map((d) => `${d.range.start.line}:${d.code}`)
    .sort();
  assert.ok(expected.length > 0, 'the mistakes example must have errors according to the CLI');
  const got = await waitFor(
    'error diagnostics on mistakes.shard.yaml',
    () => {
      const errs = vscode.languages.getDiagnostics(uri).filter((d) => d.severity === vscode.DiagnosticSeverity.Error);
      return errs.length >= expected.length ? errs : undefined;
    },
    60_000,
  );
  const codeOf = (d: vscode.Diagnostic) => String(typeof d.code === 'object' ? d.code.value : d.code);
  assert.deepEqual(got.map((d) => `${d.range.start.line}:${codeOf(d)}`).sort(), expected);
  for (const d of got) assert.ok(d.message.length > 10, `message says what to do: ${d.message}`);
});
