/**
 * `webhook()` of the Protime Trigger: a maintenance ping from the node's own clock, or a Protime delivery.
 * The node always answers the request itself and returns `noWebhookResponse`, which is the form in which
 * n8n 2.41 persists what `webhook()` wrote to static data (renewed id and key, the version filter).
 */
import type { IDataObject, INodeExecutionData, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import {
	dropStaleChanges,
	loadVersionStore,
	parseDelivery,
	sortByChangeVersion,
	wantedChanges,
	type Change,
} from '../shared/changes';
import { describeSignatureFailure, verifySignature, type HeaderMap } from '../shared/signature';
import { changeItem, resyncItem } from './items';
import { adoptNewer } from './localRenewals';
import {
	lastAcceptedPing,
	MAINTENANCE_HEADER,
	maintenanceSecret,
	rememberAcceptedPing,
	triggerIdentity,
	UNRECORDED,
	verifyMaintenancePing,
} from './maintenance';
import { readSettings, type TriggerSettings } from './settings';
import { acceptedKeys, clockMissedRenewal, subscriptionState, type PendingResync, type SubscriptionState } from './state';
import { deleteOthersAtUrl, maintainSubscription, recoverSubscription, type Maintenance } from './subscription';
import { handoffKey, putTestItems } from './testHandoff';

type RawRequest = { headers: HeaderMap; rawBody?: Buffer; body?: unknown; readRawBody?: () => Promise<void> };

/**
 * n8n reads and parses the body of a version-2 webhook node only for parsable content types (JSON, text,
 * form, XML); for any other type it leaves the stream unread, and offers `readRawBody()`. Version 1 always
 * had the raw body. Without a raw body the signature check fails closed, as before.
 */
async function ensureRawBody(req: RawRequest): Promise<void> {
	if (Buffer.isBuffer(req.rawBody) || typeof req.readRawBody !== 'function') return;
	try {
		await req.readRawBody();
	} catch {
		// Unreadable (aborted) body: verification reports the missing raw body.
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

function reply(ctx: IWebhookFunctions, status: number, body: IDataObject): void {
	ctx.getResponseObject().status(status).json(body);
}

function lapseNotice(ctx: IWebhookFunctions, m: Extract<Maintenance, { action: 'renewed' | 'recreated' }>, settings: TriggerSettings): PendingResync {
	const lapse = { reason: m.reason, detectedAt: new Date().toISOString(), previousWebhookId: m.previousWebhookId };
	ctx.logger.error(
		`Protime Trigger: the subscription for ${settings.collectionName} lapsed (${m.reason}); a new one was created. ` +
			`Changes made meanwhile may be missing: run the Protime node's Get Many for ${settings.collectionName} to resync.`,
	);
	return lapse;
}

/** The resync notice left by an activation hook, emitted once. */
function takePendingResync(state: SubscriptionState, settings: TriggerSettings): INodeExecutionData[] {
	const pending = state.pendingResync;
	if (!pending) return [];
	delete state.pendingResync;
	return [resyncItem(pending, settings, state)];
}

/**
 * A check asked for by the clock. It writes static data only when something changed (a renewal, a resync
 * notice taken): n8n saves the whole object, so a needless write could put an older copy back.
 *
 * When nothing is recorded at all the node may be in the middle of activation (n8n 2.41 starts the clock
 * before `create()` has saved), so the first such check answers 409 and writes nothing. The clock counts
 * those answers and signs the count into its next ping; one interval later activation is long over, and
 * the check subscribes again (the state was lost) and emits ResyncRequired.
 */
async function handlePing(this: IWebhookFunctions, req: RawRequest, state: SubscriptionState, identity: string): Promise<IWebhookResponseData> {
	// Derived from the credential, like the clock does: no secret is shared through static data.
	const secret = await maintenanceSecret.call(this);
	const check = verifyMaintenancePing(req.headers[MAINTENANCE_HEADER], req.rawBody, secret, lastAcceptedPing(identity));
	if (!check.ok) {
		this.logger.warn(`Protime Trigger: rejected a maintenance request (401): ${check.reason}`);
		reply(this, 401, { error: 'Unauthorized' });
		return { noWebhookResponse: true };
	}
	rememberAcceptedPing(identity, check.timestamp);
	const settings = readSettings(this);
	const unrecorded = !state.destinationUrl;
	if (unrecorded && check.unrecordedChecks === 0) {
		const message = 'No Protime subscription is recorded for this trigger yet (activation may still be saving it); the next check subscribes again if none is recorded by then.';
		this.logger.warn(`Protime Trigger: ${message}`);
		reply(this, 409, { ok: false, code: UNRECORDED, error: message });
		return { noWebhookResponse: true };
	}
	let maintenance: Maintenance;
	const problems: string[] = [];
	try {
		maintenance = unrecorded
			? await recoverSubscription.call(this, state, settings)
			: await maintainSubscription.call(this, state, settings, true);
		if (maintenance.action !== 'none') problems.push(...maintenance.problems);
		// Subscriptions to this URL whose key is not stored (left by a request that overwrote a renewal, or by
		// lost static data) would keep Protime delivering what is refused with 401.
		if (state.webhookId && state.destinationUrl) {
			problems.push(...(await deleteOthersAtUrl.call(this, state.destinationUrl, state.webhookId, 'a second subscription at this trigger URL, whose key is not stored')));
		}
	} catch (error) {
		const message = (error as Error).message;
		this.logger.error(`Protime Trigger: the subscription check failed and will be retried at the next check: ${message}`);
		reply(this, 502, { ok: false, error: message });
		return { noWebhookResponse: true };
	}
	const items = takePendingResync(state, settings);
	if (maintenance.action !== 'none') {
		if (maintenance.lapsed) items.push(resyncItem(lapseNotice(this, maintenance, settings), settings, state));
		else this.logger.info(`Protime Trigger: renewed the subscription (${maintenance.reason}); now ${state.webhookId}, valid until ${state.validUntil}`);
	}
	reply(this, 200, {
		ok: true,
		action: maintenance.action,
		webhookId: state.webhookId ?? null,
		validUntil: state.validUntil ?? null,
		// Where Protime delivers: the clock sends its next pings there (a routing hint, not a secret).
		destinationUrl: state.destinationUrl ?? null,
		problems,
	});
	return items.length ? { noWebhookResponse: true, workflowData: [items] } : { noWebhookResponse: true };
}

function selectChanges(
	changes: Change[],
	settings: TriggerSettings,
	state: SubscriptionState,
): { wanted: readonly Change[]; dropped: number } {
	const ordered = sortByChangeVersion(changes);
	let fresh = ordered;
	let dropped = 0;
	if (settings.dropStale) {
		const store = loadVersionStore(state.versions, settings.collectionName);
		({ fresh, dropped } = dropStaleChanges(ordered, store));
		// Any write to static data, even of the same value, makes n8n save all of it to its database after this
		// request: assign only a new store. The stored one is updated in place, and only for fresh changes, so a
		// delivery of duplicates (Protime retrying) writes nothing.
		if (state.versions !== (store as unknown)) state.versions = store as unknown as IDataObject;
	}
	return { wanted: wantedChanges(fresh, settings.events), dropped };
}

/** A Protime delivery; `identity` is undefined for a test listen (its own static data, no renewal). */
async function handleDelivery(
	this: IWebhookFunctions,
	req: RawRequest,
	state: SubscriptionState,
	identity: string | undefined,
): Promise<IWebhookResponseData> {
	const manual = identity === undefined;
	const check = verifySignature(req.rawBody, req.headers, acceptedKeys(state));
	if (!check.valid) {
		this.logger.warn(`Protime Trigger: rejected a delivery (401): ${describeSignatureFailure(check.reason)}`);
		reply(this, 401, { error: 'Unauthorized', message: 'Invalid or missing signature' });
		return { noWebhookResponse: true };
	}
	const parsed = parseDelivery(deliveryBody(req));
	if (!parsed.ok) {
		this.logger.warn(`Protime Trigger: rejected a delivery (400): ${parsed.message}`);
		reply(this, 400, { error: 'Bad Request', message: parsed.message });
		return { noWebhookResponse: true };
	}
	const settings = readSettings(this);
	const { wanted, dropped } = selectChanges(parsed.changes, settings, state);
	reply(this, 200, { received: parsed.changes.length, emitted: wanted.length, dropped });

	const items = manual ? [] : takePendingResync(state, settings);
	// The clock renews; a delivery only once the clock has evidently missed its chance (n8n cannot reach
	// itself, say). After answering, so Protime is not kept waiting; before returning, so n8n saves the new
	// id and key.
	if (identity && clockMissedRenewal(state, settings.renewalMarginMs, settings.checkIntervalMinutes * 60_000)) {
		try {
			const maintenance = await maintainSubscription.call(this, state, settings, false);
			if (maintenance.action !== 'none') {
				this.logger.info(`Protime Trigger: renewed the subscription on delivery (${maintenance.reason}); now ${state.webhookId}`);
			}
		} catch (error) {
			this.logger.error(`Protime Trigger: renewing the subscription on delivery failed; the next check retries: ${(error as Error).message}`);
		}
	}
	// A loop, not push(...map()): a delivery may hold up to 50,000 changes, too many for spread arguments.
	for (const change of wanted) items.push(changeItem(change, settings, state));
	// Last moment before n8n saves this request's copy: take over a renewal saved while it ran.
	if (identity) adoptNewer(identity, state);
	if (items.length === 0) return { noWebhookResponse: true };
	if (manual) putTestItems(handoffKey(this.getWorkflow().id, this.getNode().name), [items]);
	return { noWebhookResponse: true, workflowData: [items] };
}

export async function handleWebhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const req = this.getRequestObject() as unknown as RawRequest;
	await ensureRawBody(req);
	const state = subscriptionState(this.getWorkflowStaticData('node'));
	const identity = triggerIdentity(this);
	// A test listen works on its own static data; a production request first takes over a renewal of this
	// process that is newer than its copy of static data (see localRenewals.ts).
	const production = this.getMode() !== 'manual';
	if (production) adoptNewer(identity, state);
	if (req.headers[MAINTENANCE_HEADER] !== undefined) return await handlePing.call(this, req, state, identity);
	return await handleDelivery.call(this, req, state, production ? identity : undefined);
}
