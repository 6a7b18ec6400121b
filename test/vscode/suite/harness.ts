/**
 * A minimal test registry for the extension-host suite. The suite runs inside VS Code's
 * extension host (desktop via @vscode/test-electron, or code-server via the workbench
 * `payload`), where node:test's process-level reporter does not fit; this keeps the usual
 * `run(): Promise<void>` contract: resolve when all passed, throw otherwise.
 */
type TestFn = () => Promise<void> | void;
const tests: { name: string; fn: TestFn }[] = [];

/** Registers a test; tests run in registration order (later ones may rely on earlier state). */
export function test(name: string, fn: TestFn): void {
  tests.push({ name, fn });
}

/** Runs every registered test, logs one line each, throws when any failed. */
export async function runRegistered(log: (line: string) => void = console.log): Promise<void> {
  let passed = 0;
  const failed: string[] = [];
  for (const t of tests) {
    const start = Date.now();
    try {
      await t.fn();
      passed++;
      log(`ok - ${t.name} (${Date.now() - start} ms)`);
    } catch (err) {
      failed.push(t.name);
      log(`not ok - ${t.name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
  log(`vscode suite: ${passed} passed, ${failed.length} failed`);
  if (failed.length) throw new Error(`failed: ${failed.join('; ')}`);
}

/**
 * Polls `probe` until it returns a truthy value; throws after `timeoutMs` naming `what`, or at
 * once when the probe throws an error marked `fatal` (the awaited thing can no longer happen).
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v as T;
      last = v;
    } catch (err) {
      if ((err as { fatal?: boolean }).fatal) throw err;
      last = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
