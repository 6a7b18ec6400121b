/** Number formatting for planner messages. */

/** Bytes as GiB with 2 decimals (2^30 bytes). */
export function gib(bytes: number): string {
  return (bytes / 2 ** 30).toFixed(2);
}
