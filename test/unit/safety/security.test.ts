/**
 * Security: the balance webview's HTML has a strict CSP; both
 * sides validate every message (fuzzed with fast-check); in an untrusted
 * workspace the server loads no model from settings/the workspace and reads no
 * referenced file; referenced paths cannot escape the workspace. The
 * untrusted workspace through the real server: test/integration/lsp/safety.test.ts.
 */
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../../server/src/config/load';
import { withFetchedFiles, workspaceReader } from '../../../server/src/lsp/workspaceReader';
import { contentSecurityPolicy, renderHtml } from '../../../webview/src/html';
import { isBalanceResult, isFromWebview, isToWebview } from '../../../webview/src/messages';
import { configText, devicesText } from '../../fixtures/configText';
import { property, runs } from '../../fuzz/runs';

/** CSP directives as a map: name → sources. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => {
        const [name, ...sources] = d.split(/\s+/);
        return [name, sources];
      }),
  );
}

const CSP_SOURCE = 'https://*.vscode-cdn.net';
const base64Nonce = fc.uint8Array({ minLength: 16, maxLength: 32 }).map((b) => Buffer.from(b).toString('base64'));

describe('security: webview HTML and CSP', () => {
  it('the CSP is strict: nothing by default, scripts only by nonce, no eval/inline, no remote hosts', async () => {
    await property(
      'webview CSP',
      fc.property(base64Nonce, (nonce) => {
        const html = renderHtml({ scriptUri: 'vscode-webview://x/dist/webview.js', styleUri: 'vscode-webview://x/dist/webview.css', cspSource: CSP_SOURCE, nonce });
        const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
        assert.ok(meta, 'a CSP meta tag');
        const csp = meta[1].replace(/&#39;/g, "'").replace(/&amp;/g, '&');
        assert.equal(csp, contentSecurityPolicy(CSP_SOURCE, nonce));
        const d = directives(csp);
        assert.deepEqual(d.get('default-src'), ["'none'"]);
        assert.deepEqual(d.get('script-src'), [`'nonce-${nonce}'`], 'scripts only with this nonce');
        for (const [name, sources] of d) {
          for (const s of sources) {
            assert.ok(!/unsafe-eval|unsafe-inline|unsafe-hashes|wasm-unsafe-eval/.test(s), `${name} allows ${s}`);
            assert.ok((s !== '*' && !/^(https?:|wss?:|http:\/\/)/.test(s)) || s === CSP_SOURCE, `${name} allows remote ${s}`);
          }
        }
        assert.ok(!d.has('connect-src') || d.get('connect-src')!.every((s) => s === "'none'"), 'no network from the page');
        // Every script carries the nonce; no inline handlers, no inline script bodies, no inline styles.
        const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
        assert.ok(scripts.length >= 1);
        for (const [, attrs, body] of scripts) {
          assert.match(attrs, new RegExp(`nonce="${nonce.replace(/[+/=]/g, (c) => `\\${c}`)}"`));
          assert.match(attrs, /src="vscode-webview:/);
          assert.equal(body.trim(), '', 'no inline script body');
        }
        assert.ok(!/\son[a-z]+\s*=/i.test(html), 'no inline event handlers');
        assert.ok(!/<style\b/i.test(html) && !/\sstyle\s*=/i.test(html), 'no inline styles');
        assert.ok(!/https?:\/\/(?!\*\.vscode-cdn\.net)/.test(html), 'no remote URLs');
      }),
      runs(100),
    );
  });

  it('hostile URIs and nonces cannot break out of their attributes', async () => {
    await property(
      'webview HTML escaping',
      fc.property(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), (evil, nonce) => {
        const html = renderHtml({
          scriptUri: `x"><script>alert(1)</script>${evil}`,
          styleUri: `'${evil}`,
          cspSource: `${evil}"`,
          nonce: `${nonce}"'><img src=x onerror=alert(1)>`,
        });
        assert.ok(!html.includes('<script>alert(1)'), 'no injected script tag');
        assert.ok(!/<img\b/i.test(html), 'no injected element');
        assert.equal((html.match(/<script\b/g) ?? []).length, (renderHtml({ scriptUri: 'a', styleUri: 'b', cspSource: 'c', nonce: 'n' }).match(/<script\b/g) ?? []).length);
      }),
      runs(200),
    );
  });
});

describe('security: message validators (fuzzed)', () => {
  it('never throw on junk, and accept only well-formed messages', async () => {
    await property(
      'validators on junk',
      fc.property(
        fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, maxDepth: 4 }),
        (x) => {
          const to = isToWebview(x);
          const from = isFromWebview(x);
          // Random junk almost never forms a valid message; when it does, it has the exact shape.
          if (from) {
            const m = x as { type: string; side?: unknown; gpu?: unknown };
            assert.ok(['ready', 'replan', 'reveal'].includes(m.type));
            if (m.type === 'reveal') assert.ok((m.side === 'current' || m.side === 'proposed') && Number.isInteger(m.gpu) && (m.gpu as number) >= 0);
          }
          if (to) assert.ok(['balance', 'loading', 'problem'].includes((x as { type: string }).type));
        },
      ),
      runs(2000),
    );
  });

  it('typed junk close to real messages is rejected field by field', async () => {
    const bad = fc.oneof(
      fc.constant(NaN),
      fc.constant(Infinity),
      fc.constant(-1),
      fc.constant(1.5),
      fc.constant('0'),
      fc.constant(null),
      fc.constant(undefined),
      fc.constant({}),
      fc.constant([]),
      fc.constant(1e308 * 10),
    );
    await property(
      'validators on near misses',
      fc.property(bad, fc.constantFrom('current', 'proposed', 'left', '', null), (gpu, side) => {
        const ok = isFromWebview({ type: 'reveal', side, gpu });
        assert.equal(ok, false, `reveal ${String(side)} ${String(gpu)}`);
        const row = { gpu: 0, tables: ['a'], fwdMs: 1, bwdMs: 1, commMs: 1, totalMs: 3, memoryBytes: 1, capacityBytes: 2 };
        const side1 = {
          strategy: 'best',
          gpus: [row],
          maxMs: 3,
          meanMs: 3,
          maxGpuMs: 3,
          phases: [{ name: 'forward', maxMs: 1, gpu: 0 }],
          imbalance: 1,
          feasible: true,
          reasons: [],
        };
        const result = { uri: 'file:///a', version: 1, current: side1, locations: {}, errors: 0 };
        assert.equal(isBalanceResult(result), true, 'the baseline is valid');
        for (const key of Object.keys(row) as Array<keyof typeof row>) {
          // Fractions and negatives are fine for times and bytes; only a GPU index must be a whole number ≥ 0.
          if (key !== 'gpu' && typeof gpu === 'number' && Number.isFinite(gpu)) continue;
          if (key === 'tables' && typeof gpu === 'string') continue; // ['0'] is a valid name list
          const broken = { ...result, current: { ...side1, gpus: [{ ...row, [key]: key === 'tables' ? [gpu] : gpu }] } };
          assert.equal(isToWebview({ type: 'balance', fileName: 'a', result: broken }), false, `row.${key} = ${String(gpu)}`);
        }
      }),
      runs(100),
    );
    assert.equal(isFromWebview(JSON.parse('{"type":"reveal","side":"current","gpu":1,"__proto__":{"polluted":true}}')), true);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
  });
  // That the extension validates what the webview sends before use: test/unit/extension/webviewInbox.test.ts;
  // that the page ignores invalid messages from the extension: test/integration/webview/panel.browser.test.ts.
});

describe('security: workspace boundaries (engine reader)', () => {
  let dir: string;
  let ws: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'shardlens-bounds-'));
    ws = path.join(dir, 'ws');
    mkdirSync(path.join(ws, 'sub'), { recursive: true });
    writeFileSync(path.join(dir, 'secret.shard.yaml'), devicesText(2));
    writeFileSync(path.join(ws, 'cluster.shard.yaml'), devicesText(2));
    symlinkSync(path.join(dir, 'secret.shard.yaml'), path.join(ws, 'link.shard.yaml'));
    symlinkSync(dir, path.join(ws, 'sub', 'up'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const codesFor = async (ref: string) => {
    const main = path.join(ws, 'main.shard.yaml');
    const reader = workspaceReader(main, { openText: () => undefined, roots: () => [ws] });
    const loaded = await withFetchedFiles(reader, () => loadConfig(main, configText({ devicesRef: ref }), reader));
    return { codes: loaded.diagnostics.map((d) => d.code), files: loaded.files };
  };

  for (const ref of [
    '../secret.shard.yaml',
    '../../etc/passwd',
    '/etc/passwd',
    './sub/../../secret.shard.yaml',
    './link.shard.yaml',
    './sub/up/secret.shard.yaml',
    '"/etc/shadow"',
    'file:///etc/passwd',
    '~/.ssh/id_rsa',
  ]) {
    it(`devices: ${ref} → a diagnostic, and no file outside the workspace is read`, async () => {
      const { codes, files } = await codesFor(ref);
      assert.ok(
        codes.some((c) => c === 'SL025' || c === 'SL023'),
        `${ref}: ${codes.join(',')}`,
      );
      for (const f of files.slice(1)) assert.ok(f.startsWith(ws + path.sep) && !f.includes('link') && !f.includes('up'), `read ${f}`);
    });
  }

  it('a reference inside the workspace is read (control)', async () => {
    const { codes, files } = await codesFor('./cluster.shard.yaml');
    assert.ok(!codes.includes('SL025') && !codes.includes('SL023'), codes.join(','));
    assert.equal(files.length, 2);
  });
});
