/** Operations and fields of the Webhook resource (Protime webhook subscriptions). */
import type { INodeProperties } from 'n8n-workflow';

import { COLLECTIONS } from '../../shared/catalogue';
import { WEBHOOK_RESOURCE } from '../resources';
import { externalReferences, returnAllAndLimit } from './common';

const resource = [WEBHOOK_RESOURCE];
const collectionOptions = [...COLLECTIONS]
	.sort((a, b) => a.displayName.localeCompare(b.displayName))
	.map((c) => ({ name: c.displayName, value: c.name }));

export const KEY_NOTICE =
	'Protime returns the private key of a webhook only in the response to Create, never again. Store it now (e.g. in a credential or data store): without it, deliveries cannot be verified. If it is lost, delete the webhook and create a new one.';

export const webhookProperties: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource } },
		options: [
			{
				name: 'Create',
				value: 'create',
				description: 'Subscribe a URL to the changes of one collection',
				action: 'Create webhook',
			},
			{
				name: 'Delete',
				value: 'delete',
				description: 'Delete a webhook subscription',
				action: 'Delete webhook',
			},
			{
				name: 'Get',
				value: 'get',
				description: 'Get a webhook subscription',
				action: 'Get webhook',
			},
			{
				name: 'Get Many',
				value: 'getAll',
				description: 'List webhook subscriptions with the hours left until they expire',
				action: 'Get many webhooks',
			},
		],
		default: 'getAll',
	},

	// Create
	{
		displayName: KEY_NOTICE,
		name: 'keyNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { resource, operation: ['create'] } },
	},
	{
		displayName: 'Collection',
		name: 'collection',
		type: 'options',
		required: true,
		options: collectionOptions,
		default: 'clockings',
		description: 'The collection whose changes Protime sends to the destination',
		displayOptions: { show: { resource, operation: ['create'] } },
	},
	{
		displayName: 'Destination URL',
		name: 'destinationUrl',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. https://example.com/protime/clockings',
		description:
			'The HTTPS address Protime posts each change to. For an n8n workflow use the Protime Trigger node instead: it creates, verifies and renews its own subscription.',
		displayOptions: { show: { resource, operation: ['create'] } },
	},
	externalReferences({ resource, operation: ['create'] }, 'the records in each delivery'),
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show: { resource, operation: ['create'] } },
		options: [
			{
				displayName: 'Allow N8n Webhook URL',
				name: 'allowN8nWebhookUrl',
				type: 'boolean',
				default: false,
				description:
					'Whether to accept a destination on an n8n /webhook/ or /webhook-test/ path. Off by default so that a hand-made subscription is never pointed at a Protime Trigger, which would reject its deliveries (signed with a key it does not know) until Protime disables the webhook.',
			},
			{
				displayName: 'Include Key in Output',
				name: 'includeKey',
				type: 'boolean',
				default: true,
				description:
					'Whether to include the private key in the output. Turn off to keep it out of execution logs; it then cannot be retrieved at all.',
			},
		],
	},

	// Get, Delete
	{
		displayName: 'Webhook',
		name: 'webhookId',
		type: 'resourceLocator',
		required: true,
		default: { mode: 'list', value: '' },
		description:
			'The webhook subscription: pick it from the list, or enter the ID returned by Create or Get Many',
		displayOptions: { show: { resource, operation: ['get', 'delete'] } },
		modes: [
			{
				displayName: 'From List',
				name: 'list',
				type: 'list',
				placeholder: 'Select a webhook...',
				typeOptions: { searchListMethod: 'searchWebhooks', searchable: true },
			},
			{
				displayName: 'By ID',
				name: 'id',
				type: 'string',
				placeholder: 'e.g. a7d853ea-89eb-4735-83d1-b891c6fde398',
			},
		],
	},

	// Get Many
	...returnAllAndLimit({ resource, operation: ['getAll'] }),
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions: { show: { resource, operation: ['getAll'] } },
		options: [
			{
				displayName: 'Collection',
				name: 'collection',
				type: 'options',
				options: collectionOptions,
				default: 'clockings',
				description: 'Only webhooks of this collection',
			},
			{
				displayName: 'Status',
				name: 'status',
				type: 'options',
				options: [
					{ name: 'Disabled', value: 'Disabled' },
					{ name: 'Enabled', value: 'Enabled' },
					{ name: 'Uninitialized', value: 'Uninitialized' },
				],
				default: 'Enabled',
				description: 'Only webhooks with this status',
			},
		],
	},
];
