/** Parameters shared by several operations: paging, external references, simplify. */
import type { INodeProperties } from 'n8n-workflow';

import { externalReferencesParameter } from '../../shared/referenceParameter';
import { simplifyOptionFields, simplifyParameter } from '../../shared/simplifyParameter';

export type Show = NonNullable<NonNullable<INodeProperties['displayOptions']>['show']>;

export function returnAllAndLimit(show: Show): INodeProperties[] {
	return [
		{
			displayName: 'Return All',
			name: 'returnAll',
			type: 'boolean',
			default: false,
			description: 'Whether to return all results or only up to a given limit',
			displayOptions: { show },
		},
		{
			displayName: 'Limit',
			name: 'limit',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 50,
			description: 'Max number of results to return',
			displayOptions: { show: { ...show, returnAll: [false] } },
		},
	];
}

/** The External References list of an operation; `target` says what Protime adds the references to. */
export function externalReferences(show: Show, target: string): INodeProperties {
	return externalReferencesParameter({
		loadOptionsMethod: 'getReferenceOptions',
		dependsOn: ['resource', 'collection'],
		description: `Identifiers from other systems (e.g. employee numbers) that Protime adds to ${target}, inside the referenced object under externalReferences`,
		displayOptions: { show },
	});
}

/** Simplify, and its options (time zone, language) while it is on: the same fields and defaults as the Protime Trigger. */
export function simplifyAndOptions(show: Show): INodeProperties[] {
	return [
		simplifyParameter({ note: ', exactly as the Protime Trigger does', displayOptions: { show } }),
		{
			displayName: 'Options',
			name: 'options',
			type: 'collection',
			placeholder: 'Add Option',
			default: {},
			displayOptions: { show: { ...show, simplify: [true] } },
			options: simplifyOptionFields(),
		},
	];
}
