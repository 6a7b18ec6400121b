#!/usr/bin/env bash
# Installs the VS Code server the e2e tests drive (code-server, pinned in host/package.json)
# offline: only the npm registry and Debian packages are reachable. Recipe and its reasons:
# ../../docs/research/e2e-recipe.md §2 (verified on this machine kind). Idempotent: does
# nothing when the pinned version is already installed.
# Needs Debian packages: ripgrep (seeds @vscode/ripgrep's download), libkrb5-dev (the nested
# `kerberos` module compiles from source after its GitHub prebuild download fails),
# build-essential + python3 (node-gyp), chromium (the browser, used by run.mjs, not here).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
HOST="$HERE/host"
WANT="$(node -p "require('$HOST/package.json').dependencies['code-server']")"
HAVE="$(node -p "try{require('$HOST/node_modules/code-server/package.json').version}catch{''}")"
if [ "$HAVE" = "$WANT" ] && [ -f "$HOST/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" ]; then
  echo "install-host: code-server $HAVE already installed"
  exit 0
fi

RG="$(command -v rg || true)"
if [ -z "$RG" ]; then
  echo "install-host: Debian's ripgrep is missing (apt-get install ripgrep)" >&2
  exit 1
fi

# The env the nested installs of code-server's postinstall inherit.
export npm_config_unsafe_perm=true   # code-server's postinstall refuses root without it (npm calls it unknown; harmless)
export npm_config_yes=true           # node-pty's postinstall runs `npx node-gyp`; npx needs a yes
export npm_config_nodedir=/usr       # Node 20's own headers (/usr/include/node); else node-gyp downloads them
export npm_config_update_notifier=false
# The repo's .npmrc turns install scripts off and `npm run` passes that on as
# npm_config_ignore_scripts=true; code-server needs its scripts (it builds node-pty etc.).
export npm_config_ignore_scripts=false
# @vscode/ripgrep's postinstall downloads rg from GitHub unless it finds this tarball in
# os.tmpdir()/vscode-ripgrep-cache-<its version>/ (lib/download.js). The version is the one
# code-server 4.100.3's lib/vscode/npm-shrinkwrap.json pins; the asset name is from its
# lib/postinstall.js (VERSION v13.0.0-10, target x86_64-unknown-linux-musl). Bump both with
# code-server.
RG_PKG_VERSION=1.15.11
RG_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
export TMPDIR="$HERE/.cache/tmp"
mkdir -p "$TMPDIR/vscode-ripgrep-cache-$RG_PKG_VERSION"
stage="$(mktemp -d)"
cp "$RG" "$stage/rg"
tar czf "$TMPDIR/vscode-ripgrep-cache-$RG_PKG_VERSION/$RG_ASSET" -C "$stage" rg
rm -rf "$stage"

cd "$HOST"
start=$(date +%s)
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm install --no-audit --no-fund   # first time only: writes the lock file that is committed
fi
HAVE="$(node -p "require('$HOST/node_modules/code-server/package.json').version")"
if [ "$HAVE" != "$WANT" ]; then
  echo "install-host: installed code-server $HAVE, expected $WANT" >&2
  exit 1
fi
echo "install-host: code-server $HAVE installed in $(( $(date +%s) - start )) s"
