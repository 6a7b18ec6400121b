/**
 * The status bar item's text and tooltip from the server's `shardlens/status`
 * notification. Pure, so the wording is unit-tested.
 */
import { formatRatio, type StatusParams } from '../../server/src/lsp/protocol';

export interface StatusView {
  /** With a codicon: $(pulse) normally, $(warning) when the model has warnings. */
  text: string;
  tooltip: string;
  warning: boolean;
}

export function statusView(status: StatusParams | undefined): StatusView {
  if (!status) {
    return { text: '$(loading~spin) ShardLens', tooltip: 'ShardLens: starting the language server…', warning: false };
  }
  const warning = status.warnings.length > 0;
  const model = status.costModel ?? 'no cost model (fix the config errors)';
  const imbalance = status.imbalance !== undefined ? ` \u00b7 ${formatRatio(status.imbalance)}` : '';
  const lines = [
    `ShardLens cost model: ${model}${status.source ? ` (${status.source})` : ''}`,
    // Per kernel in full: which model priced it and what was added to it.
    ...(status.kernels ?? []).flatMap((k) => [`\u2022 ${k.kernel}: ${k.model} (${k.source})`, ...k.notes.map((n) => `    + ${n}`)]),
    ...(status.imbalance !== undefined ? [`Written placement: max/mean per-GPU time ${formatRatio(status.imbalance)}`] : []),
    ...status.warnings.map((w) => `\u26a0 ${w}`),
    'Click to show the GPU balance.',
  ];
  return {
    text: `${warning ? '$(warning)' : '$(pulse)'} ${status.costModel ?? 'ShardLens'}${imbalance}`,
    tooltip: lines.join('\n'),
    warning,
  };
}
