/**
 * The editor theme applied to a chart.js chart's options: text, axes, grid
 * lines and legend in the theme's chart colours and the editor's font. One
 * home for the balance panel's bar charts (charts.ts) and the What-if line
 * chart (lineChart.ts); the caller calls `chart.update()` afterwards.
 */
import type { Chart } from 'chart.js';
import type { ThemeColors } from './viewModel';

export function applyChartTheme(chart: Chart<'bar'> | Chart<'line'>, colors: ThemeColors, fontFamily: string): void {
  const opts = chart.options;
  opts.color = colors.foreground;
  opts.font = { family: fontFamily || undefined };
  for (const axis of ['x', 'y'] as const) {
    const scale = opts.scales?.[axis];
    if (!scale) continue;
    scale.ticks = { ...scale.ticks, color: colors.foreground };
    scale.grid = { ...scale.grid, color: colors.grid };
    scale.border = { ...scale.border, color: colors.grid };
    if ('title' in scale && scale.title) scale.title.color = colors.foreground;
  }
  if (opts.plugins?.legend) opts.plugins.legend.labels = { ...opts.plugins.legend.labels, color: colors.foreground };
}
