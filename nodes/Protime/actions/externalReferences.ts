/** Reads the External References parameter and turns it into the `externalReferences` query value. */
import type { IExecuteFunctions } from 'n8n-workflow';

import {
	formatExternalReferences,
	validateExternalReferences,
	type ExternalReferenceSpec,
} from '../../shared/externalReferences';
import { problemError } from './errors';

/** The specs the user entered for item `i` (empty rows are skipped). */
export function readReferenceSpecs(this: IExecuteFunctions, i: number): ExternalReferenceSpec[] {
	const param = this.getNodeParameter('externalReferences', i, {}) as {
		reference?: Array<{ collection?: string; reference?: string }>;
	};
	return (param.reference ?? [])
		.map((r) => ({ collection: String(r.collection ?? '').trim(), reference: String(r.reference ?? '').trim() }))
		.filter((r) => r.collection !== '' || r.reference !== '');
}

/** The validated query value, or undefined when no reference is asked for. */
export function externalReferencesQuery(
	this: IExecuteFunctions,
	i: number,
	collectionName: string,
	specs: ExternalReferenceSpec[],
	forWebhook = false,
): string | undefined {
	if (specs.length === 0) return undefined;
	const message = validateExternalReferences(collectionName, specs, { forWebhook });
	if (message) {
		throw problemError(
			this.getNode(),
			{
				message,
				description:
					'Pick the referenced collection from the list and enter a reference name such as @employee-number (predefined, with @) or the exact name of a custom reference.',
			},
			i,
		);
	}
	return formatExternalReferences(specs);
}
