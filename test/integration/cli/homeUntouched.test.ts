/**
 * Nothing is written outside the user's files: the CLI (the same bundle as the
 * language server, the same cost-model registry) run with HOME and the XDG
 * folders pointed at an empty temp folder leaves it empty, also when it loads
 * onnxruntime-node (the learned model prices kernel torch_embedding_bag on an
 * H100), which otherwise records a device id under
 * ~/.cache/Microsoft/DeveloperTools/.onnxruntime/.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, it } from 'node:test';
import { CLI, ensureBuilt } from '../lsp/lspClient';

const CONFIG = `version: 1
batch_size: 4096
kernel: torch_embedding_bag
optimizer: sgd
devices: {type: H100-80GB, count: 2}
tables:
  - {name: a, rows: 100000, dim: 64, pooling: 2}
  - {name: b, rows: 200000, dim: 32, pooling: 4}
`;

let work: string;
let home: string;
before(() => {
  ensureBuilt();
  work = mkdtempSync(path.join(tmpdir(), 'shardlens-home-work-'));
  home = mkdtempSync(path.join(tmpdir(), 'shardlens-home-'));
  writeFileSync(path.join(work, 'ebag.shard.yaml'), CONFIG);
});
after(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

/** Every path under `dir`, relative. */
function everything(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', HOME: home, USERPROFILE: home };
  // The XDG base folders, where a library could also put caches and state.
  for (const v of ['XDG_CACHE_HOME', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_STATE_HOME']) delete env[v];
  delete env.ORT_DISABLE_TELEMETRY;
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: work, encoding: 'utf8', env });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

it('check and plan with the learned (ONNX) model write nothing under HOME', () => {
  const check = run(['check', 'ebag.shard.yaml']);
  assert.equal(check.code, 0, check.stderr + check.stdout);
  assert.match(check.stdout, /cost model learned: h100-cost-v\d+ \[torch_embedding_bag\]/, 'onnxruntime-node was loaded');
  const plan = run(['plan', 'ebag.shard.yaml', '--format', 'json']);
  assert.equal(plan.code, 0, plan.stderr);
  assert.deepEqual(everything(home), []);
  assert.deepEqual(everything(work), ['ebag.shard.yaml'], 'and nothing beside the config either');
});

it('a HOME that already has a cache folder gets nothing added', () => {
  mkdirSync(path.join(home, '.cache'));
  const r = run(['check', 'ebag.shard.yaml']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(everything(home), ['.cache']);
});
