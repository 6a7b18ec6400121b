/**
 * `devices: ./cluster.shard.yaml`: follow a devices reference through the
 * injected FileReader. The referenced file holds either the devices mapping
 * itself or a document with a `devices:` key (which may reference further
 * files). Missing files, cycles and files the reader may not open become
 * diagnostics on the path value; problems inside the file carry that file.
 */
import * as path from 'node:path';
import { isMap, isScalar, type Node } from 'yaml';
import type { FileReader } from './loaded';
import type { Range } from './types';
import { excerpt } from './excerpt';
import { readDevicesMap, type DevicesRead } from './validateDevices';
import { describeNode, entriesOf, nodeRange, parseSource, report, type Sink, type SourceFile } from './yamlSource';

const URI = /^[a-zA-Z][a-zA-Z0-9+.-]+:\/\//;

/** A reference resolved against the file that writes it (paths or URIs, as the caller gave). */
export function resolveRef(fromFile: string, ref: string): string {
  if (URI.test(fromFile)) {
    try {
      return new URL(ref, fromFile).toString();
    } catch {
      return ref;
    }
  }
  return path.resolve(path.dirname(fromFile), ref);
}

/**
 * Read the devices written at `node` in `src`: a mapping, or a path string to follow.
 * `chain` holds the files already on the way (main file first), to detect cycles.
 */
export function readDevicesNode(src: SourceFile, node: Node | null, anchor: Range, reader: FileReader, chain: string[], files: string[], out: Sink): DevicesRead | undefined {
  if (isMap(node)) return readDevicesMap(src, node, anchor, out);
  if (!isScalar(node) || typeof node.value !== 'string' || node.value.trim() === '') {
    report(out, src, nodeRange(src, node, anchor), 'SL005', `'devices' must be a mapping (type, count, …) or the path of a file holding one, not ${describeNode(node)}.`);
    return undefined;
  }
  const ref = node.value.trim();
  const shown = excerpt(ref);
  const range = nodeRange(src, node, anchor);
  const target = resolveRef(src.file, ref);
  if (chain.includes(target)) {
    report(
      out,
      src,
      range,
      'SL024',
      `'${shown}' leads back to ${target === chain[0] ? 'this file' : path.basename(target)}: devices files must not reference each other in a cycle. Point to a file that holds the devices mapping.`,
    );
    return undefined;
  }
  if (reader.mayRead && !reader.mayRead(target)) {
    const why = reader.refusal?.(target) ?? 'it is outside the workspace or the workspace is not trusted. Move the file into the workspace (or trust it)';
    report(out, src, range, 'SL025', `'${shown}' is not read: ${why}. Or write the devices mapping here.`);
    return undefined;
  }
  // Listed before reading: a missing file is watched too, so creating it re-checks this config.
  files.push(target);
  let read0: string | undefined | { why: string };
  try {
    read0 = reader.readFile(target);
  } catch {
    read0 = undefined;
  }
  if (typeof read0 !== 'string') {
    const why = read0?.why ?? 'it does not exist or is unreadable';
    report(out, src, range, 'SL023', `Cannot read the devices file '${shown}' (${excerpt(target, 200)}): ${why}. Fix the path or create the file.`);
    return undefined;
  }
  const text = read0;
  const before = out.length;
  const { src: sub, ok } = parseSource(target, text, out);
  let read: DevicesRead | undefined;
  const top = sub.contents;
  if (ok && isMap(top)) {
    const subEntries = entriesOf(sub, top, [], 'the devices file');
    const inner = subEntries.get('devices');
    read = inner ? readDevicesNode(sub, inner.value, inner.keyRange, reader, [...chain, target], files, out) : readDevicesMap(sub, top, nodeRange(sub, top), out);
  }
  if (!read?.spec) {
    const problems = out.length - before;
    report(
      out,
      src,
      range,
      'SL026',
      `'${shown}' holds no usable devices mapping${problems > 0 ? ` (${problems} problem${problems === 1 ? '' : 's'} there)` : ''}. It must hold type and count, or a 'devices:' mapping.`,
    );
  }
  return read;
}
