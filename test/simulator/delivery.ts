/**
 * Delivers change events to webhooks: one ordered queue per webhook, each POST signed with an HMAC of the
 * exact body bytes under the webhook key, retried on a short schedule, and the webhook Disabled once the
 * retries are exhausted (docs/protime-reference.md §3; every open detail is an assumption in assumptions.ts).
 */
import axios from 'axios';
import { createHmac, randomUUID } from 'crypto';
import { sleep } from 'n8n-workflow';

import type { ChangeType } from './model';
import type { SignatureAssumptions } from './assumptions';
import type { SimContext } from './context';
import type { SimWebhook, WebhookRegistry } from './webhooks';

export interface ChangeItem {
	changeType: ChangeType;
	data: Record<string, unknown>;
}

interface QueuedEvent {
	eventId: string;
	item: ChangeItem;
}

export interface DeliveryAttempt {
	webhookId: string;
	/** Events carried by this POST (one with the `single` envelope). */
	events: Array<{ eventId: string; changeVersion: string }>;
	/** 1 for the first try, 2 for the first retry, … */
	attempt: number;
	attemptedAt: string;
	attemptedAtMs: number;
	/** HTTP status of the answer; 0 when there was none (connection refused, timeout). */
	statusCode: number;
	success: boolean;
	error?: string;
	durationMs: number;
	/** The exact body sent and the headers, so tests can check the signature. */
	body: string;
	headers: Record<string, string>;
}

/**
 * `prefix + encode(HMAC(key, body))` with the configured hash, encoding and key handling; with a timestamp
 * (only when `timestampHeader` is configured) the signed bytes are `<timestamp>.<body>`.
 */
export function signBody(
	key: string,
	body: Buffer | string,
	sig: SignatureAssumptions,
	timestamp?: string,
): string {
	const keyBytes =
		sig.keyEncoding === 'base64' ? Buffer.from(key, 'base64') : Buffer.from(key, 'utf8');
	const hmac = createHmac(sig.algorithm, keyBytes);
	if (timestamp !== undefined) hmac.update(`${timestamp}.`);
	return sig.prefix + hmac.update(body).digest(sig.encoding);
}

/** A change that was queued for a webhook and never delivered, because the webhook stopped delivering. */
export interface DroppedChange {
	webhookId: string;
	eventId: string;
	changeVersion: string;
	id: unknown;
	/** Why the webhook stopped: deleted, expired, manual, retriesExhausted. */
	reason: string;
	droppedAtMs: number;
}

export class Deliverer {
	readonly attempts: DeliveryAttempt[] = [];
	/** Changes lost with their webhook's queue (a test aid: which changes a consumer can never receive). */
	readonly dropped: DroppedChange[] = [];
	/** Unexpected errors of the delivery loop (none expected; exposed for debugging). */
	readonly failures: Error[] = [];
	private readonly queues = new Map<string, QueuedEvent[]>();
	/** Senders per webhook id. */
	private readonly running = new Map<string, number>();
	/** Changes taken from a queue whose delivery (with its retries) has not ended. */
	private sending = 0;
	private readonly abort = new AbortController();

	constructor(
		private readonly ctx: SimContext,
		private readonly registry: WebhookRegistry,
	) {}

	/** Queues one change for a webhook; it goes out after every earlier change of that webhook. */
	enqueue(webhook: SimWebhook, item: ChangeItem): string {
		const eventId = randomUUID();
		let queue = this.queues.get(webhook.id);
		if (!queue) this.queues.set(webhook.id, (queue = []));
		queue.push({ eventId, item });
		if ((this.running.get(webhook.id) ?? 0) < Math.max(1, this.ctx.assumptions.deliveryConcurrency))
			void this.run(webhook);
		return eventId;
	}

	/**
	 * Queues changes that were already delivered once more (a test aid: duplicate and out-of-order
	 * re-deliveries, as a sender that lost track of an answer might do). They go out after what is queued.
	 */
	redeliver(webhook: SimWebhook, items: ChangeItem[]): void {
		for (const item of items) this.enqueue(webhook, item);
	}

	/** Changes queued or being delivered (retries included), over all webhooks. */
	pending(): number {
		let n = this.sending;
		for (const q of this.queues.values()) n += q.length;
		return n;
	}

	stop(): void {
		this.abort.abort(new Error('simulator stopped'));
	}

