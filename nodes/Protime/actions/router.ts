/**
 * Runs the chosen operation once per input item. Operations hand each output record to `emit`, so a
 * long Get Many fills the output page by page; the router adds `pairedItem` and owns Continue On Fail.
 */
import { NodeOperationError, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import { WEBHOOK_RESOURCE, recordResource } from '../resources';
import { asNodeError, errorItemJson } from './errors';
import { get as getRecord } from './record/get';
import { getMany as getManyRecords } from './record/getMany';
import type { Emit } from './types';
import { create as createWebhook } from './webhook/create';
import { remove as deleteWebhook } from './webhook/delete';
import { get as getWebhook } from './webhook/get';
import { getMany as getManyWebhooks } from './webhook/getMany';

async function runOperation(
	this: IExecuteFunctions,
	resource: string,
	operation: string,
	i: number,
	emit: Emit,
) {
	if (resource === WEBHOOK_RESOURCE) {
		switch (operation) {
			case 'create':
				return await createWebhook.call(this, i, emit);
			case 'delete':
				return await deleteWebhook.call(this, i, emit);
			case 'get':
				return await getWebhook.call(this, i, emit);
			case 'getAll':
				return await getManyWebhooks.call(this, i, emit);
		}
	}
	const record = recordResource(resource);
	if (record && operation === 'get') return await getRecord.call(this, i, record, emit);
	if (record && operation === 'getAll') return await getManyRecords.call(this, i, record, emit);
	throw new NodeOperationError(
		this.getNode(),
		`The operation '${operation}' of resource '${resource}' is not supported`,
		{
			description:
				'Choose a resource and operation from the lists; this version of the node does not know this pair.',
			itemIndex: i,
		},
	);
}

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const returnData: INodeExecutionData[] = [];

	for (let i = 0; i < items.length; i++) {
		const firstOfItem = returnData.length;
		// One pairedItem object per input item, shared by all its output items (as n8n-core's
		// constructExecutionMetaData does): a Get Many of 100,000 records then carries one object, not 100,000.
		const pairedItem = { item: i };
		try {
			await runOperation.call(this, resource, operation, i, (json) => {
				returnData.push({ json, pairedItem });
			});
		} catch (caught) {
			const error = asNodeError(this.getNode(), caught, i);
			if (!this.continueOnFail()) throw error;
			// An item either succeeds completely or yields exactly one error item: records of a Get Many
			// that failed half-way are dropped so that a partial sync never looks complete.
			returnData.length = firstOfItem;
			returnData.push({ json: errorItemJson(error), pairedItem });
		}
	}
	return [returnData];
}
