/**
 * The phases of a training step's embedding part (cost/stepCost.ts), by name
 * and title. A module of its own, with no imports, so the balance webview can
 * name them without bundling the step model.
 */
export const PHASES = ['input_dist', 'forward', 'output_dist', 'grad_dist', 'backward', 'dp_sync'] as const;
export type PhaseName = (typeof PHASES)[number];

/** What each phase is, for tables, panels and hovers. */
export const PHASE_TITLES: Readonly<Record<PhaseName, string>> = {
  input_dist: 'input dist',
  forward: 'forward',
  output_dist: 'output dist',
  grad_dist: 'gradient dist',
  backward: 'backward',
  dp_sync: 'DP all-reduce',
};

/** Per phase: one rank's ms. */
export type PhaseTimes = Record<PhaseName, number>;
