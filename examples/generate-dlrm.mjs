#!/usr/bin/env node
/**
 * Generates examples/dlrm-856.shard.yaml: a DLRM-scale model of 856 embedding
 * tables on 64 H100-80GB GPUs (8 hosts × 8), batch 65,536, with a valid but
 * deliberately naive placement for Replan to improve.
 *
 *   node --import tsx examples/generate-dlrm.mjs            # rewrite the example (seed 856)
 *   node --import tsx examples/generate-dlrm.mjs --seed 3 --tables 2000 --gpus 128 > big.shard.yaml
 *
 * (tsx loads the engine's TypeScript: the header's memory figures are the
 * engine's, as `shardlens check` prints them, so they cannot drift from it.)
 *
 * Spreads (chosen to resemble production recommendation models as described in
 * the DreamShard/NeuroShard papers' synthetic table pools and TorchRec examples):
 * - rows log-uniform 1e3 … 1e7 for most tables, with a heavy tail of 12% drawn
 *   log-uniform 1e7 … 1e8;
 * - dims multiples of 4 from 4 to 256, most in 16 … 128;
 * - pooling log-uniform 1 … 100 lookups per bag; zipf uniform 0 … 1.2;
 * - 20% of tables fp16, 5% restricted to [table, row] sharding, 2 pinned.
 * Placement: round-robin over GPUs, skipping a GPU that is full; tables over a
 * third of a GPU's usable memory are split by rows over the 8 GPUs of the next
 * host (`{table_row: {host: H}}`, TorchRec's table_row_wise). The placement
 * pass counts a table as rows × dim × dtype bytes + 4 B/row of
 * rowwise_adagrad state against floor(HBM × (1 − reserve)) per GPU; the
 * header states the engine's own accounting (server/src/cost/memory.ts: the
 * tables' weights and state over the HBM left for shards after reserve,
 * dense_bytes and the ids reservation). Deterministic for a given seed.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? Number(args[i + 1]) : dflt; };
const SEED = opt('seed', 856);
const TABLES = opt('tables', 856);
const GPUS = opt('gpus', 64);
const PER_HOST = 8;
const BATCH = 65_536;
const RESERVE = 0.15;
/** H100-80GB preset memory (driver-reported bytes, server/src/config/presets.ts). */
const HBM_BYTES = 85_017_493_504;
const USABLE = Math.floor(HBM_BYTES * (1 - RESERVE));

