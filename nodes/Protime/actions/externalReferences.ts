/** Reads the External References parameter and turns it into the `externalReferences` query value. */
import type { IExecuteFunctions } from 'n8n-workflow';

import {
	formatExternalReferences,
	validateExternalReferences,
	type ExternalReferenceSpec,
} from '../../shared/externalReferences';
import { problemError } from './errors';

/** Separates collection and reference in an option value, as in the trigger: `people|@employee-number`; `people|` = custom. */
export const REFERENCE_SEPARATOR = '|';

/** The specs the user entered for item `i`. */
export function readReferenceSpecs(this: IExecuteFunctions, i: number): ExternalReferenceSpec[] {
	const param = this.getNodeParameter('externalReferences', i, {}) as {
		reference?: Array<{ reference?: string; customName?: string }>;
	};
	return (param.reference ?? []).map((row, n) => {
		const value = String(row.reference ?? '');
		const at = value.indexOf(REFERENCE_SEPARATOR);
		const collection = (at >= 0 ? value.slice(0, at) : value).trim();
		const reference = ((at >= 0 ? value.slice(at + 1) : '') || String(row.customName ?? '')).trim();
		if (!collection || !reference) {
			throw problemError(
				this.getNode(),
				{
					message: `External reference ${n + 1} is incomplete`,
					description: 'Choose a reference, and for a "custom reference" entry also enter its name in Custom Reference Name.',
				},
				i,
			);
		}
		return { collection, reference };
	});
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
