/**
 * Collection endpoints for all 18 collections of the model (model.ts) (docs/protime-reference.md §5.5): list with validated
 * filters, external references and `nextLink` paging by continuation token (409 when unknown or expired),
 * and get by id or by external reference.
 */
import { randomBytes } from 'crypto';
import { Router, type Request, type Response } from 'express';

import {
	getCollection,
	isCollectionName,
	PREDEFINED_REFERENCES,
	type ModelCollection as CollectionDefinition,
} from './model';
import { checkScope } from './auth';
import { compileCollectionFilter } from './collectionFilters';
import { API_PATH, type SimContext } from './context';
import { sendBadRequest, sendError } from './errors';
import {
	applyExternalReferences,
	parseExternalReferences,
	referenceValue,
	validateExternalReferences,
	type ReferenceSpec,
} from './externalReferences';
import type { SimRecord } from './store';

/** Where the next page starts; one per issued token, so a retried nextLink returns the same page. */
interface Cursor {
	collection: string;
	/** The filter and references the token was issued for. */
	fingerprint: string;
	ids: string[];
	offset: number;
	emptyPagesLeft: number;
	expiresAt: number;
}

export class Pager {
	private readonly cursors = new Map<string, Cursor>();

	constructor(private readonly ctx: SimContext) {}

	issue(cursor: Omit<Cursor, 'expiresAt'>): string {
		// Looks like the docs' `eyJ…` tokens: base64 JSON, opaque to clients.
		const want = this.ctx.assumptions.continuationTokenLength;
		const seed = randomBytes(12).toString('hex');
		const pad = 'x'.repeat(Math.max(0, Math.ceil((want * 3) / 4) - seed.length - 20));
		const token = Buffer.from(JSON.stringify({ v: 1, c: seed, p: pad })).toString('base64url');
		this.cursors.set(token, {
			...cursor,
			expiresAt: this.ctx.clock.now() + this.ctx.assumptions.continuationTokenTtlSeconds * 1000,
		});
		return token;
	}

	find(token: string): Cursor | undefined {
		const cursor = this.cursors.get(token);
		return cursor && cursor.expiresAt > this.ctx.clock.now() ? cursor : undefined;
	}

	/** Makes every continuation token issued so far unknown (the next nextLink gives 409). */
	expireAll(): void {
		this.cursors.clear();
	}
}

function singular(def: CollectionDefinition): string {
	if (def.name === 'people') return 'Person';
	const words = def.displayName.replace(/s$/, '');
	return words.charAt(0) + words.slice(1).toLowerCase();
}

function single(value: unknown, name: string, reasons: string[]): string | undefined {
	if (value === undefined) return undefined;
	if (typeof value === 'string') return value;
	reasons.push(`${name} must be given once`);
	return undefined;
}

/** The collection named in the path, or undefined after answering 404. */
export function collectionOf(req: Request, res: Response): CollectionDefinition | undefined {
	const name = String(req.params.collection);
	if (isCollectionName(name)) return getCollection(name);
	sendError(res, 404, `The resource '${name}' does not exist`);
	return undefined;
}

function referencesOf(
	def: CollectionDefinition,
	req: Request,
	res: Response,
): ReferenceSpec[] | undefined {
	const parsed = parseExternalReferences(req.query.externalReferences);
	const reasons =
		'reasons' in parsed
			? parsed.reasons
			: validateExternalReferences(def.name, parsed.specs, false);
	if (reasons.length > 0 || 'reasons' in parsed) {
		sendBadRequest(res, reasons);
		return undefined;
	}
	return parsed.specs;
}

/** A validated list request (`GET /{collection}?filter=…&externalReferences=…&continuationToken=…`). */
export interface ListQuery {
	def: CollectionDefinition;
	filter?: string;
	refsRaw?: string;
	continuationToken?: string;
	specs: ReferenceSpec[];
	predicate: (r: SimRecord) => boolean;
}

/** Validates a list request's query; undefined after answering 400. */
export function parseListQuery(
	ctx: SimContext,
	def: CollectionDefinition,
	req: Request,
	res: Response,
): ListQuery | undefined {
	const reasons: string[] = [];
	const filter = single(req.query.filter, 'filter', reasons);
	const refsRaw = single(req.query.externalReferences, 'externalReferences', reasons);
	const continuationToken = single(req.query.continuationToken, 'continuationToken', reasons);
	if (reasons.length > 0) return void sendBadRequest(res, reasons);
	const specs = referencesOf(def, req, res);
	if (!specs) return undefined;
	const compiled = compileCollectionFilter(def, filter, ctx.assumptions, ctx.clock.now());
	if (!compiled.ok) return void sendBadRequest(res, compiled.reasons);
	return { def, filter, refsRaw, continuationToken, specs, predicate: compiled.predicate };
}

