/**
 * `webhookMethods.default`. n8n calls `checkExists` on activation (and publish), `create` when it returned
 * false, and `delete` on deactivation, at the end of a test listen and after every failed `create`.
 * `checkExists` keeps the record when it decides to replace, so `create` can replace create-first.
 */
import { NodeOperationError, type IDataObject, type IHookFunctions } from 'n8n-workflow';

import { getWebhook } from '../shared/webhooksApi';
import { isEmpty, loadBatch } from './batch';
import { triggerIdentity } from './checkSignature';
import { decide, leaveRenewalToClock } from './decide';
import {
	forgetMemory,
	memoryOf,
	peekMemory,
	plainCopy,
	rememberRecord,
	triggerState,
	type Memory,
	type TriggerState,
} from './record';
import { readSettings } from './settings';
import {
	deleteOthersAtUrl,
	deleteQuietly,
	lifecycleError,
	reachableWebhookUrl,
	replaceSubscription,
} from './subscription';
import { nodeLog } from '../shared/log';

function webhookUrl(ctx: IHookFunctions): string {
	const url = ctx.getNodeWebhookUrl('default');
	if (!url) {
		throw new NodeOperationError(
			ctx.getNode(),
			'n8n did not provide a webhook URL for the Protime Trigger',
			{
				description:
					'Save the workflow and try again; if it persists, check the N8N_WEBHOOK_URL setting of n8n (WEBHOOK_URL on n8n 1.x).',
			},
		);
	}
	return url;
}

/** The process memory of a production trigger; a test listen has its own static data and none. */
function memoryFor(ctx: IHookFunctions): Memory {
	return ctx.getMode() === 'manual' ? { mark: 'test' } : memoryOf(triggerIdentity(ctx));
}

export async function checkExists(this: IHookFunctions): Promise<boolean> {
	const state = triggerState(this.getWorkflowStaticData('node'));
	const url = webhookUrl(this);
	const settings = readSettings(this);
	const record = state.subscription;
	if (!record) return false;
	try {
		let decision = decide(
			record,
			(await getWebhook.call(this, record.id)) ?? 'gone',
			url,
			settings,
			Date.now(),
		);
		if (
			decision.action === 'renew' &&
			this.getActivationMode() === 'init' &&
			leaveRenewalToClock(record, settings.checkIntervalMinutes * 60_000, Date.now())
		) {
			nodeLog(this).info(
				`${decision.reason}; the next check renews it (n8n just started: Protime may still be resending what queued up for it)`,
			);
			decision = { action: 'adopt' };
		}
		if (decision.action === 'adopt') {
			// This process's clock learns the destination from it (a main in queue mode serves no webhooks).
			if (this.getMode() !== 'manual') rememberRecord(memoryFor(this), record);
			await deleteOthersAtUrl.call(
				this,
				url,
				record,
				'duplicate subscription for this trigger URL',
			);
			nodeLog(this).info(`kept subscription ${record.id}, valid until ${record.validUntil}`);
			return true;
		}
		nodeLog(this).info(`replacing the subscription: ${decision.reason}`);
		if (decision.action === 'renew') memoryFor(this).renewOnCreate = record.id;
		if (decision.action === 'recover' && this.getMode() !== 'manual') {
			nodeLog(this).error(
				`the subscription for ${settings.collectionName} lapsed (${decision.reason}). Changes may be missing: run the Protime node's Get Many for ${settings.collectionName} to resync; the trigger also emits a ResyncRequired item with its next request.`,
			);
			state.pendingResync = {
				reason: decision.reason,
				detectedAt: new Date().toISOString(),
				previousWebhookId: record.id,
			};
		}
		return false;
	} catch (error) {
		throw lifecycleError(this, 'check its Protime subscription', error);
	}
}

export async function create(this: IHookFunctions): Promise<boolean> {
	const state = triggerState(this.getWorkflowStaticData('node'));
	const settings = readSettings(this);
	const url = await reachableWebhookUrl.call(this);
	const memory = memoryFor(this);
	const renew =
		memory.renewOnCreate !== undefined && memory.renewOnCreate === state.subscription?.id;
	// What this process remembers belongs to an earlier activation.
	delete memory.record;
	delete memory.versions;
	delete memory.renewOnCreate;
	// n8n removed the webhook before (deactivation, or on n8n 1.x any save of the active workflow): nothing was
	// delivered in between.
	if (state.removedAt && this.getMode() !== 'manual') {
		state.pendingResync = {
			reason: `the subscription was deleted when n8n removed this trigger's webhook at ${state.removedAt} (deactivation, or on n8n 1.x a save of the active workflow)`,
			detectedAt: new Date().toISOString(),
		};
	}
	delete state.removedAt;
	try {
		const reason = state.subscription
			? `activation ${renew ? 'renews' : 'replaces'} subscription ${state.subscription.id}`
			: 'activation';
		// A due subscription is renewed like the check does: kept until it expires (overlap).
		const done = await replaceSubscription.call(
			this,
			memory,
			state,
			url,
			settings,
			{ action: renew ? 'renew' : 'replace', reason },
			Date.now,
		);
		if (done?.gap && this.getMode() !== 'manual')
			state.pendingResync = done.gap as TriggerState['pendingResync'];
		return true;
	} catch (error) {
		throw lifecycleError(this, `create a Protime webhook for ${settings.collectionName}`, error);
	}
}

export async function deleteSubscription(this: IHookFunctions): Promise<boolean> {
	const state = triggerState(this.getWorkflowStaticData('node'));
	const url = this.getNodeWebhookUrl('default');
	const record = state.subscription;
	const failures: string[] = [];
	// The recorded subscription and the one a renewal left to expire (overlap).
	for (const id of [record?.id, record?.previousId]) {
		if (!id) continue;
		const failure = await deleteQuietly.call(
			this,
			id,
			'n8n removed the webhook: deactivation, or a save on n8n 1.x',
		);
		if (failure) failures.push(failure);
	}
	// Also what a create() that never completed, or lost static data, may have left behind.
	if (url)
		failures.push(...(await deleteOthersAtUrl.call(this, url, record, 'n8n removed the webhook')));
	// Changes Batch Changes kept were acknowledged to Protime: they stay for the next activation.
	const production = this.getMode() !== 'manual';
	const kept = production
		? (peekMemory(triggerIdentity(this))?.batch ?? loadBatch(state.batch && plainCopy(state.batch)))
		: undefined;
	for (const field of Object.keys(state)) delete state[field];
	if (production) {
		state.removedAt = new Date().toISOString();
		if (kept && !isEmpty(kept)) state.batch = plainCopy(kept) as unknown as IDataObject;
		forgetMemory(triggerIdentity(this));
	}
	if (failures.length) {
		throw new NodeOperationError(
			this.getNode(),
			`Could not delete ${failures.length === 1 ? 'a Protime subscription' : 'Protime subscriptions'} of this trigger`,
			{
				description: `${failures.join('; ')}. Protime keeps delivering to this workflow's URL (those deliveries are refused with 401) until the subscription expires; delete it with the Protime node (Webhook → Delete).`,
			},
		);
	}
	return true;
}
