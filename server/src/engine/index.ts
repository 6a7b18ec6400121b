/**
 * The engine facade the language server and the CLI drive: analyse a document,
 * propose a plan. No `vscode`/LSP imports anywhere below this folder.
 */
export { analyzeDocument, placementComplete, unreadableAnalysis, type Analysis, type AnalyzeOptions, type CostModelInfo } from './analyze';
export { createCostModelCache, type CostModelLoader, type CostModels, type LoadedCostModel } from './costModelCache';
export { ENGINE_CODES, DEFAULT_IMBALANCE_THRESHOLD } from './engineDiagnostics';
export { blockingErrors, canPlan, proposePlan, replanTitle, NotPlannableError, DEFAULT_STRATEGY, type Proposal, type ProposeOptions } from './propose';
export { computeTableCosts, costEnv, entryGpus, type TableCost } from './tableCosts';
