// Writes the output schemas of both nodes from the catalogue: node --import tsx test/unit/action-schemas.mjs
// (plain .mjs because writing files needs `fs`, which the TypeScript lint rules forbid).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { SCHEMA_DIR, expectedSchemas, serialize } from './action-schema-model.ts';
import { TRIGGER_SCHEMA_DIR, expectedTriggerSchemas } from './trigger-schema-model.ts';

for (const [dir, files] of [
	[SCHEMA_DIR, expectedSchemas()],
	[TRIGGER_SCHEMA_DIR, expectedTriggerSchemas()],
]) {
	rmSync(dir, { recursive: true, force: true });
	for (const [file, schema] of Object.entries(files)) {
		const path = join(dir, file);
		mkdirSync(dirname(path), { recursive: true });
		writeFileSync(path, serialize(schema));
	}
	console.log(`wrote ${Object.keys(files).length} schemas under ${dir}`);
}
