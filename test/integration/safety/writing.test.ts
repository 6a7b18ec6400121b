/**
 * `plan --write` never damages a file: it edits the bytes it read (lone CRs,
 * invalid UTF-8 and a BOM survive), refuses a read-only file unless --force,
 * writes through a symlink to its target, says clearly when the folder is not
 * writable, and leaves no temp file behind when it is stopped by a signal.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configText } from '../../fixtures/configText';
import { CLI, ROOT, ensureBuilt } from '../lsp/lspClient';

let dir: string;

function run(args: string[], opts: { uid?: number; gid?: number } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' }, ...opts });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, all: `${r.stdout}${r.stderr}` };
}

/** A config (2 GPUs, 6 tables, all on GPU 0) whose placement:` section is followed by more text. */
function configBytes(extraComment: Buffer): Buffer {
  const text = configText({ tables: 6, gpus: 2, placement: 'all-on-0' });
  const at = text.indexOf('# ShardLens test fixture\n') + '# ShardLens test fixture\n'.length;
  return Buffer.concat([Buffer.from(text.slice(0, at)), extraComment, Buffer.from(text.slice(at))]);
}

const count = (hay: string, needle: string) => hay.split(needle).length - 1;

before(() => {
  ensureBuilt();
  dir = mkdtempSync(path.join(tmpdir(), 'shardlens-writing-'));
  chmodSync(dir, 0o755); // the unprivileged run below must be able to enter it
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('--write edits the original bytes', () => {
  it('a lone CR in a comment: the placement is replaced, not kept with a second one appended', () => {
    const file = path.join(dir, 'lonecr.shard.yaml');
    const original = configBytes(Buffer.from('# first half\r# second half after a lone CR\n'));
    writeFileSync(file, original);
    const r = run(['plan', file, '--strategy', 'greedy', '--write']);
    assert.equal(r.code, 0, r.all);
    const written = readFileSync(file);
    const text = written.toString('latin1');
    assert.equal(count(text, 'placement:'), 1, text);
    assert.ok(!text.includes('# hand-written'), 'the old section is gone');
    const head = original.subarray(0, original.indexOf('placement:'));
    assert.ok(written.subarray(0, head.length).equals(head), 'every byte before placement: is unchanged');
    assert.ok(text.endsWith('# trailing comment that must survive\n') || text.includes('# trailing comment that must survive'));
  });

  it('invalid UTF-8 and a BOM outside placement: survive byte for byte (they used to become U+FFFD)', () => {
    const file = path.join(dir, 'bytes.shard.yaml');
    const bad = Buffer.from([0x23, 0x20, 0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82, 0x0a]); // "# " + invalid bytes + "\n"
    const original = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), configBytes(bad)]);
    writeFileSync(file, original);
    const r = run(['plan', file, '--strategy', 'greedy', '--write']);
    assert.equal(r.code, 0, r.all);
    const written = readFileSync(file);
    const cut = original.indexOf('placement:');
    assert.ok(written.subarray(0, cut).equals(original.subarray(0, cut)), 'the BOM and the invalid bytes are still there');
    assert.ok(!written.includes(Buffer.from('\uFFFD', 'utf8')), 'no replacement character written');
  });
});

