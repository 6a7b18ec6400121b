/**
 * `npm run fuzz`: the long fuzz campaign. Runs every fuzz property (test/unit/fuzz, test/integration/fuzz) with
 * FUZZ_RUNS cases each (default 2,000; the search strategies get 30% of that)
 * and the 10 MB / 100,000-deep inputs, then prints cases run and failures per
 * property and in total. Exit 1 if anything failed.
 *
 *   FUZZ_RUNS=10000 npm run fuzz        # longer
 *   FUZZ_SEED=123 npm run fuzz          # replay a seed
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import { columnsOf, renderTable } from '../../server/src/cli/textTable';

const root = path.resolve(__dirname, '..', '..');
// The properties live with their tier: test/unit/fuzz (in-process) and test/integration/fuzz (those that spawn the CLI or server).
const files = ['unit', 'integration'].flatMap((tier) =>
  readdirSync(path.join(root, 'test', tier, 'fuzz'))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => path.join('test', tier, 'fuzz', f)),
);
const env: NodeJS.ProcessEnv = { ...process.env, FUZZ_RUNS: process.env.FUZZ_RUNS ?? '2000' };
const t0 = Date.now();
console.log(`fuzz campaign: FUZZ_RUNS=${env.FUZZ_RUNS}${env.FUZZ_SEED ? ` FUZZ_SEED=${env.FUZZ_SEED}` : ''}, ${files.length} files`);

const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
child.stdout.on('data', (d: Buffer) => {
  out += d;
  process.stdout.write(d);
});
child.on('exit', (code) => {
  const rows = [...out.matchAll(/fuzz: (.+?): (\d+) cases, (\d+) failures/g)].map((m) => ({ name: m[1], cases: Number(m[2]), failures: Number(m[3]) }));
  const cases = rows.reduce((a, r) => a + r.cases, 0);
  const failures = rows.reduce((a, r) => a + r.failures, 0);
  const cells = [...rows.map((r) => [r.name, String(r.cases), String(r.failures)]), ['total', String(cases), String(failures)]];
  console.log(`\n${renderTable(columnsOf(['property', 'cases', 'failures']), cells, '')}`);
  console.log(`(plus the fixed-input tests: deep nesting to 100,000 levels, a 10 MB config, a 10 MB garbage line, binary garbage, the CLI and protocol checks)`);
  console.log(`node --test exit ${code}, ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  process.exit(code === 0 && failures === 0 ? 0 : 1);
});
