// Records the checks of an e2e run: one line per check as it finishes, a screenshot per step
// under test-results/e2e/, and the closing "N passed, N failed" line.
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export function createReport(dir) {
  mkdirSync(dir, { recursive: true });
  /** @type {{ name: string, ok: boolean, ms: number, error?: string }[]} */
  const checks = [];
  return {
    checks,
    dir,
    /**
     * Runs one check; a failure is recorded (with its message), never thrown, so later checks run.
     * Returns fn's value (true when it has none) on success, undefined on failure.
     * @template T @param {string} name @param {() => Promise<T>} fn @returns {Promise<T | true | undefined>}
     */
    async check(name, fn) {
      const start = Date.now();
      try {
        const value = await fn();
        checks.push({ name, ok: true, ms: Date.now() - start });
        console.log(`  ✓ ${name} (${Date.now() - start} ms)`);
        return value ?? true;
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        checks.push({ name, ok: false, ms: Date.now() - start, error });
        console.log(`  ✗ ${name} (${Date.now() - start} ms)\n      ${error.split('\n').join('\n      ')}`);
        return undefined;
      }
    },
    /** Saves a full-page screenshot as <dir>/<name>.png; never fails the run. */
    async shot(page, name) {
      await page.screenshot({ path: path.join(dir, `${name}.png`) }).catch((e) => console.log(`  (screenshot ${name} failed: ${e.message})`));
    },
    summary() {
      const passed = checks.filter((c) => c.ok).length;
      return { passed, failed: checks.length - passed };
    },
  };
}