	/**
	 * One sender of a webhook: takes the next change (or batch) off its queue and delivers it with its
	 * retries, until the queue is empty. One sender by default, so each POST waits for the answer to the
	 * previous one; `deliveryConcurrency` allows more (see enqueue).
	 */
	private async run(webhook: SimWebhook): Promise<void> {
		this.running.set(webhook.id, (this.running.get(webhook.id) ?? 0) + 1);
		const queue = this.queues.get(webhook.id) ?? [];
		try {
			while (queue.length > 0 && !this.abort.signal.aborted) {
				if (!this.stillSends(webhook)) {
					// Disabled, expired or deleted, and the queue is not drained (`queueOnStop`): what was queued is lost.
					this.drop(webhook, queue);
					break;
				}
				const a = this.ctx.assumptions;
				const batch = queue.splice(0, a.envelope === 'single' ? 1 : Math.max(1, a.maxBatchSize));
				this.sending += batch.length;
				try {
					if (!(await this.deliverWithRetries(webhook, batch)))
						this.drop(webhook, [...batch, ...queue.splice(0)]);
				} finally {
					this.sending -= batch.length;
				}
			}
		} catch (error) {
			// Only the retry wait throws, when stop() aborts it; anything else is a simulator bug worth seeing.
			if (!this.abort.signal.aborted) this.failures.push(error as Error);
		} finally {
			this.running.set(webhook.id, (this.running.get(webhook.id) ?? 1) - 1);
		}
	}

	/**
	 * Whether a webhook's queue is still sent: while it is delivering, and after it stopped (deleted, disabled,
	 * expired) when the assumption is that Protime drains it. Exhausted retries always end it.
	 */
	private stillSends(webhook: SimWebhook): boolean {
		if (this.registry.isDelivering(webhook)) return true;
		return (
			this.ctx.assumptions.queueOnStop === 'drained' &&
			webhook.disabledReason !== 'retriesExhausted'
		);
	}

	private drop(webhook: SimWebhook, queue: QueuedEvent[]): void {
		const droppedAtMs = this.ctx.clock.now();
		for (const e of queue) {
			this.dropped.push({
				webhookId: webhook.id,
				eventId: e.eventId,
				changeVersion: String(e.item.data.changeVersion),
				id: e.item.data.id,
				reason: webhook.disabledReason ?? 'disabled',
				droppedAtMs,
			});
		}
		queue.length = 0;
	}

	/** True when delivered; false when the webhook was disabled (retries exhausted, expired or deleted). */
	private async deliverWithRetries(webhook: SimWebhook, batch: QueuedEvent[]): Promise<boolean> {
		const a = this.ctx.assumptions;
		const items = batch.map((e) => e.item);
		const json =
			a.envelope === 'single' ? items[0] : a.envelope === 'array' ? items : { value: items };
		const body = Buffer.from(JSON.stringify(json), 'utf8');
		for (let attempt = 1; ; attempt++) {
			if (!this.stillSends(webhook)) return false;
			const ok = await this.post(webhook, batch, body, attempt);
			if (ok) return true;
			const schedule = this.ctx.assumptions.retryScheduleMs;
			if (attempt > schedule.length) {
				this.registry.disable(webhook, 'retriesExhausted');
				return false;
			}
			await sleep(schedule[attempt - 1], this.abort.signal);
		}
	}

	private async post(
		webhook: SimWebhook,
		batch: QueuedEvent[],
		body: Buffer,
		attempt: number,
	): Promise<boolean> {
		const a = this.ctx.assumptions;
		const started = this.ctx.clock.now();
		const timestamp = a.signature.timestampHeader ? String(Math.floor(started / 1000)) : undefined;
		const headers: Record<string, string> = {
			'Content-Type': 'application/json',
			'User-Agent': a.deliveryUserAgent,
			[a.signature.header]: signBody(webhook.key, body, a.signature, timestamp),
		};
		if (timestamp !== undefined) headers[a.signature.timestampHeader] = timestamp;
		const startedReal = Date.now();
		let statusCode = 0;
		let error: string | undefined;
		try {
			const res = await axios.post(webhook.destinationUrl, body, {
				headers,
				timeout: a.deliveryTimeoutMs,
				validateStatus: () => true,
				maxRedirects: 0,
				proxy: false,
				responseType: 'text',
				transformRequest: [(data: unknown) => data],
				transformResponse: [(data: unknown) => data],
				signal: this.abort.signal,
			});
			statusCode = res.status;
		} catch (e) {
			error =
				(e as { code?: string; message?: string }).code ?? (e as Error).message ?? 'request failed';
		}
		const success = statusCode >= 200 && statusCode < 300;
		this.attempts.push({
			webhookId: webhook.id,
			events: batch.map((e) => ({
				eventId: e.eventId,
				changeVersion: String(e.item.data.changeVersion),
			})),
			attempt,
			attemptedAt: new Date(started).toISOString(),
			attemptedAtMs: started,
			statusCode,
			success,
			error,
			durationMs: Date.now() - startedReal,
			body: body.toString('utf8'),
			headers,
		});
		return success;
	}
}
