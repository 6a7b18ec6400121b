/**
 * The ids package.json's `contributes` refers to, in one place: every command
 * the extension registers (those the server puts on code lenses come from
 * the protocol module), the `when`-clause context key and the webview view type.
 * test/unit/extension/manifest.test.ts checks the manifest against them.
 */
import { ClientCommands } from '../../server/src/lsp/protocol';

export const Commands = {
  replan: ClientCommands.replan,
  replanWith: 'shardlens.replanWith',
  showBalance: ClientCommands.showBalance,
  revealTables: ClientCommands.revealTables,
  restartServer: 'shardlens.restartServer',
  whatIf: ClientCommands.whatIf,
  showPlacementDiff: ClientCommands.showPlacementDiff,
  replanMoves: ClientCommands.replanMoves,
} as const;

/** Context key for `when` clauses: the active editor holds a shard config. */
export const ACTIVE_EDITOR_IS_SHARD = 'shardlens.activeEditorIsShard';

/** Webview panel type of the balance panel (also `onWebviewPanel:` activation). */
export const BALANCE_VIEW_TYPE = 'shardlens.balance';
