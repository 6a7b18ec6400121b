import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { statusView } from '../../../extension/src/statusText';

describe('status bar text', () => {
  it('shows the cost model and the imbalance', () => {
    const v = statusView({ uri: 'file:///a', costModel: 'learned: h100-cost-v1', source: 'learned', warnings: [], imbalance: 1.5 });
    assert.equal(v.text, '$(pulse) learned: h100-cost-v1 \u00b7 1.50\u00d7');
    assert.equal(v.warning, false);
    assert.match(v.tooltip, /cost model: learned: h100-cost-v1 \(learned\)/);
    assert.match(v.tooltip, /Click to show the GPU balance/);
  });

  it('flags warnings (e.g. the analytic fallback) and lists them', () => {
    const v = statusView({ uri: 'file:///a', costModel: 'analytic: L40S-48GB', source: 'analytic', warnings: ['no learned model for L40S-48GB'] });
    assert.equal(v.text, '$(warning) analytic: L40S-48GB');
    assert.equal(v.warning, true);
    assert.match(v.tooltip, /\u26a0 no learned model for L40S-48GB/);
  });

  it("lists each kernel's model and what was added to it in the tooltip", () => {
    const v = statusView({
      uri: 'file:///a',
      costModel: 'fbgemm-tbe analytic: H100-80GB [fbgemm_tbe] + learned: h100-cost-v2 [torch_embedding_bag]',
      source: 'analytic',
      warnings: [],
      kernels: [
        { kernel: 'fbgemm_tbe', model: 'fbgemm-tbe analytic: H100-80GB', source: 'analytic', notes: [] },
        { kernel: 'torch_embedding_bag', model: 'learned: h100-cost-v2', source: 'learned', notes: ['optimizer term (adam) from the analytic model'] },
      ],
    });
    assert.match(v.text, /\[fbgemm_tbe\] \+ learned: h100-cost-v2 \[torch_embedding_bag\]/);
    assert.match(
      v.tooltip,
      /\u2022 fbgemm_tbe: fbgemm-tbe analytic: H100-80GB \(analytic\)\n\u2022 torch_embedding_bag: learned: h100-cost-v2 \(learned\)\n {4}\+ optimizer term \(adam\) from the analytic model/,
    );
  });

  it('says it is starting before any status arrived, and handles a config without a model', () => {
    assert.match(statusView(undefined).text, /ShardLens/);
    assert.match(statusView({ uri: 'x', warnings: [] }).tooltip, /no cost model/);
  });
});
