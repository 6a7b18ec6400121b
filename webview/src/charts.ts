/**
 * The two chart.js bar charts of the panel (time per step, memory) and their
 * click handling. Only the chart.js pieces used are registered, so esbuild
 * drops the rest. Animation is off: the numbers change while the user types, and
 * a chart that lags behind the table would misreport them.
 *
 * After each render the canvas carries, for tests and for the end-to-end suite:
 *   data-gpu-count  number of bar groups (GPUs)
 *   data-bars       JSON [{side, gpu, x, y, top, base}]: per GPU and side, the centre of
 *                   its stack (x, y: a click there selects that GPU) and the stack's
 *                   top and bottom edges, in CSS px relative to the canvas
 *   data-error-bars JSON [{side, gpu, x, high, low}] (time chart, when the cost model
 *                   reports a ±): the whisker drawn on each stack from total + ± (high)
 *                   to total − ± (low), in CSS px
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip, type ChartDataset, type Plugin } from 'chart.js';
import type { SideName } from './messages';
import type { ChartData, ThemeColors } from './viewModel';
import { applyChartTheme } from './chartTheme';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

export type BarClick = (side: SideName, gpu: number) => void;

interface BarCentre {
  side: SideName;
  gpu: number;
  x: number;
  y: number;
  top: number;
  base: number;
}

/** Writes data-gpu-count and data-bars on the canvas after every draw. */
const exposeBars: Plugin<'bar'> = {
  id: 'shardlensExposeBars',
  afterRender(chart) {
    const model = (chart as unknown as { $shardlens?: ChartData }).$shardlens;
    if (!model) return;
    const centres: BarCentre[] = [];
    const seen = new Map<string, { x: number; top: number; base: number; side: SideName; gpu: number }>();
    model.datasets.forEach((ds, i) => {
      const meta = chart.getDatasetMeta(i);
      if (meta.hidden) return;
      meta.data.forEach((el, j) => {
        const bar = el as unknown as { x: number; y: number; base: number };
        const key = `${ds.side}:${j}`;
        const prev = seen.get(key);
        const top = Math.min(bar.y, bar.base);
        const base = Math.max(bar.y, bar.base);
        if (!prev) seen.set(key, { x: bar.x, top, base, side: ds.side, gpu: model.gpus[j] });
        else {
          prev.top = Math.min(prev.top, top);
          prev.base = Math.max(prev.base, base);
        }
      });
    });
    for (const s of seen.values()) {
      if (s.base - s.top < 1) continue; // nothing to click
      centres.push({
        side: s.side,
        gpu: s.gpu,
        x: Math.round(s.x),
        y: Math.round((s.top + s.base) / 2),
        top: Math.round(s.top),
        base: Math.round(s.base),
      });
    }
    chart.canvas.dataset.gpuCount = String(model.gpus.length);
    chart.canvas.dataset.bars = JSON.stringify(centres);
  },
};

/**
 * Whiskers of the cost model's ± on each stack (the ± is of forward + backward;
 * drawn around the stack's total), in the foreground colour.
 */
const errorBars: Plugin<'bar'> = {
  id: 'shardlensErrorBars',
  afterDatasetsDraw(chart) {
    const model = (chart as unknown as { $shardlens?: ChartData; $shardlensInk?: string }).$shardlens;
    const ink = (chart as unknown as { $shardlensInk?: string }).$shardlensInk ?? '#888';
    const bars = model?.errorBars;
    const y = chart.scales.y;
    if (!model || !bars || !y) {
      if (chart.canvas.dataset.errorBars) delete chart.canvas.dataset.errorBars;
      return;
    }
    const drawn: { side: SideName; gpu: number; x: number; high: number; low: number }[] = [];
    const ctx = chart.ctx;
    ctx.save();
    ctx.strokeStyle = ink;
    ctx.lineWidth = 1;
    for (const eb of bars) {
      // Any visible dataset of the side gives the stack's x.
      const i = model.datasets.findIndex((d, k) => d.side === eb.side && !chart.getDatasetMeta(k).hidden);
      if (i < 0) continue;
      const meta = chart.getDatasetMeta(i);
      eb.plusMinus.forEach((pm, j) => {
        const el = meta.data[j] as unknown as { x: number; width?: number } | undefined;
        if (!el || !Number.isFinite(pm) || pm <= 0) return;
        const total = eb.totals[j];
        const high = y.getPixelForValue(total + pm);
        const low = y.getPixelForValue(Math.max(0, total - pm));
        const cap = Math.max(3, (el.width ?? 12) / 4);
        ctx.beginPath();
        ctx.moveTo(el.x, high);
        ctx.lineTo(el.x, low);
        ctx.moveTo(el.x - cap, high);
        ctx.lineTo(el.x + cap, high);
        ctx.moveTo(el.x - cap, low);
        ctx.lineTo(el.x + cap, low);
        ctx.stroke();
        drawn.push({ side: eb.side, gpu: model.gpus[j], x: Math.round(el.x), high: Math.round(high), low: Math.round(low) });
      });
    }
    ctx.restore();
    chart.canvas.dataset.errorBars = JSON.stringify(drawn);
  },
};

