/** Output JSON of a webhook subscription: the resource plus the hours left until it expires. */
import type { IDataObject } from 'n8n-workflow';

import type { ProtimeWebhook } from '../../../shared/types';

/** Hours from `now` until `validUntil`, one decimal, 0 once passed; null when Protime sent no valid date. */
export function hoursRemaining(validUntil: unknown, now: number): number | null {
	const until = typeof validUntil === 'string' ? Date.parse(validUntil) : NaN;
	if (Number.isNaN(until)) return null;
	return Math.max(0, Math.round((until - now) / 360_000) / 10);
}

export function webhookJson(webhook: ProtimeWebhook, now: number): IDataObject {
	return {
		...(webhook as unknown as IDataObject),
		hoursRemaining: hoursRemaining(webhook.validUntil, now),
	};
}
