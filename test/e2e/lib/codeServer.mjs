// Starts and stops a real VS Code server (code-server 4.100.3) on loopback, isolated from the
// user's home and from the network (recipe: docs/research/e2e-recipe.md §4-5).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, openSync, closeSync, readFileSync, rmSync, existsSync } from 'node:fs';
import path from 'node:path';
import { CODE_SERVER_ENTRY } from './paths.mjs';
import { waitFor, fatal } from './poll.mjs';

/** User settings of every test profile: no welcome page, tips, trust prompt, telemetry or gallery. */
const SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'git.enabled': false,
  'chat.commandCenter.enabled': false,
  'editor.codeLens': true,
};

/**
 * A fresh, short profile folder: user data, extensions, HOME. Short because the server's IPC
 * socket lives in the user-data dir and Unix socket paths must stay under ~107 bytes.
 * @param {Record<string, unknown>} [extraSettings]
 */
export function makeProfile(extraSettings = {}) {
  const dir = mkdtempSync('/tmp/sl-');
  const profile = {
    dir,
    userDataDir: path.join(dir, 'ud'),
    extensionsDir: path.join(dir, 'ex'),
    home: path.join(dir, 'home'),
    config: path.join(dir, 'config.yaml'),
  };
  mkdirSync(path.join(profile.userDataDir, 'User'), { recursive: true });
  mkdirSync(profile.extensionsDir, { recursive: true });
  mkdirSync(profile.home, { recursive: true });
  // Our own config file keeps code-server from writing ~/.config/code-server/config.yaml.
  writeFileSync(profile.config, 'auth: none\ncert: false\n');
  writeFileSync(path.join(profile.userDataDir, 'User/settings.json'), JSON.stringify({ ...SETTINGS, ...extraSettings }, null, 2));
  return profile;
}

/** Env of the server process (reaches the extension host too). */
function serverEnv(profile, extra = {}) {
  return {
    ...process.env,
    HOME: profile.home,
    XDG_CONFIG_HOME: path.join(profile.home, '.config'),
    XDG_DATA_HOME: path.join(profile.home, '.local/share'),
    // No Open VSX gallery: unreachable anyway, and it would slow the extensions view.
    EXTENSIONS_GALLERY: '{"serviceUrl":""}',
    ...extra,
  };
}

function commonArgs(profile) {
  return ['--config', profile.config, '--user-data-dir', profile.userDataDir, '--extensions-dir', profile.extensionsDir];
}

/** `code-server --install-extension VSIX` into the profile (before the server starts). */
export function installExtension(profile, vsix) {
  const r = spawnSync(process.execPath, [CODE_SERVER_ENTRY, ...commonArgs(profile), '--install-extension', vsix], { env: serverEnv(profile), encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`--install-extension failed (${r.status}): ${r.stderr || r.stdout}`);
  return r.stdout.trim();
}

/** `code-server --list-extensions --show-versions` of the profile. */
export function listExtensions(profile) {
  const r = spawnSync(process.execPath, [CODE_SERVER_ENTRY, ...commonArgs(profile), '--list-extensions', '--show-versions'], {
    env: serverEnv(profile),
    encoding: 'utf8',
    timeout: 60_000,
  });
  return r.stdout.trim().split('\n').filter(Boolean);
}

const running = new Set();
// Whatever happens to the test process, no server (or its file watchers) outlives it.
process.on('exit', () => {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* the group has already exited */
    }
  }
});
// Signals skip 'exit' handlers unless the process exits itself (CI timeouts send SIGTERM).
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.once(sig, () => process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1)));

/**
 * Starts code-server on a free loopback port (port 0; it prints the one it got) in its own
 * process group, (4.100.3 honours the workbench URL's `payload` without a smoke-test-driver flag; its CLI has none).
 * @param {ReturnType<typeof makeProfile>} profile
 * @param {{ workspace?: string, env?: Record<string,string>, logFile?: string }} [opts]
 */
export async function startCodeServer(profile, { workspace, env = {}, logFile } = {}) {
  const log = logFile ?? path.join(profile.dir, 'server.log');
  const fd = openSync(log, 'w');
  const args = [
    CODE_SERVER_ENTRY,
    ...commonArgs(profile),
    '--bind-addr',
    '127.0.0.1:0',
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
  ];
  if (workspace) args.push(workspace);
  const child = spawn(process.execPath, args, { env: serverEnv(profile, env), stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  running.add(child.pid);
  let exited = null;
  const exitPromise = new Promise((r) =>
    child.on('exit', (code, sig) => {
      exited = { code, sig };
      r(exited);
    }),
  );

  const readLog = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
  const stop = async () => {
    if (!running.has(child.pid)) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* the group has already exited */
    }
    // Give the group 5 s to end (file watchers included), then take it down.
    const late = await Promise.race([exitPromise.then(() => false), new Promise((r) => setTimeout(r, 5000, true))]);
    try {
      process.kill(-child.pid, late ? 'SIGKILL' : 'SIGTERM');
    } catch {
      /* the group has already exited */
    }
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* the group has already exited */
    }
    running.delete(child.pid);
  };
  try {
    const port = await waitFor(
      'code-server to listen',
      () => {
        if (exited) throw fatal(`code-server exited ${JSON.stringify(exited)}:\n${readLog()}`);
        return readLog().match(/HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/)?.[1];
      },
      { timeoutMs: 60_000 },
    );
    const base = `http://127.0.0.1:${port}`;
    await waitFor('/healthz', async () => (await fetch(`${base}/healthz`)).ok, { timeoutMs: 30_000 });
    return { base, port: Number(port), pid: child.pid, log, readLog, stop, profile };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Removes a profile folder (after its server stopped). */
export function removeProfile(profile) {
  rmSync(profile.dir, { recursive: true, force: true });
}
