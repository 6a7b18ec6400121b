/**
 * The balance panel's inbox (extension/src/webviewInbox.ts, what balancePanel.ts
 * hands onDidReceiveMessage): junk from the webview never reaches the handler.
 * Replaces a test that matched balancePanel.ts's text. Breaks if the inbox
 * stops validating (junk reaches `handle`), drops valid messages, throws on
 * junk it cannot print, or lets a failing handler's rejection escape.
 * The webview's side (the page ignores invalid messages from the extension)
 * is checked in headless Chromium: test/integration/webview/panel.browser.test.ts.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { INVALID_EXCERPT_CHARS, webviewInbox } from '../../../extension/src/webviewInbox';
import type { FromWebview } from '../../../webview/src/messages';
import { property, runs } from '../../fuzz/runs';

function inbox() {
  const handled: FromWebview[] = [];
  const logged: string[] = [];
  const errors: unknown[] = [];
  const receive = webviewInbox(
    async (m) => {
      handled.push(m);
    },
    (l) => logged.push(l),
    (e) => errors.push(e),
  );
  return { receive, handled, logged, errors };
}

it('well-formed messages reach the handler as they are', () => {
  const box = inbox();
  const valid: FromWebview[] = [{ type: 'ready' }, { type: 'replan' }, { type: 'reveal', side: 'proposed', gpu: 3 }];
  for (const m of valid) box.receive(m);
  assert.deepEqual(box.handled, valid);
  assert.deepEqual(box.logged, []);
});

it('near misses and junk never reach the handler; each is logged once, shortened', async () => {
  const box = inbox();
  const cyclic: Record<string, unknown> = { type: 'reveal' };
  cyclic.self = cyclic;
  const near = [
    { type: 'reveal', side: 'current', gpu: -1 },
    { type: 'reveal', side: 'left', gpu: 0 },
    { type: 'reveal', side: 'current', gpu: 1.5 },
    { type: 'reveal', side: 'current' },
    { type: 'Ready' },
    { type: 'run', command: 'rm -rf /' },
    null,
    undefined,
    'ready',
    42,
    [],
    { type: 'x'.repeat(10_000) },
    cyclic,
    10n,
  ];
  for (const m of near) box.receive(m);
  assert.deepEqual(box.handled, []);
  assert.equal(box.logged.length, near.length);
  for (const l of box.logged) {
    assert.match(l, /^balance panel: ignored an invalid message from the webview: /);
    assert.ok(l.length <= 'balance panel: ignored an invalid message from the webview: '.length + INVALID_EXCERPT_CHARS, l.slice(0, 80));
  }
  await property(
    'inbox on junk',
    fc.property(fc.anything({ maxDepth: 3 }), (x) => {
      const b = inbox();
      b.receive(x);
      // Random junk is never a valid message with one of these types; if it were, it would have been handled, not logged.
      assert.equal(b.handled.length + b.logged.length, 1);
      if (b.handled.length) assert.ok(['ready', 'replan', 'reveal', 'replanMoves', 'whatIfCancel', 'whatIfRun', 'viewChanged'].includes(b.handled[0].type));
    }),
    runs(500),
  );
});

it('a handler that fails is reported, not thrown', async () => {
  const errors: unknown[] = [];
  const receive = webviewInbox(
    async () => {
      throw new Error('boom');
    },
    () => {},
    (e) => errors.push(e),
  );
  assert.doesNotThrow(() => receive({ type: 'ready' }));
  await new Promise((r) => setImmediate(r));
  assert.equal((errors[0] as Error).message, 'boom');
});
