/**
 * `trigger()`: the node's clock. Each cron tick sends a signed check request to the node's own production
 * webhook, where `webhook()` checks and renews the subscription (check.ts). The clock reads no static data:
 * in n8n 2.x it may start before `create()` has saved anything (docs/trigger-design.md, "Activation order").
 */
import {
	type CronExpression,
	type IDataObject,
	type ITriggerFunctions,
	type ITriggerResponse,
} from 'n8n-workflow';

import { isEmpty, type FlushReport } from './batch';
import { DEFAULT_BATCH_WINDOW, DEFAULT_CHECK_INTERVAL } from './description';
import {
	checkSecret,
	signCheck,
	signFlush,
	triggerIdentity,
	UNRECORDED,
	type CheckRequest,
} from './checkSignature';
import { NOTHING_FLUSHED, REPORTED } from './flush';
import { derivedWebhookUrl, isHttpUrl } from './destination';
import { postSigned } from './ownWebhook';
import { KEPT_ELSEWHERE, peekMemory, triggerState } from './record';
import { handoffKey, takeTestItems } from './testHandoff';
import { nodeLog } from '../shared/log';
import { ENGINE_V2_SETTING, isEngineV2Refusal, ProblemReporter, reportCheck } from './report';

const CHECK_TIMEOUT_MS = 120_000;
/** A flush is answered once its execution ended; one that takes longer counts as failed and is emitted again. */
const FLUSH_TIMEOUT_MS = 15 * 60_000;
/**
 * A flush unanswered this long is logged: n8n 2.x in queue mode can lose the answer of an execution that ends
 * before its webhook process waits for it (docs/queue-mode.md, "Fast executions").
 */
export const FLUSH_UNANSWERED_WARN_MS = 60_000;
/** Flushes in a row per tick at most, while full batches are waiting. */
const MAX_FLUSHES_PER_TICK = 50;
const EVERY_SECOND: CronExpression = '* * * * * *';

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
		/** The destination of the record this process's activation wrote or adopted (the webhook URL, even on a main that serves no webhooks). */
		private readonly recorded: () => string | undefined = () => undefined,
	) {}

	candidates(): string[] {
		const all = [this.lastReached, this.reported ?? this.stored ?? this.recorded(), this.derived];
		return [...new Set(all.filter((u): u is string => u !== undefined))];
	}

	/**
	 * `url` answered; `body.destinationUrl` is the production URL `webhook()` gave in its answer, if any. Only
	 * a check's answer counts towards `unrecordedChecks` (a flush's 200 says nothing about the record).
	 */
	reached(url: string, statusCode: number, body: IDataObject, check = true): void {
		this.lastReached = url;
		if (isHttpUrl(body.destinationUrl)) this.reported = body.destinationUrl;
		if (!check) return;
		if (isUnrecordedAnswer(statusCode, body)) this.unrecordedChecks++;
		else if (statusCode >= 200 && statusCode < 300) this.unrecordedChecks = 0;
	}
}

type Reach =
	| { url: string; statusCode: number; body: IDataObject; failures: string[] }
	| { failures: string[]; timedOut: boolean; ssrf: boolean };

/** Sends `request` to the first of the node's own addresses that answers. Never throws. */
async function reachOwnWebhook(
	this: ITriggerFunctions,
	route: ClockMemory,
	request: CheckRequest,
	timeout: number,
	check: boolean,
): Promise<Reach> {
	const failures: string[] = [];
	let ssrf = false;
	for (const url of route.candidates()) {
		const outcome = await postSigned.call(this, url, request, timeout);
		if (outcome.reached) {
			route.reached(url, outcome.statusCode, outcome.body, check);
			return { url, statusCode: outcome.statusCode, body: outcome.body, failures };
		}
		failures.push(`${url}: ${outcome.reason}`);
		ssrf ||= outcome.ssrf === true;
		if (!outcome.tryNext) return { failures, timedOut: outcome.timedOut === true, ssrf };
	}
	return { failures, timedOut: false, ssrf };
}

