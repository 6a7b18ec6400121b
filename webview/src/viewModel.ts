/**
 * Pure functions from the server's balance numbers to what the panel draws:
 * chart.js data for the time and memory charts, the imbalance figures, and the
 * rows of the accessible table. No DOM, no chart.js: unit-tested directly.
 *
 * Units in: ms per training step, bytes. Memory is drawn in GiB (2^30 bytes),
 * the unit of the CLI's text table and the code lenses.
 */
import { GIB, gibCell } from '../../server/src/config/byteUnits';
import { combinedUncertainty, formatGain, formatMs, formatRatio, msCell } from '../../server/src/engine/format';
import { PHASE_TITLES, type PhaseName } from '../../server/src/cost/phases';
import type { BalanceResult, BalanceSide, SideName } from './messages';

/** Colours resolved from the `--vscode-*` CSS variables (see theme.ts). */
export interface ThemeColors {
  fwd: string;
  bwd: string;
  /** Communication, and the output dist phase. */
  comm: string;
  /** Phases: input dist (ids all-to-all), gradient dist, data-parallel all-reduce. */
  input: string;
  grad: string;
  dp: string;
  memory: string;
  free: string;
  over: string;
  foreground: string;
  grid: string;
  /** Editor background: the proposed plan's lighter bars are mixed over it. */
  background: string;
}

export interface BarDataset {
  label: string;
  /** One value per GPU, in the order of `gpus`. */
  data: number[];
  backgroundColor: string | string[];
  borderColor: string;
  borderWidth: number;
  /** chart.js stack id: bars of one side stack, the two sides stand next to each other. */
  stack: SideName;
  side: SideName;
}

/** Error bars of one side: per GPU (order of `gpus`), the stack's total and its ± (ms); NaN: none. */
export interface ErrorBars {
  side: SideName;
  totals: number[];
  plusMinus: number[];
}

export interface ChartData {
  /** GPU indices, one category (bar group) each. */
  gpus: number[];
  labels: string[];
  datasets: BarDataset[];
  /** Time chart only: the cost model's ± per GPU, drawn as whiskers on each stack. */
  errorBars?: ErrorBars[];
}

const SIDE_LABEL: Record<SideName, string> = { current: 'written', proposed: 'proposed' };

/** The sides present, written placement first. */
export function sidesOf(result: BalanceResult): Array<[SideName, BalanceSide]> {
  const out: Array<[SideName, BalanceSide]> = [];
  if (result.current) out.push(['current', result.current]);
  if (result.proposed) out.push(['proposed', result.proposed]);
  return out;
}

/** Every GPU index either side reports, ascending: one bar group each. */
export function gpuIndices(result: BalanceResult): number[] {
  const set = new Set<number>();
  for (const [, side] of sidesOf(result)) for (const g of side.gpus) set.add(g.gpu);
  return [...set].sort((a, b) => a - b);
}

/** [r, g, b, a] (0–255, a 0–1) of #rgb, #rrggbb, #rrggbbaa, rgb() or rgba(); undefined for other notations. */
export function parseColor(color: string): [number, number, number, number] | undefined {
  const c = color.trim();
  let m = /^#([0-9a-f]{3})$/i.exec(c);
  if (m) {
    const [r, g, b] = m[1].split('').map((h) => parseInt(h + h, 16));
    return [r, g, b, 1];
  }
  m = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(c);
  if (m) {
    const n = parseInt(m[1], 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255, m[2] ? parseInt(m[2], 16) / 255 : 1];
  }
  m = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)(?:[\s,/]+([\d.]+%?))?\s*\)$/i.exec(c);
  if (m) {
    const a = m[4] === undefined ? 1 : m[4].endsWith('%') ? parseFloat(m[4]) / 100 : parseFloat(m[4]);
    return [Number(m[1]), Number(m[2]), Number(m[3]), a];
  }
  return undefined;
}

/** `color` at opacity `alpha` (0..1); notations parseColor does not know come back unchanged. */
export function withAlpha(color: string, alpha: number): string {
  const p = parseColor(color);
  if (!p) return color.trim();
  return `rgba(${p[0]}, ${p[1]}, ${p[2]}, ${+(p[3] * alpha).toFixed(3)})`;
}

/**
 * Opaque `color` mixed over `background` with `weight` of the colour (0..1), or
 * undefined when either cannot be parsed.
 */
export function mixColors(color: string, background: string, weight: number): string | undefined {
  const c = parseColor(color);
  const b = parseColor(background);
  if (!c || !b) return undefined;
  const w = weight * c[3];
  const ch = (i: number) => Math.round(w * c[i] + (1 - w) * b[i]);
  return `rgb(${ch(0)}, ${ch(1)}, ${ch(2)})`;
}

/**
 * The proposed plan's bars use the written placement's hues, lighter, so the
 * legend reads "same quantity, other placement". Mixed over the editor
 * background rather than drawn translucent, so the bars stay opaque and grid
 * lines do not show through. 0.6 keeps even the palest chart colour (purple
 * on a white background) visibly saturated.
 */
