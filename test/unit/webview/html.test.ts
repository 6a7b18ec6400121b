import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DOM_IDS, contentSecurityPolicy, escapeHtml, renderHtml } from '../../../webview/src/html';

describe('renderHtml', () => {
  const html = renderHtml({
    scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.js',
    styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.css',
    cspSource: 'https://*.vscode-cdn.net',
    nonce: 'abc123+/=',
  });

  it('declares a strict CSP: nothing by default, nonce scripts, local styles and images', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    assert.equal(csp, "default-src 'none'; script-src 'nonce-abc123+/='; style-src https://*.vscode-cdn.net; img-src https://*.vscode-cdn.net data:".replace(/'/g, '&#39;'));
    assert.doesNotMatch(html, /unsafe-inline|unsafe-eval/);
  });

  it('loads exactly one script, carrying the nonce, and no inline script or style', () => {
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    assert.deepEqual(scripts, ['<script nonce="abc123+/=" src="https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.js">']);
    assert.doesNotMatch(html, /<style\b|\sstyle=/);
    assert.doesNotMatch(html, /<script[^>]*>[^<]+<\/script>/);
  });

  it('holds every stable DOM id once', () => {
    for (const id of Object.values(DOM_IDS)) {
      assert.equal(html.split(`id="${id}"`).length - 1, 1, id);
    }
  });

  it('escapes what it interpolates', () => {
    assert.equal(escapeHtml(`"><script>'&`), '&quot;&gt;&lt;script&gt;&#39;&amp;');
    const evil = renderHtml({ scriptUri: '"><script>alert(1)</script>', styleUri: 's', cspSource: 'c', nonce: 'n' });
    assert.doesNotMatch(evil, /<script>alert/);
  });

  it('contentSecurityPolicy lists the four directives', () => {
    assert.equal(contentSecurityPolicy('X', 'N').split('; ').length, 4);
  });
});
