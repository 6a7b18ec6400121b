/**
 * `npm run schema`: writes shardlens.schema.json from the key catalogue
 * (server/src/config/keys.ts). test/unit/config/schema.test.ts fails when the
 * committed file is out of date.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { schemaText } from '../src/config/schema';

const out = path.join(__dirname, 'shardlens.schema.json');
writeFileSync(out, schemaText());
process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