const PROPOSED_WEIGHT = 0.6;

function fill(color: string, side: SideName, background: string): string {
  if (side !== 'proposed') return color;
  return mixColors(color, background, PROPOSED_WEIGHT) ?? withAlpha(color, PROPOSED_WEIGHT);
}

function valuesFor(side: BalanceSide, gpus: number[], pick: (row: BalanceSide['gpus'][number]) => number): number[] {
  const byGpu = new Map(side.gpus.map((g) => [g.gpu, g]));
  return gpus.map((g) => {
    const row = byGpu.get(g);
    return row ? pick(row) : 0;
  });
}

type Row = BalanceSide['gpus'][number];

/** The step's phases in order, their titles and chart colours (server/src/cost/stepCost.ts PHASES). */
export function phaseParts(colors: ThemeColors): Array<[string, string, (r: Row) => number]> {
  const ph = (k: PhaseName) => (r: Row) => r.phaseMs?.[k] ?? 0;
  return [
    [PHASE_TITLES.input_dist, colors.input, ph('input_dist')],
    [PHASE_TITLES.forward, colors.fwd, ph('forward')],
    [PHASE_TITLES.output_dist, colors.comm, ph('output_dist')],
    [PHASE_TITLES.grad_dist, colors.grad, ph('grad_dist')],
    [PHASE_TITLES.backward, colors.bwd, ph('backward')],
    [PHASE_TITLES.dp_sync, colors.dp, ph('dp_sync')],
  ];
}

/**
 * Time chart: per GPU, a stack of its ms in each phase of the step (input
 * dist, forward, output dist, gradient dist, backward, DP all-reduce) for the
 * written placement and, next to it, the same stack for the proposed plan.
 * Rows without phases (an older server) stack forward + backward + communication.
 */
export function toChartData(result: BalanceResult, colors: ThemeColors): ChartData {
  const gpus = gpuIndices(result);
  const datasets: BarDataset[] = [];
  for (const [name, side] of sidesOf(result)) {
    const parts: Array<[string, string, (r: Row) => number]> = side.gpus.every((r) => r.phaseMs)
      ? phaseParts(colors)
      : [
          ['forward', colors.fwd, (r) => r.fwdMs],
          ['backward', colors.bwd, (r) => r.bwdMs],
          ['communication', colors.comm, (r) => r.commMs],
        ];
    for (const [label, color, pick] of parts) {
      datasets.push({
        label: `${label} (${SIDE_LABEL[name]})`,
        data: valuesFor(side, gpus, pick),
        backgroundColor: fill(color, name, colors.background),
        borderColor: color,
        borderWidth: name === 'proposed' ? 1 : 0,
        stack: name,
        side: name,
      });
    }
  }
  const errorBars: ErrorBars[] = sidesOf(result)
    .filter(([, side]) => side.gpus.some((g) => g.uncertaintyMs !== undefined))
    .map(([name, side]) => ({
      side: name,
      totals: valuesFor(side, gpus, (r) => r.totalMs),
      plusMinus: valuesFor(side, gpus, (r) => r.uncertaintyMs ?? NaN),
    }));
  const out: ChartData = { gpus, labels: gpus.map((g) => `GPU ${g}`), datasets };
  if (errorBars.length > 0) out.errorBars = errorBars;
  return out;
}

/**
 * Memory chart (GiB): per GPU and side, the bytes used and the usable capacity
 * left, stacked, so a bar's height is the capacity and a GPU over its capacity
 * shows a taller bar in the error colour.
 */
export function toMemoryChartData(result: BalanceResult, colors: ThemeColors): ChartData {
  const gpus = gpuIndices(result);
  const datasets: BarDataset[] = [];
  for (const [name, side] of sidesOf(result)) {
    const used = valuesFor(side, gpus, (r) => r.memoryBytes / GIB);
    const cap = valuesFor(side, gpus, (r) => r.capacityBytes / GIB);
    datasets.push({
      label: `used (${SIDE_LABEL[name]})`,
      data: used,
      backgroundColor: used.map((u, i) => fill(u > cap[i] ? colors.over : colors.memory, name, colors.background)),
      borderColor: colors.memory,
      borderWidth: name === 'proposed' ? 1 : 0,
      stack: name,
      side: name,
    });
    datasets.push({
      label: `free (${SIDE_LABEL[name]})`,
      data: used.map((u, i) => Math.max(0, cap[i] - u)),
      backgroundColor: fill(colors.free, name, colors.background),
      borderColor: colors.free,
      borderWidth: 0,
      stack: name,
      side: name,
    });
  }
  return { gpus, labels: gpus.map((g) => `GPU ${g}`), datasets };
}

export interface PhaseFigure {
  name: PhaseName;
  title: string;
  /** The slowest GPU's ms in this phase, and that GPU. */
  ms: string;
  gpu: number;
}

