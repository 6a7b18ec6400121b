/**
 * The `devices:` mapping: preset type, count, per_host, reserve and preset
 * overrides → a DeviceSpec, with every problem located on its key or value.
 */
import { isScalar, type YAMLMap } from 'yaml';
import { excerpt } from './excerpt';
import { checkKnownKeys, readNumber } from './fields';
import { keyInfo, PRESET_NAMES } from './keys';
import { orList, suggestPresets } from './presetSuggestions';
import { CUSTOM_GPU_FIELDS, CUSTOM_HOST_MEMORY_BYTES, GPU_PRESETS, PRESET_OVERRIDE_KEYS, type PresetNumbers } from './presets';
import type { RankShape } from './placementRanks';
import type { DeviceSpec, Range } from './types';
import { describeNode, entriesOf, nodeRange, report, type Entry, type Sink, type SourceFile } from './yamlSource';

/** GPUs per host when `per_host` is not written: one DGX/HGX board holds 8. */
const DEFAULT_GPUS_PER_HOST = 8;

export interface DevicesRead {
  /** Absent when type or count cannot be used. */
  spec?: DeviceSpec;
  /** count and per_host, present whenever count can be used (also while type cannot): GPU and host indices are checked against it. */
  shape?: RankShape;
  /** File the mapping was read from. */
  file: string;
  /** Where problems about the devices as a whole go (the `devices` key or path value). */
  anchor: Range;
  /** Ranges of the values written, by key (e.g. 'count'). */
  values: Map<string, Range>;
}

export function readDevicesMap(src: SourceFile, map: YAMLMap, anchor: Range, out: Sink): DevicesRead {
  const entries = entriesOf(src, map, out, 'devices');
  checkKnownKeys(src, entries, 'devices', 'devices', out);
  const values = new Map<string, Range>();
  for (const e of entries.values()) values.set(e.name, nodeRange(src, e.value, e.keyRange));
  const num = (key: string): number | undefined => {
    const e = entries.get(key);
    return e ? readNumber(src, e, keyInfo('devices', key)!, out) : undefined;
  };

  const overrides: Partial<PresetNumbers> = {};
  for (const [field, key] of Object.entries(PRESET_OVERRIDE_KEYS) as [keyof PresetNumbers, string][]) {
    const v = num(key);
    if (v !== undefined) overrides[field] = v;
  }
  const allOverridden = CUSTOM_GPU_FIELDS.every((f) => overrides[f] !== undefined);

  const typeEntry = entries.get('type');
  let typeName: string | undefined;
  let preset: PresetNumbers | undefined;
  if (!typeEntry) {
    report(out, src, anchor, 'SL009', `devices needs 'type': one of ${PRESET_NAMES.join(', ')}.`);
  } else {
    ({ typeName, preset } = readType(src, typeEntry, allOverridden, out));
  }

  const countEntry = entries.get('count');
  const count = num('count');
  if (!countEntry) report(out, src, anchor, 'SL009', "devices needs 'count': the number of GPUs.");

  // Optional keys that are wrong are reported and replaced by their defaults, so
  // the rest of the config can still be checked and costed.
  const perHostWritten = num('per_host');
  let perHost = perHostWritten;
  if (count !== undefined && perHostWritten !== undefined) perHost = checkPerHost(src, entries.get('per_host')!, perHostWritten, count, out);
  const reserve = num('reserve') ?? (keyInfo('devices', 'reserve')!.default as number);

  const result: DevicesRead = { file: src.file, anchor, values };
  if (count === undefined) return result;
  result.shape = { count, perHost: perHost ?? Math.min(count, DEFAULT_GPUS_PER_HOST) };
  if (typeName === undefined || preset === undefined) return result;
  result.spec = {
    type: typeName,
    count,
    perHost: result.shape.perHost,
    reserve,
    ...preset,
    ...overrides,
  };
  return result;
}

function readType(src: SourceFile, entry: Entry, allOverridden: boolean, out: Sink): { typeName?: string; preset?: PresetNumbers } {
  const node = entry.value;
  const range = nodeRange(src, node, entry.keyRange);
  const word = isScalar(node) && node.value !== null ? String(node.value) : undefined;
  if (word === undefined) {
    report(out, src, range, 'SL005', `'type' must be a GPU preset name (${PRESET_NAMES.join(', ')}), not ${describeNode(node)}.`);
    return {};
  }
  const preset = GPU_PRESETS[word];
  if (preset) return { typeName: word, preset };
  // A custom GPU: every number given explicitly, so no preset is needed.
  if (allOverridden) return { typeName: word, preset: { ...GPU_PRESETS[PRESET_NAMES[0]], hostMemoryBytes: CUSTOM_HOST_MEMORY_BYTES } };
  // `A100` means either A100 preset: both are offered, the first one's numbers are assumed meanwhile.
  const guesses = suggestPresets(word);
  const guess = guesses[0];
  const fallback = guess ? ` Until then ${guess}'s numbers are assumed.` : '';
  report(
    out,
    src,
    range,
    'SL020',
    `Unknown device type '${excerpt(word)}'.${guess ? ` Did you mean ${orList(guesses)}?` : ''} Presets: ${PRESET_NAMES.join(', ')}; or give all of ${CUSTOM_GPU_FIELDS.map((f) => PRESET_OVERRIDE_KEYS[f]).join(', ')} for a custom GPU.${fallback}`,
    'error',
    guesses.length ? guesses.map((g) => ({ title: `Change to '${g}'`, file: src.file, edits: [{ range, newText: g }], preferred: guesses.length === 1 })) : undefined,
  );
  // Costs are computed for the suggested preset (and named after it) until the type is fixed.
  return guess ? { typeName: guess, preset: GPU_PRESETS[guess] } : {};
}

function checkPerHost(src: SourceFile, entry: Entry, perHost: number, count: number, out: Sink): number | undefined {
  const range = nodeRange(src, entry.value, entry.keyRange);
  if (perHost > count) {
    report(
      out,
      src,
      range,
      'SL021',
      `per_host (${perHost}) is larger than count (${count}): a host cannot hold more GPUs than the cluster has. Set it to ${count} or less.`,
      'error',
      [{ title: `Set per_host to ${count}`, file: src.file, edits: [{ range, newText: String(count) }], preferred: true }],
    );
    return undefined;
  }
  if (count % perHost !== 0) {
    report(out, src, range, 'SL022', `count (${count}) is not a multiple of per_host (${perHost}): the last host is only partly filled. Check both numbers.`, 'warning');
  }
  return perHost;
}
