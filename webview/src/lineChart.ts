/**
 * The What-if view's chart.js line charts: a value (step time, GPU-seconds
 * per step) against the GPU count, one line per GPU type. Animation is off, as
 * on the bar charts (charts.ts).
 *
 * After each render the canvas carries, for tests and the end-to-end suite:
 *   data-point-count  number of points drawn (feasible clusters)
 *   data-points       JSON [{type, gpus, value, x, y}]: each point's cluster, its
 *                     value and its centre in CSS px relative to the canvas
 */
import { CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, LogarithmicScale, PointElement, Tooltip, type ChartDataset, type Plugin } from 'chart.js';
import type { LineChartData } from './whatIfModel';
import type { ThemeColors } from './viewModel';
import { applyChartTheme } from './chartTheme';

Chart.register(LineController, LineElement, PointElement, LinearScale, LogarithmicScale, CategoryScale, Legend, Tooltip);

interface PointCentre {
  type: string;
  gpus: number;
  value: number;
  x: number;
  y: number;
}

const exposePoints: Plugin<'line'> = {
  id: 'shardlensExposePoints',
  afterRender(chart) {
    const model = (chart as unknown as { $shardlens?: LineChartData }).$shardlens;
    if (!model) return;
    const points: PointCentre[] = [];
    model.series.forEach((s, i) => {
      const meta = chart.getDatasetMeta(i);
      if (meta.hidden) return;
      meta.data.forEach((el, j) => {
        const p = el as unknown as { x: number; y: number };
        const d = s.points[j];
        if (d && Number.isFinite(p.x) && Number.isFinite(p.y)) points.push({ type: s.type, gpus: d.x, value: d.y, x: Math.round(p.x), y: Math.round(p.y) });
      });
    });
    chart.canvas.dataset.pointCount = String(points.length);
    chart.canvas.dataset.points = JSON.stringify(points);
  },
};

function datasets(data: LineChartData): ChartDataset<'line', Array<{ x: number; y: number }>>[] {
  return data.series.map((s) => ({
    label: s.type,
    data: s.points.map((p) => ({ x: p.x, y: p.y })),
    borderColor: s.color,
    backgroundColor: s.color,
    pointRadius: 4,
    pointHoverRadius: 6,
    borderWidth: 2,
    tension: 0,
  }));
}

export class LineChart {
  private chart: Chart<'line', Array<{ x: number; y: number }>> | undefined;
  /** The y unit of the data drawn, for tooltips. */
  private unit = '';

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly fontFamily: () => string,
  ) {}

  update(data: LineChartData, colors: ThemeColors): void {
    // The x scale type (linear/log) is fixed at creation: rebuild when it changes.
    const xType = data.logX ? 'logarithmic' : 'linear';
    if (this.chart && this.chart.options.scales?.x?.type !== xType) this.destroy();
    if (!this.chart) {
      this.chart = new Chart<'line', Array<{ x: number; y: number }>>(this.canvas, {
        type: 'line',
        data: { datasets: [] },
        plugins: [exposePoints],
        options: {
          animation: false,
          responsive: true,
          maintainAspectRatio: false,
          parsing: false,
          interaction: { mode: 'nearest', intersect: false },
          scales: {
            x: { type: xType, title: { display: true, text: 'GPUs' }, ticks: { callback: (v) => String(v) } },
            y: { type: 'linear', beginAtZero: true, title: { display: true, text: data.unit } },
          },
          plugins: {
            legend: { position: 'bottom' },
            tooltip: {
              callbacks: {
                label: (item) => {
                  const p = item.raw as { x: number; y: number };
                  return `${item.dataset.label} \u00d7 ${p.x}: ${p.y.toFixed(3)} ${this.unit}`;
                },
              },
            },
          },
        },
      });
    }
    this.unit = data.unit;
    const chart = this.chart;
    (chart as unknown as { $shardlens?: LineChartData }).$shardlens = data;
    chart.data.datasets = datasets(data);
    const y = chart.options.scales?.y;
    if (y && 'title' in y && y.title) y.title.text = data.unit;
    this.applyColors(colors);
    chart.update();
  }

  private applyColors(colors: ThemeColors): void {
    if (this.chart) applyChartTheme(this.chart, colors, this.fontFamily());
  }

  destroy(): void {
    this.chart?.destroy();
    this.chart = undefined;
  }
}
