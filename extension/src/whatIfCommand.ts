/**
 * `shardlens.whatIf` ("ShardLens: What If…", and the lens on `devices:`):
 * asks for GPU counts (an input box, checked as the CLI checks `--gpus`) and
 * GPU types (a multi-select of the presets), then opens the panel's What-if
 * view and runs the sweep there. The last answers per document are offered
 * again; the lens's arguments give the first defaults (¼, ½, 1, 2 × the
 * config's count; its GPU type).
 */
import * as vscode from 'vscode';
import { GPU_PRESETS, parseGpuCounts, type WhatIfCommandArgs } from '../../server/src/lsp/protocol';
import { BalancePanel, type PanelDeps } from './balancePanel';
import { Commands } from './contributionIds';
import { isShardDocument } from './shardFiles';

interface Answers {
  counts?: number[];
  types?: string[];
}

/** Per document URI: what the user answered last. */
const lastAnswers = new Map<string, Answers>();

function targetUri(args: Partial<WhatIfCommandArgs> | undefined): vscode.Uri | undefined {
  if (typeof args?.uri === 'string') return vscode.Uri.parse(args.uri);
  const doc = vscode.window.activeTextEditor?.document;
  return doc && isShardDocument(doc) ? doc.uri : undefined;
}

/** The input box's check: empty means the default counts. */
export function countsProblem(text: string): string | undefined {
  if (text.trim() === '') return undefined;
  const parsed = parseGpuCounts(text);
  return parsed.ok ? undefined : parsed.error;
}

async function askCounts(defaults: number[] | undefined): Promise<number[] | undefined | null> {
  const text = await vscode.window.showInputBox({
    title: 'ShardLens: What If\u2026 (1/2): GPU counts',
    prompt: 'GPU counts to plan the same tables for, separated by commas',
    placeHolder: 'e.g. 16, 32, 64, 128 (empty: \u00bc, \u00bd, 1 and 2 \u00d7 devices.count)',
    value: defaults?.join(', ') ?? '',
    validateInput: countsProblem,
    ignoreFocusOut: true,
  });
  if (text === undefined) return null; // Escape: no sweep
  if (text.trim() === '') return undefined;
  const parsed = parseGpuCounts(text);
  return parsed.ok ? parsed.value : null;
}

async function askTypes(preselected: readonly string[], configType: string | undefined): Promise<string[] | undefined | null> {
  const names = [...new Set([...(configType ? [configType] : []), ...Object.keys(GPU_PRESETS)])];
  const items = names.map((name) => ({
    label: name,
    description: name === configType ? '(this config)' : undefined,
    picked: preselected.includes(name),
  }));
  const picked = await vscode.window.showQuickPick(items, {
    title: 'ShardLens: What If\u2026 (2/2): GPU types',
    placeHolder: "GPU types to plan for (none picked: the config's own type)",
    canPickMany: true,
    ignoreFocusOut: true,
  });
  if (picked === undefined) return null;
  return picked.length > 0 ? picked.map((p) => p.label) : undefined;
}

export function registerWhatIfCommand(deps: PanelDeps): vscode.Disposable {
  return vscode.commands.registerCommand(Commands.whatIf, async (args?: Partial<WhatIfCommandArgs>) => {
    const uri = targetUri(args);
    if (!uri) {
      void vscode.window.showInformationMessage('ShardLens: open a *.shard.yaml file to ask what other clusters would do.');
      return;
    }
    const last = lastAnswers.get(uri.toString());
    const counts = await askCounts(last?.counts ?? (Array.isArray(args?.counts) ? args.counts : undefined));
    if (counts === null) return;
    const configType = typeof args?.type === 'string' ? args.type : undefined;
    const types = await askTypes(last?.types ?? (configType ? [configType] : []), configType);
    if (types === null) return;
    lastAnswers.set(uri.toString(), { counts, types });
    BalancePanel.showWhatIf(deps, uri, { counts, types });
  });
}
