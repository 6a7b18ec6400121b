// Bundles the three programs ShardLens ships (see README "How the code is organised"):
//   dist/extension.js  the VS Code client (node, cjs; `vscode` is provided by the editor)
//   dist/cli.js        the `shardlens` CLI and language server (node, cjs). onnxruntime-node
//                      resolves its native binary by a computed path, so it stays external
//                      and ships as a real node_modules folder in the VSIX.
//   dist/webview.js    the balance panel (browser, iife; chart.js bundled in)
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';

const production = process.argv.includes('--production');
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning' };

mkdirSync('dist', { recursive: true });
await Promise.all([
  esbuild.build({
    ...common,
    entryPoints: ['extension/src/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  }),
  esbuild.build({
    ...common,
    entryPoints: ['server/src/cli/main.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['onnxruntime-node'],
    banner: { js: '#!/usr/bin/env node' },
  }),
  esbuild.build({
    ...common,
    entryPoints: ['webview/src/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  }),
]);
copyFileSync('webview/styles.css', 'dist/webview.css');
