/**
 * The one place that says which Python ShardLens runs: `$PYTHON`, else
 * `python3` on PATH, never a fixed path. Used by `shardlens measure` (what the
 * Python has: PyTorch, a CUDA GPU, FBGEMM; running the collector with its
 * progress passed through line by line), `bench:measured` and the tests of the
 * Python tools (pythonWith: the modules they import, or what to install or set).
 * Side effects (processes) live only here.
 */
import { spawn, spawnSync } from 'node:child_process';

export function pythonCommand(env: NodeJS.ProcessEnv = process.env): string {
  const p = env.PYTHON?.trim();
  return p ? p : 'python3';
}

/** How to get a module ShardLens's Python tools import: the pip package and Debian's. */
const MODULE_PACKAGES: Readonly<Record<string, { pip: string; debian: string }>> = {
  torch: { pip: 'torch', debian: 'python3-torch' },
  onnx: { pip: 'onnx', debian: 'python3-onnx' },
  numpy: { pip: 'numpy', debian: 'python3-numpy' },
};

function packagesFor(modules: readonly string[]): { pip: string; debian: string } {
  const of = (m: string) => MODULE_PACKAGES[m] ?? { pip: m, debian: `python3-${m}` };
  return { pip: modules.map((m) => of(m).pip).join(' '), debian: ['python3', ...modules.map((m) => of(m).debian)].join(' ') };
}

/** `python`: the command (as PYTHON or PATH gave it); `executable`: the interpreter it runs (sys.executable). */
export type PythonWith = { ok: true; python: string; executable: string } | { ok: false; python: string; why: string };

/**
 * The Python to run (pythonCommand) if it can import every one of `modules`
 * (looked up with importlib, not imported: fast even for torch); else why
 * not, in words that say exactly what to install or set.
 */
export function pythonWith(modules: readonly string[], env: NodeJS.ProcessEnv = process.env): PythonWith {
  const python = pythonCommand(env);
  const viaEnv = Boolean(env.PYTHON?.trim());
  const chosen = viaEnv ? `PYTHON=${python}` : `'${python}' on PATH; PYTHON is not set`;
  const needs = modules.length ? `Python 3 with ${modules.join(' and ')}` : 'Python 3';
  const { pip, debian } = packagesFor(modules);
  const getIt = `Install ${needs} (${modules.length ? `pip install ${pip}, or ` : ''}Debian: apt-get install ${debian}) or set PYTHON to one${modules.length ? ' that has them' : ''}, e.g. PYTHON=/usr/bin/python3 for Debian's`;
  const script =
    'import importlib.util, json, sys\nprint(json.dumps({"exe": sys.executable, "version": sys.version_info[0], "missing": [m for m in sys.argv[1:] if importlib.util.find_spec(m) is None]}))';
  const r = spawnSync(python, ['-c', script, ...modules], { encoding: 'utf8', timeout: 60_000, env });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    const what =
      code !== 'ENOENT'
        ? `could not run ${python} (${chosen}): ${r.error.message}`
        : viaEnv
          ? `Python not found: PYTHON=${python} does not exist`
          : `Python not found: '${python}' is not on PATH and PYTHON is not set`;
    return { ok: false, python, why: `${what}. ${getIt}.` };
  }
  let info: { exe?: unknown; version?: unknown; missing?: unknown } = {};
  try {
    info = JSON.parse((r.stdout ?? '').trim().split('\n').pop() ?? '') as typeof info;
  } catch {
    /* not Python 3: below */
  }
  if (info.version !== 3 || !Array.isArray(info.missing)) {
    return { ok: false, python, why: `${python} (${chosen}) did not answer as Python 3 (exit ${r.status}). ${getIt}.` };
  }
  const exe = typeof info.exe === 'string' ? info.exe : python;
  const missing = info.missing.filter((m): m is string => typeof m === 'string');
  if (missing.length === 0) return { ok: true, python, executable: exe };
  const lacking = packagesFor(missing);
  return {
    ok: false,
    python,
    why:
      `the Python at ${exe} (${chosen}) cannot import ${missing.join(', ')}. Install ${missing.length === 1 ? 'it' : 'them'} there (pip install ${lacking.pip}), ` +
      `or set PYTHON to a ${needs} (Debian: apt-get install ${debian}, then PYTHON=/usr/bin/python3).`,
  };
}

