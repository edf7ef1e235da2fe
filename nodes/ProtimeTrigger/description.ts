/** The parameters of the Protime Trigger. */
import type { INodeProperties } from 'n8n-workflow';

import { COLLECTIONS } from '../shared/catalogue';

export const CHECK_INTERVALS = [1, 2, 5, 10, 15, 30, 60] as const;
export const DEFAULT_CHECK_INTERVAL = 10;
export const DEFAULT_RENEWAL_MARGIN = 60;

export const triggerProperties: INodeProperties[] = [
	{
		displayName: 'Collection',
		name: 'collectionName',
		type: 'options',
		options: COLLECTIONS.map((c) => ({ name: c.displayName, value: c.name })),
		default: 'clockings',
		required: true,
		description: 'The Protime collection whose changes start this workflow',
	},
	{
		displayName: 'Events',
		name: 'events',
		type: 'multiOptions',
		options: [
			{ name: 'Delete', value: 'delete', description: 'A record was deleted (only its ID and change version are sent)' },
			{ name: 'Insert or Update', value: 'insertOrUpdate', description: 'A record was created or changed' },
		],
		default: ['insertOrUpdate', 'delete'],
		required: true,
		description: 'Which changes start the workflow; other changes are acknowledged to Protime and skipped',
	},
	{
		displayName: 'External References',
		name: 'externalReferences',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add External Reference',
		default: {},
		description:
			'Identifiers from your own systems that Protime adds to the records, e.g. the employee number of the person. Changing them replaces the subscription.',
		options: [
			{
				displayName: 'Reference',
				name: 'reference',
				values: [
					{
						displayName: 'Reference Name or ID',
						name: 'reference',
						type: 'options',
						typeOptions: { loadOptionsMethod: 'getTriggerReferenceOptions', loadOptionsDependsOn: ['collectionName'] },
						default: '',
						description:
							'A predefined reference (starting with @), or a custom reference of a referenced collection. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
					},
					{
						displayName: 'Custom Reference Name',
						name: 'customName',
						type: 'string',
						default: '',
						placeholder: 'HRMID',
						description: 'The name of the custom reference, when a "custom reference" entry is chosen above',
					},
				],
			},
		],
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Check Interval',
				name: 'checkInterval',
				type: 'options',
				options: CHECK_INTERVALS.map((m) => ({ name: m === 1 ? 'Every Minute' : `Every ${m} Minutes`, value: m })),
				default: DEFAULT_CHECK_INTERVAL,
				description:
					'How often the active workflow checks its Protime subscription and renews it before it expires. Must be shorter than the renewal margin.',
			},
			{
				displayName: 'Drop Stale or Duplicate Changes',
				name: 'dropStale',
				type: 'boolean',
				default: true,
				description:
					'Whether to skip a change whose change version is not newer than the last one seen for the same record (Protime may resend or reorder events)',
			},
			{
				displayName: 'Include Subscription Info',
				name: 'includeSubscriptionInfo',
				type: 'boolean',
				default: false,
				description: 'Whether to add the Protime webhook ID and its expiry (validUntil) to every item, under _subscription',
			},
			{
				displayName: 'Renewal Margin (Minutes)',
				name: 'renewalMargin',
				type: 'number',
				typeOptions: { minValue: 2, maxValue: 10080 },
				default: DEFAULT_RENEWAL_MARGIN,
				description:
					'Renew the subscription when it expires within this many minutes (capped at half its validity). Keep it at least twice the check interval.',
			},
			{
				displayName: 'Simplify',
				name: 'simplify',
				type: 'boolean',
				default: true,
				description:
					'Whether to flatten translations and references (personId, personEmployeeNumber) and add readable times (H:MM, decimal hours, local date-times)',
			},
			{
				displayName: 'Time Zone',
				name: 'timeZone',
				type: 'string',
				default: '',
				placeholder: 'Europe/Brussels',
				description: 'With Simplify: add this zone\'s UTC offset to the local date-times. Empty: local date-times without offset.',
			},
			{
				displayName: 'Translation Language',
				name: 'language',
				type: 'string',
				default: '',
				placeholder: 'nl',
				description: 'With Simplify: the language code of translated names to use; the default text is used when a translation is missing',
			},
		],
	},
];
