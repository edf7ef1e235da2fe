/**
 * The Protime side of the trigger: the one create-first replace, used by activation, the check and
 * deliveries alike, and the deletions around it. A new subscription is created and recorded before the old
 * one is deleted, so no change falls between the two; a renewed one is not deleted at all but left to
 * expire (overlap), so nothing Protime still queues for it is lost.
 */
import {
	NodeApiError,
	NodeOperationError,
	type IHookFunctions,
	type IWebhookFunctions,
	type JsonObject,
} from 'n8n-workflow';

import { isCustomEnvironment } from '../shared/environment';
import type { ProtimeWebhook } from '../shared/types';
import { createWebhook, deleteWebhook, listWebhooks } from '../shared/webhooksApi';
import { overlapEnd, type Decision } from './decide';
import { destinationProblem } from './destination';
import {
	closeOverlap,
	rememberRecord,
	singleFlight,
	takeOver,
	writeRecord,
	type Memory,
	type PendingResync,
	type SubscriptionRecord,
	type TriggerState,
} from './record';
import type { TriggerSettings } from './settings';
import { nodeLog } from '../shared/log';

export type SubscriptionContext = IHookFunctions | IWebhookFunctions;

/** Deletes a Protime webhook; 404 counts as done. Failures are logged and returned, never thrown. */
export async function deleteQuietly(
	this: SubscriptionContext,
	id: string,
	why: string,
): Promise<string | undefined> {
	try {
		const outcome = await deleteWebhook.call(this, id);
		nodeLog(this).info(
			`${outcome === 'notFound' ? 'subscription already gone' : 'deleted subscription'} ${id} (${why})`,
		);
		return undefined;
	} catch (error) {
		const message = `could not delete Protime subscription ${id} (${why}): ${(error as Error).message}`;
		nodeLog(this).error(message);
		return message;
	}
}

/** Deletes every enabled subscription that delivers to `url` except `keep` (the others' keys are not stored). */
export async function deleteOthersAtUrl(
	this: SubscriptionContext,
	url: string,
	keep: Pick<SubscriptionRecord, 'id' | 'previousId'> | undefined,
	why: string,
): Promise<string[]> {
	let all: ProtimeWebhook[];
	try {
		all = await listWebhooks.call(this, {});
	} catch (error) {
		const message = `could not list Protime subscriptions to look for leftovers at ${url}: ${(error as Error).message}`;
		nodeLog(this).error(message);
		return [message];
	}
	const failures: string[] = [];
	for (const hook of all) {
		if (hook.destinationUrl !== url || hook.status === 'Disabled') continue;
		if (hook.id === keep?.id || hook.id === keep?.previousId) continue;
		const failure = await deleteQuietly.call(this, hook.id, why);
		if (failure) failures.push(failure);
	}
	return failures;
}

/** The URL n8n gives this node, checked to be one Protime can deliver to; throws a message that says how to fix it. */
export async function reachableWebhookUrl(this: SubscriptionContext): Promise<string> {
	const url = this.getNodeWebhookUrl('default');
	const credentials = (await this.getCredentials('protimeApi')) as { environment?: string };
	const problem = destinationProblem(url, isCustomEnvironment(credentials));
	if (problem) throw new NodeOperationError(this.getNode(), problem);
	return url as string;
}

export interface Replacement {
	record: SubscriptionRecord;
	/** The subscription it replaced, if one was recorded. */
	replacedId?: string;
	/** Deletions that failed (logged). */
	problems: string[];
	/** A recover: the gap it leaves, for the caller to announce (logged here). */
	gap?: PendingResync;
}

/**
 * Creates a subscription at `url`, records it, then deletes the recorded one and any other at `url`. At
 * most one runs per trigger in this process; a caller that had to wait takes over its result (undefined).
 */
