/**
 * The maintenance ping: how the trigger's clock (`trigger()`, a cron tick) asks `webhook()` to check and
 * renew the subscription. The tick cannot renew by itself because n8n does not persist static data written
 * during a tick that does not emit, while static data written in `webhook()` is persisted when the node
 * answers the request itself. The ping is an HTTP request to this node's own production URL, so in queue
 * mode it is handled by a webhook process like any delivery.
 *
 * Format: header `x-protime-trigger-maintenance: t=<epoch ms>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`.
 * The secret is random per activation and stored at `create()`; it is never sent. A ping is accepted only
 * within {@link PING_MAX_AGE_MS} of its timestamp and when newer than the last accepted one (no replays).
 */
import { hmacSha256, safeEqual } from '../shared/signature';

export const MAINTENANCE_HEADER = 'x-protime-trigger-maintenance';
export const PING_MAX_AGE_MS = 5 * 60_000;

export interface MaintenanceRequest {
	body: string;
	header: string;
}

function mac(secret: string, timestamp: number, rawBody: Buffer | string): Buffer {
	return hmacSha256(secret, Buffer.concat([Buffer.from(`${timestamp}.`), Buffer.from(rawBody)]));
}

export function signMaintenancePing(secret: string, now = Date.now()): MaintenanceRequest {
	const body = JSON.stringify({ protimeTriggerMaintenance: 1, sentAt: new Date(now).toISOString() });
	return { body, header: `t=${now},v1=${mac(secret, now, body).toString('hex')}` };
}

export type PingCheck = { ok: true; timestamp: number } | { ok: false; reason: string };

/** Verifies a ping; never throws. */
export function verifyMaintenancePing(
	header: string | string[] | undefined,
	rawBody: Buffer | undefined,
	secret: string | undefined,
	lastAccepted: number | undefined,
	now = Date.now(),
): PingCheck {
	try {
		if (!secret) return { ok: false, reason: 'no renewal secret is stored for this trigger' };
		if (!Buffer.isBuffer(rawBody)) return { ok: false, reason: 'the raw body is missing' };
		const value = Array.isArray(header) ? header[0] : header;
		const match = /^t=(\d{10,16}),v1=([0-9a-f]{64})$/.exec((value ?? '').trim());
		if (!match) return { ok: false, reason: 'the maintenance header is malformed' };
		const timestamp = Number(match[1]);
		if (Math.abs(now - timestamp) > PING_MAX_AGE_MS) return { ok: false, reason: 'the ping is too old or from the future' };
		if (lastAccepted !== undefined && timestamp <= lastAccepted) return { ok: false, reason: 'the ping was already used' };
		if (!safeEqual(mac(secret, timestamp, rawBody), Buffer.from(match[2], 'hex'))) {
			return { ok: false, reason: 'the ping signature does not match' };
		}
		return { ok: true, timestamp };
	} catch {
		return { ok: false, reason: 'the ping could not be checked' };
	}
}
