/**
 * How "what priced this number" reads to people, shared by lenses, hovers,
 * the status line and the CLI: per kernel, the model that priced it, whether
 * it is learned or analytic, and what was added to it (notes).
 */
import type { Kernel } from '../config/types';
import { kernelSet, type KernelPricing } from '../cost/kernelDispatch';
import type { Analysis } from './analyze';

/** Table name → the kernel that runs it. */
export function tableKernels(a: Analysis): Map<string, Kernel> {
  return new Map((a.loaded.config?.tables ?? []).map((t) => [t.name, t.kernel]));
}

/** The kernels that run the named tables (catalogue order); pass `byName` when calling per GPU. */
export function kernelsOfTables(a: Analysis, tables: readonly string[], byName: ReadonlyMap<string, Kernel> = tableKernels(a)): Kernel[] {
  const ks: Kernel[] = [];
  for (const t of tables) {
    const k = byName.get(t);
    if (k !== undefined) ks.push(k);
  }
  return kernelSet(ks);
}

/** Short: "fbgemm_tbe (analytic)"; a learned model with added terms reads "(learned+)". */
export function shortPricing(p: KernelPricing): string {
  return `${p.kernel} (${p.source}${p.source === 'learned' && p.notes.length > 0 ? '+' : ''})`;
}

/** Short labels of several kernels, joined: "fbgemm_tbe (analytic) + torch_embedding_bag (learned)". */
export function shortPricingOf(pricing: readonly KernelPricing[], kernels: readonly Kernel[]): string {
  return kernels
    .map((k) => {
      const p = pricing.find((x) => x.kernel === k);
      return p ? shortPricing(p) : k;
    })
    .join(' + ');
}

/** Full, one line: "fbgemm_tbe: fbgemm-tbe analytic: H100-80GB (analytic)[; note; note]". */
export function fullPricing(p: KernelPricing): string {
  return `${p.kernel}: ${p.model} (${p.source})${p.notes.map((n) => `; ${n}`).join('')}`;
}

/** The JSON shape of one kernel's pricing (CLI `--format json`). */
export interface CostModelJson {
  kernel: Kernel;
  model: string;
  source: 'learned' | 'analytic';
  notes: string[];
}

export function costModelsJson(pricing: readonly KernelPricing[] | undefined): CostModelJson[] {
  return (pricing ?? []).map((p) => ({ kernel: p.kernel, model: p.model, source: p.source, notes: [...p.notes] }));
}
