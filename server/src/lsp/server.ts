/**
 * The ShardLens language server: connection, capabilities and wiring only.
 * The work happens in the engine (server/src/engine) and the small handler
 * files next to this one. Runs over stdio (`shardlens serve --stdio`) or Node
 * IPC (`--node-ipc`), as vscode-languageserver picks from argv.
 *
 * Never dies on a bad document or a bug in one handler: every handler catches
 * and logs, and process-level `uncaughtException`/`unhandledRejection` are
 * logged through the connection instead of killing the server
 * (vscode-languageclient stops restarting after 5 crashes in 3 minutes).
 */
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  ProposedFeatures,
  TextDocumentSyncKind,
  TextDocuments,
  createConnection,
  type Connection,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import * as path from 'node:path';
import { Console } from 'node:console';
import { PassThrough } from 'node:stream';
import { GPU_PRESETS } from '../config/presets';
import { BUILTIN_MODELS, loadCostModel } from '../cost/registry';
import { diskModelFiles } from '../io/modelFiles';
import { analyzeDocument, createCostModelCache, proposePlan, type Analysis, type CostModels } from '../engine';
import { errorText } from '../engine/engineDiagnostics';
import { REPLAN_BUDGET_MS } from '../plan/budget';
import { handleBalance } from './balance';
import { Baselines } from './baselines';
import { buildCodeActions } from './codeActions';
import { buildCodeLenses } from './codeLens';
import { buildCompletions } from './completion';
import { DiagnosticPublisher, toLspDiagnostic } from './diagnostics';
import { DocumentAnalyses, type AnalysisRecord } from './documents';
import { buildHover } from './hover';
import { handlePlacementDiff } from './placementDiff';
import {
  BalanceChangedNotification,
  BalanceRequest,
  BaselineNotification,
  PlacementDiffRequest,
  ReplanRequest,
  SettingKeys,
  StatusNotification,
  SweepRequest,
  type ShardLensInitializationOptions,
  type StatusParams,
} from './protocol';
import { FramingChecker } from './framing';
import { handleReplan } from './replan';
import { MoveBudgets } from './moveBudgets';
import { proposeMoves } from '../engine/proposeMoves';
import { handleSweep } from './sweep';
import { DEFAULT_SETTINGS, parseSettings, type ServerSettings } from './settings';
import { UriMap, uriToPath } from './uris';
import { withFetchedFiles, workspaceReader } from './workspaceReader';

export interface ServerOptions {
  /** Shipped models folder; the client's initializationOptions.modelsDir wins. */
  modelsDir: string;
  /** Speak over stdin/stdout (checked framing); otherwise vscode-languageserver picks the transport from argv. */
  stdio?: boolean;
}

/**
 * stdin with its framing checked (framing.ts) before vscode-jsonrpc reads it:
 * a malformed header ends the process with a message on stderr (the client
 * shows it, and restarts the server) instead of wedging it forever.
 */
function checkedStdin(): PassThrough {
  const checked = new PassThrough();
  const framing = new FramingChecker();
  process.stdin.on('data', (chunk: Buffer) => {
    const problem = framing.push(chunk);
    if (problem) {
      process.stderr.write(`ShardLens server: the client sent ${problem}; the connection cannot recover, so the server exits (the client restarts it).\n`);
      process.exit(1);
    }
    checked.write(chunk);
  });
  process.stdin.on('end', () => checked.end());
  process.stdin.on('close', () => checked.end());
  return checked;
}

