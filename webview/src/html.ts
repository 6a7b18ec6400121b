/**
 * The balance panel's HTML document. Pure (no `vscode` import) so the extension
 * and the headless-browser tests render exactly the same page.
 *
 * Security: a strict Content-Security-Policy (VS Code webview guide, "Content
 * security policy"): nothing by default, scripts only with this document's nonce
 * (chart.js 4 needs no eval), styles and images only from the webview's own
 * resource origin. No inline styles or scripts appear below.
 *
 * Stable DOM ids the end-to-end tests read are listed in DOM_IDS.
 */

export interface HtmlInput {
  /** webview.asWebviewUri(dist/webview.js). */
  scriptUri: string;
  /** webview.asWebviewUri(dist/webview.css). */
  styleUri: string;
  /** webview.cspSource. */
  cspSource: string;
  /** Fresh random base64 per render. */
  nonce: string;
}

/** Element ids the panel script fills and the tests query. */
export const DOM_IDS = {
  title: 'balance-title',
  subtitle: 'balance-subtitle',
  status: 'balance-status',
  figures: 'imbalance-figures',
  timeChart: 'time-chart',
  memoryChart: 'memory-chart',
  tableSection: 'balance-table-section',
  table: 'balance-table',
  toggleTable: 'toggle-table',
  applyReplan: 'apply-replan',
  balanceTab: 'view-balance',
  whatIfTab: 'view-whatif',
  balanceView: 'balance-view',
  whatIfView: 'whatif-view',
  whatIfStatus: 'whatif-status',
  whatIfSummary: 'whatif-summary',
  whatIfRerun: 'whatif-rerun',
  whatIfCancel: 'whatif-cancel',
  whatIfTimeChart: 'whatif-time-chart',
  whatIfCostChart: 'whatif-cost-chart',
  whatIfTable: 'whatif-table',
  movesSection: 'moves-section',
  movesTitle: 'moves-title',
  movesSummary: 'moves-summary',
  movesTable: 'moves-table',
  applyMoves: 'apply-moves',
} as const;

