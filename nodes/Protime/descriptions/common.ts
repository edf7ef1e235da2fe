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
						displayName: 'Referenced Collection Name or ID',
						name: 'collection',
						type: 'options',
						typeOptions: { loadOptionsMethod: 'getReferenceCollections', loadOptionsDependsOn: ['collection'] },
						default: '',
						description:
							'The collection the reference belongs to, e.g. people for an employee number. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
					},
					{
						displayName: 'Reference Name',
						name: 'reference',
						type: 'string',
						default: '',
						placeholder: 'e.g. @employee-number',
						description:
							'A predefined reference (starting with @, such as @employee-number or @badge-number for people, @counter-code for counter definitions) or the name of a custom reference',
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
				'Whether to return flat records (translations reduced to one language, minutes also as hours and clock times), the same shape as the Protime Trigger gives',
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
					displayName: 'Language',
					name: 'language',
					type: 'string',
					default: '',
					placeholder: 'e.g. nl',
					description:
						'Language code whose translation replaces the default name; empty keeps the default text',
				},
			],
		},
	];
}
