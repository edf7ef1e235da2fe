/**
 * `trigger()` of the Protime Trigger: the node's clock. n8n calls it on activation (after `create()`) and on
 * every start of the instance that runs triggers, where no webhook method runs (n8n-harness.md). Each tick
 * sends the maintenance ping to the node's own production URL; `webhook()` then checks and renews the
 * subscription (see `maintenance.ts` for why the tick does not renew by itself).
 *
 * The ping is a request from n8n to n8n, not to Protime, so it uses `helpers.httpRequest` without the
 * Protime credential; it is authenticated by the per-activation renewal secret instead.
 */
import type { IDataObject, ITriggerFunctions, ITriggerResponse, CronExpression } from 'n8n-workflow';

import { DEFAULT_CHECK_INTERVAL } from './description';
import { MAINTENANCE_HEADER, signMaintenancePing } from './maintenance';
import { subscriptionState } from './state';
import { handoffKey, takeTestItems } from './testHandoff';

/** A stable second (and minute) per workflow node, so many triggers do not all ping at once. */
function spread(seed: string, modulo: number): number {
	let hash = 0;
	for (const char of seed) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
	return hash % modulo;
}

export function cronFor(intervalMinutes: number, seed: string): CronExpression {
	const second = spread(seed, 60);
	if (intervalMinutes >= 60) return `${second} ${spread(`${seed}/m`, 60)} * * * *`;
	return `${second} */${intervalMinutes} * * * *`;
}

function parseBody(body: unknown): IDataObject {
	if (typeof body !== 'string') return (body ?? {}) as IDataObject;
	try {
		return JSON.parse(body) as IDataObject;
	} catch {
		return { text: body.slice(0, 200) };
	}
}

/** Sends one ping and logs the outcome; never throws (a cron callback must not reject). */
export async function sendMaintenancePing(this: ITriggerFunctions, url: string, secret: string): Promise<void> {
	const ping = signMaintenancePing(secret);
	try {
		const response = (await this.helpers.httpRequest({
			method: 'POST',
			url,
			body: ping.body,
			headers: { 'Content-Type': 'application/json', [MAINTENANCE_HEADER]: ping.header },
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: 120_000,
		})) as { statusCode: number; body: unknown };
		const body = parseBody(response.body);
		if (response.statusCode >= 200 && response.statusCode < 300) {
			const level = body.action === 'none' ? 'debug' : 'info';
			this.logger[level](`Protime Trigger: subscription check done (${String(body.action)}), valid until ${String(body.validUntil)}`);
			return;
		}
		this.logger.error(
			`Protime Trigger: the subscription check at ${url} answered ${response.statusCode}: ${String(body.error ?? body.message ?? body.text ?? '')}. The subscription is not renewed while this fails.`,
		);
	} catch (error) {
		this.logger.error(
			`Protime Trigger: could not reach this workflow's own webhook URL ${url} for the subscription check (${(error as Error).message}). ` +
				'The subscription is not renewed while this fails; make sure the n8n host can reach the address in WEBHOOK_URL.',
		);
	}
}

/** In a manual run n8n calls `trigger()` after a test delivery; emit what `webhook()` produced for it. */
function manualResponse(this: ITriggerFunctions): ITriggerResponse {
	const key = handoffKey(this.getWorkflow().id, this.getNode().name);
	return {
		manualTriggerFunction: async () => {
			const items = takeTestItems(key);
			this.emit(
				items ?? [
					[
						{
							json: {
								changeType: 'TestDeliveryUnavailable',
								message:
									'A test delivery was received, but its items were handled by another n8n process (manual executions offloaded to workers). Activate the workflow to process deliveries.',
							},
						},
					],
				],
			);
		},
	};
}

export async function startClock(this: ITriggerFunctions): Promise<ITriggerResponse> {
	if (this.getMode() === 'manual') return manualResponse.call(this);
	const state = subscriptionState(this.getWorkflowStaticData('node'));
	const { destinationUrl: url, renewalSecret: secret } = state;
	if (!url || !secret) {
		this.logger.warn(
			'Protime Trigger: no subscription is recorded for this node, so it cannot check or renew it. Deactivate and activate the workflow.',
		);
		return {};
	}
	const options = this.getNodeParameter('options', {}) as IDataObject;
	const interval = Number(options.checkInterval ?? DEFAULT_CHECK_INTERVAL) || DEFAULT_CHECK_INTERVAL;
	let running: Promise<void> | undefined;
	this.helpers.registerCron({ expression: cronFor(interval, `${this.getWorkflow().id}/${this.getNode().name}`) }, async () => {
		// One check at a time: a slow Protime must not pile up renewals.
		running ??= sendMaintenancePing.call(this, url, secret).finally(() => {
			running = undefined;
		});
		await running;
	});
	return {};
}
