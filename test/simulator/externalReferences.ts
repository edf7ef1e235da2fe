/**
 * `?externalReferences=(collection,reference)(…)`: parsing, validation against the model (model.ts), and
 * application to records as docs/protime-reference.md §4.1 shows: inside the referenced sub-object under
 * `externalReferences`, keyed by the reference name; for the record's own reference, at its top level.
 */
import { PREDEFINED_REFERENCES, getCollection, type CollectionName } from './model';
import type { SimRecord, Store } from './store';

export interface ReferenceSpec {
	collection: string;
	reference: string;
}

/** Predefined references whose value is a field of the referenced record itself. */
const FIELD_OF_REFERENCE: Record<string, string> = {
	'@counter-code': 'code',
	'@shift-code': 'code',
	'@absence-code': 'code',
};

const PAIR = /\(\s*([^(),\s]+)\s*,\s*([^(),\s]+)\s*\)/g;

/** Parses the query value; returns reasons instead when it is malformed. */
export function parseExternalReferences(
	raw: unknown,
): { specs: ReferenceSpec[] } | { reasons: string[] } {
	if (raw === undefined || raw === '') return { specs: [] };
	if (typeof raw !== 'string') return { reasons: ['externalReferences must be given once'] };
	const specs: ReferenceSpec[] = [];
	const rest = raw.replace(PAIR, (_m, collection: string, reference: string) => {
		specs.push({ collection, reference });
		return '';
	});
	if (rest.trim() !== '' || specs.length === 0) {
		return {
			reasons: [
				`The externalReferences parameter '${raw}' is invalid; expected (collection,reference)(collection,reference)`,
			],
		};
	}
	return { specs };
}

/** Reasons why `specs` cannot be used with `collectionName` (empty when all are fine). */
export function validateExternalReferences(
	collectionName: CollectionName,
	specs: ReferenceSpec[],
	forWebhook: boolean,
): string[] {
	const def = getCollection(collectionName);
	const reasons: string[] = [];
	if (forWebhook && specs.length > 0 && !def.webhookReferences) {
		return [`Webhooks for '${collectionName}' do not include external references`];
	}
	for (const { collection, reference } of specs) {
		if (!def.references.some((r) => r.collection === collection)) {
			reasons.push(
				`External references of '${collection}' are not available on '${collectionName}'`,
			);
		} else if (reference.startsWith('@')) {
			if (!(PREDEFINED_REFERENCES[collection] ?? []).includes(reference)) {
				reasons.push(`'${reference}' is not a predefined external reference of '${collection}'`);
			}
		} else if (!/^[A-Za-z0-9_.-]+$/.test(reference)) {
			reasons.push(`'${reference}' is not a valid custom external reference name`);
		}
	}
	return reasons;
}

/** The value of one reference of one object, or undefined when the object has none (then it is left out, §4.1). */
export function referenceValue(
	store: Store,
	collection: string,
	id: unknown,
	reference: string,
): string | undefined {
	if (id === undefined || id === null) return undefined;
	const stored = store.getReferences(collection, id as string | number)[reference];
	if (stored !== undefined && stored !== '') return stored;
	const field = FIELD_OF_REFERENCE[reference];
	const value = field ? store.get(collection, id as string | number)?.[field] : undefined;
	return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Sub-objects at a model reference path: '' = the record, 'person', 'activityLevels[].activityDefinition'. */
function objectsAt(record: Record<string, unknown>, path: string): Array<Record<string, unknown>> {
	let current: unknown[] = [record];
	if (path === '') return current as Array<Record<string, unknown>>;
	for (const part of path.split('.')) {
		const isArray = part.endsWith('[]');
		const key = isArray ? part.slice(0, -2) : part;
		const next: unknown[] = [];
		for (const obj of current) {
			const value = (obj as Record<string, unknown> | undefined)?.[key];
			if (isArray && Array.isArray(value)) next.push(...value);
			else if (!isArray && value !== undefined) next.push(value);
		}
		current = next;
	}
	return current.filter((o): o is Record<string, unknown> => typeof o === 'object' && o !== null);
}

/** A copy of `record` with the requested external references filled in. */
export function applyExternalReferences(
	store: Store,
	collectionName: CollectionName,
	record: SimRecord,
	specs: ReferenceSpec[],
): SimRecord {
	const copy = structuredClone(record);
	if (specs.length === 0) return copy;
	for (const path of getCollection(collectionName).references) {
		const wanted = specs.filter((s) => s.collection === path.collection);
		if (wanted.length === 0) continue;
		for (const obj of objectsAt(copy, path.path)) {
			const values: Record<string, string> = {
				...((obj.externalReferences as Record<string, string>) ?? {}),
			};
			for (const { reference } of wanted) {
				const value = referenceValue(store, path.collection, obj.id, reference);
				if (value !== undefined) values[reference] = value;
			}
			if (Object.keys(values).length > 0) obj.externalReferences = values;
		}
	}
	return copy;
}

/** The webhook resource's `externalReferences` (§7.8 shape is an assumption). */
export function describeReferences(specs: ReferenceSpec[], shape: 'map' | 'list'): unknown {
	if (shape === 'list')
		return specs.map((s) => ({ collection: s.collection, reference: s.reference }));
	const map: Record<string, string[]> = {};
	for (const s of specs) (map[s.collection] ??= []).push(s.reference);
	return map;
}
