/**
 * Config texts for the protocol and CLI tests, written per docs/config-format.md.
 * Small enough to plan in milliseconds; deterministic (no randomness).
 */

export interface FixtureOptions {
  tables?: number;
  gpus?: number;
  /** Write a `placement:` that puts every table on GPU 0 (badly imbalanced). */
  placement?: 'none' | 'all-on-0' | 'round-robin';
  /** Extra text appended to the first table (e.g. a mistake). */
  firstTableExtra?: string;
  /** Replace `dim` of the first table. */
  firstDim?: number;
  /** Devices written as a path instead of a mapping. */
  devicesRef?: string;
  /** A top-level `kernel:` line (default: none, i.e. fbgemm_tbe). */
  kernel?: string;
  /** The `optimizer:` (default sgd). */
  optimizer?: string;
}

export function tableName(i: number): string {
  return `t${String(i).padStart(3, '0')}`;
}

export function configText(o: FixtureOptions = {}): string {
  const n = o.tables ?? 6;
  const gpus = o.gpus ?? 2;
  const lines: string[] = [
    '# ShardLens test fixture',
    'version: 1',
    'batch_size: 65536',
    'dtype: fp16',
    `optimizer: ${o.optimizer ?? 'sgd'}`,
    ...(o.kernel ? [`kernel: ${o.kernel}`] : []),
  ];
  if (o.devicesRef) {
    lines.push(`devices: ${o.devicesRef}`);
  } else {
    lines.push('devices:', '  type: H100-80GB', `  count: ${gpus}`, `  per_host: ${gpus}`, '  reserve: 0.15');
  }
  lines.push('tables:');
  for (let i = 0; i < n; i++) {
    const rows = [100_000, 2_000_000, 500_000, 8_000_000, 50_000, 1_000_000][i % 6] * (1 + (i % 3));
    const dim = i === 0 && o.firstDim !== undefined ? o.firstDim : [64, 128, 32, 16, 256, 64][i % 6];
    const pooling = [1, 10, 4, 30, 2, 8][i % 6];
    lines.push(`  - name: ${tableName(i)}`, `    rows: ${rows}`, `    dim: ${dim}`, `    pooling: ${pooling}`, `    zipf: ${i % 2 ? 1.05 : 0.8}`);
    if (i === 0 && o.firstTableExtra) lines.push(`    ${o.firstTableExtra}`);
  }
  if (o.placement && o.placement !== 'none') {
    lines.push('placement:  # hand-written');
    for (let i = 0; i < n; i++) lines.push(`  ${tableName(i)}: ${o.placement === 'all-on-0' ? 0 : i % gpus}`);
  }
  lines.push('# trailing comment that must survive');
  return `${lines.join('\n')}\n`;
}

export function devicesText(gpus = 2): string {
  return ['type: H100-80GB', `count: ${gpus}`, `per_host: ${gpus}`, 'reserve: 0.15', ''].join('\n');
}

/** 0-based line of the first line containing `needle`. */
export function lineOf(text: string, needle: string): number {
  const i = text.split('\n').findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`fixture has no line with ${needle}`);
  return i;
}