export interface SideFigures {
  side: SideName;
  title: string;
  strategy: string;
  /** busiest GPU / mean per-GPU total ms (1 = perfectly balanced). */
  imbalance: string;
  /** The step (critical path). */
  maxMs: string;
  /** The busiest GPU's total. */
  busiestMs: string;
  meanMs: string;
  /** The critical path phase by phase (phases at 0 left out). */
  phases: PhaseFigure[];
  feasible: boolean;
  reasons: string[];
  /** How the plan was made (e.g. the time budget cut it short). */
  notes: string[];
}

export interface Figures {
  sides: SideFigures[];
  /** "step 12.3 ms → 9.10 ms (−26%)" when both sides are known. */
  change?: string;
}

export function imbalanceFigures(result: BalanceResult): Figures {
  // A side without GPU rows (planning failed) has no numbers to show, only its reasons.
  const sides = sidesOf(result).map(([name, s]): SideFigures => ({
    side: name,
    title: name === 'current' ? 'Written placement' : `Proposed (${s.strategy})`,
    strategy: s.strategy,
    imbalance: s.gpus.length > 0 ? formatRatio(s.imbalance) : '\u2013',
    maxMs: s.gpus.length > 0 ? formatMs(s.maxMs) : '\u2013',
    busiestMs: s.gpus.length > 0 ? formatMs(s.maxGpuMs) : '\u2013',
    meanMs: s.gpus.length > 0 ? formatMs(s.meanMs) : '\u2013',
    phases: s.gpus.length > 0 ? s.phases.filter((p) => p.maxMs > 0).map((p) => ({ name: p.name, title: PHASE_TITLES[p.name] ?? p.name, ms: formatMs(p.maxMs), gpu: p.gpu })) : [],
    feasible: s.feasible,
    reasons: s.reasons,
    notes: s.notes ?? [],
  }));
  const { current, proposed } = result;
  // The gain is shown only when it exceeds both steps' model error combined.
  const change =
    current?.gpus.length && proposed?.gpus.length
      ? `step ${formatMs(current.maxMs)} \u2192 ${formatMs(proposed.maxMs)}${
          current.maxMs > 0 ? ` (${formatGain(current.maxMs, proposed.maxMs, combinedUncertainty(current.maxUncertaintyMs, proposed.maxUncertaintyMs))})` : ''
        }`
      : undefined;
  return { sides, change };
}

export interface TableRow {
  side: SideName;
  sideLabel: string;
  gpu: number;
  /** Raw numbers (ms, bytes) for data-value attributes; uncertainty NaN when the model reports none. */
  raw: { fwd: number; bwd: number; comm: number; total: number; uncertainty: number; memory: number; capacity: number };
  /** Display text: ms with 3 decimals, GiB with 2 below 100 GiB (config/byteUnits.ts gibCell), as the CLI's text table; ± of the compute ("±0.120", "–"). */
  cells: { fwd: string; bwd: string; comm: string; total: string; uncertainty: string; memory: string; capacity: string };
  tables: string;
  overCapacity: boolean;
}

export function tableRows(result: BalanceResult): TableRow[] {
  const rows: TableRow[] = [];
  for (const [name, side] of sidesOf(result)) {
    for (const g of [...side.gpus].sort((a, b) => a.gpu - b.gpu)) {
      rows.push({
        side: name,
        sideLabel: name === 'current' ? 'written' : `proposed (${side.strategy})`,
        gpu: g.gpu,
        raw: {
          fwd: g.fwdMs,
          bwd: g.bwdMs,
          comm: g.commMs,
          total: g.totalMs,
          uncertainty: g.uncertaintyMs ?? NaN,
          memory: g.memoryBytes,
          capacity: g.capacityBytes,
        },
        cells: {
          fwd: msCell(g.fwdMs),
          bwd: msCell(g.bwdMs),
          comm: msCell(g.commMs),
          total: msCell(g.totalMs),
          uncertainty: g.uncertaintyMs !== undefined ? `\u00b1${msCell(g.uncertaintyMs)}` : '\u2013',
          memory: gibCell(g.memoryBytes),
          capacity: gibCell(g.capacityBytes),
        },
        tables: g.tables.join(', '),
        overCapacity: g.memoryBytes > g.capacityBytes,
      });
    }
  }
  return rows;
}

/** The subtitle: file · devices · cost model (each model with its kernels) · what was added to a model's numbers. */
export function subtitleOf(fileName: string, result: BalanceResult): string {
  const several = (result.costModels?.length ?? 0) > 1;
  const notes = (result.costModels ?? []).flatMap((k) => (Array.isArray(k.notes) ? k.notes : []).map((n) => `+ ${several ? `${k.kernel}: ` : ''}${n}`));
  return [fileName, result.devices, result.costModel ? `cost model ${result.costModel}` : undefined, ...notes].filter((s): s is string => !!s).join(' \u00b7 ');
}

/** What the status line says when there are no bars to draw. */
export function emptyReason(result: BalanceResult): string | undefined {
  if (result.current || result.proposed) return undefined;
  if (result.errors > 0) return `Fix the ${result.errors} error${result.errors === 1 ? '' : 's'} in the file to see the balance.`;
  return 'No placement to show yet.';
}
