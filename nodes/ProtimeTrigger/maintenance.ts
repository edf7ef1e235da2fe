/**
 * The maintenance ping: how the trigger's clock (`trigger()`, a cron tick) asks `webhook()` to check and
 * renew the subscription. The tick cannot renew by itself because n8n does not persist static data written
 * during a tick that does not emit, while static data written in `webhook()` is persisted when the node
 * answers the request itself. The ping is an HTTP request to this node's own production URL, so in queue
 * mode it is handled by a webhook process like any delivery.
 *
 * Why the secret is derived and not stored: with n8n 2.41's workflow publication service (the default),
 * activation runs `trigger()` BEFORE `checkExists`/`create()`, on a different Workflow object, and the
 * trigger context's static data is an in-memory copy that is never refreshed. So the clock cannot read
 * anything `create()` or `webhook()` writes. Clock and `webhook()` share no state: each derives the same
 * secret from what both can read, the node's Protime credential, its workflow id and its webhook id:
 *   secret = HMAC-SHA256(material, "n8n-nodes-protime/maintenance/v1/<workflowId>/<webhookId>")
 * where material is the client secret (client-credentials mode) or the pasted access token. Both sides read
 * the credential at each ping, so an edited credential changes both at once. The secret, the material and
 * anything derived from them are never logged or sent.
 *
 * Format: header `x-protime-trigger-maintenance: t=<epoch ms>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`;
 * body `{"protimeTriggerMaintenance":1,"sentAt":…,"unrecordedChecks":n}`, where n counts the clock's
 * previous checks in a row that found no subscription recorded (see `handlePing`).
 * A ping is accepted only within {@link PING_MAX_AGE_MS} of its timestamp and when newer than the last one
 * this process accepted for the node. That memory is not static data on purpose: a check of a healthy
 * subscription writes nothing, so it can never overwrite what activation or a renewal saved meanwhile. A
 * ping replayed to another process within the window causes one more status check, nothing else.
 */
import type { INode, ITriggerFunctions, IWebhookFunctions } from 'n8n-workflow';

import type { ProtimeCredentialData } from '../../credentials/ProtimeApi.credentials';
import { hmacSha256, safeEqual } from '../shared/signature';

export const MAINTENANCE_HEADER = 'x-protime-trigger-maintenance';
export const PING_MAX_AGE_MS = 5 * 60_000;
export const PING_DERIVATION_LABEL = 'n8n-nodes-protime/maintenance/v1';
/** The `code` of a 409 answer: the check found no subscription recorded and did not subscribe (yet). */
export const UNRECORDED = 'unrecorded';

export interface MaintenanceRequest {
	body: string;
	header: string;
}

/**
 * One trigger node of one workflow: the workflow id and the node's webhook id (n8n gives every webhook node a
 * unique one), else its name. Names the node in the ping derivation and in this process's memories.
 */
function identityOf(workflowId: string, node: INode): string {
	return `${workflowId}/${node.webhookId ?? `name:${node.name}`}`;
}

/** {@link identityOf} the node a context runs. */
export function triggerIdentity(ctx: Pick<IWebhookFunctions, 'getWorkflow' | 'getNode'>): string {
	return identityOf(String(ctx.getWorkflow().id ?? ''), ctx.getNode());
}

/** What the secret is derived from, by authentication mode; undefined when the credential holds none. */
export function secretMaterial(credentials: ProtimeCredentialData): string | undefined {
	const material =
		credentials.authentication === 'accessToken'
			? (credentials.accessToken ?? '').trim().replace(/^bearer\s+/i, '')
			: (credentials.clientSecret ?? '');
	return material === '' ? undefined : material;
}

/** The ping secret of one trigger node (hex). Pure: the same inputs give the same secret on every n8n instance and worker. */
export function deriveMaintenanceSecret(material: string, workflowId: string, node: INode): string {
	return hmacSha256(material, `${PING_DERIVATION_LABEL}/${identityOf(workflowId, node)}`).toString('hex');
}