export type PythonProbe =
  { ok: true; python: string; executable: string; torch: string; cuda: boolean; gpus: number; gpu?: string; fbgemm: boolean } | { ok: false; python: string; why: string };

const PROBE = `
import json, sys
out = {"executable": sys.executable}
try:
    import torch
except Exception as e:
    out["error"] = (type(e).__name__ + ": " + str(e))[:300]
    print(json.dumps(out)); sys.exit(0)
out["torch"] = torch.__version__
out["cuda"] = bool(torch.cuda.is_available())
out["gpus"] = torch.cuda.device_count() if out["cuda"] else 0
if out["cuda"]:
    out["gpu"] = torch.cuda.get_device_name(0)
try:
    import fbgemm_gpu  # noqa: F401
    from fbgemm_gpu.split_table_batched_embeddings_ops_training import SplitTableBatchedEmbeddingBagsCodegen  # noqa: F401
    out["fbgemm"] = True
except Exception:
    out["fbgemm"] = False
print(json.dumps(out))
`;

/** What `python` has. Never throws: a missing Python or PyTorch is `{ok: false, why}` in words. */
export function probePython(python: string): PythonProbe {
  const r = spawnSync(python, ['-c', PROBE], { encoding: 'utf8', timeout: 120_000 });
  const hint = `set PYTHON to a Python that has PyTorch (e.g. PYTHON=/usr/bin/python3 shardlens measure …)`;
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, python, why: `Python not found: '${python}' is not on PATH; install Python 3 with PyTorch, or ${hint}` };
    return { ok: false, python, why: `could not run '${python}' (${r.error.message}); ${hint}` };
  }
  const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  let info: Record<string, unknown>;
  try {
    info = JSON.parse(last) as Record<string, unknown>;
  } catch {
    return { ok: false, python, why: `'${python}' did not answer as Python 3 (exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').pop() ?? ''}); ${hint}` };
  }
  const exe = typeof info.executable === 'string' ? info.executable : python;
  if (typeof info.torch !== 'string') {
    return {
      ok: false,
      python,
      why: `the Python at ${exe} ('${python}') has no PyTorch (${String(info.error ?? 'import torch failed')}); point PYTHON at a Python that has it, e.g. PYTHON=/usr/bin/python3`,
    };
  }
  return {
    ok: true,
    python,
    executable: exe,
    torch: info.torch,
    cuda: info.cuda === true,
    gpus: typeof info.gpus === 'number' ? info.gpus : 0,
    ...(typeof info.gpu === 'string' ? { gpu: info.gpu } : {}),
    fbgemm: info.fbgemm === true,
  };
}

/**
 * Runs `python args…` in `cwd`; every stderr/stdout line goes to `onLine`
 * as it arrives. Resolves to the exit code (null: killed by a signal).
 */
export function runPython(python: string, args: string[], opts: { cwd: string; onLine: (line: string) => void; env?: NodeJS.ProcessEnv }): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(python, args, { cwd: opts.cwd, env: { ...process.env, PYTHONUNBUFFERED: '1', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const pass = (stream: NodeJS.ReadableStream) => {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buf += chunk;
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        for (const l of lines) opts.onLine(l);
      });
      stream.on('end', () => {
        if (buf) opts.onLine(buf);
      });
    };
    pass(child.stdout!);
    pass(child.stderr!);
    child.on('error', (e) => {
      opts.onLine(`could not start ${python}: ${e.message}`);
      resolve(127);
    });
    child.on('close', (code) => resolve(code));
  });
}
