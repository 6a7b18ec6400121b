#!/usr/bin/env node
// `npm run package`: builds the production bundles and packages one VSIX per platform,
// dist/shardlens-<target>.vsix. Everything runtime is bundled by esbuild except
// onnxruntime-node (it resolves its native binary by a computed path), which ships as a real
// node_modules folder holding only the target platform's binaries (the npm package carries
// all platforms, ~288 MB unpacked; linux-x64 alone is ~45 MB).
//
// What ships is decided by the repo's .vscodeignore (through `vsce ls`); this script copies
// those files into a staging folder minus other platforms' onnxruntime binaries and packages
// the stage:  node test/e2e/package-vsix.mjs
//   [--target linux-x64 (default; repeatable) | --all] [--no-build]
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './lib/paths.mjs';

/** vsce target → onnxruntime-node's bin/napi-v6/<platform>/<arch> folder (1.30.0 ships these five). */
export const TARGETS = {
  'linux-x64': 'linux/x64',
  'linux-arm64': 'linux/arm64',
  'darwin-arm64': 'darwin/arm64',
  'win32-x64': 'win32/x64',
  'win32-arm64': 'win32/arm64',
};

const VSCE = path.join(REPO, 'node_modules/@vscode/vsce/vsce');
const argv = process.argv.slice(2);
const targets = argv.includes('--all') ? Object.keys(TARGETS) : argv.flatMap((a, i) => (a === '--target' ? [argv[i + 1]] : [])).filter(Boolean);
if (!targets.length) targets.push('linux-x64');
for (const t of targets) if (!TARGETS[t]) throw new Error(`unknown target ${t}; one of ${Object.keys(TARGETS).join(', ')}`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
}

/**
 * What the VSIX ships, as the repo's .vscodeignore decides (owned with the extension):
 * `vsce ls` walks the production dependencies and applies it. Relative paths.
 */
function shippedFiles() {
  const r = spawnSync(process.execPath, [VSCE, 'ls'], { cwd: REPO, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (r.status !== 0) throw new Error(`vsce ls exited ${r.status}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

const ORT_BIN = 'node_modules/onnxruntime-node/bin/napi-v6/';

/** A staging folder with the shipped files, onnxruntime-node's binaries for `target` only. */
function stageFor(target, files) {
  const stage = mkdtempSync('/tmp/sl-vsix-');
  for (const rel of files) {
    if (rel.startsWith(ORT_BIN) && !rel.startsWith(`${ORT_BIN}${TARGETS[target]}/`)) continue;
    mkdirSync(path.dirname(path.join(stage, rel)), { recursive: true });
    copyFileSync(path.join(REPO, rel), path.join(stage, rel));
  }
  copyFileSync(path.join(REPO, '.vscodeignore'), path.join(stage, '.vscodeignore'));
  // The staged manifest needs no build scripts (vsce would run vscode:prepublish) or dev
  // tools, and lists only the one dependency that is not bundled, so vsce's `npm list` walk
  // in the stage sees a complete tree.
  const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8'));
  delete pkg.scripts;
  delete pkg.devDependencies;
  pkg.dependencies = { 'onnxruntime-node': pkg.dependencies['onnxruntime-node'] };
  writeFileSync(path.join(stage, 'package.json'), JSON.stringify(pkg, null, 2));
  // Its adm-zip/global-agent deps serve only its install script (downloads), not the runtime.
  const ortPkgPath = path.join(stage, 'node_modules/onnxruntime-node/package.json');
  const ortPkg = JSON.parse(readFileSync(ortPkgPath, 'utf8'));
  ortPkg.dependencies = { 'onnxruntime-common': ortPkg.dependencies['onnxruntime-common'] };
  delete ortPkg.scripts;
  writeFileSync(ortPkgPath, JSON.stringify(ortPkg, null, 2));
  return stage;
}

function main() {
  if (!argv.includes('--no-build')) run(process.execPath, ['esbuild.config.mjs', '--production'], { cwd: REPO });
  mkdirSync(path.join(REPO, 'dist'), { recursive: true });
  const files = shippedFiles();
  for (const target of targets) {
    const stage = stageFor(target, files);
    const out = path.join(REPO, `dist/shardlens-${target}.vsix`);
    try {
      // No repository URL to rewrite README's relative links against (the README's images
      // ship in the VSIX and resolve inside it), so keep them relative.
      run(
        process.execPath,
        [VSCE, 'package', '--target', target, '--allow-missing-repository', '--no-rewrite-relative-links', '--skip-license', '--no-update-package-json', '-o', out],
        { cwd: stage },
      );
    } finally {
      rmSync(stage, { recursive: true, force: true });
    }
    console.log(`package: ${path.relative(REPO, out)} ${(statSync(out).size / 2 ** 20).toFixed(1)} MiB`);
  }
}

main();
