/**
 * The balance panel's script (bundled with chart.js into dist/webview.js).
 * Two views: the GPU balance of the written and proposed placements, and
 * "What if" (the same tables planned on other clusters). Draws what the
 * extension sends, keeps it in the webview state so the panel redraws at once
 * when shown again, and posts clicks back. Every incoming message is
 * validated; anything else is logged and ignored.
 */
import { BarChart } from './charts';
import { DOM_IDS } from './html';
import { LineChart } from './lineChart';
import { isToWebview, type SideName, type ToWebview, type ViewName } from './messages';
import { restoreState, type PanelState } from './panelState';
import { renderFigures, renderTable } from './render';
import { readThemeColors, watchTheme } from './theme';
import { emptyReason, imbalanceFigures, subtitleOf, tableRows, toChartData, toMemoryChartData, type ThemeColors } from './viewModel';
import { vscodeApi } from './vscodeApi';
import { whatIfChartData, whatIfRows, whatIfSummary } from './whatIfModel';
import { movesView } from './movesModel';
import { renderMoves } from './movesRender';
import { renderWhatIfTable } from './whatIfRender';

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
  tabs: { balance: byId<HTMLButtonElement>(DOM_IDS.balanceTab), whatIf: byId<HTMLButtonElement>(DOM_IDS.whatIfTab) },
  views: { balance: byId(DOM_IDS.balanceView), whatIf: byId(DOM_IDS.whatIfView) },
  whatIfStatus: byId(DOM_IDS.whatIfStatus),
  whatIfSummary: byId(DOM_IDS.whatIfSummary),
  whatIfTable: byId<HTMLTableElement>(DOM_IDS.whatIfTable),
  whatIfRerun: byId<HTMLButtonElement>(DOM_IDS.whatIfRerun),
  whatIfCancel: byId<HTMLButtonElement>(DOM_IDS.whatIfCancel),
  moves: {
    section: byId(DOM_IDS.movesSection),
    title: byId(DOM_IDS.movesTitle),
    summary: byId(DOM_IDS.movesSummary),
    table: byId<HTMLTableElement>(DOM_IDS.movesTable),
    apply: byId<HTMLButtonElement>(DOM_IDS.applyMoves),
  },
};

const reveal = (side: SideName, gpu: number) => vscode.postMessage({ type: 'reveal', side, gpu });
const fontFamily = () => getComputedStyle(document.body).getPropertyValue('--vscode-font-family').trim();
const timeChart = new BarChart(byId<HTMLCanvasElement>(DOM_IDS.timeChart), 'ms', reveal, fontFamily);
const memoryChart = new BarChart(byId<HTMLCanvasElement>(DOM_IDS.memoryChart), 'GiB', reveal, fontFamily);
const whatIfTime = new LineChart(byId<HTMLCanvasElement>(DOM_IDS.whatIfTimeChart), fontFamily);
const whatIfCost = new LineChart(byId<HTMLCanvasElement>(DOM_IDS.whatIfCostChart), fontFamily);

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
  renderMoves(ui.moves, movesView(result));
}

/** Charts are drawn only while their view is shown: chart.js cannot size a hidden canvas. */
function drawWhatIf(): void {
  const w = state.whatIf;
  if (!w || state.view !== 'whatIf') return;
  const n = w.result.rows.length;
  ui.whatIfStatus.textContent = `${w.fileName}: ${n} cluster${n === 1 ? '' : 's'} planned (${w.result.strategy}) in ${(w.result.elapsedMs / 1000).toFixed(1)} s${w.result.planBudgetMs ? `, at most ${(w.result.planBudgetMs / 1000).toFixed(0)} s of search per plan` : ''}.`;
  ui.whatIfSummary.textContent = whatIfSummary(w.result);
  renderWhatIfTable(ui.whatIfTable, whatIfRows(w.result));
  whatIfTime.update(whatIfChartData(w.result, 'step', colors), colors);
  whatIfCost.update(whatIfChartData(w.result, 'cost', colors), colors);
}

function setRunning(running: boolean): void {
  ui.whatIfCancel.hidden = !running;
  document.body.dataset.sweeping = String(running);
}

function showView(view: ViewName, tell: boolean): void {
  state = { ...state, view };
  vscode.setState(state);
  document.body.dataset.view = view;
  for (const v of ['balance', 'whatIf'] as const) {
    ui.views[v].hidden = v !== view;
    ui.tabs[v].setAttribute('aria-selected', String(v === view));
    ui.tabs[v].tabIndex = v === view ? 0 : -1;
  }
  if (view === 'whatIf') drawWhatIf();
  else draw();
  if (tell) vscode.postMessage({ type: 'viewChanged', view });
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
    case 'whatIf':
      state = { ...state, whatIf: { fileName: message.fileName, result: message.result } };
      vscode.setState(state);
      setRunning(false);
      drawWhatIf();
      break;
    case 'whatIfProgress':
      setRunning(true);
      ui.whatIfStatus.textContent = `${message.fileName}: ${message.message}${message.percent !== undefined ? ` (${message.percent}%)` : ''}`;
      break;
    case 'whatIfProblem':
      setRunning(false);
      ui.whatIfStatus.textContent = message.message;
      break;
    case 'showView':
      showView(message.view, false);
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
ui.moves.apply.addEventListener('click', () => vscode.postMessage({ type: 'replanMoves' }));
ui.tabs.balance.addEventListener('click', () => showView('balance', true));
ui.tabs.whatIf.addEventListener('click', () => showView('whatIf', true));
ui.whatIfRerun.addEventListener('click', () => vscode.postMessage({ type: 'whatIfRun' }));
ui.whatIfCancel.addEventListener('click', () => vscode.postMessage({ type: 'whatIfCancel' }));

watchTheme(document, () => {
  colors = readThemeColors(document);
  if (state.view === 'whatIf') drawWhatIf();
  else draw();
});

applyTableVisibility();
setRunning(false);
showView(state.view, false);
vscode.postMessage({ type: 'ready' });
