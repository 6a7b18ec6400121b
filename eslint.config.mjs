// ESLint flat config: typescript-eslint's recommended rules (syntax only, no
// type information: the whole lint stays a few seconds on a laptop) and the
// import rules that keep the layering of CONTRIBUTING.md "Layering":
//
//   config ← cost ← plan ← engine ← lsp / cli      (io: files and executables, for lsp / cli)
//   extension → server/src/lsp/protocol only       (the thin VS Code client)
//   webview   → no node modules; from the server only the protocol's types and
//               the pure display modules (byteUnits, phases, format)
//
// Each layer's rule lists what it may NOT import; its message says what it may
// import and why. Formatting is Prettier's job (.prettierrc.json): no
// stylistic rules here (eslint-config-prettier turns off any that would fight it).
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Every Node built-in, bare and `node:`-prefixed (fs, node:fs, fs/promises, ...). */
const NODE_BUILTINS = [...new Set(builtinModules.flatMap((m) => [m, `node:${m}`]))];

/** An import of one of these sibling folders of server/src, from any depth inside server/src. */
const layerRegex = (layers) => `^(\\.\\./)+(${layers.join('|')})(/|$)`;

/**
 * Imports the engine (config, cost, plan, engine) never makes: it runs the same
 * in the language server, the CLI and tests, so the editor, the LSP library,
 * files and processes stay at the edges (lsp/, cli/, io/) and are injected.
 */
const ENGINE_FORBIDDEN_PATHS = ['vscode', 'fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'child_process', 'node:child_process'].map((name) => ({
  name,
  message:
    'The engine (server/src/config, cost, plan, engine) never imports vscode, files or processes: it runs unchanged in the language server, the CLI and tests. Read files in server/src/io or at the edge (lsp/, cli/) and pass the contents or a reader in.',
}));
const ENGINE_FORBIDDEN_PATTERNS = [
  {
    regex: '^vscode-languageserver',
    message:
      "The engine (server/src/config, cost, plan, engine) never imports the LSP library: LSP types and connections live in server/src/lsp, which adapts the engine's results.",
  },
];

/** A server/src layer: what it may import from its siblings, and why. */
function layer(folder, forbidden, mayImport, why) {
  return {
    files: [`server/src/${folder}/**/*.ts`],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ENGINE_FORBIDDEN_PATHS,
          patterns: [
            ...ENGINE_FORBIDDEN_PATTERNS,
            {
              regex: layerRegex(forbidden),
              message: `server/src/${folder} may import only ${mayImport} (config ← cost ← plan ← engine ← lsp/cli): ${why}`,
            },
          ],
        },
      ],
    },
  };
}

