/**
 * The executables ShardLens and its tests run come from an env var or PATH,
 * never a fixed path, and a missing one is a message that says exactly what
 * to install or set: Python (`$PYTHON`, else `python3`; io/python.ts, shared
 * by `shardlens measure`, bench:measured and the Python tests) and Chromium
 * (`CHROMIUM_PATH`, else `chromium`; test/e2e/lib/chromium.mjs, shared by the
 * webview, e2e and extension-host tests). In-process here; the checks that
 * run a Python are in test/integration/env/python.test.ts.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { pythonCommand } from '../../../server/src/io/python';
import { stubExecutables } from '../../fixtures/stubExecutables';
import { findChromium } from '../../e2e/lib/chromium.mjs';

const stubs = stubExecutables('shardlens-exe-');
const script = stubs.script;

describe('Python: $PYTHON, else python3 on PATH', () => {
  it('PYTHON wins; unset or blank means python3', () => {
    assert.equal(pythonCommand({ PYTHON: '/opt/py/bin/python3' }), '/opt/py/bin/python3');
    assert.equal(pythonCommand({}), 'python3');
    assert.equal(pythonCommand({ PYTHON: '  ' }), 'python3');
  });
  // pythonWith's messages (missing, not Python 3, lacking modules) run interpreters:
  // test/integration/env/python.test.ts.
});

describe('Chromium: CHROMIUM_PATH, else chromium on PATH', () => {
  it('CHROMIUM_PATH wins when it is executable', () => {
    const exe = script('chrome-here/chrome', 'exit 0');
    assert.deepEqual(findChromium({ CHROMIUM_PATH: exe, PATH: '' }), { ok: true, path: exe });
  });

  it('a CHROMIUM_PATH that is not executable: says so and what to do', () => {
    const r = findChromium({ CHROMIUM_PATH: path.join(stubs.dir(), 'no-such-chrome'), PATH: '' });
    assert.deepEqual(r, {
      ok: false,
      why: `CHROMIUM_PATH=${path.join(stubs.dir(), 'no-such-chrome')} is not an executable file. Install Chromium (Debian: apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome executable.`,
    });
  });

  it('else the first executable chromium on PATH (a non-executable file is passed over)', () => {
    script('p1/chromium', 'exit 0', 0o644);
    const second = script('p2/chromium', 'exit 0');
    const r = findChromium({ PATH: [path.join(stubs.dir(), 'missing'), path.join(stubs.dir(), 'p1'), path.join(stubs.dir(), 'p2')].join(path.delimiter) });
    assert.deepEqual(r, { ok: true, path: second });
  });

  it('none: says exactly what to install or set', () => {
    assert.deepEqual(findChromium({ PATH: path.join(stubs.dir(), 'missing') }), {
      ok: false,
      why: "Chromium not found: no 'chromium' on PATH and CHROMIUM_PATH is not set. Install Chromium (Debian: apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome executable.",
    });
  });
});
