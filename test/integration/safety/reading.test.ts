/**
 * Bounded, safe reading: what a config references (`devices:`) and what the
 * CLI is given must be regular files, checked before they are read, read with
 * a size cap; the CLI refuses references outside the config's folder (or
 * --root) unless --allow-outside, as CI checks untrusted pull requests; the
 * language server never blocks on a file; messages echo only short excerpts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configText, devicesText } from '../../fixtures/configText';
import { CLI, ensureBuilt, startTestServer, until, type TestServer } from '../lsp/lspClient';

/** A CLI run that would hang on today's bugs is cut off here and fails the test. */
const HANG_MS = 15_000;

let dir: string;
let repo: string;
const SECRET = 'hunter2-secret-line';

function run(args: string[], cwd = repo) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: HANG_MS, killSignal: 'SIGKILL', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, all: `${r.stdout}${r.stderr}` };
}

function mkfifo(p: string): void {
  execFileSync('mkfifo', [p]);
}

before(() => {
  ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'shardlens-reading-'));
  repo = path.join(dir, 'repo');
  mkdirSync(path.join(repo, 'configs'), { recursive: true });
  // A file outside the repository that looks enough like YAML to be echoed line by line.
  writeFileSync(path.join(dir, 'shadow'), `root: ${SECRET}\ndaemon: x\n`);
  writeFileSync(path.join(dir, 'cluster.shard.yaml'), devicesText(2));
  writeFileSync(path.join(repo, 'cluster.shard.yaml'), devicesText(2));
  symlinkSync(path.join(dir, 'shadow'), path.join(repo, 'configs', 'link.shard.yaml'));
  mkfifo(path.join(repo, 'pipe.shard.yaml'));
  mkfifo(path.join(repo, 'pipe.jsonl'));
  mkfifo(path.join(repo, 'pipe.csv'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("reading: the CLI stays inside the config's folder unless told otherwise", () => {
  it('devices: ../shadow (outside) → SL025, exit 1, and no line of it is printed', () => {
    writeFileSync(path.join(repo, 'up.shard.yaml'), configText({ devicesRef: '../shadow' }));
    const r = run(['check', 'up.shard.yaml']);
    assert.equal(r.code, 1, r.all);
    assert.match(r.stdout, /SL025 '\.\.\/shadow' is not read: it is outside .*--root DIR.*--allow-outside/);
    assert.ok(!r.all.includes(SECRET), r.all);
  });

  it('an absolute path, and a symlink inside the folder that leads outside → SL025', () => {
    writeFileSync(path.join(repo, 'abs.shard.yaml'), configText({ devicesRef: path.join(dir, 'shadow') }));
    writeFileSync(path.join(repo, 'configs', 'viaLink.shard.yaml'), configText({ devicesRef: './link.shard.yaml' }));
    for (const f of ['abs.shard.yaml', 'configs/viaLink.shard.yaml']) {
      const r = run(['check', f, '--format', 'json']);
      assert.equal(r.code, 1, r.all);
      const codes = (JSON.parse(r.stdout) as { diagnostics: Array<{ code: string }> }).diagnostics.map((d) => d.code);
      assert.ok(codes.includes('SL025'), `${f}: ${codes.join(',')}`);
      assert.ok(!r.all.includes(SECRET), r.all);
    }
  });

  it('--root DIR widens the boundary; --allow-outside lifts it; the two together are a usage error', () => {
    writeFileSync(path.join(repo, 'configs', 'shared.shard.yaml'), configText({ devicesRef: '../cluster.shard.yaml' }));
    assert.equal(run(['check', 'configs/shared.shard.yaml']).code, 1, 'the repo root is outside configs/');
    const widened = run(['check', 'configs/shared.shard.yaml', '--root', '.']);
    assert.equal(widened.code, 0, widened.all);
    writeFileSync(path.join(repo, 'outside.shard.yaml'), configText({ devicesRef: '../cluster.shard.yaml' }));
    const stillOut = run(['check', 'outside.shard.yaml', '--root', '.']);
    assert.equal(stillOut.code, 1);
    assert.match(stillOut.stdout, /SL025 .*--allow-outside/);
    const lifted = run(['check', 'outside.shard.yaml', '--allow-outside']);
    assert.equal(lifted.code, 0, lifted.all);
    assert.equal(run(['check', 'outside.shard.yaml', '--allow-outside', '--root', '.']).code, 2);
    assert.equal(run(['check', 'outside.shard.yaml', '--root', 'no-such-dir']).code, 2);
  });

  it('plan applies the same boundary', () => {
    const r = run(['plan', 'up.shard.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /SL025/);
    assert.ok(!r.all.includes(SECRET));
  });
});

describe('reading: only regular files, never a hang, never unbounded', () => {
  it('devices: a FIFO in the folder → SL023 "named pipe", promptly (it used to hang the CLI)', () => {
    writeFileSync(path.join(repo, 'fifo.shard.yaml'), configText({ devicesRef: './pipe.shard.yaml' }));
    const r = run(['check', 'fifo.shard.yaml']);
    assert.equal(r.signal, null, 'the CLI hung on the FIFO');
    assert.equal(r.code, 1, r.all);
    assert.match(r.stdout, /SL023 .*named pipe/);
  });

  it('devices: /dev/zero (allowed outside) → SL023 "device", promptly (it used to read gigabytes)', () => {
    writeFileSync(path.join(repo, 'zero.shard.yaml'), configText({ devicesRef: '/dev/zero' }));
    const r = run(['check', 'zero.shard.yaml', '--allow-outside']);
    assert.equal(r.signal, null, 'the CLI kept reading /dev/zero');
    assert.equal(r.code, 1, r.all);
    assert.match(r.stdout, /SL023 .*device/);
  });

  it('a devices file over the size cap is refused without being read', () => {
    const big = path.join(repo, 'big.shard.yaml');
    const fd = openSync(big, 'w');
    closeSync(fd);
    // A sparse 65 MiB file: refused from its size alone.
    execFileSync('truncate', ['-s', `${65 * 2 ** 20}`, big]);
    writeFileSync(path.join(repo, 'bigref.shard.yaml'), configText({ devicesRef: './big.shard.yaml' }));
    const r = run(['check', 'bigref.shard.yaml']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /SL023 .*larger than 64 MiB/);
  });

  for (const [what, args] of [
    ['check FIFO', ['check', 'pipe.shard.yaml']],
    ['plan FIFO', ['plan', 'pipe.shard.yaml']],
    ['predict --sets FIFO', ['predict', '--sets', 'pipe.jsonl']],
    ['import FIFO', ['import', 'pipe.csv']],
    ['check /dev/zero', ['check', '/dev/zero']],
    ['predict --sets /dev/zero', ['predict', '--sets', '/dev/zero']],
  ] as const) {
    it(`CLI input: ${what} → a message, exit 1, no hang`, () => {
      const r = run([...args]);
      assert.equal(r.signal, null, `${what} hung`);
      assert.equal(r.code, 1, r.all);
      assert.match(r.all, /named pipe|device/);
      assert.doesNotMatch(r.all, /\n\s+at .+:\d+:\d+/, 'no stack trace');
    });
  }

  it('a huge reference path is echoed only as a short excerpt', () => {
    const ref = `./${'x'.repeat(5000)}/cluster.shard.yaml`;
    writeFileSync(path.join(repo, 'longref.shard.yaml'), configText({ devicesRef: ref }));
    const r = run(['check', 'longref.shard.yaml', '--format', 'json']);
    const ds = (JSON.parse(r.stdout) as { diagnostics: Array<{ message: string }> }).diagnostics;
    assert.ok(ds.length > 0);
    for (const d of ds) assert.ok(d.message.length < 600, `${d.message.length} chars: ${d.message.slice(0, 120)}…`);
  });
});

describe('reading: the language server never blocks on a file', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ rootDir: repo });
  });
  after(async () => {
    await server.stop();
  });

  it('devices: a FIFO in the workspace → SL023, and the server keeps answering (it used to freeze)', async () => {
    const uri = `file://${path.join(repo, 'lsp-fifo.shard.yaml')}`;
    await server.open(uri, configText({ devicesRef: './pipe.shard.yaml' }));
    const pub = await until('diagnostics for the FIFO reference', () => server.lastPublished(uri), 10_000);
    const d = pub.diagnostics.find((x) => x.code === 'SL023');
    assert.ok(d, JSON.stringify(pub.diagnostics));
    assert.match(d.message, /named pipe/);
    // Still alive: another document is analysed, and a request is answered.
    const other = `file://${path.join(repo, 'lsp-ok.shard.yaml')}`;
    await server.open(other, configText({ devicesRef: './cluster.shard.yaml' }));
    const ok = await until('diagnostics for a good reference', () => server.lastPublished(other), 10_000);
    assert.deepEqual(
      ok.diagnostics.filter((x) => x.severity === 1).map((x) => x.code),
      [],
    );
    const hover = await server.conn.sendRequest('textDocument/hover', { textDocument: { uri: other }, position: { line: 1, character: 1 } });
    assert.notEqual(hover, undefined);
  });

  it('devices: a symlink to /dev/zero in the workspace → SL025 (it leads outside), promptly', async () => {
    symlinkSync('/dev/zero', path.join(repo, 'zero-link.shard.yaml'));
    const uri = `file://${path.join(repo, 'lsp-zero.shard.yaml')}`;
    await server.open(uri, configText({ devicesRef: './zero-link.shard.yaml' }));
    const pub = await until('diagnostics for the /dev/zero link', () => server.lastPublished(uri), 10_000);
    assert.ok(
      pub.diagnostics.some((x) => x.code === 'SL025'),
      JSON.stringify(pub.diagnostics),
    );
  });
});
