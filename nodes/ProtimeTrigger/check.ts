/**
 * The check: what `webhook()` does with the signed request the clock sends. It asks Protime about the
 * recorded subscription, decides (decide.ts), renews, replaces or recovers it create-first, and sweeps
 * subscriptions at this URL whose key is not stored. It writes static data only when something changed.
 */
import type {
	IDataObject,
	INodeExecutionData,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';

import { reply } from './answer';
import type { HeaderMap } from '../shared/signature';
import { getWebhook } from '../shared/webhooksApi';
import { checkSecret, CHECK_HEADER, UNRECORDED, verifyCheck } from './checkSignature';
import { decide, retireExpired, type RemoteView } from './decide';
import { resyncItem, takePendingResync } from './items';
import { keptCount } from './batch';
import {
	plainCopy,
	rememberRecord,
	takeOver,
	takeOverBatch,
	writeRecord,
	type Memory,
	type PendingResync,
	type SubscriptionRecord,
	type TriggerState,
} from './record';
import { readSettings, type TriggerSettings } from './settings';
import {
	deleteOthersAtUrl,
	deleteRetired,
	reachableWebhookUrl,
	recordedIds,
	replaceSubscription,
} from './subscription';
import { nodeLog } from '../shared/log';

export interface CheckRequestData {
	headers: HeaderMap;
	rawBody?: Buffer;
}

/** A gap found by the check: logged, and its ResyncRequired item. */
function announceGap(
	ctx: IWebhookFunctions,
	gap: PendingResync,
	settings: TriggerSettings,
	state: TriggerState,
): INodeExecutionData {
	nodeLog(ctx).error(
		`${gap.reason}. Run the Protime node's Get Many for ${settings.collectionName} to resync.`,
	);
	return resyncItem(gap, settings, state);
}

/**
 * The replaced subscriptions of the renewal overlap: deletes those whose key is no longer accepted (expired,
 * plus the grace), and returns as gaps those that expired while still delivering changes of their own.
 * Writes the record only when that changed something.
 */
async function retirePrevious(
	this: IWebhookFunctions,
	memory: Memory,
	state: TriggerState,
	now: number,
): Promise<{ problems: string[]; gaps: PendingResync[] }> {
	// The memory's live record holds what deliveries noted (lastOwnAt) that n8n did not save.
	const record = memory.record?.id === state.subscription?.id ? memory.record : state.subscription;
	if (!record?.previous?.length) return { problems: [], gaps: [] };
	const retired = retireExpired(plainCopy(record), now);
	if (!retired.changed) {
		// What deliveries noted in the memory only (n8n did not save them) is saved with this check.
		if (
			record !== state.subscription &&
			JSON.stringify(record.previous) !== JSON.stringify(state.subscription?.previous)
		) {
			state.subscription = record as SubscriptionRecord & IDataObject;
		}
		return { problems: [], gaps: [] };
	}
	const current: SubscriptionRecord = plainCopy(record);
	delete current.previous;
	delete current.previousKey;
	delete current.previousKeyUntil;
	state.subscription = rememberRecord(
		memory,
		writeRecord(state, current, retired.previous),
	) as SubscriptionRecord & IDataObject;
	return { problems: await deleteRetired.call(this, retired.remove), gaps: retired.gaps };
}

export async function handleCheck(
	this: IWebhookFunctions,
	req: CheckRequestData,
	state: TriggerState,
	memory: Memory | undefined,
): Promise<IWebhookResponseData> {
	const now = Date.now();
	const verdict = verifyCheck(
		req.headers[CHECK_HEADER],
		req.rawBody,
		await checkSecret.call(this),
		memory?.lastCheck,
		now,
	);
	if (!verdict.ok || !memory) {
		const reason = verdict.ok ? 'a check request reached the test URL' : verdict.reason;
		nodeLog(this).warn(`rejected a check request (401): ${reason}`);
		return reply(this, 401, { error: 'Unauthorized' });
	}
	memory.lastCheck = Math.max(verdict.timestamp, memory.lastCheck ?? 0);
	const record = takeOver(memory, state, false);
	const batch = takeOverBatch(memory, state);
	// Nothing recorded: activation may still be saving it (n8n 2.x starts the clock before create()), so
	// the first such check waits; the clock signs the count into the next one, which then recovers.
	if (!record && verdict.unrecordedChecks === 0) {
		const message =
			'No Protime subscription is recorded for this trigger yet (activation may still be saving it); the next check subscribes again if none is recorded by then.';
		nodeLog(this).warn(message);
		return reply(this, 409, { ok: false, code: UNRECORDED, error: message });
	}
	const settings = readSettings(this);
	let action = 'adopt';
	const problems: string[] = [];
	// Gaps found now; those waiting (pendingResync) are taken only once the check succeeded, or a 502 would lose them.
	const items: INodeExecutionData[] = [];
	try {
		const url = record ? record.destination : await reachableWebhookUrl.call(this);
		const remote: RemoteView = record
			? ((await getWebhook.call(this, record.id)) ?? 'gone')
			: 'gone';
		const decision = decide(record, remote, url, settings, now);
		action = decision.action;
		if (decision.action !== 'adopt') {
			const done = await replaceSubscription.call(
				this,
				memory,
				state,
				url,
				settings,
				decision,
				Date.now,
			);
			if (done) problems.push(...done.problems);
			if (done && decision.action === 'recover') {
				nodeLog(this).error(
					`the subscription for ${settings.collectionName} lapsed (${decision.reason}); a new one was created. ` +
						`Changes made meanwhile may be missing: run the Protime node's Get Many for ${settings.collectionName} to resync.`,
				);
				items.push(
					resyncItem(
						{
							reason: decision.reason,
							detectedAt: new Date(now).toISOString(),
							previousWebhookId: done.replacedId,
						},
						settings,
						state,
					),
				);
			}
			for (const gap of done?.gaps ?? []) items.push(announceGap(this, gap, settings, state));
		} else {
			problems.push(
				...(await deleteOthersAtUrl.call(
					this,
					url,
					recordedIds(record),
					'another subscription at this trigger URL, whose key is not stored',
				)),
			);
		}
		const retired = await retirePrevious.call(this, memory, state, now);
		problems.push(...retired.problems);
		for (const gap of retired.gaps) items.push(announceGap(this, gap, settings, state));
	} catch (error) {
		const message = (error as Error).message;
		nodeLog(this).error(
			`the subscription check failed and will be retried at the next check: ${message}`,
		);
		return reply(this, 502, { ok: false, error: message });
	}
	items.unshift(...takePendingResync(state, settings, memory));
	const current = state.subscription;
	const answer = reply(this, 200, {
		ok: true,
		action,
		webhookId: current?.id ?? null,
		validUntil: current?.validUntil ?? null,
		// Where Protime delivers: the clock sends its next checks there (a routing hint, not a secret).
		destinationUrl: current?.destination ?? null,
		// Changes kept by Batch Changes and not yet executed: the clock flushes them even with batching off.
		kept: keptCount(batch),
		problems,
	});
	return items.length ? { ...answer, workflowData: [items] } : answer;
}
