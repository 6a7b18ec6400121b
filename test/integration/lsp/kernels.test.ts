/**
 * Kernels and optimizers in the editor, through the real server: every lens,
 * hover and status says which model and kernel priced the number, a GPU with
 * tables of two kernels says so, and switching `kernel:` or `optimizer:`
 * changes the numbers.
 */
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CodeLens, CompletionItem, CompletionList, Hover } from 'vscode-languageserver-protocol';
import type { StatusParams } from '../../../server/src/lsp/protocol';
import { startInTempDir, stopInTempDir, until, type TestServer } from './lspClient';

/** Four tables on two GPUs: each GPU holds one PyTorch table and one FBGEMM table (a and c UVM-cached). */
function mixed(optimizer: string, kernelOfB = 'torch_embedding_bag'): string {
  return `version: 1
batch_size: 65536
optimizer: ${optimizer}
devices:
  type: H100-80GB
  count: 2
tables:
  - name: a
    rows: 2000000
    dim: 64
    pooling: 4
    zipf: 0.9
    kernel: fbgemm_tbe_uvm_caching
    cache_load_factor: 0.1
  - name: b
    rows: 1000000
    dim: 128
    pooling: 10
    zipf: 1.05
    kernel: ${kernelOfB}
  - name: c
    rows: 500000
    dim: 32
    pooling: 2
  - name: d
    rows: 3000000
    dim: 64
    pooling: 8
    zipf: 0.8
    kernel: torch_embedding_bag
placement:
  a: 0
  b: 0
  c: 1
  d: 1
`;
}

function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle));
}

