import type { IExecuteFunctions } from 'n8n-workflow';

import { listWebhooks } from '../../../shared/webhooksApi';
import { readLimit } from '../paging';
import type { Emit } from '../types';
import { webhookJson } from './output';

export async function getMany(this: IExecuteFunctions, i: number, emit: Emit): Promise<void> {
	const limit = readLimit.call(this, i);
	const filters = this.getNodeParameter('filters', i, {}) as {
		status?: string;
		collection?: string;
	};
	const webhooks = await listWebhooks.call(this, {
		status: filters.status || undefined,
		collectionName: filters.collection || undefined,
		itemIndex: i,
	});
	const now = Date.now();
	for (const webhook of webhooks.slice(0, limit)) emit(webhookJson(webhook, now));
}
