/** Searchable lists behind the Protime node's Resource Locators ("From List" mode). */
import type {
	ILoadOptionsFunctions,
	INodeListSearchItems,
	INodeListSearchResult,
} from 'n8n-workflow';

import { listWebhooks } from '../../shared/webhooksApi';

/** `clockings → https://example.com/hook (Enabled, until 2026-12-31T10:00:00Z)` */
export function webhookLabel(w: {
	collectionName: string;
	destinationUrl: string;
	status: string;
	validUntil: string;
}): string {
	return `${w.collectionName} → ${w.destinationUrl} (${w.status}, until ${w.validUntil})`;
}

/**
 * The tenant's webhook subscriptions, newest expiry first; `filter` keeps those whose collection, destination,
 * status or ID contains it (case-insensitive). Protime returns them all in one list, so there is no paging token.
 */
export async function searchWebhooks(
	this: ILoadOptionsFunctions,
	filter?: string,
): Promise<INodeListSearchResult> {
	const needle = (filter ?? '').trim().toLowerCase();
	const results: INodeListSearchItems[] = (await listWebhooks.call(this, {}))
		.slice()
		.sort((a, b) => String(b.validUntil).localeCompare(String(a.validUntil)))
		.map((w) => ({ name: webhookLabel(w), value: w.id }))
		.filter((r) => needle === '' || `${r.name} ${r.value}`.toLowerCase().includes(needle));
	return { results };
}
