/**
 * One node resource per catalogue collection (plus `webhook`): the resource value, its singular and
 * plural labels, derived from the catalogue so that adding a collection there adds it here.
 */
import { COLLECTIONS, type CollectionDefinition } from '../shared/catalogue';
import type { CollectionName } from '../shared/types';

export interface RecordResource {
	/** The node's `resource` value, e.g. `workInterruption`. */
	value: string;
	/** Singular, Title Case: `Work Interruption`. */
	singular: string;
	/** Plural, Title Case: `Work Interruptions`. */
	plural: string;
	collection: CollectionDefinition;
}

export const WEBHOOK_RESOURCE = 'webhook';

const IRREGULAR_SINGULAR: Record<string, string> = { People: 'Person' };

function singularOf(plural: string): string {
	return IRREGULAR_SINGULAR[plural] ?? plural.replace(/s$/, '');
}

function camelCase(title: string): string {
	const words = title.split(/\s+/);
	return words
		.map((w, i) => (i === 0 ? w.toLowerCase() : w[0].toUpperCase() + w.slice(1).toLowerCase()))
		.join('');
}

export const RECORD_RESOURCES: readonly RecordResource[] = COLLECTIONS.map((collection) => {
	const singular = singularOf(collection.displayName);
	return { value: camelCase(singular), singular, plural: collection.displayName, collection };
});

const BY_VALUE = new Map(RECORD_RESOURCES.map((r) => [r.value, r]));

export function recordResource(value: string): RecordResource | undefined {
	return BY_VALUE.get(value);
}

/** Resource values of the collections matching `predicate`, for `displayOptions`. */
export function resourcesWhere(predicate: (c: CollectionDefinition) => boolean): string[] {
	return RECORD_RESOURCES.filter((r) => predicate(r.collection)).map((r) => r.value);
}

export function collectionOfResource(value: string): CollectionName | undefined {
	return BY_VALUE.get(value)?.collection.name;
}
