/**
 * `webhookMethods.default`: n8n calls `checkExists` on every activation, publish and (in some versions)
 * start, then `create` when it returned false; `delete` on deactivation, when a test listen ends, and after
 * every failed `create` attempt (so it must work when `create` never completed).
 */
import { NodeOperationError, type IHookFunctions } from 'n8n-workflow';

import { getWebhook } from '../shared/webhooksApi';
import { forgetRenewal } from './localRenewals';
import { triggerIdentity } from './maintenance';
import { readSettings } from './settings';
import { clearSubscription, subscriptionState, type SubscriptionState } from './state';
import {
	adoptionProblem,
	createSubscription,
	deleteOthersAtUrl,
	deleteQuietly,
	isLapse,
	lifecycleError,
	reachableWebhookUrl,
} from './subscription';

function webhookUrl(ctx: IHookFunctions): string {
	const url = ctx.getNodeWebhookUrl('default');
	if (!url) {
		throw new NodeOperationError(ctx.getNode(), 'n8n did not provide a webhook URL for the Protime Trigger', {
			description: 'Save the workflow and try again; if it persists, check the WEBHOOK_URL setting of n8n.',
		});
	}
	return url;
}

export async function checkExists(this: IHookFunctions): Promise<boolean> {
	const state = subscriptionState(this.getWorkflowStaticData('node'));
	const url = webhookUrl(this);
	const settings = readSettings(this);
	try {
		const remote = state.webhookId ? await getWebhook.call(this, state.webhookId) : undefined;
		const problem = adoptionProblem(state, remote, url, settings);
		if (!problem) {
			await deleteOthersAtUrl.call(this, url, state.webhookId, 'duplicate subscription for this trigger URL');
			this.logger.info(`Protime Trigger: kept subscription ${state.webhookId}, valid until ${state.validUntil}`);
			return true;
		}
		if (state.webhookId) this.logger.info(`Protime Trigger: replacing the subscription: ${problem}`);
		if (isLapse(state, remote) && this.getMode() !== 'manual') {
			this.logger.error(
				`Protime Trigger: the subscription for ${settings.collectionName} lapsed (${problem}). Changes may be missing: run the Protime node's Get Many for ${settings.collectionName} to resync; the trigger also emits a ResyncRequired item with its next request.`,
			);
			state.pendingResync = { reason: problem, detectedAt: new Date().toISOString(), previousWebhookId: state.webhookId };
		}
		if (remote) await deleteQuietly.call(this, remote.id, `replaced because ${problem}`);
		await deleteOthersAtUrl.call(this, url, remote?.id, 'leftover subscription for this trigger URL');
		resetForNewSubscription(state);
		return false;
	} catch (error) {
		throw lifecycleError(this, 'check its Protime subscription', error);
	}
}

/** A fresh start: settings or key changed, so no earlier key may verify deliveries any more. */
function resetForNewSubscription(state: SubscriptionState): void {
	clearSubscription(state);
	state.previousKeys = [];
}

export async function create(this: IHookFunctions): Promise<boolean> {
	const state = subscriptionState(this.getWorkflowStaticData('node'));
	const settings = readSettings(this);
	const url = await reachableWebhookUrl.call(this);
	// A renewal this process remembers belongs to an earlier activation.
	forgetRenewal(triggerIdentity(this));
	try {
		await createSubscription.call(this, state, url, settings);
		return true;
	} catch (error) {
		throw lifecycleError(this, `create a Protime webhook for ${settings.collectionName}`, error);
	}
}

export async function deleteSubscription(this: IHookFunctions): Promise<boolean> {
	const state = subscriptionState(this.getWorkflowStaticData('node'));
	const url = this.getNodeWebhookUrl('default');
	const failures: string[] = [];
	if (state.webhookId) {
		const failure = await deleteQuietly.call(this, state.webhookId, 'trigger deactivated');
		if (failure) failures.push(failure);
	}
	// Also what a create() that never completed, or lost static data, may have left behind.
	if (url) failures.push(...(await deleteOthersAtUrl.call(this, url, state.webhookId, 'trigger deactivated')));
	for (const field of Object.keys(state)) delete state[field];
	forgetRenewal(triggerIdentity(this));
	if (failures.length) {
		throw new NodeOperationError(this.getNode(), `Could not delete ${failures.length === 1 ? 'a Protime subscription' : 'Protime subscriptions'} of this trigger`, {
			description: `${failures.join('; ')}. Protime keeps delivering to this workflow's URL (those deliveries are refused with 401) until the subscription expires; delete it with the Protime node (Webhook → Delete).`,
		});
	}
	return true;
}
