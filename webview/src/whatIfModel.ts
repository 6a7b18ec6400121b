/**
 * Pure functions from a what-if sweep (`shardlens/sweep`) to what the What-if
 * view draws: one line per GPU type of step time (ms) and of GPU-seconds per
 * step against the GPU count, the rows of its table, and a summary sentence.
 * No DOM, no chart.js: unit-tested directly.
 *
 * Only feasible clusters are points on the curves (an infeasible cluster has no
 * step time); the table lists every cluster with why it is infeasible.
 */
import { formatMs, formatPercent, formatRatio, msCell } from '../../server/src/engine/format';
import type { SweepResultPayload, SweepRowResult } from './messages';
import type { ThemeColors } from './viewModel';

export interface LinePoint {
  /** GPU count. */
  x: number;
  /** ms per step, or GPU-seconds per step. */
  y: number;
}

export interface LineSeries {
  /** GPU type, the legend label. */
  type: string;
  color: string;
  /** Feasible clusters of this type, GPU count ascending. */
  points: LinePoint[];
}

export interface LineChartData {
  /** What y is, for the axis title and tooltips. */
  unit: string;
  series: LineSeries[];
  /** Whether x spans a factor of 4 or more (then a log2 axis reads better). */
  logX: boolean;
}

export type WhatIfMetric = 'step' | 'cost';

/** Theme colours for series, in order of the types (cycled past five). */
function seriesColors(colors: ThemeColors): string[] {
  return [colors.fwd, colors.comm, colors.memory, colors.bwd, colors.over];
}

/** The GPU types of a sweep in the order they were asked for. */
export function typesOf(result: SweepResultPayload): string[] {
  return [...new Set(result.rows.map((r) => r.type))];
}

function valueOf(r: SweepRowResult, metric: WhatIfMetric): number | undefined {
  const v = metric === 'step' ? r.maxMs : r.gpuSecondsPerStep;
  return r.feasible && v !== undefined && Number.isFinite(v) ? v : undefined;
}

/** Step time (metric 'step', ms) or GPU-seconds per step (metric 'cost') against GPU count, one series per type. */
export function whatIfChartData(result: SweepResultPayload, metric: WhatIfMetric, colors: ThemeColors): LineChartData {
  const palette = seriesColors(colors);
  const series = typesOf(result).map((type, i): LineSeries => ({
    type,
    color: palette[i % palette.length],
    points: result.rows
      .filter((r) => r.type === type)
      .flatMap((r) => {
        const y = valueOf(r, metric);
        return y === undefined ? [] : [{ x: r.gpus, y }];
      })
      .sort((a, b) => a.x - b.x),
  }));
  const xs = result.rows.map((r) => r.gpus);
  const logX = xs.length > 0 && Math.min(...xs) > 0 && Math.max(...xs) / Math.min(...xs) >= 4;
  return { unit: metric === 'step' ? 'ms per step' : 'GPU·s per step', series, logX };
}

export interface WhatIfRow {
  type: string;
  gpus: number;
  feasible: boolean;
  /** Raw numbers for data-value attributes (NaN where there is none). */
  raw: { step: number; mean: number; memory: number; cost: number };
  cells: { step: string; maxMean: string; memory: string; feasible: string; cost: string; model: string };
}

export function whatIfRows(result: SweepResultPayload): WhatIfRow[] {
  return result.rows.map((r) => ({
    type: r.type,
    gpus: r.gpus,
    feasible: r.feasible,
    raw: { step: r.maxMs ?? NaN, mean: r.meanMs ?? NaN, memory: r.memoryFraction ?? NaN, cost: r.gpuSecondsPerStep ?? NaN },
    cells: {
      step: r.maxMs !== undefined ? msCell(r.maxMs) : '\u2013',
      maxMean: r.maxMs !== undefined && r.meanMs ? formatRatio(r.maxMs / r.meanMs) : '\u2013',
      memory: r.memoryFraction !== null ? formatPercent(r.memoryFraction) : '\u2013',
      feasible: r.feasible ? 'yes' : `no: ${r.reason ?? 'no feasible plan'}`,
      cost: r.gpuSecondsPerStep !== undefined ? r.gpuSecondsPerStep.toFixed(3) : '\u2013',
      model: r.costModel,
    },
  }));
}

/** "Fastest: 128 × H100-80GB, 119 ms per step. Cheapest: 32 × H100-80GB, 9.33 GPU·s per step." plus caveats. */
export function whatIfSummary(result: SweepResultPayload): string {
  const feasible = result.rows.filter((r) => r.feasible && r.maxMs !== undefined && r.gpuSecondsPerStep !== undefined);
  const parts: string[] = [];
  if (feasible.length === 0) {
    parts.push('No cluster has a feasible plan.');
  } else {
    const fastest = feasible.reduce((a, b) => (b.maxMs! < a.maxMs! ? b : a));
    const cheapest = feasible.reduce((a, b) => (b.gpuSecondsPerStep! < a.gpuSecondsPerStep! ? b : a));
    parts.push(`Fastest: ${fastest.gpus} \u00d7 ${fastest.type}, ${formatMs(fastest.maxMs!)} per step.`);
    parts.push(`Cheapest: ${cheapest.gpus} \u00d7 ${cheapest.type}, ${cheapest.gpuSecondsPerStep!.toFixed(2)} GPU\u00b7s per step.`);
  }
  const infeasible = result.rows.length - feasible.length;
  if (infeasible > 0) parts.push(`${infeasible} cluster${infeasible === 1 ? ' is' : 's are'} infeasible (see the table).`);
  const models = new Set(result.rows.filter((r) => r.costModel !== 'none').map((r) => r.costModel));
  if (models.size > 1) parts.push(`Types are priced by different cost models (${[...models].join('; ')}): compare them with care.`);
  return parts.join(' ');
}