describe('--write and the file system', () => {
  it('a read-only file is refused with a clear message (mode bits checked: root could write it); --force replaces it and keeps its mode', () => {
    const file = path.join(dir, 'readonly.shard.yaml');
    const text = configText({ tables: 6, gpus: 2, placement: 'all-on-0' });
    writeFileSync(file, text);
    chmodSync(file, 0o444);
    const r = run(['plan', file, '--strategy', 'greedy', '--write']);
    assert.equal(r.code, 1, r.all);
    assert.match(r.stderr, /read-only \(mode 0444\).*--force/);
    assert.doesNotMatch(r.stderr, /internal error/);
    assert.equal(readFileSync(file, 'utf8'), text, 'unchanged');
    const forced = run(['plan', file, '--strategy', 'greedy', '--write', '--force']);
    assert.equal(forced.code, 0, forced.all);
    assert.notEqual(readFileSync(file, 'utf8'), text);
    assert.equal(statSync(file).mode & 0o777, 0o444, 'still read-only');
    assert.equal(run(['plan', file, '--force']).code, 2, '--force without --write is a usage error');
  });

  it('a symlinked config: the target is updated and the link stays a link', () => {
    mkdirSync(path.join(dir, 'real'));
    const real = path.join(dir, 'real', 'model.shard.yaml');
    const link = path.join(dir, 'link.shard.yaml');
    writeFileSync(real, configText({ tables: 6, gpus: 2, placement: 'all-on-0' }));
    symlinkSync('real/model.shard.yaml', link);
    const r = run(['plan', link, '--strategy', 'greedy', '--write']);
    assert.equal(r.code, 0, r.all);
    assert.ok(lstatSync(link).isSymbolicLink(), 'the link was replaced by a regular file');
    assert.equal(readlinkSync(link), 'real/model.shard.yaml');
    assert.ok(!readFileSync(real, 'utf8').includes('# hand-written'), 'the target holds the new placement');
    assert.deepEqual(readdirSync(path.join(dir, 'real')), ['model.shard.yaml'], 'no temp file left');
  });

  it('an unwritable folder gives a clear error, not "internal error: EACCES"', () => {
    const locked = path.join(dir, 'locked');
    mkdirSync(locked);
    const file = path.join(locked, 'model.shard.yaml');
    const text = configText({ tables: 6, gpus: 2, placement: 'all-on-0' });
    writeFileSync(file, text);
    chmodSync(file, 0o666);
    chmodSync(locked, 0o555);
    // Root writes into a 0555 folder anyway: run the CLI as an unprivileged user then.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const r = run(['plan', file, '--strategy', 'greedy', '--write'], asUser);
    assert.equal(r.code, 1, r.all);
    assert.match(r.stderr, /cannot write .*model\.shard\.yaml: the folder .*locked is not writable \(permission denied\); nothing was changed/);
    assert.doesNotMatch(r.stderr, /internal error/);
    assert.equal(readFileSync(file, 'utf8'), text);
    chmodSync(locked, 0o755);
  });
});

describe('--write and signals', () => {
  it('SIGTERM during a write leaves no temp file, and the file is whole (old or new)', async () => {
    const folder = path.join(dir, 'signal');
    mkdirSync(folder);
    const file = path.join(folder, 'big.shard.yaml');
    const old = 'old content\n';
    writeFileSync(file, old);
    const mb = 128;
    // A child that writes a large file through writeFileAtomic, slow enough to be caught mid-write.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `require(${JSON.stringify(path.join(ROOT, 'server/src/cli/atomicWrite.ts'))}).writeFileAtomic(${JSON.stringify(file)}, 'x'.repeat(${mb} * 2 ** 20));`,
      ],
      { cwd: ROOT, stdio: 'ignore' },
    );
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    // Signal as soon as the temp file exists.
    let sent = false;
    const deadline = Date.now() + 30_000;
    while (!sent && Date.now() < deadline && child.exitCode === null) {
      if (readdirSync(folder).some((n) => n.endsWith('.tmp'))) {
        child.kill('SIGTERM');
        sent = true;
        break;
      }
      await new Promise((r) => setImmediate(r));
    }
    const { code, signal } = await exited;
    assert.ok(sent, 'the temp file was seen and the signal sent');
    // The signal is handled once the synchronous write is done: the process then ends by it, or,
    // when nothing else was left to run, simply ends (Node exits before a pending signal's turn).
    assert.ok(signal === 'SIGTERM' || code === 0, `ended by ${signal ?? `exit ${code}`}`);
    assert.deepEqual(readdirSync(folder), ['big.shard.yaml'], 'no temp file left');
    const size = statSync(file).size;
    assert.ok(size === old.length || size === mb * 2 ** 20, `whole file (size ${size})`);
  });

  it('temp files of a write killed outright (SIGKILL) are removed by the next write; a live one is kept', () => {
    const folder = path.join(dir, 'stale');
    mkdirSync(folder);
    const file = path.join(folder, 'model.shard.yaml');
    writeFileSync(file, configText({ tables: 6, gpus: 2, placement: 'all-on-0' }));
    let dead = 4_000_000;
    while (
      (() => {
        try {
          process.kill(dead, 0);
          return true;
        } catch (e) {
          return (e as NodeJS.ErrnoException).code !== 'ESRCH';
        }
      })()
    )
      dead--;
    const stale = `.model.shard.yaml.${dead}.1700000000000.tmp`;
    const live = `.model.shard.yaml.${process.pid}.1700000000000.tmp`;
    writeFileSync(path.join(folder, stale), 'half a write');
    writeFileSync(path.join(folder, live), 'a write in progress');
    const r = run(['plan', file, '--strategy', 'greedy', '--write']);
    assert.equal(r.code, 0, r.all);
    assert.deepEqual(readdirSync(folder).sort(), [live, 'model.shard.yaml'].sort());
  });
});
