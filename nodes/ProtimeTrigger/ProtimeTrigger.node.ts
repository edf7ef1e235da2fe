import {
	NodeConnectionTypes,
	type IHookFunctions,
	type ILoadOptionsFunctions,
	type INodePropertyOptions,
	type INodeType,
	type INodeTypeDescription,
	type ITriggerFunctions,
	type ITriggerResponse,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';

import { referenceChoices } from '../shared/referenceParameter';
import { startClock } from './clock';
import { triggerPanel, triggerProperties } from './description';
import { checkExists, create, deleteSubscription } from './hooks';
import { receive } from './webhook';

export class ProtimeTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Protime Trigger',
		name: 'protimeTrigger',
		icon: { light: 'file:../../icons/protime.svg', dark: 'file:../../icons/protime.dark.svg' },
		group: ['trigger'],
		// Not 1: n8n 2.x evaluates a legacy expression for the Webhook node v1 on every request to any
		// version-1 webhook node, which costs more per delivery than everything this node does.
		version: 2,
		subtitle: '={{$parameter["collectionName"]}}',
		description:
			'Starts the workflow when records of a Protime collection change (verified webhook events)',
		defaults: { name: 'Protime Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'protimeApi', required: true }],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				// n8n answers a request that starts an execution once it finished (see webhook.ts); the node
				// answers everything else itself, On Receipt deliveries included. Static on purpose: an
				// expression here would be evaluated on every request, in an expression isolate.
				responseMode: 'lastNode',
				responseData: 'noData',
				path: 'webhook',
			},
		],
		triggerPanel,
		properties: triggerProperties,
	};

	methods = {
		loadOptions: {
			async getTriggerReferenceOptions(
				this: ILoadOptionsFunctions,
			): Promise<INodePropertyOptions[]> {
				return referenceChoices(this.getCurrentNodeParameter('collectionName'));
			},
		},
	};

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return await checkExists.call(this);
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return await create.call(this);
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return await deleteSubscription.call(this);
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await receive.call(this);
	}

	async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
		return await startClock.call(this);
	}
}
