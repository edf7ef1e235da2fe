import type { INodeProperties } from 'n8n-workflow';

import { RECORD_RESOURCES, WEBHOOK_RESOURCE } from '../resources';

export const resourceProperty: INodeProperties = {
	displayName: 'Resource',
	name: 'resource',
	type: 'options',
	noDataExpression: true,
	options: [
		...RECORD_RESOURCES.map((r) => ({ name: r.singular, value: r.value })),
		{ name: 'Webhook', value: WEBHOOK_RESOURCE },
	].sort((a, b) => a.name.localeCompare(b.name)),
	default: WEBHOOK_RESOURCE,
};
