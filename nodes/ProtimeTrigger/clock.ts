/**
 * `trigger()`: the node's clock. Each cron tick sends a signed check request to the node's own production
 * webhook, where `webhook()` checks and renews the subscription (check.ts). The clock reads no static data:
 * in n8n 2.x it may start before `create()` has saved anything (docs/trigger-design.md, "Activation order").
 */
import {
	NodeHelpers,
	type CronExpression,
	type IDataObject,
	type ITriggerFunctions,
	type ITriggerResponse,
} from 'n8n-workflow';

import { DEFAULT_CHECK_INTERVAL } from './description';
import { CHECK_HEADER, checkSecret, signCheck, UNRECORDED } from './checkSignature';
import { triggerState } from './record';
import { handoffKey, takeTestItems } from './testHandoff';

/** The `path` of the node's webhook description (`ProtimeTrigger.node.ts`). */
const WEBHOOK_PATH = 'webhook';
const CHECK_TIMEOUT_MS = 120_000;

/** A stable second (and minute) per workflow node, so many triggers do not all check at once. */
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

function isHttpUrl(value: unknown): value is string {
	if (typeof value !== 'string') return false;
	try {
		return ['http:', 'https:'].includes(new URL(value).protocol);
	} catch {
		return false;
	}
}

/** n8n's production URL of this node, built from the instance base URL (see the top of this file). */
export function derivedWebhookUrl(ctx: ITriggerFunctions): string | undefined {
	const base = ctx.getInstanceBaseUrl().replace(/\/+$/, '');
	const url = `${base}/webhook/${NodeHelpers.getNodeWebhookPath(String(ctx.getWorkflow().id ?? ''), ctx.getNode(), WEBHOOK_PATH)}`;
	return isHttpUrl(url) ? url : undefined;
}

/** The check found no subscription recorded and did not subscribe (yet); see check.ts. */
function isUnrecordedAnswer(statusCode: number, body: IDataObject): boolean {
	return statusCode === 409 && body.code === UNRECORDED;
}

/**
 * What the clock remembers between ticks, in memory only, per `trigger()` call: where check requests go, in order of
 * preference, and how many checks in a row found no subscription recorded (signed into the next check request, see
 * check.ts).
 */
export class ClockMemory {
	private reported?: string;

	private lastReached?: string;

	unrecordedChecks = 0;

	constructor(
		private readonly stored: string | undefined,
		private readonly derived: string | undefined,
	) {}

	candidates(): string[] {
		const all = [this.lastReached, this.reported ?? this.stored, this.derived];
		return [...new Set(all.filter((u): u is string => u !== undefined))];
	}

	/** `url` answered; `body.destinationUrl` is the production URL `webhook()` gave in its answer, if any. */
	reached(url: string, statusCode: number, body: IDataObject): void {
		this.lastReached = url;
		if (isHttpUrl(body.destinationUrl)) this.reported = body.destinationUrl;
		if (isUnrecordedAnswer(statusCode, body)) this.unrecordedChecks++;
		else if (statusCode >= 200 && statusCode < 300) this.unrecordedChecks = 0;
	}
}

type CheckOutcome =
	| { reached: true; statusCode: number; body: IDataObject }
	| { reached: false; reason: string; tryNext: boolean };

function describeNetworkError(error: unknown): { reason: string; timedOut: boolean } {
	const e = (error ?? {}) as { message?: unknown; code?: unknown; cause?: { code?: unknown } };
	const code = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : '';
	const message = typeof e.message === 'string' ? e.message : 'request failed';
	const timedOut = code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(message);
	return { reason: code && !message.includes(code) ? `${message} (${code})` : message, timedOut };
}

