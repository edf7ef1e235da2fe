/**
 * Protime webhook management (docs/protime-reference.md §2): create (with its one-time key), list, get, delete.
 * Tolerant where the docs leave gaps (§7.2 the key's property name, §2.2 a relative Location), strict
 * where a mistake would be silent.
 */
import type { IDataObject, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { getCollection } from './catalogue';
import {
	formatExternalReferences,
	validateExternalReferences,
	type ExternalReferenceSpec,
} from './externalReferences';
import {
	isNotFoundError,
	protimePages,
	protimeRequest,
	protimeRequestFull,
	type ProtimeFunctions,
} from './transport';
import type { CollectionName, ProtimeWebhook, WebhookStatus } from './types';

export interface CreateWebhookArgs {
	collectionName: CollectionName | string;
	destinationUrl: string;
	externalReferences?: ExternalReferenceSpec[];
	itemIndex?: number;
}

/** Property names tried first, in order, at the top level and in a nested `webhook`/`data`/`value` object. */
const KEY_NAMES = [
	'key',
	'privateKey',
	'webhookKey',
	'secret',
	'hmacKey',
	'signingKey',
	'secretKey',
	'sharedSecret',
	'signatureKey',
];
const NESTED = ['webhook', 'data', 'value', 'result'];

function isObject(v: unknown): v is Record<string, unknown> {
	return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The webhook's private key in a 201 body whose property name the docs do not give (§7.2): the known
 * names first, then any string property whose name contains "key" or "secret" (case-insensitive).
 */
export function findWebhookKey(body: unknown): string | undefined {
	const candidates: Array<Record<string, unknown>> = [];
	if (isObject(body)) {
		candidates.push(body);
		for (const n of NESTED)
			if (isObject(body[n])) candidates.push(body[n] as Record<string, unknown>);
	}
	for (const obj of candidates) {
		for (const name of KEY_NAMES) {
			const value = obj[name];
			if (typeof value === 'string' && value !== '') return value;
		}
	}
	const search = (obj: unknown, depth: number): string | undefined => {
		if (!isObject(obj) || depth > 3) return undefined;
		for (const [name, value] of Object.entries(obj)) {
			if (typeof value === 'string' && value !== '' && /key|secret/i.test(name)) return value;
		}
		for (const value of Object.values(obj)) {
			const found = search(value, depth + 1);
			if (found) return found;
		}
		return undefined;
	};
	return search(body, 0);
}

/** Property paths of a body (names only, never values), for error messages. */
function propertyNames(body: unknown, prefix = '', depth = 0): string[] {
	if (!isObject(body) || depth > 2) return [];
	return Object.entries(body).flatMap(([name, value]) => [
		`${prefix}${name}`,
		...propertyNames(value, `${prefix}${name}.`, depth + 1),
	]);
}

/** The id at the end of a Location header, relative (`/connector/…/webhooks/{id}`) or absolute. */
function idFromLocation(location: string | string[] | undefined): string | undefined {
	const value = Array.isArray(location) ? location[0] : location;
	if (!value) return undefined;
	try {
		const segments = new URL(value, 'http://relative.invalid').pathname.split('/').filter(Boolean);
		const last = segments[segments.length - 1];
		return last && last !== 'webhooks' ? decodeURIComponent(last) : undefined;
	} catch {
		return undefined;
	}
}

function checkedId(fns: ProtimeFunctions, id: string, itemIndex?: number): string {
	const value = String(id ?? '').trim();
	if (value === '' || /[/?#\\\s]/.test(value)) {
		throw new NodeOperationError(
			fns.getNode(),
			`"${value.slice(0, 100)}" is not a valid webhook ID`,
			{
				description:
					'Use the id of a Protime webhook, e.g. a7d853ea-89eb-4735-83d1-b891c6fde398 from the Create or Get Many output.',
				itemIndex,
			},
		);
	}
	return encodeURIComponent(value);
}

/** Creates a webhook; returns it with the private key, which Protime shows only in this answer. */
export async function createWebhook(
	this: ProtimeFunctions,
	args: CreateWebhookArgs,
): Promise<{ webhook: ProtimeWebhook; key: string }> {
	const refs = args.externalReferences ?? [];
	const problem = getCollection(args.collectionName)
		? validateExternalReferences(args.collectionName, refs, { forWebhook: true })
		: `Unknown collection "${args.collectionName}".`;
	if (problem) throw new NodeOperationError(this.getNode(), problem, { itemIndex: args.itemIndex });

	const res = await protimeRequestFull.call(this, {
		method: 'POST',
		path: '/webhooks',
		qs: refs.length ? { externalReferences: formatExternalReferences(refs) } : undefined,
		body: { destinationUrl: args.destinationUrl, collectionName: args.collectionName },
		itemIndex: args.itemIndex,
	});
	const body = isObject(res.body) ? res.body : {};
	const nested = NESTED.map((n) => body[n]).find(isObject) ?? {};
	const key = findWebhookKey(body);
	if (key === undefined) {
		const names = propertyNames(body);
		throw new NodeApiError(this.getNode(), { message: 'no key' } as JsonObject, {
			message: 'Protime created the webhook but its answer holds no private key',
			description: `The 201 body has the properties: ${names.join(', ') || '(none)'}. The key is needed to verify deliveries and cannot be retrieved later; delete the webhook ${String(body.id ?? nested.id ?? idFromLocation(res.headers.location) ?? '')} in Protime and report this answer shape to the package maintainers.`,
			itemIndex: args.itemIndex,
		});
	}
	const pick = (name: string): unknown => body[name] ?? nested[name];
	const id =
		typeof pick('id') === 'string' || typeof pick('id') === 'number'
			? String(pick('id'))
			: idFromLocation(res.headers.location);
	if (id === undefined) {
		throw new NodeApiError(this.getNode(), { message: 'no id' } as JsonObject, {
			message: 'Protime created the webhook but named no id for it',
			description: `Neither the body (properties: ${propertyNames(body).join(', ') || 'none'}) nor the Location header holds an id.`,
			itemIndex: args.itemIndex,
		});
	}
	let webhook: ProtimeWebhook = {
		id,
		validUntil: typeof pick('validUntil') === 'string' ? (pick('validUntil') as string) : '',
		status: (typeof pick('status') === 'string' ? pick('status') : 'Enabled') as WebhookStatus,
		destinationUrl:
			typeof pick('destinationUrl') === 'string'
				? (pick('destinationUrl') as string)
				: args.destinationUrl,
		collectionName: (typeof pick('collectionName') === 'string'
			? pick('collectionName')
			: args.collectionName) as CollectionName,
		externalReferences: pick('externalReferences'),
	};
	if (webhook.validUntil === '') {
		// The docs promise validUntil in the 201 body; if it is missing, read the resource once.
		const fetched = await getWebhook.call(this, id, args.itemIndex);
		if (fetched) webhook = { ...fetched, ...{ id } };
	}
	return { webhook, key };
}

/** All webhooks, optionally filtered by status and collection (`GET /webhooks?filter=`). */
export async function listWebhooks(
	this: ProtimeFunctions,
	opts: {
		status?: WebhookStatus | string;
		collectionName?: CollectionName | string;
		itemIndex?: number;
	} = {},
): Promise<ProtimeWebhook[]> {
	const clauses: string[] = [];
	if (opts.status) {
		if (!['Enabled', 'Disabled', 'Uninitialized'].includes(opts.status)) {
			throw new NodeOperationError(this.getNode(), `Unknown webhook status "${opts.status}"`, {
				description: 'Use Enabled, Disabled or Uninitialized.',
				itemIndex: opts.itemIndex,
			});
		}
		clauses.push(`status eq '${opts.status}'`);
	}
	if (opts.collectionName) {
		if (!getCollection(opts.collectionName)) {
			throw new NodeOperationError(this.getNode(), `Unknown collection "${opts.collectionName}"`, {
				itemIndex: opts.itemIndex,
			});
		}
		clauses.push(`collection-name eq '${opts.collectionName}'`);
	}
	const qs: IDataObject | undefined = clauses.length
		? { filter: clauses.join(' and ') }
		: undefined;
	const all: ProtimeWebhook[] = [];
	for await (const page of protimePages.call(this, '/webhooks', qs, {
		itemIndex: opts.itemIndex,
	})) {
		all.push(...(page as unknown as ProtimeWebhook[]));
	}
	return all;
}

/** One webhook, or undefined when Protime answers 404 (unknown or deleted). */
export async function getWebhook(
	this: ProtimeFunctions,
	id: string,
	itemIndex?: number,
): Promise<ProtimeWebhook | undefined> {
	const path = `/webhooks/${checkedId(this, id, itemIndex)}`;
	try {
		return (await protimeRequest.call(this, {
			method: 'GET',
			path,
			itemIndex,
		})) as unknown as ProtimeWebhook;
	} catch (error) {
		if (isNotFoundError(error)) return undefined;
		throw new NodeApiError(this.getNode(), error as JsonObject);
	}
}

/** Soft-deletes a webhook; `notFound` when Protime does not know it (already deleted). */
export async function deleteWebhook(
	this: ProtimeFunctions,
	id: string,
	itemIndex?: number,
): Promise<'deleted' | 'notFound'> {
	const path = `/webhooks/${checkedId(this, id, itemIndex)}`;
	try {
		await protimeRequest.call(this, { method: 'DELETE', path, itemIndex });
		return 'deleted';
	} catch (error) {
		if (isNotFoundError(error)) return 'notFound';
		throw new NodeApiError(this.getNode(), error as JsonObject);
	}
}