function logAnswer(
	this: ITriggerFunctions,
	url: string,
	statusCode: number,
	body: IDataObject,
): void {
	if (isUnrecordedAnswer(statusCode, body)) return; // expected once right after activation; webhook() logged it
	if (statusCode >= 200 && statusCode < 300) {
		const level = body.action === 'adopt' ? 'debug' : 'info';
		nodeLog(this)[level](
			`subscription check done (${String(body.action)}), valid until ${String(body.validUntil)}`,
		);
		return;
	}
	if (isEngineV2Refusal(statusCode, body)) {
		nodeLog(this).error(
			`the subscription check at ${url} was refused (${statusCode}): ${ENGINE_V2_SETTING}. The subscription is not renewed while this lasts.`,
		);
		return;
	}
	nodeLog(this).error(
		`the subscription check at ${url} answered ${statusCode}: ${String(body.error ?? body.message ?? body.text ?? '')}. The subscription is not renewed while this fails.`,
	);
}

const UNREACHABLE_HINT =
	'make sure the n8n host can reach the address in N8N_WEBHOOK_URL (WEBHOOK_URL on n8n 1.x) and its own base URL (N8N_EDITOR_BASE_URL), and that the workflow is active.';

/** One check: signs a request and sends it to the first address that answers. Never throws. Returns the answer. */
export async function sendCheck(
	this: ITriggerFunctions,
	route: ClockMemory,
	reporter = new ProblemReporter(),
): Promise<IDataObject | undefined> {
	const collection = String(this.getNodeParameter('collectionName', ''));
	const secret = await checkSecret.call(this);
	if (secret === undefined) {
		reportCheck(this, reporter, { kind: 'noSecret' }, collection);
		nodeLog(this).error(
			"cannot sign the subscription check: the node's Protime credential could not be read or has no client secret or access token. The subscription is not renewed while this lasts; check the credential.",
		);
		return undefined;
	}
	const reached = await reachOwnWebhook.call(
		this,
		route,
		signCheck(secret, Date.now(), route.unrecordedChecks),
		CHECK_TIMEOUT_MS,
		true,
	);
	if (!('url' in reached)) {
		reportCheck(
			this,
			reporter,
			{ kind: 'unreachable', failures: reached.failures, ssrf: reached.ssrf },
			collection,
		);
		nodeLog(this).error(
			`could not reach this workflow's own webhook for the subscription check (${reached.failures.join('; ') || 'no address known'}). ` +
				`The subscription is not renewed while this fails; ${UNREACHABLE_HINT}`,
		);
		return undefined;
	}
	if (reached.failures.length) {
		nodeLog(this).warn(
			`the subscription check could not use ${reached.failures.join('; ')}. It reached ${reached.url} instead.`,
		);
	}
	logAnswer.call(this, reached.url, reached.statusCode, reached.body);
	reportCheck(
		this,
		reporter,
		{ kind: 'answer', url: reached.url, statusCode: reached.statusCode, body: reached.body },
		collection,
	);
	return reached.body;
}

/**
 * What the clock remembers between flushes (Batch Changes): the outcome of its last flush that emitted, to
 * report in the next one, and the last problem logged, so a lasting one is logged once.
 */
export class Flusher {
	report?: FlushReport;

	private count = 0;

	private lastTimestamp = 0;

	private readonly prefix = Date.now().toString(36);

	private problem?: string;

	/** When the flush now waiting for its answer was sent; cleared once answered or its wait was logged. */
	private waitingSince?: number;

	/** When a flush last found nothing kept where the webhook is served (cleared by any other answer). */
	private emptyAt?: number;

	/** Notes what a flush answered: nothing kept at all, or something else. */
	found(nothingKept: boolean, now: number): void {
		this.emptyAt = nothingKept ? now : undefined;
	}

	/**
	 * Whether to skip this tick: the last flush found nothing kept less than `restMs` ago. A change kept since
	 * is then seen within its batch window anyway, so an idle trigger costs one request per window, not one a
	 * second (in queue mode, where the clock cannot see the webhook processor's batch).
	 */
	resting(now: number, restMs: number): boolean {
		return this.emptyAt !== undefined && now - this.emptyAt < restMs;
	}

	next(): { id: string; timestamp: number } {
		this.lastTimestamp = Math.max(Date.now(), this.lastTimestamp + 1);
		return { id: `${this.prefix}-${++this.count}`, timestamp: this.lastTimestamp };
	}

