/**
 * The check: what `webhook()` does with the signed request the clock sends. It asks Protime about the
 * recorded subscription, decides (decide.ts), renews, replaces or recovers it create-first, and sweeps
 * subscriptions at this URL whose key is not stored. It writes static data only when something changed.
 */
import type { IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import { reply } from './answer';
import type { HeaderMap } from '../shared/signature';
import { getWebhook } from '../shared/webhooksApi';
import { checkSecret, CHECK_HEADER, UNRECORDED, verifyCheck } from './checkSignature';
import { decide, type RemoteView } from './decide';
import { announceGap, takePendingResync } from './items';
import { keptCount } from './batch';
import { takeOver, takeOverBatch, type Memory, type TriggerState } from './record';
import { readSettings } from './settings';
import {
	deleteOthersAtUrl,
	endOverlap,
	reachableWebhookUrl,
	replaceSubscription,
} from './subscription';
import { nodeLog } from '../shared/log';

export interface CheckRequestData {
	headers: HeaderMap;
	rawBody?: Buffer;
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
	const items = takePendingResync(state, settings, memory);
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
			if (done?.gap) items.push(announceGap(done.gap, settings, state, memory));
		} else {
			problems.push(
				...(await deleteOthersAtUrl.call(
					this,
					url,
					state.subscription,
					'another subscription at this trigger URL, whose key is not stored',
				)),
			);
		}
	} catch (error) {
		const message = (error as Error).message;
		nodeLog(this).error(
			`the subscription check failed and will be retried at the next check: ${message}`,
		);
		return reply(this, 502, { ok: false, error: message });
	}
	const gap = endOverlap(state.subscription, memory, now);
	if (gap) {
		nodeLog(this).error(
			`${gap.reason}. Changes may be missing: run the Protime node's Get Many for ${settings.collectionName} to resync.`,
		);
		items.push(announceGap(gap, settings, state, memory));
	}
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
