/**
 * What the extension-host tests open and compare against: the workspace's example files and
 * the `shardlens` CLI (same engine as the language server) as the oracle.
 */
import * as vscode from 'vscode';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

export const EXTENSION_ID = 'shardlens.shardlens';

/** The example file `name` in the (copied) examples workspace the tests were opened on. */
export function exampleUri(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the suite needs the examples folder opened as the workspace');
  return vscode.Uri.joinPath(folder.uri, name);
}

/** Opens and shows a document; returns its editor. */
export async function show(uri: vscode.Uri): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(doc);
}

/**
 * Runs the CLI with `--format json` and parses stdout (exit status 1 on config errors is
 * expected and still carries JSON). SHARDLENS_CLI overrides the path (the harness's probe).
 */
export function cliJson<T>(args: string[]): T {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  const cli = process.env.SHARDLENS_CLI ?? path.join(ext?.extensionPath ?? '', 'dist/cli.js');
  let out: string;
  try {
    out = execFileSync(process.execPath, [cli, ...args, '--format', 'json'], {
      encoding: 'utf8',
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      timeout: 120_000,
    });
  } catch (err) {
    const e = err as { stdout?: string; message: string };
    if (!e.stdout) throw err;
    out = e.stdout;
  }
  return JSON.parse(out) as T;
}