export function startServer(options: ServerOptions): Connection {
  // A stream input: vscode-languageserver exits when it ends, as it does for stdin itself.
  const connection = options.stdio ? createConnection(ProposedFeatures.all, checkedStdin(), process.stdout) : createConnection(ProposedFeatures.all);
  const log = (message: string) => {
    try {
      connection.console.log(message);
    } catch {
      /* connection gone */
    }
  };
  const logError = (message: string) => {
    try {
      connection.console.error(message);
    } catch {
      /* connection gone */
    }
  };

  // stdout IS the protocol channel under --stdio: anything printed would corrupt it. Every console
  // method (dir, table, trace…) goes to stderr; the common ones to the client's log below.
  if (options.stdio) globalThis.console = new Console(process.stderr, process.stderr);
  console.log = (...args: unknown[]) => log(args.map(String).join(' '));
  console.info = console.log;
  console.warn = (...args: unknown[]) => logError(args.map(String).join(' '));
  console.error = console.warn;
  process.on('uncaughtException', (err) => logError(`ShardLens server: uncaught exception: ${err?.stack ?? String(err)}`));
  process.on('unhandledRejection', (reason) => logError(`ShardLens server: unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`));

  const documents = new TextDocuments(TextDocument);
  const uris = new UriMap();
  const publisher = new DiagnosticPublisher(connection);

  let trusted = true;
  let modelsDir = options.modelsDir;
  let roots: string[] = [];
  let debounceMs = 30;
  let canConfigure = false;
  let canRefreshLenses = false;
  let canWatchFiles = false;
  const settingsCache = new Map<string, Promise<ServerSettings>>();
  /** Cost models per distinct `costModel.paths` value (usually one). */
  const modelCaches = new Map<string, CostModels>();
  /** Last status sent per document, so an unchanged status is not re-sent on every keystroke. */
  const lastStatus = new Map<string, string>();
  /** Files each document's last analysis read besides itself: read ahead (asynchronously) for the next one. */
  const referencedFiles = new Map<string, string[]>();

  function costModelsFor(settings: ServerSettings): CostModels {
    const key = JSON.stringify([settings.costModelPaths, settings.costModelCalibrations]);
    let cache = modelCaches.get(key);
    if (!cache) {
      // Workspace Trust is enforced by the registry: with trusted=false it ignores
      // these paths and its warning says so (shown as SL102 and in the status).
      cache = createCostModelCache((device, kernels) =>
        loadCostModel(device, {
          modelPaths: settings.costModelPaths,
          calibrations: settings.costModelCalibrations,
          modelsDir,
          files: diskModelFiles,
          trusted,
          kernels,
        }),
      );
      modelCaches.set(key, cache);
    }
    return cache;
  }

  function settingsFor(uri: string): Promise<ServerSettings> {
    if (!canConfigure) return Promise.resolve(parseSettings(undefined, roots[0]));
    let s = settingsCache.get(uri);
    if (!s) {
      s = connection.workspace.getConfiguration({ scopeUri: uri, section: SettingKeys.section }).then(
        (raw) => parseSettings(raw, roots[0]),
        (err) => {
          log(`settings unavailable (${errorText(err)}); using defaults`);
          return { ...DEFAULT_SETTINGS };
        },
      );
      settingsCache.set(uri, s);
    }
    return s;
  }

  const openText = (filePath: string): string | undefined => {
    const uri = uris.toUri(filePath);
    return documents.get(uri)?.getText();
  };

  function sendStatus(record: AnalysisRecord): void {
    const a = record.analysis;
    const status: StatusParams = {
      uri: record.uri,
      costModel: a.costModel?.name,
      source: a.costModel?.source,
      kernels: a.costModel?.kernels,
      warnings: a.costModel?.warning ? [a.costModel.warning] : [],
      imbalance: a.imbalance,
    };
    const key = JSON.stringify({ ...status, imbalance: status.imbalance?.toFixed(2) });
    if (lastStatus.get(record.uri) === key) return;
    lastStatus.set(record.uri, key);
    void connection.sendNotification(StatusNotification, status);
  }

  function refreshLenses(): void {
    if (canRefreshLenses) connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
  }

  /** Publishes an analysis's diagnostics: the document's own, and those it reports in other files. */
  function publishDiagnostics(uri: string, version: number, analysis: Analysis): void {
    const perFile = new Map<string, ReturnType<typeof toLspDiagnostic>[]>();
    perFile.set(uri, []);
    for (const d of analysis.diagnostics) {
      const target = d.file === analysis.file ? uri : uris.toUri(d.file);
      let list = perFile.get(target);
      if (!list) {
        list = [];
        perFile.set(target, list);
      }
      list.push(toLspDiagnostic(d));
    }
    publisher.update(uri, version, perFile);
  }

  const analyses = new DocumentAnalyses(documents, {
    analyze: async (uri, text, early) => {
      const settings = await settingsFor(uri);
      const file = uris.remember(uri);
      const reader = workspaceReader(file, { openText, roots: () => roots, trusted: () => trusted });
      const analysis = await withFetchedFiles(
        reader,
        () =>
          analyzeDocument(file, text, reader, costModelsFor(settings), {
            imbalanceThreshold: settings.imbalanceThreshold,
            // A load that missed a file is provisional: withFetchedFiles reads it and loads again.
            onConfigChecked: (partial) => {
              if (!reader.missedAny()) early(partial);
            },
          }),
        referencedFiles.get(uri),
      );
      referencedFiles.set(uri, analysis.loaded.files.slice(1));
      return { analysis, settings };
    },
    // A soft budget keeps Replan (and the lens preview) interactive on DLRM-scale files (plan/budget.ts).
    propose: (record, strategy, signal) => proposePlan(record.analysis, { strategy, signal, timeBudgetMs: REPLAN_BUDGET_MS }),
    onConfigChecked: (uri, version, partial) => {
      log(`checked ${uri} v${version} in ${partial.elapsedMs.toFixed(0)} ms; costing waits for the cost model`);
      publishDiagnostics(uri, version, partial);
    },
    onAnalysis: (record) => {
      baselines.analysed(record);
      moveBudgets.changed(record.uri, record);
      const a = record.analysis;
      log(`analysed ${record.uri} v${record.version} in ${a.elapsedMs.toFixed(0)} ms (${a.loaded.config?.tables.length ?? 0} tables, ${a.diagnostics.length} diagnostics)`);
      publishDiagnostics(record.uri, record.version, a);
      sendStatus(record);
      refreshLenses();
      void connection.sendNotification(BalanceChangedNotification, { uri: record.uri, version: record.version });
    },
    onProposal: (record, proposal) => {
      moveBudgets.proposalReady(record, proposal);
      refreshLenses();
      void connection.sendNotification(BalanceChangedNotification, { uri: record.uri, version: record.version });
    },
    onClosed: (uri) => {
      publisher.remove(uri);
      baselines.closed(uri);
      moveBudgets.closed(uri);
    },
    pathOf: (uri) => uriToPath(uri),
    log,
    get debounceMs() {
      return debounceMs;
    },
    proposalDelayMs: 250,
  });

  // "Replan (≤ N moves)": planned toward Replan's own proposal once it lands.
  const moveBudgets = new MoveBudgets({
    propose: (record, maxMoves, strategy, target, signal) =>
      proposeMoves(record.analysis, {
        maxMoves,
        strategy,
        signal,
        target: target.plan,
        timeBudgetMs: REPLAN_BUDGET_MS,
      }),
    replanProposal: (record, strategy, signal) => analyses.proposal(record, strategy, signal),
    latest: (uri) => analyses.latest(uri),
    onReady: (record) => {
      refreshLenses();
      void connection.sendNotification(BalanceChangedNotification, { uri: record.uri, version: record.version });
    },
    log,
  });

  // The "vs HEAD" lens: baselines the client reads from git, analysed like the document itself.
  const baselines = new Baselines({
    analyze: async (uri, text, settings) => {
      const file = uris.remember(uri);
      const reader = workspaceReader(file, { openText, roots: () => roots, trusted: () => trusted });
      return analyzeDocument(file, text, reader, costModelsFor(settings), { imbalanceThreshold: settings.imbalanceThreshold });
    },
    onReady: () => refreshLenses(),
    latest: (uri) => analyses.latest(uri),
    log,
  });

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    const init = (params.initializationOptions ?? {}) as ShardLensInitializationOptions;
    if (init.trusted === false) trusted = false;
    if (typeof init.modelsDir === 'string' && init.modelsDir) modelsDir = init.modelsDir;
    // Ranged like every number a client or user sends: a huge delay would never analyse (setTimeout caps at 2^31 − 1 ms).
    if (typeof init.debounceMs === 'number' && init.debounceMs >= 0 && init.debounceMs <= 10_000) debounceMs = init.debounceMs;
    const folders = params.workspaceFolders ?? (params.rootUri ? [{ uri: params.rootUri, name: 'root' }] : []);
    roots = folders.map((f) => uriToPath(f.uri)).filter((p) => path.isAbsolute(p));
    const caps = params.capabilities;
    canConfigure = !!caps.workspace?.configuration;
    canRefreshLenses = !!caps.workspace?.codeLens?.refreshSupport;
    canWatchFiles = !!caps.workspace?.didChangeWatchedFiles?.dynamicRegistration;
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        codeLensProvider: { resolveProvider: false },
        hoverProvider: true,
        completionProvider: { triggerCharacters: [':', ' ', '-'], resolveProvider: false },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'shardlens', version: process.env.SHARDLENS_VERSION ?? '0.1.0' },
    };
  });

  /**
   * Loads the cost models of the GPU types that have a learned model (shipped or
   * set by the user) in the background, before any document asks: requiring
   * onnxruntime-node and creating an ONNX session take 100s of ms cold, which
   * would otherwise sit between opening a config and its first costs. A failure
   * here is not reported: the first analysis loads again and reports it.
   */
  async function preloadCostModels(): Promise<void> {
    try {
      const settings = canConfigure ? parseSettings(await connection.workspace.getConfiguration({ section: SettingKeys.section }), roots[0]) : parseSettings(undefined, roots[0]);
      const types = new Set([...Object.keys(BUILTIN_MODELS), ...Object.keys(settings.costModelPaths)]);
      for (const type of types) {
        const preset = GPU_PRESETS[type];
        if (!preset) continue;
        await costModelsFor(settings)
          .get({ type, count: 1, perHost: 1, reserve: 0, ...preset })
          .catch(() => undefined);
      }
    } catch (err) {
      log(`cost model preload skipped: ${errorText(err)}`);
    }
  }

  connection.onInitialized(() => {
    // After the handshake's replies are out; analyses that start meanwhile share the same load.
    setTimeout(() => {
      void preloadCostModels();
    }, 0);
    if (canConfigure) void connection.client.register(DidChangeConfigurationNotification.type, { section: SettingKeys.section }).catch(() => undefined);
    if (canWatchFiles) {
      void connection.client
        .register(DidChangeWatchedFilesNotification.type, {
          watchers: [{ globPattern: '**/*.{yaml,yml,json}' }],
        })
        .catch(() => undefined);
    }
    try {
      connection.workspace.onDidChangeWorkspaceFolders((e) => {
        const removed = new Set(e.removed.map((f) => uriToPath(f.uri)));
        roots = [...roots.filter((r) => !removed.has(r)), ...e.added.map((f) => uriToPath(f.uri))];
        analyses.changedAll();
      });
    } catch (err) {
      log(`workspace folder changes not available: ${errorText(err)}`); // client without workspaceFolders support
    }
  });

  connection.onDidChangeConfiguration(() => {
    settingsCache.clear();
    modelCaches.clear();
    analyses.changedAll();
  });

  connection.onDidChangeWatchedFiles((params) => {
    try {
      for (const change of params.changes) {
        const p = uriToPath(change.uri);
        // An open document's own edits already arrive as didChange; this is for files on disk.
        if (!documents.get(change.uri)) analyses.fileChanged(p);
        if (/\.(onnx)$/i.test(p) || /models[\\/][^\\/]+\.json$/i.test(p)) {
          modelCaches.clear();
          analyses.changedAll();
        }
      }
    } catch (err) {
      logError(`didChangeWatchedFiles: ${errorText(err)}`);
    }
  });

  documents.onDidChangeContent((e) => {
    try {
      uris.remember(e.document.uri);
      moveBudgets.changed(e.document.uri);
      analyses.textChanged(e.document.uri);
    } catch (err) {
      logError(`didChange: ${errorText(err)}`);
    }
  });
  documents.onDidClose((e) => {
    try {
      settingsCache.delete(e.document.uri);
      lastStatus.delete(e.document.uri);
      referencedFiles.delete(e.document.uri);
      analyses.closed(e.document.uri);
    } catch (err) {
      logError(`didClose: ${errorText(err)}`);
    }
  });

  connection.onCodeLens(async (params, token) => {
    try {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      const record = await analyses.whenAnalyzed(params.textDocument.uri, undefined, abort.signal);
      if (!record) return [];
      return buildCodeLenses({
        record,
        proposal: analyses.settledProposal(record.uri),
        pending: analyses.proposalPending(record.uri),
        baseline: baselines.diffNow(record),
        moves: moveBudgets.settled(record),
        movesPending: moveBudgets.pending(record) || analyses.proposalPending(record.uri),
      });
    } catch (err) {
      logError(`codeLens: ${errorText(err)}`);
      return [];
    }
  });

  connection.onHover(async (params, token) => {
    try {
      const doc = documents.get(params.textDocument.uri);
      if (!doc) return null;
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      const record = analyses.latest(params.textDocument.uri) ?? (await analyses.whenAnalyzed(params.textDocument.uri, undefined, abort.signal));
      return buildHover(doc, params.position, record);
    } catch (err) {
      logError(`hover: ${errorText(err)}`);
      return null;
    }
  });

  connection.onCompletion((params) => {
    try {
      const doc = documents.get(params.textDocument.uri);
      if (!doc) return [];
      return buildCompletions(doc, params.position, analyses.latest(params.textDocument.uri));
    } catch (err) {
      logError(`completion: ${errorText(err)}`);
      return [];
    }
  });

  connection.onCodeAction((params) => {
    try {
      // Only analyses of the current text: a fix computed for an older version would edit the wrong bytes.
      const candidates = function* () {
        for (const doc of documents.all()) {
          const rec = analyses.latest(doc.uri);
          if (rec && rec.version === doc.version) yield* rec.analysis.diagnostics;
        }
      };
      return buildCodeActions(params, candidates(), uriToPath, (f) => uris.toUri(f));
    } catch (err) {
      logError(`codeAction: ${errorText(err)}`);
      return [];
    }
  });

  connection.onRequest(ReplanRequest, (params, token) => handleReplan(params, token, { connection, documents, analyses, moveBudgets, uriOf: (f) => uris.toUri(f) }));

  connection.onRequest(BalanceRequest, (params, token) => handleBalance(params, token, analyses, log, moveBudgets));

  connection.onRequest(SweepRequest, (params, token) => handleSweep(params, token, { connection, analyses, costModelsFor }));

  connection.onNotification(BaselineNotification, (params) => {
    try {
      baselines.set(params);
    } catch (err) {
      logError(`baseline: ${errorText(err)}`);
    }
  });

  connection.onRequest(PlacementDiffRequest, (params, token) => handlePlacementDiff(params, token, analyses, baselines));

  documents.listen(connection);
  connection.listen();
  return connection;
}
