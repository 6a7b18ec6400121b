/**
 * The Python side of `shardlens measure` (and `bench:measured`): which Python
 * to run ($PYTHON, else `python3` on PATH), what it has (PyTorch, a CUDA GPU,
 * FBGEMM), and running the collector with its progress passed through line by
 * line. Side effects (processes) live only here.
 */
import { spawn, spawnSync } from 'node:child_process';

export function pythonCommand(env: NodeJS.ProcessEnv = process.env): string {
  const p = env.PYTHON?.trim();
  return p ? p : 'python3';
}

export type PythonProbe =
  | { ok: true; python: string; executable: string; torch: string; cuda: boolean; gpus: number; gpu?: string; fbgemm: boolean }
  | { ok: false; python: string; why: string };

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
  try { info = JSON.parse(last) as Record<string, unknown>; } catch {
    return { ok: false, python, why: `'${python}' did not answer as Python 3 (exit ${r.status}: ${(r.stderr ?? '').trim().split('\n').pop() ?? ''}); ${hint}` };
  }
  const exe = typeof info.executable === 'string' ? info.executable : python;
  if (typeof info.torch !== 'string') {
    return { ok: false, python, why: `the Python at ${exe} ('${python}') has no PyTorch (${String(info.error ?? 'import torch failed')}); point PYTHON at a Python that has it, e.g. PYTHON=/usr/bin/python3` };
  }
  return {
    ok: true, python, executable: exe, torch: info.torch, cuda: info.cuda === true,
    gpus: typeof info.gpus === 'number' ? info.gpus : 0, ...(typeof info.gpu === 'string' ? { gpu: info.gpu } : {}),
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
      stream.on('end', () => { if (buf) opts.onLine(buf); });
    };
    pass(child.stdout!);
    pass(child.stderr!);
    child.on('error', (e) => { opts.onLine(`could not start ${python}: ${e.message}`); resolve(127); });
    child.on('close', (code) => resolve(code));
  });
}
