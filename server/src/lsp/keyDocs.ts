/**
 * Bridges the config's key catalogue (config/keys.ts, the single source of key
 * docs) to the editor's cursor sections: which catalogue section a cursor is
 * in, and each key's documentation as Markdown for hover and completion.
 */
import { keyDoc as catalogueDoc, keyInfo, keysOf as catalogueKeys, valuesOf as catalogueValues, type KeyInfo, type Section } from '../config/keys';

/** Catalogue section of a cursor section (see yamlCursor.ts), if any. */
export function catalogueSection(section: string[], devicesFile = false): Section | undefined {
  if (section.length === 0) return devicesFile ? 'devices' : 'top';
  if (section.length === 1 && section[0] === 'devices') return 'devices';
  if (section.length === 2 && section[0] === 'tables' && section[1] === '[]') return 'table';
  if (section.length === 2 && section[0] === 'placement') return 'placement';
  return undefined;
}

/** A file holding only a devices mapping (`devices: ./cluster.shard.yaml` points at it). */
export function looksLikeDevicesFile(text: string): boolean {
  return /^type\s*:/m.test(text) && !/^tables\s*:/m.test(text);
}

export interface KeyCompletion {
  key: string;
  detail: string;
  markdown: string;
  /** The value goes on the following lines (a mapping or list). */
  block: boolean;
}

function markdownOf(section: Section, info: KeyInfo): string {
  const doc = catalogueDoc(section, info.key) ?? info.doc;
  return `**${info.key}**${section === 'top' ? '' : ` (${section === 'table' ? 'table' : section})`}\n\n${doc}`;
}

const BLOCK_KINDS = new Set<KeyInfo['kind']>(['tables', 'placement']);

export function keyDoc(section: string[], key: string, devicesFile = false): { markdown: string } | undefined {
  const s = catalogueSection(section, devicesFile);
  const info = s && keyInfo(s, key);
  if (!s || !info) return undefined;
  return { markdown: markdownOf(s, info) };
}

export function keysOf(section: string[], devicesFile = false): KeyCompletion[] {
  const s = catalogueSection(section, devicesFile);
  if (!s) return [];
  return catalogueKeys(s).map((info) => ({
    key: info.key,
    detail: `${info.required ? 'required' : 'optional'} \u00b7 ${info.kind}`,
    markdown: markdownOf(s, info),
    block: BLOCK_KINDS.has(info.kind),
  }));
}

export function valuesOf(section: string[], key: string, devicesFile = false): Array<{ value: string; detail?: string }> {
  const s = catalogueSection(section, devicesFile);
  if (!s) return [];
  return catalogueValues(s, key).map((value) => ({ value }));
}