	sent(now: number): void {
		this.waitingSince = now;
	}

	answered(): void {
		this.waitingSince = undefined;
	}

	/** A warning to log, once per flush, when its answer is overdue. */
	overdueToLog(now: number): string | undefined {
		if (this.waitingSince === undefined || now - this.waitingSince < FLUSH_UNANSWERED_WARN_MS)
			return undefined;
		const seconds = Math.round((now - this.waitingSince) / 1000);
		this.waitingSince = undefined;
		return `an execution of batched changes was started ${seconds} s ago and n8n has not answered yet; newer batches wait behind it. If the workflow is quick and n8n runs in queue mode, n8n lost the answer: set N8N_EXECUTIONS_QUEUE_KEEP_LAST_COMPLETED=100 and N8N_EXECUTIONS_QUEUE_KEEP_LAST_FAILED=100 on every n8n process and restart. The batch is emitted again ${FLUSH_TIMEOUT_MS / 60_000} minutes after it started.`;
	}

	private keptElsewhereLoggedAt?: number;

	/** Whether to log now that a flush reached a process that does not keep the batch (once a minute). */
	keptElsewhereToLog(now: number): boolean {
		const last = this.keptElsewhereLoggedAt;
		if (last !== undefined && now - last < 60_000) return false;
		this.keptElsewhereLoggedAt = now;
		return true;
	}

	/** A problem to log, or undefined when it was logged last time already. */
	problemToLog(problem: string | undefined): string | undefined {
		const changed = problem !== this.problem;
		this.problem = problem;
		return changed ? problem : undefined;
	}
}

/** One flush: true when another one may be due (a batch succeeded, or its success was saved). Never throws. */
async function flushOnce(
	this: ITriggerFunctions,
	route: ClockMemory,
	flusher: Flusher,
	secret: string,
): Promise<boolean> {
	const { id, timestamp } = flusher.next();
	flusher.sent(Date.now());
	const reached = await reachOwnWebhook.call(
		this,
		route,
		signFlush(secret, timestamp, id, flusher.report),
		FLUSH_TIMEOUT_MS,
		false,
	);
	flusher.answered();
	let problem: string | undefined;
	let more = false;
	if (!('url' in reached)) {
		// A timeout may have emitted the batch: report it failed, so it is emitted again (once more at most).
		if (reached.timedOut) flusher.report = { id, outcome: 'failed' };
		problem = `could not reach this workflow's own webhook to start the execution of batched changes (${reached.failures.join('; ') || 'no address known'}); they stay saved until it can: ${UNREACHABLE_HINT}`;
	} else if (reached.statusCode >= 200 && reached.statusCode < 300) {
		// n8n's answer after a successful execution has no body; the node's own answers carry a code.
		const emitted = reached.body.code !== NOTHING_FLUSHED && reached.body.code !== REPORTED;
		flusher.found(reached.body.code === NOTHING_FLUSHED && reached.body.kept === 0, Date.now());
		flusher.report = emitted ? { id, outcome: 'done' } : undefined;
		more = reached.body.code !== NOTHING_FLUSHED;
	} else if (reached.statusCode === 401) {
		problem = `the flush of batched changes was refused (401) by ${reached.url}; they stay saved. Check the node's Protime credential.`;
	} else if (reached.statusCode === 503 && reached.body.code === KEPT_ELSEWHERE) {
		// Nothing was emitted or applied there: the report goes with the next flush. Logged once a minute at
		// most (flushes that reach the keeper in between are no news).
		if (flusher.keptElsewhereToLog(Date.now()))
			nodeLog(this).error(
				`flushes of batched changes reach an n8n process that does not keep them (${reached.url}); they stay saved, and wait for a flush that reaches the process that keeps them. Route this workflow's webhook URL to one webhook processor, or turn Batch Changes off.`,
			);
		return false;
	} else {
		flusher.report = { id, outcome: 'failed' };
		problem = `the execution of batched changes ended with ${reached.statusCode}; they stay saved and are emitted again, with a growing pause, until an execution succeeds.`;
	}
	const toLog = flusher.problemToLog(problem);
	if (toLog) nodeLog(this).error(toLog);
	return more;
}

