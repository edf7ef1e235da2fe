/**
 * The output schemas of the Protime node (`nodes/Protime/__schema__/v1.0.0/<resource>/<operation>.json`),
 * derived from the catalogue samples (records, as Simplify gives them by default) and from one sample
 * webhook. `action-schemas.mjs` writes them; `action-schemas.test.ts` fails when the files drift.
 */
import type { IDataObject } from 'n8n-workflow';

import { KEY_INCLUDED_NOTICE } from '../../nodes/Protime/actions/webhook/create';
import { webhookJson } from '../../nodes/Protime/actions/webhook/output';
import { RECORD_RESOURCES, WEBHOOK_RESOURCE } from '../../nodes/Protime/resources';
import { simplifyRecord } from '../../nodes/shared/simplify';
import type { ProtimeWebhook } from '../../nodes/shared/types';

export const SCHEMA_DIR = 'nodes/Protime/__schema__/v1.0.0';

export interface JsonSchema {
	type: string | string[];
	properties?: Record<string, JsonSchema>;
	items?: JsonSchema;
	version?: number;
}

/** The JSON Schema of a sample value (types only; n8n's editor shows the field tree). */
export function schemaOf(value: unknown): JsonSchema {
	if (Array.isArray(value))
		return value.length ? { type: 'array', items: schemaOf(value[0]) } : { type: 'array' };
	if (value === null) return { type: 'null' };
	if (typeof value === 'object') {
		const properties: Record<string, JsonSchema> = {};
		for (const [key, v] of Object.entries(value as IDataObject)) properties[key] = schemaOf(v);
		return { type: 'object', properties };
	}
	if (typeof value === 'number') return { type: Number.isInteger(value) ? 'integer' : 'number' };
	return { type: typeof value };
}

const SAMPLE_WEBHOOK: ProtimeWebhook = {
	id: 'a7d853ea-89eb-4735-83d1-b891c6fde398',
	validUntil: '2026-03-31T12:30:00+02:00',
	status: 'Enabled',
	destinationUrl: 'https://example.com/protime/clockings',
	collectionName: 'clockings',
};

/** Relative file path → schema, for every resource and operation of the node. */
export function expectedSchemas(): Record<string, JsonSchema> {
	const files: Record<string, JsonSchema> = {};
	const put = (resource: string, operation: string, sample: unknown) => {
		files[`${resource}/${operation}.json`] = { ...schemaOf(sample), version: 1 };
	};
	for (const r of RECORD_RESOURCES) {
		const record = simplifyRecord(r.collection.name, r.collection.sample as unknown as IDataObject);
		put(r.value, 'get', record);
		put(r.value, 'getAll', record);
	}
	const webhook = webhookJson(SAMPLE_WEBHOOK, Date.parse('2026-03-01T00:00:00Z'));
	put(WEBHOOK_RESOURCE, 'create', {
		...webhook,
		key: 'base64-key',
		keyNotice: KEY_INCLUDED_NOTICE,
	});
	put(WEBHOOK_RESOURCE, 'get', webhook);
	put(WEBHOOK_RESOURCE, 'getAll', webhook);
	put(WEBHOOK_RESOURCE, 'delete', { deleted: true });
	return files;
}

export const serialize = (schema: JsonSchema) => `${JSON.stringify(schema, null, '\t')}\n`;