/**
 * Reads the node's credential and derives its ping secret; undefined when the credential cannot be read or
 * holds no material. Kept apart from any HTTP call (the credential is not used to authenticate a request).
 */
export async function maintenanceSecret(this: ITriggerFunctions | IWebhookFunctions): Promise<string | undefined> {
	let credentials: ProtimeCredentialData;
	try {
		credentials = (await this.getCredentials('protimeApi')) as ProtimeCredentialData;
	} catch {
		return undefined;
	}
	const material = secretMaterial(credentials);
	if (material === undefined) return undefined;
	return deriveMaintenanceSecret(material, String(this.getWorkflow().id ?? ''), this.getNode());
}

function mac(secret: string, timestamp: number, rawBody: Buffer | string): Buffer {
	return hmacSha256(secret, Buffer.concat([Buffer.from(`${timestamp}.`), Buffer.from(rawBody)]));
}

export function signMaintenancePing(secret: string, now = Date.now(), unrecordedChecks = 0): MaintenanceRequest {
	const body = JSON.stringify({ protimeTriggerMaintenance: 1, sentAt: new Date(now).toISOString(), unrecordedChecks });
	return { body, header: `t=${now},v1=${mac(secret, now, body).toString('hex')}` };
}

export type PingCheck = { ok: true; timestamp: number; unrecordedChecks: number } | { ok: false; reason: string };

/** The signed count of earlier checks that found nothing recorded; 0 when absent or not a small whole number. */
function unrecordedChecksOf(rawBody: Buffer): number {
	try {
		const value = (JSON.parse(rawBody.toString('utf8')) as { unrecordedChecks?: unknown }).unrecordedChecks;
		return Number.isSafeInteger(value) && (value as number) > 0 ? (value as number) : 0;
	} catch {
		return 0;
	}
}

/** Verifies a ping; never throws. */
export function verifyMaintenancePing(
	header: string | string[] | undefined,
	rawBody: Buffer | undefined,
	secret: string | undefined,
	lastAccepted: number | undefined,
	now = Date.now(),
): PingCheck {
	try {
		if (!secret) {
			return { ok: false, reason: "the ping secret cannot be derived: the node's Protime credential could not be read or holds no client secret or access token" };
		}
		if (!Buffer.isBuffer(rawBody)) return { ok: false, reason: 'the raw body is missing' };
		const value = Array.isArray(header) ? header[0] : header;
		const match = /^t=(\d{10,16}),v1=([0-9a-f]{64})$/.exec((value ?? '').trim());
		if (!match) return { ok: false, reason: 'the maintenance header is malformed' };
		const timestamp = Number(match[1]);
		if (Math.abs(now - timestamp) > PING_MAX_AGE_MS) return { ok: false, reason: 'the ping is too old or from the future' };
		if (lastAccepted !== undefined && timestamp <= lastAccepted) return { ok: false, reason: 'the ping was already used' };
		if (!safeEqual(mac(secret, timestamp, rawBody), Buffer.from(match[2], 'hex'))) {
			return { ok: false, reason: 'the ping signature does not match (signed with another credential, workflow or node?)' };
		}
		return { ok: true, timestamp, unrecordedChecks: unrecordedChecksOf(rawBody) };
	} catch {
		return { ok: false, reason: 'the ping could not be checked' };
	}
}

const MAX_REMEMBERED_PINGS = 1000;
const acceptedPings = new Map<string, number>();

/** The timestamp of the last ping this process accepted for a trigger (see the top of this file). */
export function lastAcceptedPing(identity: string): number | undefined {
	return acceptedPings.get(identity);
}

export function rememberAcceptedPing(identity: string, timestamp: number): void {
	if (acceptedPings.size >= MAX_REMEMBERED_PINGS && !acceptedPings.has(identity)) acceptedPings.clear();
	acceptedPings.set(identity, Math.max(timestamp, acceptedPings.get(identity) ?? 0));
}
