/**
 * Seeded pseudo-random numbers so every planner is deterministic for a seed.
 * mulberry32 (public-domain 32-bit generator by Tommy Ettinger): tiny, fast and
 * good enough for tie-breaking and the random baseline.
 */
export type Rng = () => number;

export function seededRng(seed: number): Rng {
  let a = (Math.floor(Number.isFinite(seed) ? seed : 0) ^ 0x9e3779b9) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform integer in [0, n). */
export function randInt(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(rng() * n));
}