/**
 * Flushes while batches are due and this clock runs, one execution at a time, so batches run in
 * `changeVersion` order.
 */
export async function flushDue(
	this: ITriggerFunctions,
	route: ClockMemory,
	flusher: Flusher,
	running: () => boolean = () => true,
): Promise<void> {
	const secret = await checkSecret.call(this);
	if (secret === undefined) return; // the check logs this every interval
	for (let i = 0; i < MAX_FLUSHES_PER_TICK && running(); i++) {
		if (!(await flushOnce.call(this, route, flusher, secret))) return;
	}
}

/**
 * A trigger's flushes in this process, shared by its clocks: a re-publish (any save on n8n 1.x) closes the
 * clock and starts a new one while a batch may still be executing. The new clock waits for that flush's
 * answer and reports it, instead of emitting the batch again beside it.
 */
interface Lane {
	flusher: Flusher;
	flushing?: Promise<void>;
	clocks: number;
}

const lanes = new Map<string, Lane>();

function joinLane(identity: string): Lane {
	let lane = lanes.get(identity);
	if (!lane) lanes.set(identity, (lane = { flusher: new Flusher(), clocks: 0 }));
	lane.clocks++;
	return lane;
}

/** A lane no clock uses and that holds nothing to report is dropped (a report is kept for the next clock). */
function dropIfIdle(identity: string, lane: Lane): void {
	if (lane.clocks === 0 && !lane.flushing && !lane.flusher.report) lanes.delete(identity);
}

/** A process that dies forgets its lanes (the unit tests' restart). */
export function forgetLane(identity: string): void {
	lanes.delete(identity);
}

/** This process serves the webhook too and holds nothing to flush or report: the request can be spared. */
function nothingToFlush(this: ITriggerFunctions, flusher: Flusher): boolean {
	const batch = peekMemory(triggerIdentity(this))?.batch;
	return batch !== undefined && isEmpty(batch) && flusher.report === undefined;
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
	const identity = triggerIdentity(this);
	const recorded = () => {
		const destination = peekMemory(identity)?.record?.destination;
		return isHttpUrl(destination) ? destination : undefined;
	};
	const route = new ClockMemory(
		isHttpUrl(stored) ? stored : undefined,
		derivedWebhookUrl(this),
		recorded,
	);
	const options = this.getNodeParameter('options', {}) as IDataObject;
	const interval =
		Number(options.checkInterval ?? DEFAULT_CHECK_INTERVAL) || DEFAULT_CHECK_INTERVAL;
	const batching = options.batchChanges === true;
	const lane = joinLane(identity);
	const flusher = lane.flusher;
	const reporter = new ProblemReporter();
	let open = true;
	// One request at a time of each kind: a slow Protime must not pile up renewals, and batches go in order.
	let checking: Promise<unknown> | undefined;
	const flush = async () => {
		lane.flushing ??= flushDue
			.call(this, route, flusher, () => open)
			.finally(() => {
				lane.flushing = undefined;
				dropIfIdle(identity, lane);
			});
		await lane.flushing;
	};
	this.helpers.registerCron(
		{ expression: cronFor(interval, `${this.getWorkflow().id}/${this.getNode().name}`) },
		async () => {
			checking ??= sendCheck.call(this, route, reporter).finally(() => {
				checking = undefined;
			});
			const answer = (await checking) as IDataObject | undefined;
			// Changes kept while Batch Changes was on still go out after it was switched off.
			if (!batching && Number(answer?.kept) > 0) await flush();
		},
	);
	if (batching) {
		const restMs =
			(Number(options.batchWindow ?? DEFAULT_BATCH_WINDOW) || DEFAULT_BATCH_WINDOW) * 1000;
		this.helpers.registerCron({ expression: EVERY_SECOND }, async () => {
			if (lane.flushing) {
				const overdue = flusher.overdueToLog(Date.now());
				if (overdue) nodeLog(this).warn(overdue);
				return;
			}
			if (nothingToFlush.call(this, flusher) || flusher.resting(Date.now(), restMs)) return;
			await flush();
		});
	}
	return {
		closeFunction: async () => {
			open = false;
			lane.clocks--;
			dropIfIdle(identity, lane);
		},
	};
}
