// Polling with a deadline: every wait in the e2e suite goes through here, so there are no
// fixed sleeps and every timeout names what it was waiting for.

/**
 * Calls `probe` until it returns a value other than undefined/false/null, or throws after
 * `timeoutMs` with the last value/error it saw. Returns that value.
 * @template T
 * @param {string} what  what is awaited, for the error message
 * @param {() => Promise<T> | T} probe
 * @param {{ timeoutMs?: number, intervalMs?: number }} [opts]
 * @returns {Promise<T>}
 */
export async function waitFor(what, probe, { timeoutMs = 30_000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false && value !== null) return value;
      last = value;
    } catch (err) {
      if (err?.fatal) throw err;
      last = err;
    }
    if (Date.now() >= deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${detail})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** An error that ends a {@link waitFor} at once (the awaited thing can no longer happen). */
export function fatal(message) {
  return Object.assign(new Error(message), { fatal: true });
}
