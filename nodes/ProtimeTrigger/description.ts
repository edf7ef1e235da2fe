/** The parameters of the Protime Trigger. */
import type { INodeProperties } from 'n8n-workflow';

import { COLLECTIONS } from '../shared/catalogue';
import { externalReferencesParameter } from '../shared/referenceParameter';
import { simplifyOptionFields, simplifyParameter } from '../shared/simplifyParameter';

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
	externalReferencesParameter({
		loadOptionsMethod: 'getTriggerReferenceOptions',
		dependsOn: ['collectionName'],
		description:
			'Identifiers from your own systems that Protime adds to the records, e.g. the employee number of the person. Changing them replaces the subscription.',
	}),
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
			simplifyParameter(),
			...simplifyOptionFields('Only used with Simplify on.'),
		],
	},
];