/** Sends one signed check request to `url`; never throws. */
async function postCheck(this: ITriggerFunctions, url: string, secret: string, unrecordedChecks: number): Promise<CheckOutcome> {
	const request = signCheck(secret, Date.now(), unrecordedChecks);
	try {
		const response = (await this.helpers.httpRequest({
			method: 'POST',
			url,
			body: request.body,
			headers: { 'Content-Type': 'application/json', [CHECK_HEADER]: request.header },
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: CHECK_TIMEOUT_MS,
		})) as { statusCode: number; body: unknown };
		if (response.statusCode === 404) {
			return { reached: false, reason: 'answered 404: no active webhook of this workflow is registered at this address', tryNext: true };
		}
		return { reached: true, statusCode: response.statusCode, body: parseBody(response.body) };
	} catch (error) {
		const { reason, timedOut } = describeNetworkError(error);
		// A timeout may mean the check is still running there; a second request could renew twice.
		if (timedOut) return { reached: false, reason: `${reason}; the check may still be running there, so no other address is tried`, tryNext: false };
		return { reached: false, reason, tryNext: true };
	}
}

function logAnswer(this: ITriggerFunctions, url: string, statusCode: number, body: IDataObject): void {
	if (isUnrecordedAnswer(statusCode, body)) return; // expected once right after activation; webhook() logged it
	if (statusCode >= 200 && statusCode < 300) {
		const level = body.action === 'adopt' ? 'debug' : 'info';
		this.logger[level](`Protime Trigger: subscription check done (${String(body.action)}), valid until ${String(body.validUntil)}`);
		return;
	}
	this.logger.error(
		`Protime Trigger: the subscription check at ${url} answered ${statusCode}: ${String(body.error ?? body.message ?? body.text ?? '')}. The subscription is not renewed while this fails.`,
	);
}

/** One check: signs a request and sends it to the first address that answers. Never throws. */
export async function sendCheck(this: ITriggerFunctions, route: ClockMemory): Promise<void> {
	const secret = await checkSecret.call(this);
	if (secret === undefined) {
		this.logger.error(
			"Protime Trigger: cannot sign the subscription check: the node's Protime credential could not be read or has no client secret or access token. The subscription is not renewed while this lasts; check the credential.",
		);
		return;
	}
	const failures: string[] = [];
	for (const url of route.candidates()) {
		const outcome = await postCheck.call(this, url, secret, route.unrecordedChecks);
		if (!outcome.reached) {
			failures.push(`${url}: ${outcome.reason}`);
			if (outcome.tryNext) continue;
			break;
		}
		route.reached(url, outcome.statusCode, outcome.body);
		if (failures.length) {
			this.logger.warn(`Protime Trigger: the subscription check could not use ${failures.join('; ')}. It reached ${url} instead.`);
		}
		logAnswer.call(this, url, outcome.statusCode, outcome.body);
		return;
	}
	this.logger.error(
		`Protime Trigger: could not reach this workflow's own webhook for the subscription check (${failures.join('; ') || 'no address known'}). ` +
			"The subscription is not renewed while this fails; make sure the n8n host can reach the address in WEBHOOK_URL and its own base URL (N8N_EDITOR_BASE_URL), and that the workflow is active.",
	);
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
	// Present on a start (mode init); absent on an activation through n8n 2.41's publication service.
	const stored = triggerState(this.getWorkflowStaticData('node')).subscription?.destination;
	const route = new ClockMemory(isHttpUrl(stored) ? stored : undefined, derivedWebhookUrl(this));
	const options = this.getNodeParameter('options', {}) as IDataObject;
	const interval = Number(options.checkInterval ?? DEFAULT_CHECK_INTERVAL) || DEFAULT_CHECK_INTERVAL;
	let running: Promise<void> | undefined;
	this.helpers.registerCron({ expression: cronFor(interval, `${this.getWorkflow().id}/${this.getNode().name}`) }, async () => {
		// One check at a time: a slow Protime must not pile up renewals.
		running ??= sendCheck.call(this, route).finally(() => {
			running = undefined;
		});
		await running;
	});
	return {};
}
