/**
 * `webhook()`: a check request from the node's own clock (check.ts), or a Protime delivery, handled here in
 * one pass: verify, parse, select, build the items, answer, return. When the answer goes out decides what a
 * 2xx means to Protime (docs/trigger-design.md, "Acknowledgement").
 */
import type {
	IDataObject,
	INodeExecutionData,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';

import { reply } from './answer';
import { loadVersionStore, parseDelivery, selectChanges, type Change } from '../shared/changes';
import { describeSignatureFailure, verifySignature } from '../shared/signature';
import { hasRoomFor, keep, MAX_KEPT } from './batch';
import { handleCheck, type CheckRequestData } from './check';
import { CHECK_HEADER, requestPurpose, triggerIdentity } from './checkSignature';
import { clockMissedRenewal, decide } from './decide';
import { handleFlush } from './flush';
import { handlePersist, persistVersions } from './persist';
import { announceGap, changeItem, takePendingResync } from './items';
import {
	acceptedKeys,
	carryBatch,
	KEEPER_LEASE_MS,
	KEPT_ELSEWHERE,
	KEPT_ELSEWHERE_FIX,
	memoryOf,
	otherKeeper,
	inOverlap,
	sourceTag,
	plainCopy,
	takeOver,
	takeOverBatch,
	triggerState,
	type Keeper,
	type Memory,
	type PendingResync,
	type TriggerState,
} from './record';
import { readSettings, type TriggerSettings } from './settings';
import { replaceSubscription } from './subscription';
import { handoffKey, putTestItems } from './testHandoff';
import { nodeLog } from '../shared/log';

type RawRequest = CheckRequestData & { body?: unknown; readRawBody?: () => Promise<void> };

/** A version-2 webhook node gets no raw body for content types n8n does not parse until it asks for it. */
async function ensureRawBody(req: RawRequest): Promise<void> {
	if (Buffer.isBuffer(req.rawBody) || typeof req.readRawBody !== 'function') return;
	try {
		await req.readRawBody();
	} catch {
		// An aborted body: verification reports the missing raw body.
	}
}

/** The parsed body: n8n's, or (when n8n left it unparsed) the raw body as JSON; undefined when not JSON. */
function deliveryBody(req: RawRequest): unknown {
	if (req.body !== undefined || !Buffer.isBuffer(req.rawBody)) return req.body;
	try {
		return JSON.parse(req.rawBody.toString('utf8')) as unknown;
	} catch {
		return undefined;
	}
}

/**
 * A delivery renews only when the clock has evidently missed its chance (n8n cannot reach itself, say).
 * Returns the lapse when it had to recover.
 */
async function renewIfClockMissed(
	this: IWebhookFunctions,
	memory: Memory,
	state: TriggerState,
	settings: TriggerSettings,
): Promise<PendingResync | undefined> {
	const record = state.subscription;
	if (
		!record ||
		!clockMissedRenewal(
			record,
			settings.renewalMarginMs,
			settings.checkIntervalMinutes * 60_000,
			Date.now(),
		)
	)
		return undefined;
	const decision = decide(record, 'unasked', record.destination, settings, Date.now());
	if (decision.action === 'adopt') return undefined;
	try {
		const done = await replaceSubscription.call(
			this,
			memory,
			state,
			record.destination,
			settings,
			decision,
			Date.now,
		);
		return done?.gap;
	} catch (error) {
		nodeLog(this).error(
			`renewing the subscription on a delivery failed; the next check retries: ${(error as Error).message}`,
		);
	}
	return undefined;
}

/** Who signed a delivery: its key, and whether that is a renewed subscription's (the overlapped one). */
interface Source {
	key: string;
	previous: boolean;
}

/**
 * The delivery's changes to emit, through the stale filter (shared live within this process, so concurrent
 * requests do not save over each other's). During a renewal's overlap the filter runs even with "Ignore
 * Older Versions of a Record" off: a change both subscriptions deliver is emitted once. What the overlapped
 * subscription delivers is evidence for the check (subscription.ts, `endOverlap`).
 */
function select(
	changes: readonly Change[],
	state: TriggerState,
	memory: Memory | undefined,
	settings: TriggerSettings,
	source: Source,
	keepResends: boolean,
): { wanted: readonly Change[]; dropped: number; recorded: number; tag?: string } {
	// During an overlap each version is tagged with the subscription that brought it.
	const tag = inOverlap(state.subscription, Date.now()) ? sourceTag(source.key) : undefined;
	const stored = memory
		? (memory.versions ?? (state.versions && plainCopy(state.versions)))
		: state.versions;
	const store =
		settings.dropStale || tag !== undefined
			? loadVersionStore(stored, settings.collectionName)
			: undefined;
	const { wanted, dropped, recorded, twins } = selectChanges(changes, settings.events, store, {
		keepResends,
		source: tag,
	});
	if (store && recorded) {
		if (memory) memory.versions = store as unknown as IDataObject;
		state.versions = store as unknown as IDataObject;
	}
	// A twin, whichever subscription brought it second, is a change made after the renewal that the old
	// subscription delivered: it is past what it held before (if it delivers in order).
	const previousId = state.subscription?.previousId;
	if (memory && previousId && (twins || (source.previous && recorded))) {
		if (memory.overlap?.id !== previousId) memory.overlap = { id: previousId };
		if (source.previous && recorded) memory.overlap.freshAt = Date.now();
		if (twins) memory.overlap.caughtUp = true;
	}
	return { wanted, dropped, recorded, tag };
}

/**
 * Batch Changes: the wanted changes are kept in static data and the node returns its answer to n8n, which
 * saves static data and only then sends the 200. The clock's flush emits them (flush.ts).
 */
async function keepForBatch(
	this: IWebhookFunctions,
	changes: readonly Change[],
	state: TriggerState,
	memory: Memory,
	settings: TriggerSettings,
	source: Source,
): Promise<IWebhookResponseData> {
	takeOver(memory, state, false);
	const batch = takeOverBatch(memory, state);
	if (!hasRoomFor(batch, changes.length)) {
		nodeLog(this).warn(
			`${MAX_KEPT} changes are waiting for their executions; a delivery was refused (503) so that Protime sends it again later`,
		);
		return reply(this, 503, {
			error: 'Service Unavailable',
			message: `${MAX_KEPT} changes are waiting for their executions; send again later`,
		});
	}
	// A kept change is safe once saved, so a resend of it is a duplicate.
	const { wanted, dropped } = select(changes, state, memory, settings, source, false);
	keep(batch, wanted, Date.now());
	if (wanted.length) carryBatch(memory, state);
	const lapse = await renewIfClockMissed.call(this, memory, state, settings);
	if (lapse) state.pendingResync = lapse as PendingResync & IDataObject;
	return { webhookResponse: { received: changes.length, kept: wanted.length, dropped } };
}

/** A Protime delivery. A test listen (`manual`) works on its own static data and never renews. */
async function handleDelivery(
	this: IWebhookFunctions,
	req: RawRequest,
	state: TriggerState,
	memory: Memory | undefined,
): Promise<IWebhookResponseData> {
	const now = Date.now();
	// Verification reads the keys without writing: a request that does not verify changes nothing.
	const keys = acceptedKeys(state.subscription, now);
	if (memory?.record && memory.record.id !== state.subscription?.id)
		keys.push(...acceptedKeys(memory.record, now));
	const check = verifySignature(req.rawBody, req.headers, keys);
	if (!check.valid) {
		nodeLog(this).warn(`rejected a delivery (401): ${describeSignatureFailure(check.reason)}`);
		return reply(this, 401, { error: 'Unauthorized', message: 'Invalid or missing signature' });
	}
	const parsed = parseDelivery(deliveryBody(req));
	if (!parsed.ok) {
		nodeLog(this).warn(`rejected a delivery (400): ${parsed.message}`);
		return reply(this, 400, { error: 'Bad Request', message: parsed.message });
	}
	const key = keys[check.keyIndex]; // acceptedKeys gives non-empty keys only, all of which verify counts
	const source: Source = {
		key,
		previous: key !== state.subscription?.key && key !== memory?.record?.key,
	};
	const settings = readSettings(this);
	if (settings.batch && memory)
		return await keepForBatch.call(this, parsed.changes, state, memory, settings, source);
	const afterExecution = settings.acknowledge === 'afterExecution' && memory !== undefined;
	if (memory) {
		takeOver(memory, state, afterExecution);
		takeOverBatch(memory, state);
	}
	// An unacknowledged resend of the newest version is emitted again when 2xx means "executed" (its first
	// execution may have failed); with acknowledgement on receipt it was taken, so it is dropped.
	const { wanted, dropped, recorded, tag } = select(
		parsed.changes,
		state,
		memory,
		settings,
		source,
		afterExecution,
	);

	// A gap waiting in static data is announced only where n8n saves this request before the execution (on
	// receipt): answered after the execution, what webhook() wrote is never saved, and the gap would return.
	// Then the next check announces it.
	const items: INodeExecutionData[] =
		memory && !afterExecution ? takePendingResync(state, settings, memory) : [];
	const recordBefore = memory?.record?.id;
	const lapse = memory && (await renewIfClockMissed.call(this, memory, state, settings));
	if (lapse) items.push(announceGap(lapse, settings, state, memory));
	// A loop, not push(...map()): a delivery may hold up to 50,000 changes, too many for spread arguments.
	for (const change of wanted) items.push(changeItem(change, settings, state));
	const summary = { received: parsed.changes.length, emitted: wanted.length, dropped };
	if (items.length === 0) return reply(this, 200, summary);
	if (!memory) {
		putTestItems(handoffKey(this.getWorkflow().id, this.getNode().name), [items]);
		return { ...reply(this, 200, summary), workflowData: [items] };
	}
	// n8n answers once the execution has finished: 2xx when it succeeded, 500 when it failed; a crash answers
	// nothing. It does not save what this request wrote, so the filter's new versions are saved first.
	if (afterExecution) {
		if (recorded || memory?.record?.id !== recordBefore)
			await persistVersions.call(this, parsed.changes, tag);
		return { workflowData: [items] };
	}
	return { ...reply(this, 200, summary), workflowData: [items] };
}

/**
 * Another process keeps this trigger's batch (record.ts, "The keeper"): it saved within the lease, so this one
 * refuses and writes nothing, or it went quiet and this one takes over, reloading the batch it saved. Either
 * way two processes receive this trigger's requests, which is logged (at most once a minute).
 */
function keeperProblem(
	this: IWebhookFunctions,
	memory: Memory,
	keeper: Keeper,
	now: number,
): IWebhookResponseData | undefined {
	const alive = now - keeper.at < KEEPER_LEASE_MS;
	// A process that never kept the batch may be the first after a restart: taking over is then expected.
	if (!alive && memory.keepingSince === undefined) return undefined;
	const since = memory.keptElsewhereLoggedAt;
	if (since === undefined || now - since >= 60_000) {
		memory.keptElsewhereLoggedAt = now;
		const seconds = Math.round((now - keeper.at) / 1000);
		// Certain when this process kept the batch itself before; else it may be the first after a restart.
		nodeLog(this)[memory.keepingSince === undefined ? 'warn' : 'error'](
			`another n8n process saved this trigger's kept changes ${seconds} s ago; ${alive ? 'this one refuses its requests (503) so as not to save over them' : 'this one takes them over'}. ${KEPT_ELSEWHERE_FIX}`,
		);
	}
	if (!alive) return undefined;
	return reply(this, 503, {
		code: KEPT_ELSEWHERE,
		error: 'Service Unavailable',
		message: "Another n8n process keeps this trigger's changes; send again later",
	});
}

export async function receive(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const req = this.getRequestObject() as unknown as RawRequest;
	await ensureRawBody(req);
	const state = triggerState(this.getWorkflowStaticData('node'));
	const production = this.getMode() !== 'manual';
	const memory = production ? memoryOf(triggerIdentity(this)) : undefined;
	const keeper = memory && otherKeeper(state, memory);
	const refused = keeper && keeperProblem.call(this, memory, keeper, Date.now());
	if (refused) return refused;
	if (req.headers[CHECK_HEADER] !== undefined) {
		const purpose = requestPurpose(req.rawBody);
		if (purpose === 'flush') return await handleFlush.call(this, req, state, memory);
		if (purpose === 'persist') return await handlePersist.call(this, req, state, memory);
		return await handleCheck.call(this, req, state, memory);
	}
	return await handleDelivery.call(this, req, state, memory);
}
