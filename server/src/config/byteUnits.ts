/**
 * Bytes as people read them, in one place: diagnostics, the plan summary and
 * tables, hovers, code lenses, the balance panel and the CLI all print sizes
 * through these functions, so "79.18 GiB" means the same number everywhere.
 * Units are binary: KiB = 2^10, MiB = 2^20, GiB = 2^30 bytes (IEC 80000-13);
 * sizes never switch to TiB, so two sizes in one message compare at a glance.
 * GPU names keep the vendor's decimal GB ("H100-80GB"); bandwidths stay GB/s
 * (10^9 bytes per second), as spec sheets give them.
 */

export const KIB = 2 ** 10;
export const MIB = 2 ** 20;
export const GIB = 2 ** 30;

/**
 * Decimals of a value in its unit: 2 below 100 (79.18 GiB: a GPU's usable
 * memory and a table that just misses it stay apart), 1 below 1,000, none above.
 */
function decimals(value: number): number {
  const abs = Math.abs(value);
  return abs < 100 ? 2 : abs < 1000 ? 1 : 0;
}

function fixed(value: number): string {
  // A whole number of units reads as one ("64 MiB", "80 GiB"), not "64.00 MiB".
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals(value), maximumFractionDigits: decimals(value) });
}

/** "79.18 GiB", "340.5 MiB", "12 KiB", "100 B", "12,345 GiB" (GiB at and above 1 GiB). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return `${bytes} B`;
  const abs = Math.abs(bytes);
  if (abs >= GIB) return `${fixed(bytes / GIB)} GiB`;
  if (abs >= MIB) return `${fixed(bytes / MIB)} MiB`;
  if (abs >= KIB) return `${fixed(bytes / KIB)} KiB`;
  return `${Math.round(bytes)} B`;
}

/**
 * GiB without the unit, for a column headed "GiB": the same decimals as
 * formatBytes's GiB (2 below 100 GiB), and always GiB, so a column lines up.
 */
export function gibCell(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const v = bytes / GIB;
  return v.toFixed(decimals(v));
}
