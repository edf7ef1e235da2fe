/** Parameters shared by several operations: paging, external references, simplify. */
import type { INodeProperties } from 'n8n-workflow';

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

export function externalReferences(show: Show, target: string): INodeProperties {
	return {
		displayName: 'External References',
		name: 'externalReferences',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add External Reference',
		default: {},
		description: `Identifiers from other systems (e.g. employee numbers) that Protime adds to ${target}, inside the referenced object under externalReferences`,
		displayOptions: { show },
		options: [
			{
				name: 'reference',
				displayName: 'Reference',
				values: [
					{
						displayName: 'Reference Name or ID',
						name: 'reference',
						type: 'options',
						typeOptions: { loadOptionsMethod: 'getReferenceOptions', loadOptionsDependsOn: ['collection'] },
						default: '',
						description:
							'A predefined reference (starting with @), or a custom reference of a referenced collection. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
					},
					{
						displayName: 'Custom Reference Name',
						name: 'customName',
						type: 'string',
						default: '',
						placeholder: 'e.g. HRMID',
						description: 'The name of the custom reference, when a "custom reference" entry is chosen above',
					},
				],
			},
		],
	};
}

export function simplifyAndOptions(show: Show): INodeProperties[] {
	return [
		{
			displayName: 'Simplify',
			name: 'simplify',
			type: 'boolean',
			default: true,
			description:
				'Whether to flatten translations and references (personId, personEmployeeNumber) and add readable times (H:MM, decimal hours, local date-times), exactly as the Protime Trigger does',
			displayOptions: { show },
		},
		{
			displayName: 'Options',
			name: 'options',
			type: 'collection',
			placeholder: 'Add Option',
			default: {},
			displayOptions: { show: { ...show, simplify: [true] } },
			options: [
				{
					displayName: 'Time Zone',
					name: 'timeZone',
					type: 'string',
					default: '',
					placeholder: 'e.g. Europe/Brussels',
					description:
						"Add this zone's UTC offset to the local date-times. Empty: local date-times without offset (as in the Protime Trigger).",
				},
				{
					displayName: 'Translation Language',
					name: 'language',
					type: 'string',
					default: '',
					placeholder: 'e.g. nl',
					description:
						'The language code of translated names to use; the default text is used when a translation is missing',
				},
			],
		},
	];
}
