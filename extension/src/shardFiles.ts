/**
 * Which documents are ShardLens configs: the `shardlens` language, or a
 * `*.shard.yaml|yml|json` file name (a `.shard.json` file keeps the json language).
 * Patterns match package.json's `contributes.languages` and the client's documentSelector.
 */
export const SHARD_LANGUAGE_ID = 'shardlens';
export const SHARD_FILE_GLOB = '**/*.shard.{yaml,yml,json}';
export const SHARD_YAML_WATCH_GLOB = '**/*.shard.{yaml,yml}';

const SHARD_NAME = /\.shard\.(ya?ml|json)$/i;

export function isShardDocument(doc: { languageId: string; fileName: string }): boolean {
  return doc.languageId === SHARD_LANGUAGE_ID || SHARD_NAME.test(doc.fileName);
}
