/**
 * Builds Protime list filter expressions (docs/protime-reference.md §5.5) from the catalogue's filter definitions.
 *
 * Pure functions: no n8n context, no HTTP. Every user value is validated here and turned into a literal
 * of the filter grammar (quoted date, bare integers, `true`/`false`, a quoted option), so the only text
 * that reaches Protime unchecked is the raw expression, which is screened for characters that could
 * break out of a query-string value. Problems come back as values (message = what happened,
 * description = how to fix it) so that the caller can raise them with its own item index.
 */
import type { CollectionFilter } from './catalogue';
import { getCollection } from './catalogue';

export interface FilterProblem {
	message: string;
	description: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: FilterProblem };

/** The value of one `dateRange` filter. */
export interface DateRangeValue {
	start?: unknown;
	end?: unknown;
}

/** User values keyed by the catalogue filter name (`date`, `person`, `counter-group`, …). */
export type FilterValues = Record<string, unknown>;

/** Protime rejects URIs over 4,096 characters (414); leave room for the path and other parameters. */
export const MAX_FILTER_LENGTH = 3000;
const MAX_RAW_FILTER_LENGTH = 2000;
const DAY_MS = 24 * 60 * 60 * 1000;

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const fail = <T>(message: string, description: string): Checked<T> => ({
	ok: false,
	problem: { message, description },
});

const isEmpty = (value: unknown) =>
	value === undefined ||
	value === null ||
	(typeof value === 'string' && value.trim() === '') ||
	(Array.isArray(value) && value.length === 0);

/**
 * A calendar date as `YYYY-MM-DD`. Accepts that form, an ISO date-time (n8n's date picker gives
 * `2026-03-02T00:00:00`; the date as written is kept, no time-zone shift), a JS Date or a Luxon DateTime.
 */
export function parseDate(value: unknown, label: string): Checked<string> {
	let text: string | undefined;
	if (typeof value === 'string') text = value.trim();
	else if (value instanceof Date && !Number.isNaN(value.getTime())) text = value.toISOString();
	else if (value && typeof (value as { toISODate?: unknown }).toISODate === 'function') {
		text = String((value as { toISODate: () => string }).toISODate());
	}
	const match = text ? /^(\d{4})-(\d{2})-(\d{2})(?:$|T)/.exec(text) : null;
	if (match) {
		const [, y, m, d] = match;
		const date = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
		// Round-trip check rejects dates such as 2026-02-30 that Date would silently roll over.
		if (date.toISOString().startsWith(`${y}-${m}-${d}`)) return ok(`${y}-${m}-${d}`);
	}
	return fail(
		`${label} '${String(text ?? value)}' is not a valid date`,
		`Enter a date as YYYY-MM-DD, e.g. 2026-03-01, or pick one in the date picker.`,
	);
}

