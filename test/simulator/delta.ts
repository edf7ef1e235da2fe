/**
 * Protime's delta (docs/protime-reference.md §5.5; Protime's pages reference/delta, how-to/track-changes-with-delta
 * and concepts/delta-synchronization):
 * - `GET /{collection}?filter=…&delta` is the snapshot ("initial load"): paged like any list, each nextLink
 *   carrying `continuationToken` and `deltaToken`; the last page carries a `deltaLink` instead of a `nextLink`.
 * - `GET /delta/{collection}?deltaToken=…` answers the changes since that token in one page of
 *   `{changeType, data}` items (the webhook payload's item shape), with a fresh `deltaLink`, also when empty.
 * - A delta expires 72 h after its last request (410 Gone). Only one delta is active per collection; the
 *   holder of a superseded one gets 409 (concurrency conflict).
 * What the docs leave open is switchable in assumptions.ts ("Delta"). Changes come from the store's change log.
 */
import { Router, type Request, type Response } from 'express';

import { checkScope, type TokenGrant } from './auth';
import {
	collectionOf,
	listPage,
	nextLink,
	parseListQuery,
	type ListQuery,
	type Pager,
} from './collections';
import { API_PATH, type SimContext } from './context';
import { sendBadRequest, sendError } from './errors';
import { applyExternalReferences, type ReferenceSpec } from './externalReferences';
import { conditionsOf, tryParseFilter } from './filterParser';
import type { ChangeType, CollectionName, ModelCollection } from './model';
import type { ChangeLogEntry, SimRecord } from './store';

/** The documented content of a `deltaToken` (Base64 JSON; opaque to consumers). */
export interface DeltaTokenContent {
	DeltaId: number;
	StartingCursor: number;
	TimeStamp: string;
}

/** One item of a delta read: the same shape as a webhook payload item. */
export interface DeltaItem {
	changeType: ChangeType;
	data: Record<string, unknown>;
}

interface SimDelta {
	id: number;
	collection: CollectionName;
	/** Whose delta it is for "one delta per collection": the API client, or the tenant (`deltaScope`). */
	owner: string;
	clientId: string;
	filter?: string;
	externalReferences?: string;
	specs: ReferenceSpec[];
	predicate: (r: SimRecord) => boolean;
	/** The change-log seq the snapshot's token carries. */
	startCursor: number;
	/** The newest token issued (a nextLink's or a deltaLink's). */
	latestToken: string;
	startedAt: number;
	lastRequestAt: number;
	snapshotComplete: boolean;
	reads: number;
	supersededBy?: number;
	expired: boolean;
}

/** A delta as the control API reports it. */
export interface DeltaInfo {
	deltaId: number;
	collection: CollectionName;
	clientId: string;
	owner: string;
	status: 'snapshot' | 'active' | 'superseded' | 'expired';
	filter?: string;
	externalReferences?: string;
	startedAt: string;
	lastRequestAt: string;
	expiresAt: string;
	/** Delta reads answered so far. */
	reads: number;
	supersededBy?: number;
}

type Failure = { status: 400 | 409 | 410; message: string };

const GONE = 'The delta has expired or its data was deleted; start a new delta with ?delta';

/** Decodes a token. Base64 of ASCII JSON holds no `+` or `/`, so a raw token survives a query string. */
export function decodeDeltaToken(token: string): DeltaTokenContent | undefined {
	try {
		const json = JSON.parse(
			Buffer.from(token, 'base64').toString('utf8'),
		) as Partial<DeltaTokenContent>;
		if (
			Number.isSafeInteger(json.DeltaId) &&
			Number.isSafeInteger(json.StartingCursor) &&
			typeof json.TimeStamp === 'string'
		) {
			return json as DeltaTokenContent;
		}
	} catch {
		// not base64 JSON: malformed
	}
	return undefined;
}

export class DeltaRegistry {
	private readonly deltas = new Map<number, SimDelta>();
	/** The reference's example token carries DeltaId 30080. */
	private lastId = 30079;

