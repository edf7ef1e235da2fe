// Writes the Protime node's output schemas from the catalogue: node --import tsx test/unit/action-schemas.mjs
// (plain .mjs because writing files needs `fs`, which the TypeScript lint rules forbid).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { SCHEMA_DIR, expectedSchemas, serialize } from './action-schema-model.ts';

rmSync(SCHEMA_DIR, { recursive: true, force: true });
const files = expectedSchemas();
for (const [file, schema] of Object.entries(files)) {
	const path = join(SCHEMA_DIR, file);
	mkdirSync(dirname(path), { recursive: true });
	writeFileSync(path, serialize(schema));
}
console.log(`wrote ${Object.keys(files).length} schemas under ${SCHEMA_DIR}`);
