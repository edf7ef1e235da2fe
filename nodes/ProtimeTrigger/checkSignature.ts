/**
 * Signing of the check (and flush) requests the clock sends to the node's own webhook. The secret is derived from the
 * credential, the workflow id and the node's webhook id, so it is stored nowhere and every n8n process of
 * the instance derives the same one (docs/trigger-design.md, "The check loop").
 */
import type { INode, ITriggerFunctions, IWebhookFunctions } from 'n8n-workflow';

import type { ProtimeCredentialData } from '../../credentials/ProtimeApi.credentials';
import { parseVersionEntries, type VersionEntry } from '../shared/changes';
import { hmacSha256, safeEqual } from '../shared/signature';
import type { FlushReport } from './batch';

export const CHECK_HEADER = 'x-protime-trigger-check';
export const CHECK_MAX_AGE_MS = 5 * 60_000;
const DERIVATION_LABEL = 'n8n-nodes-protime/check/v1';
/** The `code` of a 409 answer: the check found no subscription recorded and did not subscribe (yet). */
export const UNRECORDED = 'unrecorded';

export interface CheckRequest {
	body: string;
	header: string;
}

/**
 * One trigger node of one workflow: the workflow id and the node's webhook id (n8n gives every webhook node a
 * unique one), else its name. Names the node in the check secret derivation and in this process's memories.
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

/** The check secret of one trigger node (hex). Pure: the same inputs give the same secret on every n8n instance and worker. */
export function deriveCheckSecret(material: string, workflowId: string, node: INode): string {
	return hmacSha256(material, `${DERIVATION_LABEL}/${identityOf(workflowId, node)}`).toString(
		'hex',
	);
}

/**
 * Reads the node's credential and derives its check secret; undefined when the credential cannot be read or
 * holds no material. Kept apart from any HTTP call (the credential is not used to authenticate a request).
 */
export async function checkSecret(
	this: ITriggerFunctions | IWebhookFunctions,
): Promise<string | undefined> {
	let credentials: ProtimeCredentialData;
	try {
		credentials = (await this.getCredentials('protimeApi')) as ProtimeCredentialData;
	} catch {
		return undefined;
	}
	const material = secretMaterial(credentials);
	if (material === undefined) return undefined;
	return deriveCheckSecret(material, String(this.getWorkflow().id ?? ''), this.getNode());
}

function mac(secret: string, timestamp: number, rawBody: Buffer | string): Buffer {
	return hmacSha256(secret, Buffer.concat([Buffer.from(`${timestamp}.`), Buffer.from(rawBody)]));
}

export function signCheck(secret: string, now = Date.now(), unrecordedChecks = 0): CheckRequest {
	const body = JSON.stringify({
		protimeTriggerCheck: 1,
		sentAt: new Date(now).toISOString(),
		unrecordedChecks,
	});
	return { body, header: `t=${now},v1=${mac(secret, now, body).toString('hex')}` };
}

/** A flush request (Batch Changes, batch.ts): its id, and the outcome of the clock's previous flush. */
export function signFlush(
	secret: string,
	now: number,
	flushId: string,
	report: FlushReport | undefined,
): CheckRequest {
	const body = JSON.stringify({
		protimeTriggerCheck: 1,
		purpose: 'flush',
		sentAt: new Date(now).toISOString(),
		flushId,
		report: report ?? null,
	});
	return { body, header: `t=${now},v1=${mac(secret, now, body).toString('hex')}` };
}

/** A persist request (persist.ts): the versions a delivery recorded, for n8n to save before it runs. */
export function signPersist(secret: string, now: number, versions: VersionEntry[]): CheckRequest {
	const body = JSON.stringify({
		protimeTriggerCheck: 1,
		purpose: 'persist',
		sentAt: new Date(now).toISOString(),
		versions,
	});
	return { body, header: `t=${now},v1=${mac(secret, now, body).toString('hex')}` };
}

export interface FlushFields {
	flushId: string;
	report?: FlushReport;
}

export type CheckVerdict =
	| {
			ok: true;
			timestamp: number;
			unrecordedChecks: number;
			flush?: FlushFields;
			persist?: VersionEntry[];
	  }
	| { ok: false; reason: string };

function bodyOf(rawBody: Buffer | undefined): Record<string, unknown> {
	try {
		const body = JSON.parse(Buffer.isBuffer(rawBody) ? rawBody.toString('utf8') : '') as unknown;
		return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
	} catch {
		return {};
	}
}

/** What a request to the check header claims to be (routing only: the handler verifies it). */
export function requestPurpose(rawBody: Buffer | undefined): 'check' | 'flush' | 'persist' {
	const purpose = bodyOf(rawBody).purpose;
	return purpose === 'flush' || purpose === 'persist' ? purpose : 'check';
}

/** The signed count of earlier checks that found nothing recorded; 0 when absent or not a small whole number. */
function unrecordedChecksOf(body: Record<string, unknown>): number {
	const value = body.unrecordedChecks;
	return Number.isSafeInteger(value) && (value as number) > 0 ? (value as number) : 0;
}

function flushFieldsOf(body: Record<string, unknown>): FlushFields | undefined {
	if (body.purpose !== 'flush' || typeof body.flushId !== 'string' || body.flushId === '')
		return undefined;
	const report = body.report as Partial<FlushReport> | null;
	const valid =
		report &&
		typeof report.id === 'string' &&
		(report.outcome === 'done' || report.outcome === 'failed');
	return {
		flushId: body.flushId,
		report: valid
			? { id: report.id as string, outcome: report.outcome as FlushReport['outcome'] }
			: undefined,
	};
}

/** Verifies a check request; never throws. */
export function verifyCheck(
	header: string | string[] | undefined,
	rawBody: Buffer | undefined,
	secret: string | undefined,
	lastAccepted: number | undefined,
	now = Date.now(),
): CheckVerdict {
	try {
		if (!secret) {
			return {
				ok: false,
				reason:
					"the check secret cannot be derived: the node's Protime credential could not be read or holds no client secret or access token",
			};
		}
		if (!Buffer.isBuffer(rawBody)) return { ok: false, reason: 'the raw body is missing' };
		const value = Array.isArray(header) ? header[0] : header;
		const match = /^t=(\d{10,16}),v1=([0-9a-f]{64})$/.exec((value ?? '').trim());
		if (!match) return { ok: false, reason: 'the check header is malformed' };
		const timestamp = Number(match[1]);
		if (Math.abs(now - timestamp) > CHECK_MAX_AGE_MS)
			return { ok: false, reason: 'the check request is too old or from the future' };
		if (lastAccepted !== undefined && timestamp <= lastAccepted)
			return { ok: false, reason: 'the check request was already used' };
		if (!safeEqual(mac(secret, timestamp, rawBody), Buffer.from(match[2], 'hex'))) {
			return {
				ok: false,
				reason:
					'the check signature does not match (signed with another credential, workflow or node?)',
			};
		}
		const body = bodyOf(rawBody);
		return {
			ok: true,
			timestamp,
			unrecordedChecks: unrecordedChecksOf(body),
			flush: flushFieldsOf(body),
			persist: body.purpose === 'persist' ? parseVersionEntries(body.versions) : undefined,
		};
	} catch {
		return { ok: false, reason: 'the check request could not be verified' };
	}
}
