import type { IExecuteFunctions } from 'n8n-workflow';

import { getWebhook } from '../../../shared/webhooksApi';
import { problemError, type Problem } from '../errors';
import { locatorValue } from '../locator';
import { pathSegment } from '../pathSegment';
import type { Emit } from '../types';
import { webhookJson } from './output';

export function webhookNotFound(id: string): Problem {
	return {
		message: `No webhook with ID '${id}' exists in Protime`,
		description:
			'Check the ID: Get Many lists the current webhooks. A deleted webhook is gone for good; a disabled or expired one cannot be reused, create a new one after an initial sync.',
	};
}

/** The webhook ID of item `i`, checked for use as one path segment. */
export function readWebhookId(this: IExecuteFunctions, i: number): string {
	const id = String(locatorValue(this.getNodeParameter('webhookId', i, '')) ?? '').trim();
	const checked = pathSegment(id, 'webhook ID');
	if ('problem' in checked) throw problemError(this.getNode(), checked.problem, i);
	return id;
}

export async function get(this: IExecuteFunctions, i: number, emit: Emit): Promise<void> {
	const id = readWebhookId.call(this, i);
	const webhook = await getWebhook.call(this, id, i);
	if (!webhook) throw problemError(this.getNode(), webhookNotFound(id), i);
	emit(webhookJson(webhook, Date.now()));
}
