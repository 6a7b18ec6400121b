/**
 * Which GPU preset a type people write most likely means. They write the GPU
 * model (`A100`), a spec-sheet or nvidia-smi name (`NVIDIA A100-SXM4-80GB`,
 * `h100 80gb`) or a typo (`H100-80G`): the presets of that model (narrowed by
 * the memory size when the word gives one), else the closest name by edit
 * distance (didYouMean.ts), else none.
 */
import { closest } from './didYouMean';
import { PRESET_NAMES } from './keys';

/** Lower case, letters and digits only, vendor and product-line words dropped: `NVIDIA A100-SXM4 80GB` → `a100sxm480gb`. */
function normalise(s: string): string {
  return s
    .toLowerCase()
    .replace(/nvidia|tesla|geforce/g, '')
    .replace(/[^a-z0-9]/g, '');
}

/** `A100-80GB` → model `a100`, memory `80`; a name without a dash is all model. */
function partsOf(name: string): { model: string; memory?: string } {
  const dash = name.indexOf('-');
  if (dash < 0) return { model: normalise(name) };
  const memory = /\d+/.exec(name.slice(dash + 1))?.[0];
  return { model: normalise(name.slice(0, dash)), ...(memory ? { memory } : {}) };
}

/** The names `word` most likely means, best first (several when it names a model with several memory sizes). */
export function suggestPresets(word: string, names: readonly string[] = PRESET_NAMES): string[] {
  const w = normalise(word);
  if (w.length === 0) return [];
  const exact = names.find((n) => normalise(n) === w && n !== word);
  if (exact) return [exact];
  const family = names.filter((n) => {
    const m = partsOf(n).model;
    return m.length >= 3 && w.includes(m);
  });
  if (family.length > 0) {
    // The memory size as its own number in the word as written: `A100-SXM4-80GB`, `a100 80g`, `A100-80`.
    const lower = word.toLowerCase();
    const sized = family.filter((n) => {
      const { memory } = partsOf(n);
      return memory !== undefined && new RegExp(`(^|[^0-9])${memory}(?![0-9])`).test(lower);
    });
    return sized.length > 0 ? sized : family;
  }
  const near = closest(word, names);
  return near ? [near] : [];
}

/** `'A'`, `'A' or 'B'`, `'A', 'B' or 'C'`. */
export function orList(words: readonly string[]): string {
  const q = words.map((x) => `'${x}'`);
  return q.length <= 1 ? (q[0] ?? '') : `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}`;
}
