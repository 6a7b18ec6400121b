/**
 * Which Python ShardLens runs (io/python.ts pythonWith: `$PYTHON`, else
 * `python3` on PATH) and what it says when that Python is missing, is not
 * Python 3, or lacks a module: each case runs an interpreter or a stand-in
 * script. The in-process half (pythonCommand, Chromium): test/unit/env/executables.test.ts.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { pythonWith } from '../../../server/src/io/python';
import { stubExecutables } from '../../fixtures/stubExecutables';

const stubs = stubExecutables('shardlens-python-');
const script = stubs.script;

describe('Python: $PYTHON, else python3 on PATH, and what is missing', () => {
  it('a PYTHON that does not exist: says so, what to install and what to set', () => {
    const r = pythonWith(['torch', 'onnx'], { ...process.env, PYTHON: path.join(stubs.dir(), 'no-such-python') });
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.match(r.why, /^Python not found: PYTHON=\S*no-such-python does not exist\./);
    assert.match(r.why, /pip install torch onnx/);
    assert.match(r.why, /Debian: apt-get install python3 python3-torch python3-onnx/);
    assert.match(r.why, /set PYTHON to one that has them, e\.g\. PYTHON=\/usr\/bin\/python3/);
  });

  it('no python3 on PATH and no PYTHON: says that PATH was searched', () => {
    const r = pythonWith([], { PATH: path.join(stubs.dir(), 'empty-bin') });
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
    assert.match(
      r.why,
      /Install them there \(pip install torch onnx\), or set PYTHON to a Python 3 with torch and onnx \(Debian: apt-get install python3 python3-torch python3-onnx, then PYTHON=\/usr\/bin\/python3\)\./,
    );
  });

  it('the Python found is the one PATH gives when PYTHON is unset', () => {
    const any = pythonWith([]);
    if (!any.ok) assert.fail(`a Python 3 is needed for this test: ${any.why}`);
    const bin = path.join(stubs.dir(), 'path-bin');
    script('path-bin/python3', `exec '${any.executable}' "$@"`);
    const r = pythonWith([], { PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` });
    assert.ok(r.ok, r.ok ? '' : r.why);
    assert.equal(r.python, 'python3');
    assert.equal(r.ok && r.executable, any.executable);
  });
});