/** mulberry32: a tiny seeded PRNG, so the example is reproducible. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(SEED);
const logUniform = (lo, hi) => Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo)));
const pick = (xs) => xs[Math.floor(rand() * xs.length)];

function makeTable(i) {
  const rows = Math.round(rand() < 0.12 ? logUniform(1e7, 1e8) : logUniform(1e3, 1e7));
  const u = rand();
  const dim = u < 0.05 ? pick([4, 8, 12]) : u < 0.9 ? pick([16, 24, 32, 32, 48, 64, 64, 96, 128]) : pick([160, 192, 256]);
  const pooling = Math.round(logUniform(1, 100) * 10) / 10;
  const zipf = Math.round(rand() * 120) / 100;
  const t = { name: `sparse_${String(i).padStart(3, '0')}`, rows, dim, pooling, zipf };
  if (rand() < 0.2) t.dtype = 'fp16';
  if (rand() < 0.05) t.sharding = ['table', 'row'];
  return t;
}

const tables = Array.from({ length: TABLES }, (_, i) => makeTable(i));
const memory = (t, rows = t.rows) => rows * t.dim * (t.dtype === 'fp16' ? 2 : 4) + rows * 4;
// Two small tables pinned, as users do for features served from a fixed GPU.
for (const [i, gpu] of [[5, 0], [400, 33]]) if (tables[i] && memory(tables[i]) < USABLE / 8 && gpu < GPUS) tables[i].pin = gpu;

const load = new Array(GPUS).fill(0);
const placement = new Map();
const hosts = Math.ceil(GPUS / PER_HOST);
const isBig = (t) => t.pin === undefined && memory(t) > USABLE / 3;
// Pins and row-split big tables first, so the round-robin pass sees their shares.
let nextHost = 0;
for (const t of tables) {
  if (t.pin !== undefined) { load[t.pin] += memory(t); placement.set(t.name, String(t.pin)); continue; }
  if (!isBig(t)) continue;
  const host = nextHost++ % hosts;
  const gpus = Array.from({ length: PER_HOST }, (_, k) => host * PER_HOST + k).filter((g) => g < GPUS);
  const share = memory(t, Math.ceil(t.rows / gpus.length));
  for (const g of gpus) load[g] += share;
  // TorchRec's table_row_wise: row blocks over one host's GPUs (a table restricted to other kinds keeps a GPU list).
  placement.set(t.name, !t.sharding || t.sharding.includes('table_row') ? `{table_row: {host: ${host}}}` : `{row: [${gpus.join(', ')}]}`);
}
let next = 0;
for (const t of tables) {
  if (placement.has(t.name)) continue;
  const m = memory(t);
  let tries = 0;
  while (load[next] + m > USABLE && tries++ < GPUS) next = (next + 1) % GPUS;
  if (tries > GPUS) throw new Error(`table ${t.name} fits no GPU; lower --tables or raise --gpus`);
  load[next] += m;
  placement.set(t.name, String(next));
  next = (next + 1) % GPUS;
}
if (load.some((b) => b > USABLE)) throw new Error('placement over memory; lower --tables or raise --gpus');

const fmtRows = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, '_');
const row = (t) => {
  let s = `  - {name: ${t.name}, rows: ${fmtRows(t.rows)}, dim: ${t.dim}, pooling: ${t.pooling}, zipf: ${t.zipf}`;
  if (t.dtype) s += `, dtype: ${t.dtype}`;
  if (t.sharding) s += `, sharding: [${t.sharding.join(', ')}]`;
  if (t.pin !== undefined) s += `, pin: ${t.pin}`;
  return `${s}}`;
};
const body = `version: 1
batch_size: ${BATCH}
dtype: fp32
optimizer: rowwise_adagrad

devices:
  type: H100-80GB
  count: ${GPUS}
  per_host: ${PER_HOST}
  reserve: ${RESERVE}

tables:
${tables.map(row).join('\n')}

placement:
${tables.map((t) => `  ${t.name}: ${placement.get(t.name)}`).join('\n')}
`;

/** The engine's memory figures for the generated config, in its units (binary GiB), as `shardlens check` sums them. */
async function memoryLine(configText) {
  let engine;
  try {
    engine = await Promise.all([
      import('../server/src/config/load.ts'), import('../server/src/cost/memory.ts'),
      import('../server/src/config/byteUnits.ts'), import('../server/src/engine/format.ts'),
    ]);
  } catch (err) {
    console.error(`generate-dlrm: cannot load the engine's TypeScript (${err.message}); run: node --import tsx examples/generate-dlrm.mjs`);
    process.exit(1);
  }
  const [{ loadConfig }, { tableStorage, memoryBudget }, { formatBytes }, { formatPercent }] = engine;
  const loaded = loadConfig('dlrm.shard.yaml', configText, { readFile: () => undefined });
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
  if (!loaded.config || errors.length) throw new Error(`the generated config has errors: ${errors.map((d) => `${d.code} ${d.message}`).join('; ')}`);
  const c = loaded.config;
  const tableBytes = c.tables.reduce((s, t) => s + tableStorage(t, c.optimizer).hbm, 0);
  const usable = Math.max(0, memoryBudget(c).shardBytes) * c.devices.count;
  return `# Tables need ${formatBytes(tableBytes)} of HBM (weights + ${c.optimizer} state) of the ${formatBytes(usable)} left for shards (${formatPercent(tableBytes / usable)}).`;
}

const text = `# DLRM-scale example: ${TABLES} embedding tables on ${GPUS} H100-80GB GPUs (${hosts} hosts × ${PER_HOST}).
# GENERATED by examples/generate-dlrm.mjs --seed ${SEED}; edit the generator, not this file.
${await memoryLine(body)}
# The placement below is round-robin (large tables split by rows over one host):
# valid, but unbalanced in time. Run \`npm start\` or the Replan lens to improve it.
${body}`;

if (args.includes('--seed') || args.includes('--tables') || args.includes('--gpus')) process.stdout.write(text);
else writeFileSync(join(dirname(fileURLToPath(import.meta.url)), 'dlrm-856.shard.yaml'), text);
