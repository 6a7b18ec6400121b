/**
 * The executables ShardLens and its tests run come from an env var or PATH,
 * never a fixed path, and a missing one is a message that says exactly what
 * to install or set: Python (`$PYTHON`, else `python3`; io/python.ts, shared
 * by `shardlens measure`, bench:measured and the Python tests) and Chromium
 * (`CHROMIUM_PATH`, else `chromium`; test/e2e/lib/chromium.mjs, shared by the
 * webview, e2e and extension-host tests).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pythonCommand, pythonWith } from '../../../server/src/io/python';
import { findChromium } from '../../e2e/lib/chromium.mjs';

let dir: string;
before(() => { dir = mkdtempSync(path.join(tmpdir(), 'shardlens-exe-')); });
after(() => rmSync(dir, { recursive: true, force: true }));

function script(rel: string, body: string, mode = 0o755): string {
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, mode);
  return file;
}

describe('Python: $PYTHON, else python3 on PATH', () => {
  it('PYTHON wins; unset or blank means python3', () => {
    assert.equal(pythonCommand({ PYTHON: '/opt/py/bin/python3' }), '/opt/py/bin/python3');
    assert.equal(pythonCommand({}), 'python3');
    assert.equal(pythonCommand({ PYTHON: '  ' }), 'python3');
  });

  it('a PYTHON that does not exist: says so, what to install and what to set', () => {
    const r = pythonWith(['torch', 'onnx'], { ...process.env, PYTHON: path.join(dir, 'no-such-python') });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.match(r.why, /^Python not found: PYTHON=\S*no-such-python does not exist\./);
    assert.match(r.why, /pip install torch onnx/);
    assert.match(r.why, /Debian: apt-get install python3 python3-torch python3-onnx/);
    assert.match(r.why, /set PYTHON to one that has them, e\.g\. PYTHON=\/usr\/bin\/python3/);
  });

  it('no python3 on PATH and no PYTHON: says that PATH was searched', () => {
    const r = pythonWith([], { PATH: path.join(dir, 'empty-bin') });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.match(r.why, /^Python not found: 'python3' is not on PATH and PYTHON is not set\. Install Python 3 \(Debian: apt-get install python3\)/);
  });

  it('something that is not Python 3 is named as such', () => {
    const r = pythonWith(['torch'], { ...process.env, PYTHON: script('not-python', 'echo hello') });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.match(r.why, /not-python \(PYTHON=\S+\) did not answer as Python 3/);
    assert.match(r.why, /pip install torch, or Debian: apt-get install python3 python3-torch/);
  });

  it('a Python without the modules: names the interpreter, the missing modules, what to install there or what to set', () => {
    const any = pythonWith([]);
    if (!any.ok) assert.fail(`a Python 3 is needed for this test: ${any.why}`);
    // -S: no site-packages, so neither torch nor onnx nor the made-up module can be found.
    const bare = script('bare/python', `exec '${any.executable}' -S "$@"`);
    const r = pythonWith(['torch', 'onnx'], { ...process.env, PYTHON: bare });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.match(r.why, new RegExp(`^the Python at ${any.executable.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(PYTHON=\\S+bare/python\\) cannot import torch, onnx\\.`));
    assert.match(r.why, /Install them there \(pip install torch onnx\), or set PYTHON to a Python 3 with torch and onnx \(Debian: apt-get install python3 python3-torch python3-onnx, then PYTHON=\/usr\/bin\/python3\)\./);
  });

  it('the Python found is the one PATH gives when PYTHON is unset', () => {
    const any = pythonWith([]);
    if (!any.ok) assert.fail(`a Python 3 is needed for this test: ${any.why}`);
    const bin = path.join(dir, 'path-bin');
    script('path-bin/python3', `exec '${any.executable}' "$@"`);
    const r = pythonWith([], { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` });
    assert.ok(r.ok, r.ok ? '' : r.why);
    assert.equal(r.python, 'python3');
    assert.equal(r.ok && r.executable, any.executable);
  });
});

describe('Chromium: CHROMIUM_PATH, else chromium on PATH', () => {
  it('CHROMIUM_PATH wins when it is executable', () => {
    const exe = script('chrome-here/chrome', 'exit 0');
    assert.deepEqual(findChromium({ CHROMIUM_PATH: exe, PATH: '' }), { ok: true, path: exe });
  });

  it('a CHROMIUM_PATH that is not executable: says so and what to do', () => {
    const r = findChromium({ CHROMIUM_PATH: path.join(dir, 'no-such-chrome'), PATH: '' });
    assert.deepEqual(r, { ok: false, why: `CHROMIUM_PATH=${path.join(dir, 'no-such-chrome')} is not an executable file. Install Chromium (Debian: apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome executable.` });
  });

  it('else the first executable chromium on PATH (a non-executable file is passed over)', () => {
    script('p1/chromium', 'exit 0', 0o644);
    const second = script('p2/chromium', 'exit 0');
    const r = findChromium({ PATH: [path.join(dir, 'missing'), path.join(dir, 'p1'), path.join(dir, 'p2')].join(path.delimiter) });
    assert.deepEqual(r, { ok: true, path: second });
  });

  it('none: says exactly what to install or set', () => {
    assert.deepEqual(findChromium({ PATH: path.join(dir, 'missing') }), {
      ok: false,
      why: "Chromium not found: no 'chromium' on PATH and CHROMIUM_PATH is not set. Install Chromium (Debian: apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome executable.",
    });
  });
});
