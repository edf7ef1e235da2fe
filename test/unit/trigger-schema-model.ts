/**
 * The output schema of the Protime Trigger (`nodes/ProtimeTrigger/__schema__/v1.0.0/output.json`): the fields
 * EVERY item of a change has, whatever the collection, derived from what the node's own `changeItem` makes of
 * each catalogue sample (an InsertOrUpdate and a Delete, default settings). The trigger has no `resource` or
 * `operation` parameter, so n8n looks up one schema for the whole node (`output.json`, read by n8n-core's
 * `loadOutputSchema` when there are no discriminators); the collection-specific fields of `data` are in the
 * Protime node's schemas instead.
 * `action-schemas.mjs` writes it; `trigger-editor.test.ts` fails when the file drifts.
 */
import type { IDataObject, INode } from 'n8n-workflow';

import { changeItem } from '../../nodes/ProtimeTrigger/items';
import { readSettings } from '../../nodes/ProtimeTrigger/settings';
import { COLLECTIONS } from '../../nodes/shared/catalogue';
import { schemaOf, type JsonSchema } from './action-schema-model';

export const TRIGGER_SCHEMA_DIR = 'nodes/ProtimeTrigger/__schema__';

/** The schema of what all `schemas` have in common: shared properties, recursively; differing scalar types united. */
export function commonSchema(schemas: JsonSchema[]): JsonSchema | undefined {
	const [first, ...rest] = schemas;
	const types = [
		...new Set(schemas.flatMap((s) => (Array.isArray(s.type) ? s.type : [s.type]))),
	].sort();
	if (first.type === 'object') {
		if (rest.some((s) => s.type !== 'object')) return undefined;
		const properties: Record<string, JsonSchema> = {};
		for (const key of Object.keys(first.properties ?? {})) {
			if (!rest.every((s) => s.properties && key in s.properties)) continue;
			const common = commonSchema(schemas.map((s) => s.properties![key]));
			if (common) properties[key] = common;
		}
		return { type: 'object', properties };
	}
	if (first.type === 'array') {
		if (rest.some((s) => s.type !== 'array')) return undefined;
		const items = schemas.every((s) => s.items)
			? commonSchema(schemas.map((s) => s.items!))
			: undefined;
		return items ? { type: 'array', items } : { type: 'array' };
	}
	if (types.includes('object') || types.includes('array')) return undefined;
	return { type: types.length === 1 ? types[0] : types };
}

/** The item JSON the trigger emits for each collection's sample, inserted and deleted, with default settings. */
export function sampleTriggerItems(): IDataObject[] {
	const node = { name: 'Protime Trigger' } as INode;
	return COLLECTIONS.flatMap((c) => {
		const settings = readSettings({
			getNode: () => node,
			getNodeParameter: (name: string, fallback?: unknown) =>
				name === 'collectionName' ? c.name : fallback,
		});
		const record = c.sample as unknown as IDataObject & { id: number; changeVersion: string };
		const deleted = { id: record.id, changeVersion: record.changeVersion };
		return [
			changeItem({ changeType: 'InsertOrUpdate', data: record }, settings, {}).json,
			changeItem({ changeType: 'Delete', data: deleted }, settings, {}).json,
		];
	});
}

/** Relative file path → schema. */
export function expectedTriggerSchemas(): Record<string, JsonSchema> {
	const schema = commonSchema(sampleTriggerItems().map(schemaOf))!;
	return { 'v2.0.0/output.json': { ...schema, version: 2 } };
}
