import type { IExecuteFunctions } from 'n8n-workflow';

import { deleteWebhook } from '../../../shared/webhooksApi';
import { problemError } from '../errors';
import type { Emit } from '../types';
import { readWebhookId, webhookNotFound } from './get';

export async function remove(this: IExecuteFunctions, i: number, emit: Emit): Promise<void> {
	const id = readWebhookId.call(this, i);
	if ((await deleteWebhook.call(this, id, i)) === 'notFound')
		throw problemError(this.getNode(), webhookNotFound(id), i);
	emit({ deleted: true });
}