describe('kernels and optimizers in the editor', () => {
  let dir: string;
  let server: TestServer;
  let seq = 0;
  const fresh = () => `file://${path.join(dir, `k${++seq}.shard.yaml`)}`;

  before(async () => {
    ({ dir, server } = await startInTempDir('shardlens-kernels-'));
  });
  after(() => stopInTempDir({ dir, server }));

  async function lenses(uri: string): Promise<string[]> {
    // Lenses wait for the costed analysis of the latest version.
    const list = await server.conn.sendRequest<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
    return list.map((l) => l.command?.title ?? '');
  }

  async function hover(uri: string, text: string, needle: string, offset = 0): Promise<string> {
    const line = lineOf(text, needle);
    const character = text.split('\n')[line].indexOf(needle) + offset;
    const h = await server.conn.sendRequest<Hover | null>('textDocument/hover', { textDocument: { uri }, position: { line, character } });
    assert.ok(h, `hover at ${needle}`);
    return (h.contents as { value: string }).value;
  }

  const tableLens = (titles: string[], ms: RegExp) => titles.filter((t) => t.startsWith('\u2248') && ms.test(t));
  const totalOf = (title: string) => Number(/^\u2248 ([\d.]+) ms/.exec(title)![1]);

  it("lenses name each table's kernel and model kind; a GPU with two kernels names both", async () => {
    const uri = fresh();
    const text = mixed('sgd');
    await server.open(uri, text);
    const titles = await lenses(uri);
    assert.equal(tableLens(titles, /\u00b7 fbgemm_tbe_uvm_caching \(analytic\)$/).length, 1, titles.join('\n'));
    assert.equal(tableLens(titles, /\u00b7 fbgemm_tbe \(analytic\)$/).length, 1, titles.join('\n'));
    assert.equal(tableLens(titles, /\u00b7 torch_embedding_bag \(learned\)$/).length, 2, titles.join('\n'));
    const gpu0 = titles.find((t) => t.startsWith('GPU 0:'));
    assert.match(gpu0 ?? '', /\u00b7 fbgemm_tbe_uvm_caching \(analytic\) \+ torch_embedding_bag \(learned\)/, titles.join('\n'));
    const top = titles.find((t) => t.includes('[torch_embedding_bag]'));
    assert.match(top ?? '', /^fbgemm-tbe analytic: H100-80GB \[fbgemm_tbe, fbgemm_tbe_uvm_caching\] \+ learned: h100-cost-v\d+ \[torch_embedding_bag\]/, titles.join('\n'));
  });

  it('hover gives the model in full: name, kernel, learned/analytic, and the analytic optimizer term', async () => {
    const uri = fresh();
    const text = mixed('adam');
    await server.open(uri, text);
    await lenses(uri);
    const b = await hover(uri, text, 'name: b', 6);
    assert.match(b, /Kernel `torch_embedding_bag`, ids hashed, optimizer adam\./);
    assert.match(b, /_Priced by learned: h100-cost-v\d+ \(learned\) for kernel torch_embedding_bag\._/);
    assert.match(b, /- optimizer term \(adam\) from the analytic model \(analytic: H100-80GB\)/);
    const a = await hover(uri, text, 'name: a', 6);
    assert.match(a, /Kernel `fbgemm_tbe_uvm_caching`, cache_load_factor 0\.1/);
    assert.match(a, /_Priced by fbgemm-tbe analytic: H100-80GB \(analytic\) for kernel fbgemm_tbe_uvm_caching\._/);
    assert.doesNotMatch(a, /optimizer term/, 'the FBGEMM model prices the optimizer itself');
    // GPU 0 in placement: `a: 0`.
    const gpu = await hover(uri, text, 'a: 0', 3);
    assert.match(gpu, /Compute is the sum of 2 kernel groups/);
    assert.match(gpu, /for kernel fbgemm_tbe_uvm_caching/);
    assert.match(gpu, /for kernel torch_embedding_bag/);
  });

  it('completion offers the kernels and id orders; hover on a key gives its units and default', async () => {
    const uri = fresh();
    const text = mixed('sgd').replace('    kernel: torch_embedding_bag\n', '    kernel: \n').replace('    pooling: 2\n', '    pooling: 2\n    ids: \n');
    await server.open(uri, text);
    const at = async (needle: string) => {
      const line = lineOf(text, needle);
      const res = await server.conn.sendRequest<CompletionItem[] | CompletionList | null>('textDocument/completion', {
        textDocument: { uri },
        position: { line, character: text.split('\n')[line].length },
      });
      return (Array.isArray(res) ? res : (res?.items ?? [])).map((i) => i.label);
    };
    assert.deepEqual(await at('    kernel: '), ['fbgemm_tbe', 'fbgemm_tbe_uvm_caching', 'torch_embedding_bag']);
    assert.deepEqual(await at('    ids: '), ['hashed', 'sorted']);
    const doc = await hover(uri, text, 'cache_load_factor: 0.1', 2);
    assert.match(doc, /\*\*cache_load_factor\*\* \(table\)/);
    assert.match(doc, /fraction of its rows \(0 < f ≤ 1\)/);
    assert.match(doc, /> 0 and ≤ 1; default the top-level cache_load_factor \(0\.2\)/);
  });

  it("the status carries every kernel's model and notes", async () => {
    const uri = fresh();
    await server.open(uri, mixed('adagrad'));
    const status = await until('status', () =>
      server.notifications.map((n) => (n.method === 'shardlens/status' ? (n.params as StatusParams) : undefined)).find((s) => s?.uri === uri && s.costModel),
    );
    assert.deepEqual(
      status.kernels?.map((k) => [k.kernel, k.source]),
      [
        ['fbgemm_tbe', 'analytic'],
        ['fbgemm_tbe_uvm_caching', 'analytic'],
        ['torch_embedding_bag', 'learned'],
      ],
    );
    assert.ok(
      status.kernels![2].notes.some((n) => /optimizer term \(adagrad\)/.test(n)),
      JSON.stringify(status),
    );
    assert.match(status.costModel!, /\[torch_embedding_bag\]/);
  });

  it('switching optimizer: or kernel: changes the numbers in the lenses', async () => {
    const uri = fresh();
    const totals = async (text: string, version: number) => {
      if (version === 1) await server.open(uri, text, 1);
      else await server.change(uri, version, text);
      const titles = await lenses(uri);
      const b = tableLens(titles, /GPU 0 \u00b7 /).map(totalOf);
      return { titles, b };
    };
    const sgd = await totals(mixed('sgd'), 1);
    const adam = await totals(mixed('adam'), 2);
    const rowwise = await totals(mixed('rowwise_adagrad'), 3);
    assert.equal(sgd.b.length, 2);
    // Both kernels on GPU 0 (a: FBGEMM UVM, b: PyTorch) pay for Adam's state.
    for (let i = 0; i < 2; i++) assert.ok(adam.b[i] > sgd.b[i], `adam ${adam.b[i]} > sgd ${sgd.b[i]} (${sgd.titles.join(' | ')})`);
    // PyTorch's sparse rowwise step adds eager passes; FBGEMM's fused one adds 8 B per row (below the lens's precision).
    assert.ok(rowwise.b[1] > sgd.b[1], `rowwise ${rowwise.b[1]} > sgd ${sgd.b[1]}`);
    // Table b on FBGEMM's kernel instead of PyTorch's: another model, another number.
    const tbe = await totals(mixed('sgd', 'fbgemm_tbe'), 4);
    const bSgd = tableLens(sgd.titles, /torch_embedding_bag \(learned\)$/).find((t) => t.includes('GPU 0'))!;
    const bTbe = tableLens(tbe.titles, /\u00b7 GPU 0 \u00b7 fbgemm_tbe \(analytic\)$/);
    assert.equal(bTbe.length, 1, tbe.titles.join('\n'));
    assert.notEqual(totalOf(bTbe[0]), totalOf(bSgd));
  });
});
