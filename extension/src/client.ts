/**
 * The language client: starts `dist/cli.js serve` as a Node module over IPC
 * (VS Code forks it with its own Node; vscode-languageclient appends
 * `--node-ipc`), for `shardlens` documents and `*.shard.{yaml,yml,json}` files.
 *
 * Crashes: the server is restarted after a crash; after 5 crashes in 3 minutes
 * (crashPolicy.ts) it stays down and a visible message offers "Restart server".
 * Native code (onnxruntime-node) runs in that child process, so a fatal crash
 * there cannot take the extension host down.
 */
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  State,
  TransportKind,
  type CloseHandlerResult,
  type ErrorHandler,
  type ErrorHandlerResult,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import type { ShardLensInitializationOptions } from '../../server/src/lsp/protocol';
import { SettingKeys } from '../../server/src/lsp/protocol';
import { Commands } from './contributionIds';
import { CrashTracker, onConnectionError, onServerClosed } from './crashPolicy';
import { SHARD_FILE_GLOB, SHARD_LANGUAGE_ID, SHARD_YAML_WATCH_GLOB } from './shardFiles';

/** Client id: also the prefix of the `shardlens.trace.server` setting the client reads by convention. */
export const CLIENT_ID = 'shardlens';

/** Inspector port for the server when the extension runs under the debugger. */
const DEBUG_PORT = 6019;

export interface ShardLensClient {
  client: LanguageClient;
  /** Restarts (or starts, when it gave up) the server and resets the crash budget. */
  restart(): Promise<void>;
}

function serverOptions(context: vscode.ExtensionContext): ServerOptions {
  const module = context.asAbsolutePath('dist/cli.js');
  return {
    run: { module, transport: TransportKind.ipc, args: ['serve'] },
    debug: {
      module,
      transport: TransportKind.ipc,
      args: ['serve'],
      options: { execArgv: ['--nolazy', `--inspect=${DEBUG_PORT}`] },
    },
  };
}

/**
 * Restart on a crash until the budget is spent, then stay down and say so with
 * a button (crashPolicy.ts decides; this maps its decisions onto the library's actions).
 */
function errorHandler(crashes: CrashTracker, onGiveUp: (message: string, buttons: readonly string[]) => void): ErrorHandler {
  return {
    error(_error, _message, count): ErrorHandlerResult {
      return { action: onConnectionError(count) === 'continue' ? ErrorAction.Continue : ErrorAction.Shutdown };
    },
    closed(): CloseHandlerResult {
      const decision = onServerClosed(crashes);
      if (decision.action === 'restart') return { action: CloseAction.Restart, handled: true };
      onGiveUp(decision.message, decision.buttons);
      return { action: CloseAction.DoNotRestart, handled: true };
    },
  };
}

export function createClient(context: vscode.ExtensionContext, output: vscode.OutputChannel): ShardLensClient {
  const crashes = new CrashTracker();
  const watcher = vscode.workspace.createFileSystemWatcher(SHARD_YAML_WATCH_GLOB);
  context.subscriptions.push(watcher);

  const restart = async () => {
    crashes.reset();
    if (client.state === State.Running) await client.restart();
    else if (client.state === State.Stopped) await client.start();
  };

  const onGiveUp = (message: string, buttons: readonly string[]) => {
    const [restartButton, outputButton] = buttons;
    void vscode.window.showErrorMessage(message, ...buttons).then((choice) => {
      if (choice === restartButton) void vscode.commands.executeCommand(Commands.restartServer);
      else if (choice === outputButton) output.show(true);
    });
  };

  // A function: read again on every (re)start, so granting Workspace Trust and
  // restarting hands the server the new answer.
  const initializationOptions = (): ShardLensInitializationOptions => ({
    trusted: vscode.workspace.isTrusted,
    modelsDir: context.asAbsolutePath('models'),
  });

  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ language: SHARD_LANGUAGE_ID }, { scheme: 'file', pattern: SHARD_FILE_GLOB }, { scheme: 'untitled', language: SHARD_LANGUAGE_ID }],
    initializationOptions,
    synchronize: { configurationSection: SettingKeys.section, fileEvents: watcher },
    outputChannel: output,
    errorHandler: errorHandler(crashes, onGiveUp),
  };

  const client = new LanguageClient(CLIENT_ID, 'ShardLens', serverOptions(context), clientOptions);
  return { client, restart };
}
