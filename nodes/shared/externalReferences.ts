/**
 * External references (docs/protime-reference.md §4): the `?externalReferences=(collection,reference)…` query value,
 * validated against the catalogue so a typo fails here with a clear message instead of as a Protime 400.
 */
import { getCollection, PREDEFINED_REFERENCES, referenceOptions } from './catalogue';

export interface ExternalReferenceSpec {
	/** The referenced collection, e.g. `people`. */
	collection: string;
	/** `@employee-number` (predefined, with `@`) or a custom reference name such as `HRMID`. */
	reference: string;
}

/** Custom reference names: letters, digits and `_ . -` (a comma or parenthesis would break the query syntax). */
const CUSTOM_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

/** `(people,@employee-number)(counter-groups,counterCode)` */
export function formatExternalReferences(specs: readonly ExternalReferenceSpec[]): string {
	return specs.map((s) => `(${s.collection.trim()},${s.reference.trim()})`).join('');
}

/**
 * Error message for references `collectionName` cannot carry, or undefined when all are valid.
 * With `forWebhook`, collections whose webhook payloads carry no references (§4.2) are refused too.
 */
export function validateExternalReferences(
	collectionName: string,
	specs: readonly ExternalReferenceSpec[],
	opts: { forWebhook?: boolean } = {},
): string | undefined {
	const definition = getCollection(collectionName);
	if (!definition) return `Unknown collection "${collectionName}".`;
	if (specs.length === 0) return undefined;
	if (opts.forWebhook && !definition.webhookReferences) {
		return `Protime does not add external references to ${definition.displayName} webhook events. Remove the external references.`;
	}
	const allowed = referenceOptions(definition.name);
	const allowedNames = allowed.map((a) => a.collection).join(', ') || 'none';
	const seen = new Set<string>();
	for (const spec of specs) {
		const collection = spec.collection.trim();
		const reference = spec.reference.trim();
		if (!allowed.some((a) => a.collection === collection)) {
			return `${definition.displayName} records cannot carry external references of "${collection}". Referenced collections available: ${allowedNames}.`;
		}
		if (reference === '')
			return `The external reference for "${collection}" is empty. Enter e.g. ${exampleFor(collection)}.`;
		if (reference.startsWith('@')) {
			const predefined = PREDEFINED_REFERENCES[collection] ?? [];
			if (!predefined.includes(reference)) {
				return predefined.length
					? `"${reference}" is not a predefined reference of ${collection}. Use one of ${predefined.join(', ')}, or a custom reference name without @.`
					: `${collection} has no predefined (@) references. Use the name of a custom reference, without @.`;
			}
		} else if (!CUSTOM_NAME.test(reference)) {
			return `The custom reference name "${reference}" may only contain letters, digits, "_", "." and "-".`;
		}
		const id = `${collection},${reference}`;
		if (seen.has(id))
			return `The external reference (${id}) is listed twice. Remove the duplicate.`;
		seen.add(id);
	}
	return undefined;
}

function exampleFor(collection: string): string {
	const predefined = PREDEFINED_REFERENCES[collection];
	return predefined?.length
		? `${predefined[0]} or a custom name`
		: 'the name of a custom reference';
}
