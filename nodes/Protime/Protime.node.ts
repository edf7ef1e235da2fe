import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { router } from './actions/router';
import { recordProperties } from './descriptions/record';
import { resourceProperty } from './descriptions/resource';
import { webhookProperties } from './descriptions/webhook';
import { searchWebhooks } from './methods/listSearch';
import { getReferenceOptions } from './methods/loadOptions';

export const TOOL_DESCRIPTION =
	"Read Protime collections and manage webhook subscriptions. Webhook → Create used as a tool leaves the webhook's one-time signing key out of its output: the key verifies every delivery, and a model's context and its provider's logs are no place for it. Create webhooks that need their key in a regular workflow step.";

export class Protime implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Protime',
		name: 'protime',
		icon: { light: 'file:../../icons/protime.svg', dark: 'file:../../icons/protime.dark.svg' },
		group: ['input'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Read Protime collections (initial sync) and manage webhook subscriptions',
		defaults: { name: 'Protime' },
		// As an AI tool the description n8n offers for "Set Manually" is this one: it says why Webhook → Create
		// leaves the key out there (actions/tool.ts, actions/webhook/create.ts).
		usableAsTool: { replacements: { description: TOOL_DESCRIPTION } },
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'protimeApi', required: true }],
		properties: [resourceProperty, ...webhookProperties, ...recordProperties],
	};

	methods = { loadOptions: { getReferenceOptions }, listSearch: { searchWebhooks } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