	constructor(private readonly ctx: SimContext) {}

	/** Starts a delta (the first `?delta` page); a Failure (409) under `deltaStartWhileActive: 'reject'`. */
	start(q: ListQuery, grant: TokenGrant): SimDelta | Failure {
		const a = this.ctx.assumptions;
		const owner = a.deltaScope === 'tenant' ? 'tenant' : `client:${grant.clientId}`;
		const rivals = [...this.deltas.values()].filter(
			(d) =>
				d.collection === q.def.name &&
				d.owner === owner &&
				this.statusOf(d) !== 'expired' &&
				d.supersededBy === undefined,
		);
		if (rivals.length > 0 && a.deltaStartWhileActive === 'reject') {
			return {
				status: 409,
				message: `A delta is already active for ${q.def.name}; only one delta can be active per collection`,
			};
		}
		const now = this.ctx.clock.now();
		const delta: SimDelta = {
			id: ++this.lastId,
			collection: q.def.name,
			owner,
			clientId: grant.clientId,
			filter: q.filter,
			externalReferences: q.refsRaw,
			specs: q.specs,
			predicate: q.predicate,
			startCursor: this.ctx.store.changeHead,
			latestToken: '',
			startedAt: now,
			lastRequestAt: now,
			snapshotComplete: false,
			reads: 0,
			expired: false,
		};
		delta.latestToken = this.issue(delta, delta.startCursor);
		for (const rival of rivals) rival.supersededBy = delta.id;
		this.deltas.set(delta.id, delta);
		return delta;
	}

	/**
	 * The delta a token names, checked: 400 malformed, 410 unknown or expired (72 h after its last request) or
	 * its changes no longer kept, superseded → `supersededDeltaStatus`; with `read`, an older token of the
	 * delta → `olderDeltaToken`. A delta found valid counts this request (its 72 h start again).
	 */
	resolve(
		token: string,
		collection: CollectionName,
		options: { read: boolean },
	): { delta: SimDelta; cursor: number } | Failure {
		const content = decodeDeltaToken(token);
		if (!content) return { status: 400, message: 'The delta token is invalid' };
		const delta = this.deltas.get(content.DeltaId);
		if (!delta) return { status: 410, message: GONE };
		if (delta.collection !== collection)
			return {
				status: 400,
				message: `The delta token belongs to ${delta.collection}, not ${collection}`,
			};
		if (
			content.StartingCursor < delta.startCursor ||
			content.StartingCursor > this.ctx.store.changeHead
		) {
			return { status: 400, message: 'The delta token is invalid' };
		}
		if (
			this.statusOf(delta) === 'expired' ||
			content.StartingCursor < this.ctx.store.changeTail - 1
		) {
			delta.expired = true;
			return { status: 410, message: GONE };
		}
		const a = this.ctx.assumptions;
		if (delta.supersededBy !== undefined) {
			return {
				status: a.supersededDeltaStatus,
				message:
					'Another delta was started for this collection; only one delta can be active per collection',
			};
		}
		if (options.read && token !== delta.latestToken && a.olderDeltaToken !== 'works') {
			return a.olderDeltaToken === 409
				? {
						status: 409,
						message: 'A newer delta token was issued for this delta; use the latest deltaLink',
					}
				: { status: 410, message: GONE };
		}
		delta.lastRequestAt = this.ctx.clock.now();
		return { delta, cursor: content.StartingCursor };
	}