export async function replaceSubscription(
	this: SubscriptionContext,
	memory: Memory,
	state: TriggerState,
	url: string,
	settings: TriggerSettings,
	decision: Exclude<Decision, { action: 'adopt' }>,
	now: () => number,
): Promise<Replacement | undefined> {
	const outcome = await singleFlight(memory, async (): Promise<Replacement> => {
		const replacedId = state.subscription?.id;
		// A renewal while the previous one's overlap is still open (validity shorter than two margins plus
		// the drain) ends that overlap now, so its gap, if any, is not lost with the record's fields.
		const ended =
			decision.action === 'renew' ? endOverlap(state.subscription, memory, now(), true) : undefined;
		const { webhook, key } = await createWebhook.call(this, {
			collectionName: settings.collectionName,
			destinationUrl: url,
			externalReferences: settings.references.length ? settings.references : undefined,
		});
		if (!webhook?.id) {
			throw new NodeOperationError(
				this.getNode(),
				'Protime created a webhook but returned no ID for it',
				{
					description:
						'The subscription cannot be tracked or deleted later. Check the Protime webhooks with the Protime node (Webhook → Get Many).',
				},
			);
		}
		const written = writeRecord(
			state,
			{
				id: webhook.id,
				key,
				validUntil: webhook.validUntil,
				destination: url,
				collection: settings.collectionName,
				references: settings.referencesText,
				createdAt: now(),
			},
			{ overlap: decision.action === 'renew', now: now() },
		);
		const record = rememberRecord(memory, written);
		state.subscription = record as SubscriptionRecord & TriggerState['subscription'];
		nodeLog(this).info(
			`created subscription ${webhook.id} for ${settings.collectionName}, valid until ${webhook.validUntil} (${decision.action}: ${decision.reason})`,
		);
		const problems: string[] = [];
		// A renewed subscription stays until it expires: Protime may still deliver what it queued for it.
		if (replacedId && record.previousId !== replacedId) {
			const failure = await deleteQuietly.call(this, replacedId, `replaced: ${decision.reason}`);
			if (failure) problems.push(failure);
		}
		problems.push(
			...(await deleteOthersAtUrl.call(
				this,
				url,
				record,
				'another subscription at this trigger URL, whose key is not stored',
			)),
		);
		if (decision.action !== 'recover') return { record, replacedId, problems, gap: ended };
		nodeLog(this).error(
			`the subscription for ${settings.collectionName} lapsed (${decision.reason}); a new one was created. ` +
				`Changes made meanwhile may be missing: run the Protime node's Get Many for ${settings.collectionName} to resync.`,
		);
		const gap = { reason: decision.reason, detectedAt: new Date(now()).toISOString() };
		return { record, replacedId, problems, gap: { ...gap, previousWebhookId: replacedId } };
	});
	if (outcome === undefined) takeOver(memory, state, true);
	return outcome;
}

/** Wraps an unexpected lifecycle failure so n8n shows what happened and how to fix it. */
export function lifecycleError(
	ctx: SubscriptionContext,
	what: string,
	error: unknown,
): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	return new NodeApiError(ctx.getNode(), (error ?? {}) as JsonObject, {
		message: `Protime Trigger could not ${what}`,
	});
}

/**
 * Keeps what deliveries showed about the overlapped subscription in the record (so a restart keeps it),
 * and ends the overlap once it can be told (decide.ts, `overlapEnd`): returns the gap when the renewed
 * subscription stopped while it still held changes only it had.
 */
export function endOverlap(
	record: SubscriptionRecord | undefined,
	memory: Memory,
	now: number,
	/** A renewal is about to replace the record's overlap: end it with what is known now. */
	force = false,
): PendingResync | undefined {
	if (!record?.previousId) return undefined;
	const seen = memory.overlap?.id === record.previousId ? memory.overlap : undefined;
	if (seen?.freshAt !== undefined && seen.freshAt > (record.previousFreshAt ?? 0))
		record.previousFreshAt = seen.freshAt;
	if (seen?.caughtUp && !record.previousCaughtUp) record.previousCaughtUp = true;
	const end = overlapEnd(
		record,
		{ freshAt: record.previousFreshAt, caughtUp: record.previousCaughtUp },
		now,
		force,
	);
	if (!end) return undefined;
	const previousWebhookId = record.previousId;
	closeOverlap(record);
	if (memory.record) closeOverlap(memory.record);
	delete memory.overlap;
	if (end === 'quiet') return undefined;
	return {
		reason: `subscription ${previousWebhookId}, renewed, expired while Protime was still delivering changes that only it held`,
		detectedAt: new Date(now).toISOString(),
		previousWebhookId,
	};
}
