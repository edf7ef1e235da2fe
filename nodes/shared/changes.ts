/**
 * Reading the changes out of a Protime delivery, ordering them, and dropping stale or duplicate ones.
 *
 * The docs show each event as a delta item `{changeType, data}` but not the POST envelope (docs/protime-reference.md),
 * so a body may be one change, an array of changes, or `{value: [...]}`. `changeVersion` strings compare as
 * fixed-width hex; a shorter string sorts first so unpadded values still order.
 */
import type { IDataObject } from 'n8n-workflow';

import type { ChangeType } from './types';

export interface Change {
	changeType: ChangeType | string;
	data: IDataObject & { id: string | number; changeVersion: string };
}

export type ParseResult = { ok: true; changes: Change[] } | { ok: false; message: string };

/** Upper bound for one delivery; far above anything Protime is expected to send in one POST. */
export const MAX_CHANGES_PER_DELIVERY = 50_000;
const SHAPE_HINT =
	'Expected a change {"changeType": "InsertOrUpdate" | "Delete", "data": {"id": …, "changeVersion": "…"}}, an array of such changes, or {"value": [ … ]}.';

function isObject(value: unknown): value is IDataObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'an array';
	if (isObject(value)) {
		const keys = Object.keys(value).slice(0, 10);
		return keys.length ? `an object with the properties ${keys.join(', ')}` : 'an empty object';
	}
	return `a ${typeof value}`;
}

/** What is wrong with one change, or undefined when it is usable. */
function changeProblem(item: unknown): string | undefined {
	if (!isObject(item)) return `is ${describe(item)}, not an object`;
	if (typeof item.changeType !== 'string' || item.changeType === '') {
		return 'has no "changeType" string';
	}
	const data = item.data;
	if (!isObject(data)) return `has "data" that is ${describe(data)}, not an object`;
	if (typeof data.changeVersion !== 'string' || data.changeVersion === '') {
		return 'has no "data.changeVersion" string';
	}
	if (!(typeof data.id === 'number' || (typeof data.id === 'string' && data.id !== ''))) {
		return 'has no "data.id" (number or string)';
	}
	return undefined;
}

/** The changes of a delivery body, or a message for a 400 answer saying what is wrong. */
export function parseDelivery(body: unknown): ParseResult {
	let items: unknown[];
	if (Array.isArray(body)) items = body;
	else if (isObject(body) && Array.isArray(body.value)) items = body.value;
	else if (isObject(body) && 'changeType' in body) items = [body];
	else return { ok: false, message: `The delivery body is ${describe(body)}. ${SHAPE_HINT}` };

	if (items.length === 0) return { ok: true, changes: [] };
	if (items.length > MAX_CHANGES_PER_DELIVERY) {
		return {
			ok: false,
			message: `The delivery holds ${items.length} changes; at most ${MAX_CHANGES_PER_DELIVERY} are accepted per request.`,
		};
	}
	for (let i = 0; i < items.length; i++) {
		const problem = changeProblem(items[i]);
		if (problem) {
			const where = items.length === 1 ? 'The change' : `Change ${i + 1} of ${items.length}`;
			return { ok: false, message: `${where} ${problem}. ${SHAPE_HINT}` };
		}
	}
	return { ok: true, changes: items as Change[] };
}