function toChartJs(data: ChartData): ChartDataset<'bar', number[]>[] {
  return data.datasets.map((d) => ({
    label: d.label,
    data: d.data,
    stack: d.stack,
    backgroundColor: d.backgroundColor,
    borderColor: d.borderColor,
    borderWidth: d.borderWidth,
  }));
}

export class BarChart {
  private chart: Chart<'bar', number[], string> | undefined;
  private model: ChartData | undefined;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly unit: string,
    private readonly onBarClick: BarClick,
    private readonly fontFamily: () => string,
  ) {}

  /** Draws `data` with `colors`; rebuilds the chart when the colours change. */
  update(data: ChartData, colors: ThemeColors): void {
    this.model = data;
    if (this.chart) {
      (this.chart as unknown as { $shardlens?: ChartData }).$shardlens = data;
      this.chart.data.labels = data.labels;
      this.chart.data.datasets = toChartJs(data);
      this.fitWhiskers(data);
      this.applyColors(colors);
      this.chart.update();
      return;
    }
    this.chart = new Chart<'bar', number[], string>(this.canvas, {
      type: 'bar',
      data: { labels: data.labels, datasets: toChartJs(data) },
      plugins: [exposeBars, errorBars],
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', intersect: true },
        scales: {
          x: { stacked: true },
          y: { stacked: true, beginAtZero: true, title: { display: true, text: this.unit } },
        },
        plugins: {
          legend: { position: 'bottom' },
          tooltip: {
            callbacks: {
              label: (item) => `${item.dataset.label}: ${Number(item.raw).toFixed(3)} ${this.unit}`,
              footer: (items) => this.plusMinusNote(items[0]?.datasetIndex, items[0]?.dataIndex),
            },
          },
        },
        onClick: (_event, elements) => {
          const hit = elements[0];
          const model = this.model;
          if (!hit || !model) return;
          const ds = model.datasets[hit.datasetIndex];
          const gpu = model.gpus[hit.index];
          if (ds && gpu !== undefined) this.onBarClick(ds.side, gpu);
        },
        onHover: (_event, elements) => {
          this.canvas.style.cursor = elements.length > 0 ? 'pointer' : 'default';
        },
      },
    });
    (this.chart as unknown as { $shardlens?: ChartData }).$shardlens = data;
    this.fitWhiskers(data);
    this.applyColors(colors);
    this.chart.update();
  }

  /** Room above the tallest stack for its whisker. */
  private fitWhiskers(data: ChartData): void {
    const y = this.chart?.options.scales?.y;
    if (!y) return;
    let top = 0;
    for (const e of data.errorBars ?? [])
      e.totals.forEach((t, j) => {
        const pm = e.plusMinus[j];
        if (Number.isFinite(pm)) top = Math.max(top, t + pm);
      });
    (y as { suggestedMax?: number }).suggestedMax = top > 0 ? top : undefined;
  }

  /** Tooltip footer: the GPU's model error, when known. */
  private plusMinusNote(datasetIndex: number | undefined, index: number | undefined): string {
    const model = this.model;
    if (!model?.errorBars || datasetIndex === undefined || index === undefined) return '';
    const side = model.datasets[datasetIndex]?.side;
    const pm = model.errorBars.find((e) => e.side === side)?.plusMinus[index];
    return pm !== undefined && Number.isFinite(pm) ? `model error of fwd + bwd: \u00b1${pm.toFixed(3)} ${this.unit}` : '';
  }

  private applyColors(colors: ThemeColors): void {
    const chart = this.chart;
    if (!chart) return;
    (chart as unknown as { $shardlensInk?: string }).$shardlensInk = colors.foreground;
    applyChartTheme(chart, colors, this.fontFamily());
  }

  destroy(): void {
    this.chart?.destroy();
    this.chart = undefined;
  }
}