/** Whole days from `start` to `end` (both `YYYY-MM-DD`). */
export function daysBetween(start: string, end: string): number {
	return Math.round((Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / DAY_MS);
}

/** Internal Protime ids: a number, an array, or a text list separated by commas, semicolons or spaces. */
export function parseIdList(value: unknown, label: string): Checked<number[]> {
	const parts: unknown[] = Array.isArray(value)
		? value
		: typeof value === 'number'
			? [value]
			: String(value ?? '')
					.split(/[\s,;]+/)
					.filter((p) => p !== '');
	const ids: number[] = [];
	for (const part of parts) {
		const text = String(part).trim();
		const id = Number(text);
		if (!/^\d{1,15}$/.test(text) || id < 1) {
			return fail(
				`${label} contains '${text}', which is not a Protime ID`,
				`Enter internal Protime IDs as whole numbers separated by commas, e.g. 115, 256. ` +
					`IDs are the 'id' values in Protime records; employee or badge numbers are external references, not IDs.`,
			);
		}
		if (!ids.includes(id)) ids.push(id);
	}
	return ok(ids);
}

/** `true`/`false` from a boolean or its text. */
function parseBoolean(value: unknown, label: string): Checked<boolean> {
	if (typeof value === 'boolean') return ok(value);
	const text = String(value).trim().toLowerCase();
	if (text === 'true' || text === 'false') return ok(text === 'true');
	return fail(
		`${label} must be true or false, not '${String(value)}'`,
		`Set ${label} to true or false.`,
	);
}

/**
 * Screens a raw filter expression. It is sent as the value of the `filter` query parameter (encoded by
 * the HTTP client, never put into the path), but `&`, `#` and line breaks are refused anyway: they are
 * never part of Protime's grammar and are the usual way to smuggle extra parameters past a proxy or log.
 */
export function validateRawFilter(raw: string): FilterProblem | undefined {
	const forbidden = [...raw].find(
		(c) => c === '&' || c === '#' || c.charCodeAt(0) < 0x20 || c === '\x7f',
	);
	if (forbidden !== undefined) {
		const shown =
			forbidden === '\n' || forbidden === '\r'
				? 'a line break'
				: forbidden === '&' || forbidden === '#'
					? `'${forbidden}'`
					: 'a control character';
		return {
			message: `The raw filter expression contains ${shown}, which Protime filters never use`,
			description:
				"Write one expression on one line with the operators eq, ge, le, in and 'and', e.g. " +
				"person in (115,256) and date ge '2026-01-01'. Combine conditions with 'and', not '&'.",
		};
	}
	if (raw.length > MAX_RAW_FILTER_LENGTH) {
		return {
			message: `The raw filter expression is ${raw.length} characters long (at most ${MAX_RAW_FILTER_LENGTH})`,
			description: 'Shorten the expression, e.g. split long ID lists over several calls.',
		};
	}
	return undefined;
}

/** Whether a raw expression already constrains `identifier` (so a required field may stay empty). */
function rawMentions(raw: string, identifier: string): boolean {
	const escaped = identifier.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
	return new RegExp(`(^|[\\s(])${escaped}\\s+(eq|ge|le|in)\\b`, 'i').test(raw);
}

function dateRangeCondition(filter: CollectionFilter, value: unknown): Checked<string | undefined> {
	const range = (value ?? {}) as DateRangeValue;
	const startLabel = `Start ${filter.displayName}`;
	const endLabel = `End ${filter.displayName}`;
	if (isEmpty(range.start) && isEmpty(range.end)) return ok(undefined);
	if (isEmpty(range.start) || isEmpty(range.end)) {
		const missing = isEmpty(range.start) ? startLabel : endLabel;
		return fail(
			`${missing} is empty`,
			`Protime needs both ends of the range: set ${startLabel} and ${endLabel} (at most one year apart).`,
		);
	}
	const start = parseDate(range.start, startLabel);
	if (!start.ok) return start;
	const end = parseDate(range.end, endLabel);
	if (!end.ok) return end;
	const days = daysBetween(start.value, end.value);
	if (days < 0) {
		return fail(
			`${endLabel} ${end.value} is before ${startLabel} ${start.value}`,
			`Swap the two dates so that the range runs forward.`,
		);
	}
	if (filter.maxRangeDays !== undefined && days > filter.maxRangeDays) {
		return fail(
			`The range ${start.value} to ${end.value} spans ${days} days; Protime accepts at most ${filter.maxRangeDays} (one year)`,
			'Split the period into ranges of at most one year and read each one with its own call ' +
				'(e.g. one item per year into this node, with the dates set by expressions).',
		);
	}
	return ok(`${filter.name} ge '${start.value}' and ${filter.name} le '${end.value}'`);
}

function condition(filter: CollectionFilter, value: unknown): Checked<string | undefined> {
	if (filter.kind === 'dateRange') return dateRangeCondition(filter, value);
	if (isEmpty(value)) return ok(undefined);
	switch (filter.kind) {
		case 'idList': {
			const ids = parseIdList(value, filter.displayName);
			if (!ids.ok) return ids;
			return ok(ids.value.length ? `${filter.name} in (${ids.value.join(',')})` : undefined);
		}
		case 'boolean': {
			const flag = parseBoolean(value, filter.displayName);
			return flag.ok ? ok(`${filter.name} eq ${flag.value}`) : flag;
		}
		case 'options': {
			const text = String(value);
			if (!filter.options?.includes(text)) {
				return fail(
					`${filter.displayName} '${text}' is not one of Protime's values`,
					`Choose one of: ${(filter.options ?? []).join(', ')}.`,
				);
			}
			return ok(`${filter.name} eq '${text}'`);
		}
	}
}

interface Composed {
	conditions: string[];
	/** Id lists among the conditions, by position, so a long one can be sliced. */
	lists: Array<{ index: number; name: string; ids: number[] }>;
}

function compose(
	collectionName: string,
	values: FilterValues,
	rawFilter?: string,
): Checked<Composed> {
	const collection = getCollection(collectionName);
	if (!collection) {
		return fail(
			`'${collectionName}' is not a Protime collection`,
			'Choose a collection from the list.',
		);
	}
	const raw = (rawFilter ?? '').trim();
	if (raw) {
		const problem = validateRawFilter(raw);
		if (problem) return { ok: false, problem };
	}

	const conditions: string[] = [];
	const lists: Composed['lists'] = [];
	for (const filter of collection.filters) {
		const built = condition(filter, values[filter.name]);
		if (!built.ok) return built;
		if (built.value) {
			if (filter.kind === 'idList') {
				const ids = parseIdList(values[filter.name], filter.displayName);
				if (ids.ok) lists.push({ index: conditions.length, name: filter.name, ids: ids.value });
			}
			conditions.push(built.value);
		} else if (filter.required && !rawMentions(raw, filter.name)) {
			const fields =
				filter.kind === 'dateRange'
					? `Start ${filter.displayName} and End ${filter.displayName}`
					: filter.displayName;
			return fail(
				`${fields} ${filter.kind === 'dateRange' ? 'are' : 'is'} required to list ${collection.displayName.toLowerCase()}`,
				`Protime refuses to list ${collection.displayName.toLowerCase()} without it: set ${fields}` +
					(filter.maxRangeDays ? ' (at most one year apart).' : '.'),
			);
		}
	}
	// Parentheses keep an 'or' in the raw part from binding to the generated conditions.
	if (raw) conditions.push(conditions.length && /\bor\b/i.test(raw) ? `(${raw})` : raw);
	return ok({ conditions, lists });
}

/**
 * The `filter` query value for a list call on `collectionName`, or undefined when nothing filters.
 * Required filters (a collection's date range) must be set, unless the raw expression constrains them.
 */
export function buildListFilter(
	collectionName: string,
	values: FilterValues,
	rawFilter?: string,
): Checked<string | undefined> {
	const composed = compose(collectionName, values, rawFilter);
	if (!composed.ok) return composed;
	const filter = composed.value.conditions.join(' and ');
	if (filter.length > MAX_FILTER_LENGTH) {
		return fail(
			`The filter is ${filter.length} characters long; Protime rejects request URLs over 4,096 characters`,
			'Use fewer IDs per call, e.g. split the ID list over several items and run this node once per item.',
		);
	}
	return ok(filter || undefined);
}

/**
 * URL limits of a list call (docs/protime-reference.md §6.1, §9.3): Protime refuses URIs over 4,096 characters, and a
 * next-page link is the first URL plus a continuation token whose length the docs do not give, so the first
 * URL keeps `continuationRoom` free. `maxSlices` bounds how many requests one ID list may be split into.
 */
export const URI_LIMITS = { maxUriLength: 4096, continuationRoom: 1024, maxSlices: 100 };

/** Characters a query value takes once percent-encoded as sent (only A-Z a-z 0-9 - . _ ~ stay as they are). */
export function encodedLength(value: string): number {
	return encodeURIComponent(value).replace(/[!'()*]/g, '%00').length;
}

/**
 * The filters of one Get Many: one, or, when a long ID list would make the URL too long, the same filter once
 * per slice of the longest ID list. A record carries one value for each ID-list filter (one person, one counter
 * definition), so the slices select disjoint records whose union is what the whole list selects. `fixedLength`
 * is the length of the rest of the URL (origin, path, other parameters). Refuses, before any request, when even
 * one ID per slice does not fit or more than `URI_LIMITS.maxSlices` requests would be needed.
 */
export function buildListFilters(
	collectionName: string,
	values: FilterValues,
	rawFilter: string | undefined,
	fixedLength: number,
): Checked<Array<string | undefined>> {
	const composed = compose(collectionName, values, rawFilter);
	if (!composed.ok) return composed;
	const { conditions, lists } = composed.value;
	const budget =
		URI_LIMITS.maxUriLength - URI_LIMITS.continuationRoom - fixedLength - '&filter='.length;
	const whole = conditions.join(' and ');
	if (encodedLength(whole) <= budget) return ok([whole || undefined]);

	const tooLong = (why: string) =>
		fail<Array<string | undefined>>(
			`The filter is too long for one Protime request (${encodedLength(whole)} characters once encoded; a request URL may have at most ${URI_LIMITS.maxUriLength})`,
			`${why} Shorten the raw filter or the other filters, or split the work over several items and run this node once per item.`,
		);
	const longest = [...lists].sort((a, b) => b.ids.length - a.ids.length)[0];
	if (!longest || longest.ids.length < 2)
		return tooLong('It has no ID list long enough to split over several requests.');

	const withIds = (ids: number[]) =>
		conditions
			.map((c, i) => (i === longest.index ? `${longest.name} in (${ids.join(',')})` : c))
			.join(' and ');
	const base = encodedLength(withIds([]));
	const slices: string[] = [];
	let current: number[] = [];
	let length = base;
	for (const id of longest.ids) {
		const cost = encodedLength(String(id)) + (current.length > 0 ? encodedLength(',') : 0);
		if (length + cost > budget && current.length > 0) {
			slices.push(withIds(current));
			current = [];
			length = base;
		}
		const first = encodedLength(String(id));
		if (current.length === 0 && base + first > budget) {
			return tooLong(`Even one ID of '${longest.name}' per request leaves it too long.`);
		}
		length += current.length === 0 ? first : cost;
		current.push(id);
	}
	if (current.length > 0) slices.push(withIds(current));
	if (slices.length > URI_LIMITS.maxSlices) {
		return tooLong(
			`The ${longest.ids.length} IDs of '${longest.name}' would need ${slices.length} requests (at most ${URI_LIMITS.maxSlices}).`,
		);
	}
	return ok(slices);
}
