/**
 * The Protime side of the trigger: find, adopt, create, renew and delete the one webhook subscription
 * that belongs to this node's URL. Used by the activation hooks and by `webhook()` (renewal).
 */
import { NodeApiError, NodeOperationError, type IHookFunctions, type IWebhookFunctions, type JsonObject } from 'n8n-workflow';

import { createWebhook, deleteWebhook, getWebhook, listWebhooks } from '../shared/webhooksApi';
import type { ProtimeWebhook } from '../shared/types';
import { isCustomEnvironment } from '../shared/environment';
import { destinationProblem } from './destination';
import { adoptNewer, rememberRenewal, singleFlight } from './localRenewals';
import { triggerIdentity } from './maintenance';
import type { TriggerSettings } from './settings';
import {
	clearSubscription,
	effectiveMargin,
	isNearExpiry,
	retireCurrentKey,
	type SubscriptionState,
} from './state';

export type SubscriptionContext = IHookFunctions | IWebhookFunctions;

/** Why a stored subscription cannot be adopted, or undefined when it can. */
export function adoptionProblem(
	state: SubscriptionState,
	remote: ProtimeWebhook | undefined,
	url: string,
	settings: TriggerSettings,
	now = Date.now(),
): string | undefined {
	if (!state.webhookId) return 'no subscription is stored';
	if (!remote) return `subscription ${state.webhookId} no longer exists at Protime`;
	if (!state.key) return `the key of subscription ${remote.id} is not stored`;
	if (remote.status !== 'Enabled') return `subscription ${remote.id} is ${remote.status}`;
	if (remote.destinationUrl !== url || state.destinationUrl !== url) {
		return `subscription ${remote.id} delivers to ${remote.destinationUrl}, not to ${url}`;
	}
	if (remote.collectionName !== settings.collectionName || state.collectionName !== settings.collectionName) {
		return `subscription ${remote.id} is for ${remote.collectionName}, not ${settings.collectionName}`;
	}
	if ((state.externalReferences ?? '') !== settings.referencesText) return `the external references changed`;
	const validUntil = remote.validUntil ?? state.validUntil;
	if (isNearExpiry(validUntil, effectiveMargin({ ...state, validUntil }, settings.renewalMarginMs), now)) {
		return `subscription ${remote.id} expires at ${validUntil}`;
	}
	return undefined;
}

/** Whether the stored subscription was lost in a way that may have dropped changes (not a planned renewal). */
export function isLapse(state: SubscriptionState, remote: ProtimeWebhook | undefined, now = Date.now()): boolean {
	if (!state.webhookId) return false;
	if (!remote || remote.status !== 'Enabled') return true;
	const until = Date.parse(remote.validUntil ?? state.validUntil ?? '');
	return !Number.isNaN(until) && until <= now;
}

/** Deletes a Protime webhook; 404 counts as done. Failures are logged and returned, never thrown. */
export async function deleteQuietly(this: SubscriptionContext, id: string, why: string): Promise<string | undefined> {
	try {
		const outcome = await deleteWebhook.call(this, id);
		this.logger.info(`Protime Trigger: ${outcome === 'notFound' ? 'subscription already gone' : 'deleted subscription'} ${id} (${why})`);
		return undefined;
	} catch (error) {
		const message = `could not delete Protime subscription ${id} (${why}): ${(error as Error).message}`;
		this.logger.error(`Protime Trigger: ${message}`);
		return message;
	}
}

/**
 * Deletes every subscription that delivers to `url` except `keepId` (orphans of lost static data, older
 * saves, failed creates). Returns the failures.
 */
export async function deleteOthersAtUrl(this: SubscriptionContext, url: string, keepId: string | undefined, why: string): Promise<string[]> {
	const failures: string[] = [];
	let all: ProtimeWebhook[];
	try {
		all = await listWebhooks.call(this, {});
	} catch (error) {
		const message = `could not list Protime subscriptions to look for leftovers at ${url}: ${(error as Error).message}`;
		this.logger.error(`Protime Trigger: ${message}`);
		return [message];
	}
	for (const hook of all) {
		// Disabled ones deliver nothing; skipping them keeps this bounded if Protime lists deleted webhooks.
		if (hook.destinationUrl !== url || hook.id === keepId || hook.status === 'Disabled') continue;
		const failure = await deleteQuietly.call(this, hook.id, why);
		if (failure) failures.push(failure);
	}
	return failures;
}

/** Creates the subscription and records it in `state` (the previous key stays valid for a grace period). */
export async function createSubscription(
	this: SubscriptionContext,
	state: SubscriptionState,
	url: string,
	settings: TriggerSettings,
): Promise<void> {
	const { webhook, key } = await createWebhook.call(this, {
		collectionName: settings.collectionName,
		destinationUrl: url,
		externalReferences: settings.references.length ? settings.references : undefined,
	});
	if (!webhook?.id) {
		throw new NodeOperationError(this.getNode(), 'Protime created a webhook but returned no ID for it', {
			description: 'The subscription cannot be tracked or deleted later. Check the Protime webhooks with the Protime node (Webhook → Get Many).',
		});
	}
	retireCurrentKey(state);
	state.webhookId = webhook.id;
	state.key = key;
	state.validUntil = webhook.validUntil;
	state.createdAt = Date.now();
	state.destinationUrl = url;
	state.collectionName = settings.collectionName;
	state.externalReferences = settings.referencesText;
	this.logger.info(`Protime Trigger: created subscription ${webhook.id} for ${settings.collectionName}, valid until ${webhook.validUntil}`);
}

