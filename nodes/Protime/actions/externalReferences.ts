/** Reads the External References parameter and turns it into the `externalReferences` query value. */
import type { IExecuteFunctions } from 'n8n-workflow';

import {
	formatExternalReferences,
	validateExternalReferences,
	type ExternalReferenceSpec,
} from '../../shared/externalReferences';
import { parseReferenceRows } from '../../shared/referenceParameter';
import { problemError } from './errors';

/** The specs the user entered for item `i`. */
export function readReferenceSpecs(this: IExecuteFunctions, i: number): ExternalReferenceSpec[] {
	const parsed = parseReferenceRows(this.getNodeParameter('externalReferences', i, {}));
	if ('problem' in parsed) throw problemError(this.getNode(), parsed.problem, i);
	return parsed.specs;
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
					'Choose a reference from the list (predefined ones start with @), or a "custom reference" entry with the exact name of the custom reference.',
			},
			i,
		);
	}
	return formatExternalReferences(specs);
}
