/**
 * The JSON Schema (draft-07) of the `*.shard.yaml` format, built from the key
 * catalogue (keys.ts) so the two never disagree. `npm run schema` writes it to
 * server/schema/shardlens.schema.json, which package.json contributes through
 * `yamlValidation` for users of the YAML extension.
 */
import { keysOf, type KeyInfo, type Section } from './keys';

type Json = { [k: string]: unknown };

const GPU_INDEX: Json = { type: 'integer', minimum: 0 };

function bounds(info: KeyInfo): Json {
  const s: Json = {};
  if (info.min !== undefined) s[info.minExclusive ? 'exclusiveMinimum' : 'minimum'] = info.min;
  if (info.max !== undefined) s[info.maxExclusive ? 'exclusiveMaximum' : 'maximum'] = info.max;
  return s;
}

function valueSchema(info: KeyInfo): Json {
  switch (info.kind) {
    case 'integer':
      return { type: 'integer', ...bounds(info) };
    case 'number':
      return { type: 'number', ...bounds(info) };
    case 'string':
      return { type: 'string', minLength: 1 };
    case 'enum':
      return { type: 'string', enum: [...info.values!, ...Object.keys(info.aliases ?? {})] };
    case 'enumList':
      return { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', enum: [...info.values!, ...Object.keys(info.aliases ?? {})] } };
    case 'numberList':
      return { type: 'array', minItems: info.length, maxItems: info.length, items: { type: 'number', minimum: 0 } };
    case 'gpuList':
      return info.acceptsAll
        ? {
            oneOf: [
              { type: 'array', minItems: 1, items: GPU_INDEX },
              { const: 'all', description: 'Every GPU, in order.' },
            ],
          }
        : { type: 'array', minItems: 1, items: GPU_INDEX };
    case 'hostRef':
      return {
        type: 'object',
        additionalProperties: false,
        required: ['host'],
        properties: { host: { type: 'integer', minimum: 0, description: 'Host index: GPUs host·per_host … host·per_host + per_host − 1.' } },
      };
    case 'hostList':
      return { type: 'object', additionalProperties: false, required: ['hosts'], properties: { hosts: { type: 'array', minItems: 1, items: { type: 'integer', minimum: 0 } } } };
    case 'devices':
      return { oneOf: [{ $ref: '#/definitions/devices' }, { type: 'string', description: 'Path of a file holding the devices mapping, relative to this file.' }] };
    case 'tables':
      return { type: 'array', minItems: 1, items: { $ref: '#/definitions/table' } };
    case 'placement':
      return { type: ['object', 'null'], additionalProperties: { $ref: '#/definitions/placementEntry' } };
  }
}

function objectSchema(section: Section): Json {
  const properties: Json = {};
  for (const info of keysOf(section)) {
    const s: Json = { description: info.doc, ...valueSchema(info) };
    if (info.kind === 'enum' && section === 'devices') {
      // Custom GPU names are allowed when every number is overridden, so a preset list is a suggestion only.
      delete s.enum;
      s.anyOf = [{ enum: [...info.values!] }, { type: 'string' }];
    }
    if (info.default !== undefined) s.default = Array.isArray(info.default) ? [...info.default] : info.default;
    properties[info.key] = s;
  }
  const required = keysOf(section)
    .filter((k) => k.required)
    .map((k) => k.key);
  return { type: 'object', additionalProperties: false, properties, ...(required.length ? { required } : {}) };
}

export function buildSchema(): Json {
  const placementEntry = objectSchema('placement');
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://shardlens.dev/schema/shardlens.schema.json',
    title: 'ShardLens config (*.shard.yaml)',
    description: 'Embedding tables, GPUs and placement of a DLRM for ShardLens. Generated from server/src/config/keys.ts by `npm run schema`.',
    oneOf: [
      objectSchema('top'),
      {
        description: 'A devices file: the devices mapping itself, or version + devices.',
        oneOf: [
          { $ref: '#/definitions/devices' },
          { type: 'object', additionalProperties: false, required: ['devices'], properties: { version: { const: 1 }, devices: { $ref: '#/definitions/devices' } } },
        ],
      },
    ],
    definitions: {
      devices: objectSchema('devices'),
      table: objectSchema('table'),
      placementEntry: {
        description:
          "A GPU index (whole table), `dp` (data-parallel) or one of TorchRec's splits: {column: [GPUs]}, {row: all}, {table_row: {host: H}}, {table_column: [GPUs]}, {grid: {hosts: [H, …]}}.",
        oneOf: [GPU_INDEX, { const: 'dp', description: 'Data-parallel: a replica on every GPU.' }, { ...placementEntry, minProperties: 1, maxProperties: 1 }],
      },
    },
  };
}

export function schemaText(): string {
  return `${JSON.stringify(buildSchema(), null, 2)}\n`;
}