export type Maintenance =
	| { action: 'none'; validUntil?: string }
	| { action: 'renewed' | 'recreated'; validUntil?: string; lapsed: boolean; reason: string; previousWebhookId?: string; problems: string[] };

/** Whether the node's credential targets a custom environment (the simulator, a test tenant): then local URLs are allowed. */
async function allowsLocalDestination(this: SubscriptionContext): Promise<boolean> {
	const credentials = await this.getCredentials('protimeApi');
	return isCustomEnvironment(credentials as { environment?: string });
}

/** The URL n8n gives this node, checked to be one Protime can deliver to; throws a message that says how to fix it. */
export async function reachableWebhookUrl(this: SubscriptionContext): Promise<string> {
	const url = this.getNodeWebhookUrl('default');
	const problem = destinationProblem(url, await allowsLocalDestination.call(this));
	if (problem) throw new NodeOperationError(this.getNode(), problem);
	return url as string;
}

/**
 * Runs `renew` as the one renewal of this trigger in this process; when another request's renewal was
 * running, waits for it and takes over what it stored instead.
 */
async function renewOnce(identity: string, state: SubscriptionState, renew: () => Promise<Maintenance>): Promise<Maintenance> {
	const outcome = await singleFlight(identity, renew);
	if (outcome) return outcome;
	adoptNewer(identity, state);
	return { action: 'none', validUntil: state.validUntil };
}

/**
 * Keeps the subscription alive from inside `webhook()`: nothing when it is healthy; otherwise a new
 * subscription is created first (so no change falls between two subscriptions), its id and key stored,
 * and the old one deleted. `checkRemote` asks Protime for the current status (the check does; a delivery
 * already proves the subscription is enabled). At most one renewal of a trigger runs at a time in this
 * process; a request that had to wait takes over the result (see `localRenewals.ts`). The caller has already
 * taken over a newer renewal of this process into `state` (`handleWebhook`).
 */
export async function maintainSubscription(
	this: IWebhookFunctions,
	state: SubscriptionState,
	settings: TriggerSettings,
	checkRemote: boolean,
	now = Date.now(),
): Promise<Maintenance> {
	const url = state.destinationUrl;
	if (!url) {
		throw new NodeOperationError(this.getNode(), 'The Protime Trigger has no stored webhook URL', {
			description: 'Deactivate and activate the workflow so the subscription is created again.',
		});
	}
	const remote = checkRemote && state.webhookId ? await getWebhook.call(this, state.webhookId) : undefined;
	const remoteView: ProtimeWebhook | undefined = checkRemote
		? remote
		: state.webhookId
			? ({ id: state.webhookId, status: 'Enabled', validUntil: state.validUntil ?? '', destinationUrl: url, collectionName: settings.collectionName } as ProtimeWebhook)
			: undefined;
	const problem = adoptionProblem(state, remoteView, url, settings, now);
	if (!problem) return { action: 'none', validUntil: remoteView?.validUntil ?? state.validUntil };

	const identity = triggerIdentity(this);
	return await renewOnce(identity, state, async () => {
		const lapsed = isLapse(state, remoteView, now);
		const previousWebhookId = state.webhookId;
		await createSubscription.call(this, state, url, settings);
		rememberRenewal(identity, state);
		const problems: string[] = [];
		if (previousWebhookId) {
			const failure = await deleteQuietly.call(this, previousWebhookId, `replaced because ${problem}`);
			if (failure) problems.push(failure);
		}
		return {
			action: lapsed || !previousWebhookId ? 'recreated' : 'renewed',
			validUntil: state.validUntil,
			lapsed: lapsed || !previousWebhookId,
			reason: problem,
			previousWebhookId,
			problems,
		};
	});
}

/**
 * Subscribes again when no subscription is recorded at all although the workflow is active (its static
 * data was lost). The caller makes sure activation is over (see `handlePing`). Emits as a lapse.
 */
export async function recoverSubscription(this: IWebhookFunctions, state: SubscriptionState, settings: TriggerSettings): Promise<Maintenance> {
	const identity = triggerIdentity(this);
	const url = await reachableWebhookUrl.call(this);
	const reason = 'no subscription was recorded for this active trigger (its stored state was lost)';
	return await renewOnce(identity, state, async () => {
		await createSubscription.call(this, state, url, settings);
		rememberRenewal(identity, state);
		return { action: 'recreated', validUntil: state.validUntil, lapsed: true, reason, problems: [] };
	});
}

/** Wraps an unexpected lifecycle failure so n8n shows what happened and how to fix it. */
export function lifecycleError(ctx: SubscriptionContext, what: string, error: unknown): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	return new NodeApiError(ctx.getNode(), (error ?? {}) as JsonObject, { message: `Protime Trigger could not ${what}` });
}

export { clearSubscription };
