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
import { getReferenceOptions } from './methods/loadOptions';

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
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'protimeApi', required: true }],
		properties: [resourceProperty, ...webhookProperties, ...recordProperties],
	};

	methods = { loadOptions: { getReferenceOptions } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
