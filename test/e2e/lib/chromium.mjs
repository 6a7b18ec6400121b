// Which Chromium the browser tests drive (the webview tests, e2e, test:vscode's stand-in,
// bench:startup): CHROMIUM_PATH, else `chromium` on PATH; never a downloaded browser and
// never a fixed path. playwright-core needs an absolute executable, so PATH is searched here.
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

const INSTALL = 'Install Chromium (Debian: apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome executable';

/** Whether `file` is a regular file this process may execute. */
function executable(file) {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * @param {Record<string, string | undefined>} [env]
 * @returns {{ ok: true, path: string } | { ok: false, why: string }}
 */
export function findChromium(env = process.env) {
  const given = env.CHROMIUM_PATH?.trim();
  if (given) {
    return executable(given) ? { ok: true, path: path.resolve(given) } : { ok: false, why: `CHROMIUM_PATH=${given} is not an executable file. ${INSTALL}.` };
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, 'chromium');
    if (executable(candidate)) return { ok: true, path: path.resolve(candidate) };
  }
  return { ok: false, why: `Chromium not found: no 'chromium' on PATH and CHROMIUM_PATH is not set. ${INSTALL}.` };
}

/** The Chromium executable, or an Error that says what to install or set. */
export function chromiumPath(env = process.env) {
  const found = findChromium(env);
  if (!found.ok) throw new Error(found.why);
  return found.path;
}