	/** The changes after `cursor` that this delta lists, per the delta assumptions; issues the next token. */
	read(delta: SimDelta, cursor: number): { value: DeltaItem[]; token: string } {
		const a = this.ctx.assumptions;
		const head = this.ctx.store.changeHead;
		let entries = this.ctx.store.changesAfter(delta.collection, cursor);
		if (a.deltaVersions === 'latest') {
			const last = new Map<string, ChangeLogEntry>();
			for (const e of entries) last.set(String(e.id), e);
			entries = entries.filter((e) => last.get(String(e.id)) === e);
		}
		const value: DeltaItem[] = [];
		for (const e of entries) {
			if (e.changeType === 'Delete') {
				if (
					a.deltaDeletes === 'none' ||
					(a.deltaDeletes === 'matching' && !delta.predicate(e.record))
				)
					continue;
				value.push({ changeType: 'Delete', data: { changeVersion: e.changeVersion, id: e.id } });
			} else if (delta.predicate(e.record)) {
				value.push({
					changeType: 'InsertOrUpdate',
					data: applyExternalReferences(this.ctx.store, delta.collection, e.record, delta.specs),
				});
			}
		}
		delta.reads++;
		delta.latestToken = this.issue(delta, head);
		return { value, token: delta.latestToken };
	}

	/** The last snapshot page was served: the token its deltaLink carries (`deltaCursorStart`). */
	completeSnapshot(delta: SimDelta, cursor: number): string {
		delta.snapshotComplete = true;
		const from =
			this.ctx.assumptions.deltaCursorStart === 'lastPage' ? this.ctx.store.changeHead : cursor;
		delta.latestToken = this.issue(delta, from);
		return delta.latestToken;
	}

	all(): DeltaInfo[] {
		return [...this.deltas.values()].map((d) => this.info(d));
	}

	/** As if 72 h passed since their last request: every delta (or the one given) answers 410. */
	expire(id?: number): void {
		for (const d of this.deltas.values()) if (id === undefined || d.id === id) d.expired = true;
	}

	private statusOf(d: SimDelta): DeltaInfo['status'] {
		if (d.expired || this.ctx.clock.now() >= this.expiresAt(d)) return 'expired';
		if (d.supersededBy !== undefined) return 'superseded';
		return d.snapshotComplete ? 'active' : 'snapshot';
	}

	private expiresAt(d: SimDelta): number {
		return d.lastRequestAt + this.ctx.assumptions.deltaExpirySeconds * 1000;
	}

	private issue(delta: SimDelta, cursor: number): string {
		// The reference's TimeStamp has seven fractional digits ("2025-01-10T13:31:14.1669768Z").
		const TimeStamp = new Date(this.ctx.clock.now()).toISOString().replace('Z', '0000Z');
		const content: DeltaTokenContent = { DeltaId: delta.id, StartingCursor: cursor, TimeStamp };
		return Buffer.from(JSON.stringify(content)).toString('base64');
	}

	private info(d: SimDelta): DeltaInfo {
		return {
			deltaId: d.id,
			collection: d.collection,
			clientId: d.clientId,
			owner: d.owner,
			status: this.statusOf(d),
			filter: d.filter,
			externalReferences: d.externalReferences,
			startedAt: new Date(d.startedAt).toISOString(),
			lastRequestAt: new Date(d.lastRequestAt).toISOString(),
			expiresAt: new Date(this.expiresAt(d)).toISOString(),
			reads: d.reads,
			supersededBy: d.supersededBy,
		};
	}
}

/** The delta rules the work-interruptions delta page documents (`deltaFilterRules`): reasons for a 400. */
function deltaFilterReasons(
	ctx: SimContext,
	def: ModelCollection,
	filter: string | undefined,
): string[] {
	const rules = ctx.assumptions.deltaFilterRules;
	const dated = def.filters.some((f) => f.kind === 'dateRange');
	if (rules === 'none' || !dated || (rules === 'documented' && def.name !== 'work-interruptions'))
		return [];
	const parsed = filter === undefined ? undefined : tryParseFilter(filter);
	if (!parsed || 'error' in parsed) return []; // the list's own validation already answered
	const reasons: string[] = [];
	const conds = conditionsOf(parsed.expr).map((c) => c.cond);
	if (conds.some((c) => c.field === 'person'))
		reasons.push("The filter 'person' cannot be used with delta");
	const earliest = `${new Date(ctx.clock.now()).getUTCFullYear() - 1}-01-01`;
	for (const c of conds) {
		if (c.field !== 'date' || (c.op !== 'ge' && c.op !== 'eq') || c.factor.kind !== 'constant')
			continue;
		if (String(c.factor.constant.value) < earliest)
			reasons.push(`A delta's date range must start on or after ${earliest}`);
	}
	return reasons;
}

