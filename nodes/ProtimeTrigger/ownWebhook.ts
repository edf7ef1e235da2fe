/**
 * One signed request to the node's own production webhook (a check, flush or persist request), sent the
 * same way by the clock and by a delivery: a 404 or a refused connection lets the caller try its next address,
 * a timeout does not (the request may still be running there).
 */
import type { IDataObject, ITriggerFunctions, IWebhookFunctions } from 'n8n-workflow';

import { CHECK_HEADER, type CheckRequest } from './checkSignature';
import { isSsrfRefusal, SSRF_SETTINGS } from './report';

function parseBody(body: unknown): IDataObject {
	if (typeof body !== 'string') return (body ?? {}) as IDataObject;
	try {
		return JSON.parse(body) as IDataObject;
	} catch {
		return { text: body.slice(0, 200) };
	}
}

export type CheckOutcome =
	| { reached: true; statusCode: number; body: IDataObject }
	| { reached: false; reason: string; tryNext: boolean; timedOut?: boolean; ssrf?: boolean };

function describeNetworkError(error: unknown): { reason: string; timedOut: boolean } {
	const e = (error ?? {}) as { message?: unknown; code?: unknown; cause?: { code?: unknown } };
	const code =
		typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : '';
	const message = typeof e.message === 'string' ? e.message : 'request failed';
	const timedOut = code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(message);
	return { reason: code && !message.includes(code) ? `${message} (${code})` : message, timedOut };
}

/** Sends one signed request to `url`; never throws. */
export async function postSigned(
	this: ITriggerFunctions | IWebhookFunctions,
	url: string,
	request: CheckRequest,
	timeout: number,
): Promise<CheckOutcome> {
	try {
		const response = (await this.helpers.httpRequest({
			method: 'POST',
			url,
			body: request.body,
			headers: { 'Content-Type': 'application/json', [CHECK_HEADER]: request.header },
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout,
		})) as { statusCode: number; body: unknown };
		if (response.statusCode === 404) {
			return {
				reached: false,
				reason: 'answered 404: no active webhook of this workflow is registered at this address',
				tryNext: true,
			};
		}
		return { reached: true, statusCode: response.statusCode, body: parseBody(response.body) };
	} catch (error) {
		const { reason, timedOut } = describeNetworkError(error);
		if (isSsrfRefusal(error))
			return { reached: false, reason: `${reason}: ${SSRF_SETTINGS}`, tryNext: true, ssrf: true };
		// A timeout may mean the request is still being handled there; a second one could renew twice.
		if (timedOut)
			return {
				reached: false,
				reason: `${reason}; it may still be running there, so no other address is tried`,
				tryNext: false,
				timedOut: true,
			};
		return { reached: false, reason, tryNext: true };
	}
}
