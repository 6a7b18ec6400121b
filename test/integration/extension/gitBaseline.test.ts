/**
 * The "vs HEAD" lens's baseline reader (extension/src/gitBaseline.ts) against
 * real git repositories: the committed text, not the working copy, and a
 * sentence (no exception) for every way there is no baseline.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readAtRevision } from '../../../extension/src/gitBaseline';

let repo: string;
let outside: string;

function git(...args: string[]): void {
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd: repo, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

before(() => {
  repo = mkdtempSync(path.join(tmpdir(), 'shardlens-head-'));
  outside = mkdtempSync(path.join(tmpdir(), 'shardlens-nogit-'));
  git('init', '-q');
  writeFileSync(path.join(repo, 'model.shard.yaml'), 'committed\n');
  git('add', 'model.shard.yaml');
  git('commit', '-q', '-m', 'first');
  writeFileSync(path.join(repo, 'model.shard.yaml'), 'edited since\n');
  writeFileSync(path.join(repo, 'new.shard.yaml'), 'never committed\n');
  writeFileSync(path.join(outside, 'lonely.shard.yaml'), 'x\n');
});
after(() => {
  rmSync(repo, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

describe('readAtRevision', () => {
  it('reads the file as committed at HEAD, not the working copy', async () => {
    assert.deepEqual(await readAtRevision(path.join(repo, 'model.shard.yaml'), 'HEAD'), { text: 'committed\n' });
  });

  it('says why there is no baseline: new file, no repository, no git, bad revision', async () => {
    const untracked = await readAtRevision(path.join(repo, 'new.shard.yaml'), 'HEAD', 'git', 'new.shard.yaml');
    assert.deepEqual(untracked, { none: 'new.shard.yaml is not in HEAD (a new file?)' });
    const noRepo = await readAtRevision(path.join(outside, 'lonely.shard.yaml'), 'HEAD', 'git', 'lonely.shard.yaml');
    assert.ok('none' in noRepo && /not inside a git repository/.test(noRepo.none), JSON.stringify(noRepo));
    const noGit = await readAtRevision(path.join(repo, 'model.shard.yaml'), 'HEAD', path.join(outside, 'no-such-git'));
    assert.deepEqual(noGit, { none: 'git is not installed (or not on PATH)' });
    const badRef = await readAtRevision(path.join(repo, 'model.shard.yaml'), 'nope', 'git', 'model.shard.yaml');
    assert.deepEqual(badRef, { none: "unknown git revision 'nope'" });
    const option = await readAtRevision(path.join(repo, 'model.shard.yaml'), '--output=/tmp/x');
    assert.ok('none' in option && /is not a git revision/.test(option.none));
  });
});