function queryString(value: unknown, name: string, reasons: string[]): string | undefined {
	if (value === undefined) return undefined;
	if (typeof value === 'string') return value;
	reasons.push(`${name} must be given once`);
	return undefined;
}

/** Delta routes; mounted before collectionRoutes, which answers every list request without delta. */
export function deltaRoutes(ctx: SimContext, pager: Pager, deltas: DeltaRegistry): Router {
	const router = Router();
	const a = ctx.assumptions;
	const fail = (res: Response, f: Failure) =>
		f.status === 400 ? sendBadRequest(res, [f.message]) : sendError(res, f.status, f.message);
	const link = (collection: string, token: string) =>
		`${API_PATH}/delta/${collection}?deltaToken=${a.nextLinkEncoding === 'encoded' ? encodeURIComponent(token) : token}`;

	router.get('/delta/:collection', (req, res) => {
		const def = collectionOf(req, res);
		if (!def || !checkScope(ctx, res, def.readScope)) return;
		const reasons: string[] = [];
		const token = queryString(req.query.deltaToken, 'deltaToken', reasons);
		if (token === undefined && reasons.length === 0)
			reasons.push('deltaToken is required; start a delta with ?delta on the list');
		if (reasons.length > 0 || token === undefined) return sendBadRequest(res, reasons);
		const found = deltas.resolve(token, def.name, { read: true });
		if ('status' in found) return fail(res, found);
		const { value, token: next } = deltas.read(found.delta, found.cursor);
		res.json({ value, deltaLink: link(def.name, next) });
	});

	router.get('/:collection', (req: Request, res: Response, next) => {
		if (req.query.delta === undefined && req.query.deltaToken === undefined) return next();
		const def = collectionOf(req, res);
		if (!def || !checkScope(ctx, res, def.readScope)) return;
		const reasons: string[] = [];
		const token = queryString(req.query.deltaToken, 'deltaToken', reasons);
		if (reasons.length > 0) return sendBadRequest(res, reasons);
		const q = parseListQuery(ctx, def, req, res);
		if (!q) return;
		const deltaReasons = deltaFilterReasons(ctx, def, q.filter);
		if (deltaReasons.length > 0) return sendBadRequest(res, deltaReasons);

		let delta: SimDelta;
		let cursor: number;
		if (q.continuationToken === undefined) {
			if (token !== undefined)
				return sendBadRequest(res, [
					"A deltaToken continues a delta's first load; start a delta with ?delta",
				]);
			const started = deltas.start(q, res.locals.grant as TokenGrant);
			if ('status' in started) return fail(res, started);
			delta = started;
			cursor = started.startCursor;
		} else {
			if (token === undefined)
				return sendBadRequest(res, [
					'The next page of a delta needs the deltaToken of its nextLink',
				]);
			const found = deltas.resolve(token, def.name, { read: false });
			if ('status' in found) return fail(res, found);
			delta = found.delta;
			cursor = found.cursor;
		}
		const page = listPage(ctx, pager, q, res);
		if (!page) return;
		const body: { value: SimRecord[]; nextLink?: string; deltaLink?: string } = {
			value: page.value,
		};
		if (page.next) {
			const carried = token ?? delta.latestToken;
			const extra = `deltaToken=${a.nextLinkEncoding === 'encoded' ? encodeURIComponent(carried) : carried}`;
			body.nextLink = nextLink(def.name, q.filter, q.refsRaw, page.next, a.nextLinkEncoding, extra);
		} else {
			body.deltaLink = link(def.name, deltas.completeSnapshot(delta, cursor));
		}
		res.json(body);
	});

	return router;
}