/** Escapes text for an HTML attribute or text node. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return ["default-src 'none'", `script-src 'nonce-${nonce}'`, `style-src ${cspSource}`, `img-src ${cspSource} data:`].join('; ');
}

export function renderHtml(input: HtmlInput): string {
  const e = escapeHtml;
  const id = DOM_IDS;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${e(contentSecurityPolicy(input.cspSource, input.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${e(input.styleUri)}">
<title>GPU balance</title>
</head>
<body data-view="balance">
<nav class="tabs" role="tablist" aria-label="Views">
  <button id="${id.balanceTab}" class="tab" role="tab" type="button" aria-selected="true" aria-controls="${id.balanceView}">GPU balance</button>
  <button id="${id.whatIfTab}" class="tab" role="tab" type="button" aria-selected="false" aria-controls="${id.whatIfView}">What if</button>
</nav>
<div id="${id.balanceView}" role="tabpanel" aria-labelledby="${id.balanceTab}">
<header class="panel-header">
  <div>
    <h1 id="${id.title}">GPU balance</h1>
    <p id="${id.subtitle}" class="subtitle"></p>
  </div>
  <div class="actions">
    <button id="${id.toggleTable}" class="secondary" type="button" aria-pressed="false" aria-controls="${id.tableSection}">Show table</button>
    <button id="${id.applyReplan}" type="button" disabled>Apply proposed plan</button>
  </div>
</header>
<p id="${id.status}" class="status" role="status" aria-live="polite">Waiting for the language server…</p>
<section id="${id.figures}" class="figures" aria-label="Imbalance figures"></section>
<section class="chart-section" aria-hidden="true">
  <h2>Time per step by GPU (ms): written placement and proposed plan</h2>
  <p class="hint">Click a GPU's bar to select its tables in the editor.</p>
  <div class="chart-box"><canvas id="${id.timeChart}"></canvas></div>
</section>
<section class="chart-section" aria-hidden="true">
  <h2>Memory by GPU (GiB): used and usable capacity</h2>
  <div class="chart-box"><canvas id="${id.memoryChart}"></canvas></div>
</section>
<section id="${id.movesSection}" class="table-section" aria-labelledby="${id.movesTitle}" hidden>
  <header class="panel-header">
    <h2 id="${id.movesTitle}">Replan within a move budget</h2>
    <div class="actions"><button id="${id.applyMoves}" type="button" disabled>Apply these moves</button></div>
  </header>
  <p id="${id.movesSummary}" class="summary"></p>
  <table id="${id.movesTable}">
    <caption>Tables that change place, and how much each lowers the step (ms; the moves replayed biggest gain first)</caption>
    <thead><tr><th scope="col">Table</th><th scope="col">From</th><th scope="col">To</th><th scope="col">Gain ms</th></tr></thead>
    <tbody></tbody>
  </table>
</section>
<section id="${id.tableSection}" class="table-section visually-hidden" aria-label="Per-GPU numbers">
  <h2>Per-GPU numbers</h2>
  <table id="${id.table}">
    <caption>Predicted time per step (ms) and memory (GiB) of each GPU</caption>
    <thead><tr>
      <th scope="col">Placement</th><th scope="col">GPU</th><th scope="col">Forward ms</th><th scope="col">Backward ms</th>
      <th scope="col">Comm ms</th><th scope="col">Total ms</th><th scope="col"><abbr title="Model error of forward + backward: about 68% of measured sets fall within it">\u00b1 ms</abbr></th>
      <th scope="col">Memory GiB</th><th scope="col">Capacity GiB</th>
      <th scope="col">Tables</th><th scope="col"><span class="visually-hidden">Reveal</span></th>
    </tr></thead>
    <tbody data-side="current"></tbody>
    <tbody data-side="proposed"></tbody>
  </table>
</section>
</div>
<div id="${id.whatIfView}" role="tabpanel" aria-labelledby="${id.whatIfTab}" hidden>
<header class="panel-header">
  <div>
    <h1>What if: the same tables on other clusters</h1>
    <p class="subtitle">One plan per GPU type and count, scored by the cost model of that type. Run "ShardLens: What If\u2026" or the lens on <code>devices:</code>.</p>
  </div>
  <div class="actions">
    <button id="${id.whatIfCancel}" class="secondary" type="button" hidden>Cancel</button>
    <button id="${id.whatIfRerun}" type="button">Other clusters\u2026</button>
  </div>
</header>
<p id="${id.whatIfStatus}" class="status" role="status" aria-live="polite">No sweep yet.</p>
<p id="${id.whatIfSummary}" class="summary"></p>
<section class="chart-section" aria-hidden="true">
  <h2>Step time (ms) by GPU count, one line per GPU type</h2>
  <div class="chart-box"><canvas id="${id.whatIfTimeChart}"></canvas></div>
</section>
<section class="chart-section" aria-hidden="true">
  <h2>Cost: GPU-seconds per step (step time \u00d7 GPUs) by GPU count</h2>
  <div class="chart-box"><canvas id="${id.whatIfCostChart}"></canvas></div>
</section>
<section class="table-section" aria-label="What-if numbers">
  <h2>Every cluster</h2>
  <table id="${id.whatIfTable}">
    <caption>Predicted step time, balance, memory and cost of the best plan on each cluster</caption>
    <thead><tr>
      <th scope="col">GPU type</th><th scope="col">GPUs</th><th scope="col">Step ms</th><th scope="col">Max/mean</th>
      <th scope="col">Memory</th><th scope="col">GPU\u00b7s/step</th><th scope="col">Feasible</th><th scope="col">Cost model</th>
    </tr></thead>
    <tbody></tbody>
  </table>
</section>
</div>
<script nonce="${e(input.nonce)}" src="${e(input.scriptUri)}"></script>
</body>
</html>
`;
}
