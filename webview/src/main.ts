/**
 * The balance panel's script (bundled with chart.js into dist/webview.js).
 * Draws what the extension sends, keeps it in the webview state so the panel
 * redraws at once when shown again, and posts clicks back. Every incoming
 * message is validated; anything else is logged and ignored.
 */
import { BarChart } from './charts';
import { DOM_IDS } from './html';
import { isToWebview, type SideName, type ToWebview } from './messages';
import { restoreState, type PanelState } from './panelState';
import { renderFigures, renderTable } from './render';
import { readThemeColors, watchTheme } from './theme';
import {
  emptyReason, imbalanceFigures, subtitleOf, tableRows, toChartData, toMemoryChartData, type ThemeColors,
} from './viewModel';
import { vscodeApi } from './vscodeApi';

const vscode = vscodeApi<PanelState>();
let state = restoreState(vscode.getState());
let colors: ThemeColors = readThemeColors(document);

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`balance panel: #${id} missing from the page`);
  return node as T;
}

const ui = {
  subtitle: byId(DOM_IDS.subtitle),
  status: byId(DOM_IDS.status),
  figures: byId(DOM_IDS.figures),
  tableSection: byId(DOM_IDS.tableSection),
  table: byId<HTMLTableElement>(DOM_IDS.table),
  toggle: byId<HTMLButtonElement>(DOM_IDS.toggleTable),
  apply: byId<HTMLButtonElement>(DOM_IDS.applyReplan),
};

const reveal = (side: SideName, gpu: number) => vscode.postMessage({ type: 'reveal', side, gpu });
const fontFamily = () => getComputedStyle(document.body).getPropertyValue('--vscode-font-family').trim();
const timeChart = new BarChart(byId<HTMLCanvasElement>(DOM_IDS.timeChart), 'ms', reveal, fontFamily);
const memoryChart = new BarChart(byId<HTMLCanvasElement>(DOM_IDS.memoryChart), 'GiB', reveal, fontFamily);

function setStatus(text: string): void {
  ui.status.textContent = text;
}

function applyTableVisibility(): void {
  ui.tableSection.classList.toggle('visually-hidden', !state.showTable);
  ui.toggle.setAttribute('aria-pressed', String(state.showTable));
  ui.toggle.textContent = state.showTable ? 'Hide table' : 'Show table';
}

function draw(): void {
  const { result, fileName } = state;
  if (!result || fileName === undefined) return;
  ui.subtitle.textContent = subtitleOf(fileName, result);
  const empty = emptyReason(result);
  setStatus(empty ?? '');
  document.body.dataset.version = String(result.version);
  renderFigures(ui.figures, imbalanceFigures(result));
  renderTable(ui.table, tableRows(result), reveal);
  timeChart.update(toChartData(result, colors), colors);
  memoryChart.update(toMemoryChartData(result, colors), colors);
  ui.apply.disabled = !result.proposed?.feasible;
}

function receive(message: ToWebview): void {
  switch (message.type) {
    case 'balance':
      state = { ...state, fileName: message.fileName, result: message.result };
      vscode.setState(state);
      draw();
      break;
    case 'loading':
      setStatus(`Computing the balance of ${message.fileName}…`);
      break;
    case 'problem':
      setStatus(message.message);
      break;
  }
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (!isToWebview(event.data)) {
    console.warn('ShardLens balance panel: ignored an invalid message', event.data);
    return;
  }
  receive(event.data);
});

ui.toggle.addEventListener('click', () => {
  state = { ...state, showTable: !state.showTable };
  vscode.setState(state);
  applyTableVisibility();
});
ui.apply.addEventListener('click', () => vscode.postMessage({ type: 'replan' }));

watchTheme(document, () => {
  colors = readThemeColors(document);
  draw();
});

applyTableVisibility();
draw();
vscode.postMessage({ type: 'ready' });
