/**
 * `webhook()`: a check request from the node's own clock (check.ts), or a Protime delivery, handled here in
 * one pass: verify, parse, select, build the items, answer, return. When the answer goes out decides what a
 * 2xx means to Protime (docs/trigger-design.md, "Acknowledgement").
 */
import type { IDataObject, INodeExecutionData, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import { loadVersionStore, parseDelivery, selectChanges } from '../shared/changes';
import { describeSignatureFailure, verifySignature } from '../shared/signature';
import { handleCheck, type CheckRequestData } from './check';
import { CHECK_HEADER, triggerIdentity } from './checkSignature';
import { clockMissedRenewal, decide } from './decide';
import { changeItem, resyncItem, takePendingResync } from './items';
import { acceptedKeys, memoryOf, plainCopy, takeOver, triggerState, type Memory, type TriggerState } from './record';
import { readSettings, type TriggerSettings } from './settings';
import { replaceSubscription } from './subscription';
import { handoffKey, putTestItems } from './testHandoff';

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

function reply(ctx: IWebhookFunctions, status: number, body: IDataObject): IWebhookResponseData {
	ctx.getResponseObject().status(status).json(body);
	return { noWebhookResponse: true };
}

/** A delivery renews only when the clock has evidently missed its chance (n8n cannot reach itself, say). */
async function renewIfClockMissed(this: IWebhookFunctions, memory: Memory, state: TriggerState, settings: TriggerSettings, items: INodeExecutionData[]): Promise<void> {
	const record = state.subscription;
	if (!record || !clockMissedRenewal(record, settings.renewalMarginMs, settings.checkIntervalMinutes * 60_000, Date.now())) return;
	const decision = decide(record, 'unasked', record.destination, settings, Date.now());
	if (decision.action === 'adopt') return;
	try {
		const done = await replaceSubscription.call(this, memory, state, record.destination, settings, decision, Date.now);
		if (done && decision.action === 'recover') items.push(resyncItem({ reason: decision.reason, detectedAt: new Date().toISOString(), previousWebhookId: done.replacedId }, settings, state));
	} catch (error) {
		this.logger.error(`Protime Trigger: renewing the subscription on a delivery failed; the next check retries: ${(error as Error).message}`);
	}
}

/** A Protime delivery. A test listen (`manual`) works on its own static data and never renews. */
async function handleDelivery(this: IWebhookFunctions, req: RawRequest, state: TriggerState, memory: Memory | undefined): Promise<IWebhookResponseData> {
	const now = Date.now();
	// Verification reads the keys without writing: a request that does not verify changes nothing.
	const keys = acceptedKeys(state.subscription, now);
	if (memory?.record && memory.record.id !== state.subscription?.id) keys.push(...acceptedKeys(memory.record, now));
	const check = verifySignature(req.rawBody, req.headers, keys);
	if (!check.valid) {
		this.logger.warn(`Protime Trigger: rejected a delivery (401): ${describeSignatureFailure(check.reason)}`);
		return reply(this, 401, { error: 'Unauthorized', message: 'Invalid or missing signature' });
	}
	const parsed = parseDelivery(deliveryBody(req));
	if (!parsed.ok) {
		this.logger.warn(`Protime Trigger: rejected a delivery (400): ${parsed.message}`);
		return reply(this, 400, { error: 'Bad Request', message: parsed.message });
	}
	const settings = readSettings(this);
	const afterExecution = settings.acknowledge === 'afterExecution' && memory !== undefined;
	if (memory) takeOver(memory, state, afterExecution);

	const stored = memory ? (memory.versions ?? (state.versions && plainCopy(state.versions))) : state.versions;
	const store = settings.dropStale ? loadVersionStore(stored, settings.collectionName) : undefined;
	// An unacknowledged resend of the newest version is emitted again when 2xx means "executed" (its first
	// execution may have failed); with acknowledgement on receipt it was taken, so it is dropped.
	const { wanted, dropped, recorded } = selectChanges(parsed.changes, settings.events, store, { keepResends: afterExecution });
	if (store && recorded) {
		// The filter is shared live within this process, so concurrent requests do not save over each other's.
		if (memory) memory.versions = store as unknown as IDataObject;
		state.versions = store as unknown as IDataObject;
	}

	const items: INodeExecutionData[] = memory ? takePendingResync(state, settings) : [];
	if (memory) await renewIfClockMissed.call(this, memory, state, settings, items);
	// A loop, not push(...map()): a delivery may hold up to 50,000 changes, too many for spread arguments.
	for (const change of wanted) items.push(changeItem(change, settings, state));
	const summary = { received: parsed.changes.length, emitted: wanted.length, dropped };
	if (items.length === 0) return reply(this, 200, summary);
	if (!memory) {
		putTestItems(handoffKey(this.getWorkflow().id, this.getNode().name), [items]);
		return { ...reply(this, 200, summary), workflowData: [items] };
	}
	// n8n answers once the execution has finished: 2xx when it succeeded, 500 when it failed; a crash answers nothing.
	if (afterExecution) return { workflowData: [items] };
	return { ...reply(this, 200, summary), workflowData: [items] };
}

export async function receive(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const req = this.getRequestObject() as unknown as RawRequest;
	await ensureRawBody(req);
	const state = triggerState(this.getWorkflowStaticData('node'));
	const production = this.getMode() !== 'manual';
	const memory = production ? memoryOf(triggerIdentity(this)) : undefined;
	if (req.headers[CHECK_HEADER] !== undefined) return await handleCheck.call(this, req, state, memory);
	return await handleDelivery.call(this, req, state, memory);
}