export default defineConfig(
  globalIgnores(['dist/**', 'out/**', 'build/**', '.vscode-test/**', 'test-results/**', 'test/e2e/host/**', 'test/e2e/.cache/**', 'models/**']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Unused code is the compiler's job (noUnusedLocals/noUnusedParameters in every
      // tsconfig); `_`-prefixed names are deliberately unused parameters.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `const self = this` is how an object literal's methods (a SetScorer's score())
      // reach the model that made them; any other alias is a mistake.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self'] }],
    },
  },
  {
    // Scripts that drive a browser (Playwright): the callbacks they hand to page.evaluate run in the page.
    files: ['test/bench/startup.bench.mjs', 'test/e2e/**/*.mjs'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
  },

  // ---- The layering of server/src ----
  layer(
    'config',
    ['cost', 'plan', 'engine', 'lsp', 'cli', 'io'],
    'its own modules',
    'the config language (types, parsing, validation, presets) is the bottom layer every other layer builds on; what it needs from cost models belongs in config or is passed in.',
  ),
  layer(
    'cost',
    ['plan', 'engine', 'lsp', 'cli', 'io'],
    'server/src/config',
    'cost models price shards of a config; planners and the engine build on them, never the other way round.',
  ),
  layer(
    'plan',
    ['engine', 'lsp', 'cli', 'io'],
    'server/src/config and cost',
    'planners place tables using configs and cost models; the engine composes planners, never the other way round.',
  ),
  layer(
    'engine',
    ['lsp', 'cli', 'io'],
    'server/src/config, cost and plan',
    'the engine composes validation, costs and plans for both the language server and the CLI, so it cannot depend on either.',
  ),
  {
    // io (files, executables) serves the edges; it builds on the config language only.
    files: ['server/src/io/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: layerRegex(['cost', 'plan', 'engine', 'lsp', 'cli']),
              // Types are fine: io implements interfaces the engine defines (cost/modelFiles.ts ModelFiles).
              allowTypeImports: true,
              message:
                'server/src/io may import only server/src/config (and types, such as the interfaces it implements): it reads files and runs executables for the edges (lsp/, cli/) and knows nothing of costs or plans.',
            },
            {
              regex: '^vscode',
              message: 'server/src/io is shared by the CLI and the language server: no vscode or LSP library imports.',
            },
          ],
        },
      ],
    },
  },
  {
    // The protocol is bundled into the VS Code client and its types into the webview:
    // nothing of the language server's runtime may reach it.
    files: ['server/src/lsp/protocol.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: ['fs', 'node:fs', 'fs/promises', 'node:fs/promises'].map((name) => ({
            name,
            message: 'server/src/lsp/protocol.ts is bundled into the VS Code client: it may import only the protocol library and pure server modules.',
          })),
          patterns: [
            {
              regex: '^vscode-languageserver(/|$)',
              message: 'server/src/lsp/protocol.ts is bundled into the VS Code client: use vscode-languageserver-protocol (shared by both sides), never the server library.',
            },
            {
              regex: '^\\./(?!protocol$)',
              message: "server/src/lsp/protocol.ts is bundled into the VS Code client: it must not pull in the language server's own modules.",
            },
          ],
        },
      ],
    },
  },

  // ---- The VS Code client ----
  {
    files: ['extension/src/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)server/src/(?!lsp/protocol$)',
              message:
                'extension/ is a thin client: from server/ it imports only server/src/lsp/protocol (the typed custom protocol and the pure helpers it re-exports). Anything else reaches the client through the language server, or is re-exported from protocol.ts if it is pure and both sides need it.',
            },
            {
              regex: '^vscode-languageserver(/|$)',
              message: 'extension/ runs in the VS Code extension host: use vscode-languageclient / vscode-languageserver-protocol, never the server library.',
            },
          ],
        },
      ],
    },
  },

  // ---- The balance panel (a browser page) ----
  {
    files: ['webview/src/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: NODE_BUILTINS.map((name) => ({
            name,
            message: 'webview/ runs in a browser (the VS Code webview): no Node modules. Data comes from the extension as messages (webview/src/messages.ts).',
          })),
          patterns: [
            {
              regex: '(^|/)server/src/lsp/protocol$',
              allowTypeImports: true,
              message: 'webview/ imports only types from server/src/lsp/protocol (`import type`): its runtime (vscode-languageserver-protocol) must not enter the browser bundle.',
            },
            {
              regex: '(^|/)server/src/(?!(lsp/protocol|config/byteUnits|cost/phases|engine/format)$)',
              message:
                "webview/ imports from server/ only the protocol's types and the pure display modules config/byteUnits, cost/phases and engine/format (so the panel prints numbers exactly as the hover and the CLI do). Anything else comes in the balance message.",
            },
            {
              regex: '^(vscode|vscode-languageserver|vscode-languageclient|vscode-jsonrpc)(/|$)',
              message: 'webview/ runs in a browser: it talks to the extension only through postMessage (webview/src/vscodeApi.ts, messages.ts).',
            },
          ],
        },
      ],
    },
  },

  // ---- Tests, benchmarks and scripts ----
  {
    files: ['test/**/*.ts', 'test/**/*.mjs'],
    rules: {
      // Tests read JSON they just wrote (JSONL records, CLI output) and assert on its fields:
      // `any` there is the shape under test, checked by the assertions themselves.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  prettier,
);