export function compareChangeVersions(a: string, b: string): number {
	if (a.length !== b.length) return a.length - b.length;
	return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The changes in `changeVersion` order; equal versions keep their delivery order (stable sort). Protime
 * usually sends them in order, so an ordered input is returned as it is (read-only); otherwise a sorted copy.
 */
export function sortByChangeVersion(changes: readonly Change[]): readonly Change[] {
	for (let i = 1; i < changes.length; i++) {
		if (
			compareChangeVersions(changes[i - 1].data.changeVersion, changes[i].data.changeVersion) > 0
		) {
			return [...changes].sort((x, y) =>
				compareChangeVersions(x.data.changeVersion, y.data.changeVersion),
			);
		}
	}
	return changes;
}

export type EventFilter = 'insertOrUpdate' | 'delete';

/** Whether a change is one the user asked for; other change types are acknowledged but not emitted. */
export function isWantedChange(change: Change, events: readonly EventFilter[]): boolean {
	if (change.changeType === 'InsertOrUpdate') return events.includes('insertOrUpdate');
	if (change.changeType === 'Delete') return events.includes('delete');
	return false;
}

/** The changes the user asked for, in order; the input itself (read-only) when all of them are wanted. */
export function wantedChanges(
	changes: readonly Change[],
	events: readonly EventFilter[],
): readonly Change[] {
	for (let i = 0; i < changes.length; i++) {
		if (!isWantedChange(changes[i], events))
			return changes.filter((c) => isWantedChange(c, events));
	}
	return changes;
}

/**
 * The last `changeVersion` seen per record id, kept in the node's static data (so it must stay JSON).
 *
 * Two generations: every fresh version goes into `recent`; when `recent` holds `max / 2` ids it becomes
 * `older` (the previous `older` is dropped whole) and a new `recent` starts. A lookup reads `recent`, then
 * `older`, and an id changed again is copied into `recent`. So the store never holds more than `max` ids,
 * always remembers at least the `max / 2` most recently changed ones, and never deletes single keys:
 * deleting from a large object, which an exact LRU list needs, cost more than the rest of the delivery path.
 * Numeric ids are keys as they are, which V8 keeps as integer elements (no key string is built or hashed);
 * string ids get a `#` prefix, so no id can reach a prototype property such as `__proto__`.
 */
export interface VersionStore {
	scope: string;
	recent: Record<string, string>;
	older: Record<string, string>;
	/** Ids in `recent`. */
	count: number;
}

export const DEFAULT_VERSION_STORE_SIZE = 3000;

export function emptyVersionStore(scope: string): VersionStore {
	return { scope, recent: {}, older: {}, count: 0 };
}

function isVersionMap(value: unknown): value is Record<string, string> {
	return isObject(value);
}

/** The store for `scope` (e.g. the collection), starting afresh when the scope changed or the shape is wrong. */
export function loadVersionStore(raw: unknown, scope: string): VersionStore {
	if (
		isObject(raw) &&
		raw.scope === scope &&
		isVersionMap(raw.recent) &&
		isVersionMap(raw.older) &&
		typeof raw.count === 'number'
	) {
		return raw as unknown as VersionStore;
	}
	return emptyVersionStore(scope);
}

/** A version as the filter stores it: `version|source` when the source matters (a renewal's overlap). */
function tag(version: string, source: string | undefined): string {
	return source === undefined ? version : `${version}|${source}`;
}

/** `[version, source]` of a stored or persisted version. */
function untag(stored: string): [string, string | undefined] {
	const bar = stored.indexOf('|');
	return bar < 0 ? [stored, undefined] : [stored.slice(0, bar), stored.slice(bar + 1)];
}

/**
 * Splits ordered changes into fresh ones and stale-or-duplicate ones (a version not newer than the last
 * one seen for the same id), recording every fresh version in `store` (mutated in place), tagged with
 * `source` when given (`version|source`). With `keepResends`, a resend of the newest version seen is kept
 * (not recorded again) when it comes from the source that delivered it first (a retry); from another
 * source it is a duplicate (`twins`: a renewal's overlap, both subscriptions deliver it) and drops.
 */
export function dropStaleChanges(
	ordered: readonly Change[],
	store: VersionStore,
	{
		keepResends = false,
		max = DEFAULT_VERSION_STORE_SIZE,
		source,
	}: { keepResends?: boolean; max?: number; source?: string } = {},
): { fresh: readonly Change[]; dropped: number; recorded: number; twins: number } {
	const generation = Math.max(1, Math.floor(max / 2));
	// Usually nothing is dropped: the fresh list is then `ordered` itself, and a copy starts at the first drop.
	let fresh: Change[] | undefined;
	let dropped = 0;
	let recorded = 0;
	let twins = 0;
	let recent = store.recent;
	for (let i = 0; i < ordered.length; i++) {
		const change = ordered[i];
		const id = change.data.id;
		const key = typeof id === 'number' ? id : `#${id}`;
		const version = change.data.changeVersion;
		let previous = recent[key];
		const inRecent = previous !== undefined;
		if (!inRecent) previous = store.older[key];
		let order = 1;
		let twin = false;
		if (previous !== undefined) {
			const [seen, seenFrom] = untag(previous);
			order = compareChangeVersions(version, seen);
			twin = order === 0 && seenFrom !== undefined && seenFrom !== source;
		}
		if (twin) twins++;
		if (order < 0 || (order === 0 && (!keepResends || twin))) {
			dropped++;
			if (fresh === undefined) fresh = ordered.slice(0, i);
			continue;
		}
		if (order === 0) {
			if (fresh !== undefined) fresh.push(change);
			continue;
		}
		if (!inRecent) {
			if (store.count >= generation) {
				store.older = recent;
				recent = store.recent = {};
				store.count = 0;
			}
			store.count++;
		}
		recent[key] = tag(version, source);
		recorded++;
		if (fresh !== undefined) fresh.push(change);
	}
	return { fresh: fresh ?? ordered, dropped, recorded, twins };
}

/**
 * A delivery's changes to emit: in `changeVersion` order, stale ones dropped through `store` (when given),
 * only the wanted change types. `recorded` counts versions newly written to `store`.
 */
export function selectChanges(
	changes: readonly Change[],
	events: readonly EventFilter[],
	store: VersionStore | undefined,
	options: { keepResends?: boolean; source?: string } = {},
): { wanted: readonly Change[]; dropped: number; recorded: number; twins: number } {
	const ordered = sortByChangeVersion(changes);
	const { fresh, dropped, recorded, twins } = store
		? dropStaleChanges(ordered, store, options)
		: { fresh: ordered, dropped: 0, recorded: 0, twins: 0 };
	return { wanted: wantedChanges(fresh, events), dropped, recorded, twins };
}

/** `[id, changeVersion]` pairs: what a persist request carries (ProtimeTrigger/persist.ts). */
export type VersionEntry = [string | number, string];

/** The `[id, changeVersion]` of each change (tagged with its `source`, as the filter records it), for a persist request. */
export function versionEntries(changes: readonly Change[], source?: string): VersionEntry[] {
	const entries: VersionEntry[] = [];
	for (const change of changes)
		entries.push([change.data.id, tag(change.data.changeVersion, source)]);
	return entries;
}

/** Well-formed entries out of a request body (ids as the parser accepts them, versions as short strings). */
export function parseVersionEntries(value: unknown): VersionEntry[] | undefined {
	if (!Array.isArray(value) || value.length > MAX_CHANGES_PER_DELIVERY) return undefined;
	for (const entry of value) {
		if (!Array.isArray(entry) || entry.length !== 2) return undefined;
		const [id, version] = entry as unknown[];
		if (!(typeof id === 'number' || (typeof id === 'string' && id !== '' && id.length <= 200)))
			return undefined;
		if (typeof version !== 'string' || version === '' || version.length > 100) return undefined;
	}
	return value as VersionEntry[];
}

/**
 * Records entries in `store` where they are newer than what it holds (an older one never replaces a newer),
 * by the same rules as the stale filter. Returns how many were newly recorded.
 */
export function mergeVersions(store: VersionStore, entries: readonly VersionEntry[]): number {
	// One pass per source (a persist request carries one delivery's, so usually one).
	const bySource = new Map<string | undefined, Change[]>();
	for (const [id, stored] of entries) {
		const [changeVersion, source] = untag(stored);
		let changes = bySource.get(source);
		if (!changes) bySource.set(source, (changes = []));
		changes.push({ changeType: 'InsertOrUpdate', data: { id, changeVersion } });
	}
	let recorded = 0;
	for (const [source, changes] of bySource)
		recorded += dropStaleChanges(sortByChangeVersion(changes), store, { source }).recorded;
	return recorded;
}
