/**
 * `trigger()` of the Protime Trigger: the node's clock. Each cron tick sends the maintenance ping to the
 * node's own production webhook; `webhook()` then checks and renews the subscription (see `maintenance.ts`
 * for why the tick does not renew by itself and how the ping is signed).
 *
 * Why the clock depends on no static data: n8n calls `trigger()` on activation and on every start of the
 * instance that runs triggers. With n8n 2.41's workflow publication service (the default), activation runs
 * `trigger()` BEFORE `checkExists`/`create()`, on a different Workflow object whose static data is an
 * in-memory copy that is never refreshed; only on a start (mode `init`) does it hold what `create()` stored.
 * So `trigger()` always registers the cron, and each tick derives what it needs from what it can read:
 * - the ping secret from the node's credential (`maintenanceSecret`), read at every tick;
 * - where to send the ping: the address that answered last, else the production URL `webhook()` reported
 *   in its last answer or, on a start, the one stored by `create()`, else one derived from the instance
 *   base URL and the node's webhook path (`<base>/webhook/<webhookId>/webhook`, n8n's default production
 *   path; a custom N8N_ENDPOINT_WEBHOOK breaks that form until the next start, when the stored URL is used).
 *   A network error or a 404 on one address makes the tick try the next one. These addresses are routing
 *   hints kept in memory; all state of record stays in static data, written by the hooks and `webhook()`.
 *
 * The ping is a request from n8n to n8n, not to Protime, so it uses `helpers.httpRequest` without the
 * Protime credential.
 */
import {
	NodeHelpers,
	type CronExpression,
	type IDataObject,
	type ITriggerFunctions,
	type ITriggerResponse,
} from 'n8n-workflow';

import { DEFAULT_CHECK_INTERVAL } from './description';
import { MAINTENANCE_HEADER, maintenanceSecret, signMaintenancePing, UNRECORDED } from './maintenance';
import { subscriptionState } from './state';
import { handoffKey, takeTestItems } from './testHandoff';

/** The `path` of the node's webhook description (`ProtimeTrigger.node.ts`). */
const WEBHOOK_PATH = 'webhook';
const PING_TIMEOUT_MS = 120_000;

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

/** The check found no subscription recorded and did not subscribe (yet); see `handlePing`. */
function isUnrecordedAnswer(statusCode: number, body: IDataObject): boolean {
	return statusCode === 409 && body.code === UNRECORDED;
}

/**
 * What the clock remembers between ticks, in memory only, per `trigger()` call: where pings go, in order of
 * preference, and how many checks in a row found no subscription recorded (signed into the next ping, see
 * `handlePing`).
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

type PingOutcome =
	| { reached: true; statusCode: number; body: IDataObject }
	| { reached: false; reason: string; tryNext: boolean };

function describeNetworkError(error: unknown): { reason: string; timedOut: boolean } {
	const e = (error ?? {}) as { message?: unknown; code?: unknown; cause?: { code?: unknown } };
	const code = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : '';
	const message = typeof e.message === 'string' ? e.message : 'request failed';
	const timedOut = code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(message);
	return { reason: code && !message.includes(code) ? `${message} (${code})` : message, timedOut };
}

/** Sends one signed ping to `url`; never throws. */
async function postPing(this: ITriggerFunctions, url: string, secret: string, unrecordedChecks: number): Promise<PingOutcome> {
	const ping = signMaintenancePing(secret, Date.now(), unrecordedChecks);
	try {
		const response = (await this.helpers.httpRequest({
			method: 'POST',
			url,
			body: ping.body,
			headers: { 'Content-Type': 'application/json', [MAINTENANCE_HEADER]: ping.header },
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: PING_TIMEOUT_MS,
		})) as { statusCode: number; body: unknown };
		if (response.statusCode === 404) {
			return { reached: false, reason: 'answered 404: no active webhook of this workflow is registered at this address', tryNext: true };
		}
		return { reached: true, statusCode: response.statusCode, body: parseBody(response.body) };
	} catch (error) {
		const { reason, timedOut } = describeNetworkError(error);
		// A timeout may mean the check is still running there; a second ping could renew twice.
		if (timedOut) return { reached: false, reason: `${reason}; the check may still be running there, so no other address is tried`, tryNext: false };
		return { reached: false, reason, tryNext: true };
	}
}

function logAnswer(this: ITriggerFunctions, url: string, statusCode: number, body: IDataObject): void {
	if (isUnrecordedAnswer(statusCode, body)) return; // expected once right after activation; webhook() logged it
	if (statusCode >= 200 && statusCode < 300) {
		const level = body.action === 'none' ? 'debug' : 'info';
		this.logger[level](`Protime Trigger: subscription check done (${String(body.action)}), valid until ${String(body.validUntil)}`);
		return;
	}
	this.logger.error(
		`Protime Trigger: the subscription check at ${url} answered ${statusCode}: ${String(body.error ?? body.message ?? body.text ?? '')}. The subscription is not renewed while this fails.`,
	);
}

/** One check: signs a ping and sends it to the first address that answers. Never throws. */
export async function runMaintenanceCheck(this: ITriggerFunctions, route: ClockMemory): Promise<void> {
	const secret = await maintenanceSecret.call(this);
	if (secret === undefined) {
		this.logger.error(
			"Protime Trigger: cannot sign the subscription check: the node's Protime credential could not be read or has no client secret or access token. The subscription is not renewed while this lasts; check the credential.",
		);
		return;
	}
	const failures: string[] = [];
	for (const url of route.candidates()) {
		const outcome = await postPing.call(this, url, secret, route.unrecordedChecks);
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
	const stored = subscriptionState(this.getWorkflowStaticData('node')).destinationUrl;
	const route = new ClockMemory(isHttpUrl(stored) ? stored : undefined, derivedWebhookUrl(this));
	const options = this.getNodeParameter('options', {}) as IDataObject;
	const interval = Number(options.checkInterval ?? DEFAULT_CHECK_INTERVAL) || DEFAULT_CHECK_INTERVAL;
	let running: Promise<void> | undefined;
	this.helpers.registerCron({ expression: cronFor(interval, `${this.getWorkflow().id}/${this.getNode().name}`) }, async () => {
		// One check at a time: a slow Protime must not pile up renewals.
		running ??= runMaintenanceCheck.call(this, route).finally(() => {
			running = undefined;
		});
		await running;
	});
	return {};
}
