/**
 * How many cases each property runs, and the one line per property that the
 * campaign (`npm run fuzz`, test/fuzz/campaign.ts) adds up.
 *
 * `npm test` runs the default counts (the whole fuzz suite takes ~20–40 s on a
 * 2-core machine); FUZZ_RUNS=N scales every property to N cases (the campaign).
 * The test tiers use a fixed seed per property (reproducible CI); the
 * campaign draws new ones. FUZZ_SEED fixes the seed to replay a failure or a
 * hang (each property prints its seed before its first case).
 */
import fc from 'fast-check';
import assert from 'node:assert/strict';

/** Cases for a property: its default in `npm test`, FUZZ_RUNS × weight in a campaign. */
export function runs(defaultRuns: number, weight = 1): number {
  const env = Number(process.env.FUZZ_RUNS);
  return Number.isFinite(env) && env > 0 ? Math.max(1, Math.round(env * weight)) : defaultRuns;
}

/** A fixed 32-bit seed from a property's name (FNV-1a). */
function nameSeed(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h | 0;
}

function seed(): number | undefined {
  const s = Number(process.env.FUZZ_SEED);
  return Number.isInteger(s) ? s : undefined;
}

/**
 * Runs a property, prints `fuzz: NAME: N cases, F failures` (the campaign sums
 * these lines), and fails the test with the shrunk counterexample if any.
 */
export async function property<Ts extends [unknown, ...unknown[]]>(name: string, prop: fc.IAsyncPropertyWithHooks<Ts> | fc.IPropertyWithHooks<Ts>, numRuns: number): Promise<void> {
  // The seed is chosen here and printed first, so that a property that hangs
  // (no failure report to read it from) can be replayed with FUZZ_SEED.
  // The test tiers run a fixed seed per property (from its name), so CI is
  // reproducible; the campaign (FUZZ_RUNS) draws fresh seeds to explore.
  const s = seed() ?? (process.env.FUZZ_RUNS !== undefined ? (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0 : nameSeed(name));
  process.stdout.write(`fuzz: ${name}: seed ${s}\n`);
  // In the test tiers a failure is reported at once, unshrunk: shrinking a
  // planner property can take many minutes (each step plans several times).
  // The campaign (FUZZ_RUNS) and a replay (FUZZ_SEED) shrink to the smallest case.
  const shrink = process.env.FUZZ_RUNS !== undefined || seed() !== undefined;
  const details = await fc.check(prop as fc.IAsyncProperty<Ts>, { numRuns, seed: s, endOnFailure: !shrink });
  const cases = details.numRuns + (details.failed ? 1 : 0);
  // One line per property: the campaign greps and sums these.
  process.stdout.write(`fuzz: ${name}: ${cases} cases, ${details.failed ? 1 : 0} failures\n`);
  if (details.failed) {
    const err = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    assert.fail(
      `${name}: counterexample (seed ${details.seed}, path ${details.counterexamplePath}):\n` +
        `${JSON.stringify(details.counterexample, (_k, v) => (typeof v === 'string' && v.length > 2000 ? `${v.slice(0, 2000)}…(${v.length} chars)` : v))}\n${err}`,
    );
  }
}
