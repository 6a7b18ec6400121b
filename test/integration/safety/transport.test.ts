/**
 * Transport and pipes: a language server fed a bad, negative or missing
 * Content-Length (or no header at all) logs why and exits, so the client
 * restarts it, instead of sitting wedged forever; well-formed input split at
 * any byte is still accepted; the CLI exits quietly when its stdout closes
 * (`shardlens plan … | head`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FramingChecker, MAX_CONTENT_BYTES } from '../../../server/src/lsp/framing';
import { configText } from '../../fixtures/configText';
import { CLI, ROOT, ensureBuilt } from '../lsp/lspClient';
import { property, runs } from '../../fuzz/runs';

const frame = (body: string) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const INIT = frame(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } }));

/** Spawns the server, writes `input`, waits up to `ms` for it to exit. */
async function serveWith(input: string | Buffer, ms = 10_000): Promise<{ code: number | null; stdout: string; stderr: string; exited: boolean }> {
  const p = spawn(process.execPath, [CLI, 'serve', '--stdio'], { cwd: ROOT, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d) => {
    stdout += d;
  });
  p.stderr.on('data', (d) => {
    stderr += d;
  });
  p.stdin.on('error', () => undefined); // the server may exit before all of it is written
  p.stdin.write(input);
  const exited = await new Promise<boolean>((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    p.on('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
  if (!exited) p.kill('SIGKILL');
  return { code: p.exitCode, stdout, stderr, exited };
}

before(() => ensureBuilt());

describe('transport: malformed framing ends the server with a message', () => {
  const cases: Array<[string, string]> = [
    ['missing Content-Length', 'Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}'],
    ['non-numeric Content-Length', 'Content-Length: abc\r\n\r\n{}'],
    ['negative Content-Length', 'Content-Length: -5\r\n\r\n{"jsonrpc":"2.0"}'],
    ['Content-Length beyond the cap', `Content-Length: ${MAX_CONTENT_BYTES + 1}\r\n\r\n{}`],
    ['no header at all', 'hello world\n'],
    ['LF-only header lines', 'Content-Length: 2\n\n{}'],
    ['garbage after a good message', `${INIT}\u0000\u0001 not a header`],
  ];
  for (const [what, input] of cases) {
    it(`${what}: logs why on stderr and exits non-zero (it used to wedge)`, async () => {
      const r = await serveWith(input);
      assert.ok(r.exited, `${what}: the server is still running after 10 s`);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /ShardLens server: the client sent .+; .* exits/);
    });
  }

  it('a good handshake, written one byte at a time, is answered (control)', async () => {
    const p = spawn(process.execPath, [CLI, 'serve', '--stdio'], { cwd: ROOT, stdio: 'pipe' });
    let stdout = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    for (const byte of Buffer.from(INIT)) p.stdin.write(Buffer.from([byte]));
    const deadline = Date.now() + 15_000;
    while (!/"id":1/.test(stdout) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    p.kill();
    assert.match(stdout, /Content-Length: \d+\r\n\r\n\{.*"id":1.*"capabilities"/s);
  });
});

describe('transport: the framing checker (property)', () => {
  it('well-formed streams split at any byte never trip it; a corrupted header always does', async () => {
    const bodyArb = fc.string({ unit: 'grapheme', maxLength: 200 }).map((s) => JSON.stringify({ jsonrpc: '2.0', method: 'x', params: { s } }));
    const headerArb = fc.constantFrom('', 'Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n');
    await property(
      'framing: well-formed streams pass',
      fc.property(fc.array(fc.tuple(bodyArb, headerArb), { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 20 }), (msgs, cuts) => {
        const bytes = Buffer.concat(msgs.map(([b, h]) => Buffer.from(`${h}Content-Length: ${Buffer.byteLength(b)}\r\n${h}\r\n${b}`)));
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const checker = new FramingChecker();
        let from = 0;
        for (const p of [...points, bytes.length]) {
          assert.equal(checker.push(bytes.subarray(from, p)), undefined);
          from = p;
        }
      }),
      runs(300),
    );
    await property(
      'framing: broken headers fail',
      fc.property(
        bodyArb,
        fc.constantFrom(
          'Content-Length: -1',
          'Content-Length: 1e3',
          'Content-Length:',
          'Content-Lenght: 12',
          'content length: 3',
          'Content-Length: 0x10',
          'X: 1\nContent-Length: 2',
        ),
        (body, header) => {
          assert.notEqual(new FramingChecker().push(Buffer.from(`${header}\r\n\r\n${body}`)), undefined, header);
        },
      ),
      runs(200),
    );
  });
});

describe('pipes: the CLI and a closed stdout', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'shardlens-pipe-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('plan with stdout closed early (| head) exits quietly: no EPIPE, no stack trace', async () => {
    const file = path.join(dir, 'model.shard.yaml');
    writeFileSync(file, configText({ tables: 30, gpus: 8 }));
    // The reading end is closed before the CLI writes anything.
    const p = spawn(process.execPath, [CLI, 'plan', file, '--strategy', 'greedy'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.destroy();
    let stderr = '';
    p.stderr.on('data', (d) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((resolve) => p.on('exit', (c) => resolve(c)));
    assert.doesNotMatch(stderr, /EPIPE|\n\s+at .+:\d+:\d+/, stderr);
    assert.equal(code, 0);
  });

  it('the same through a shell pipe into head', () => {
    const file = path.join(dir, 'big.shard.yaml');
    writeFileSync(file, configText({ tables: 200, gpus: 64 }));
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" plan "${file}" --strategy greedy | head -1`], { cwd: dir, encoding: 'utf8' });
    assert.match(r.stdout, /ShardLens plan/);
    assert.doesNotMatch(r.stderr, /EPIPE|\n\s+at .+:\d+:\d+/, r.stderr);
  });
});
