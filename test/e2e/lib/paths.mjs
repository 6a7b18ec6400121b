// Where things are: the repository, the code-server host install, and the artifacts folder.
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const E2E_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const REPO = path.resolve(E2E_DIR, '../..');
export const HOST_DIR = path.join(E2E_DIR, 'host');
/** code-server's server entry; run with this machine's Node 20 (4.100.3 is the last line that supports it). */
export const CODE_SERVER_ENTRY = path.join(HOST_DIR, 'node_modules/code-server/out/node/entry.js');
/** Screenshots and logs of a run (gitignored). */
export const RESULTS_DIR = path.join(REPO, 'test-results/e2e');
export const VSIX = path.join(REPO, 'dist/shardlens-linux-x64.vsix');
/** Compiled extension-host suite (gitignored `out/`). */
export const SUITE_OUT = path.join(REPO, 'out/vscode-suite');