/** One list page and the continuation token of the next, if any; undefined after answering 409 (unknown token). */
export function listPage(
	ctx: SimContext,
	pager: Pager,
	q: ListQuery,
	res: Response,
): { value: SimRecord[]; next?: string } | undefined {
	const { def, filter, refsRaw, continuationToken: token, specs } = q;
	const store = ctx.store;
	const fingerprint = JSON.stringify([filter ?? '', refsRaw ?? '']);
	let cursor: Omit<Cursor, 'expiresAt'>;
	if (token !== undefined) {
		const found = pager.find(token);
		if (!found || found.collection !== def.name || found.fingerprint !== fingerprint) {
			return void sendError(
				res,
				409,
				'The continuation token is invalid or has expired; start again from the first page',
			);
		}
		cursor = found;
	} else {
		const ids = store
			.list(def.name)
			.filter(q.predicate)
			.sort((x, y) => compareIds(x.id, y.id))
			.map((r) => String(r.id));
		cursor = { collection: def.name, fingerprint, ids, offset: 0, emptyPagesLeft: 0 };
	}

	const a = ctx.assumptions;
	let value: SimRecord[] = [];
	let next: Omit<Cursor, 'expiresAt'> | undefined;
	if (cursor.emptyPagesLeft > 0) {
		next = { ...cursor, emptyPagesLeft: cursor.emptyPagesLeft - 1 };
	} else {
		const end = cursor.offset + Math.max(1, a.pageSize);
		value = cursor.ids
			.slice(cursor.offset, end)
			.map((id) => store.get(def.name, id))
			.filter((r): r is SimRecord => r !== undefined)
			.map((r) => applyExternalReferences(store, def.name, r, specs));
		if (end < cursor.ids.length)
			next = { ...cursor, offset: end, emptyPagesLeft: a.emptyPagesBetween };
	}
	return next ? { value, next: pager.issue(next) } : { value };
}

export function collectionRoutes(ctx: SimContext, pager: Pager): Router {
	const router = Router();
	const store = ctx.store;

	router.get('/:collection', (req, res) => {
		const def = collectionOf(req, res);
		if (!def || !checkScope(ctx, res, def.readScope)) return;
		const q = parseListQuery(ctx, def, req, res);
		const page = q && listPage(ctx, pager, q, res);
		if (!q || !page) return;
		const body: { value: SimRecord[]; nextLink?: string } = { value: page.value };
		if (page.next)
			body.nextLink = nextLink(
				def.name,
				q.filter,
				q.refsRaw,
				page.next,
				ctx.assumptions.nextLinkEncoding,
			);
		res.json(body);
	});

	router.get('/:collection/:idOrRef', (req, res) => {
		const def = collectionOf(req, res);
		if (!def || !checkScope(ctx, res, def.readScope)) return;
		const specs = referencesOf(def, req, res);
		if (!specs) return;
		const key = String(req.params.idOrRef);
		const record = store.get(def.name, key) ?? findByReference(ctx, def, key, specs);
		if (!record) return sendError(res, 404, `${singular(def)} with the given ID does not exist`);
		res.json(applyExternalReferences(store, def.name, record, specs));
	});

	return router;
}

/** Resolves `/counter-definitions/OT150` through the collection's own reference (see `getByReference`). */
function findByReference(
	ctx: SimContext,
	def: CollectionDefinition,
	value: string,
	specs: ReferenceSpec[],
): SimRecord | undefined {
	const references = specs.filter((s) => s.collection === def.name).map((s) => s.reference);
	if (references.length === 0 && ctx.assumptions.getByReference === 'queryOrPredefined') {
		references.push(...(PREDEFINED_REFERENCES[def.name] ?? []));
	}
	for (const reference of references) {
		const match = ctx.store
			.list(def.name)
			.find((r) => referenceValue(ctx.store, def.name, r.id, reference) === value);
		if (match) return match;
	}
	return undefined;
}

function compareIds(a: number | string, b: number | string): number {
	return typeof a === 'number' && typeof b === 'number'
		? a - b
		: String(a).localeCompare(String(b));
}

/** A list's next-page link; `extra` (e.g. a delta's `deltaToken=…`) is appended as given. */
export function nextLink(
	collection: string,
	filter: string | undefined,
	refs: string | undefined,
	token: string,
	encoding: 'encoded' | 'raw',
	extra?: string,
): string {
	const enc = encoding === 'encoded' ? encodeURIComponent : (s: string) => s;
	const parts: string[] = [];
	if (filter !== undefined) parts.push(`filter=${enc(filter)}`);
	if (refs !== undefined) parts.push(`externalReferences=${enc(refs)}`);
	parts.push(`continuationToken=${token}`);
	if (extra !== undefined) parts.push(extra);
	return `${API_PATH}/${collection}?${parts.join('&')}`;
}
