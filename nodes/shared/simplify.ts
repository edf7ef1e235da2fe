/**
 * A flatter, friendlier form of a Protime record for workflows (used by the trigger and the action node).
 *
 * Driven by the catalogue (`dateField`, `timeOfDayFields`, `durationFields`); the raw minute fields stay.
 * - Translated text `{default, translations}` becomes a string: the chosen language when present, else
 *   the default.
 * - A reference `{id, externalReferences?}` at `x` becomes `xId`, and each external reference becomes
 *   `x` + the reference name in PascalCase without `@` (person `@employee-number` → `personEmployeeNumber`,
 *   custom `HRMID` → `personHRMID`). A list of references at `xs` becomes `xIds` (plus per-reference lists).
 *   The record's own external references become top-level camelCase fields (`@counter-code` → `counterCode`),
 *   unless that name is taken, then `externalReference` + PascalCase.
 * - A duration `<base>InMinutes` gains `<base>` as `H:MM` (no wrap at 24 h, `-1:33` for negatives) and
 *   `<base>Hours` as decimal hours (two decimals); a base that already ends in `Hours` gets `<base>Decimal`.
 * - A time of day `<base>InMinutes` gains `<base>` as `HH:MM` (wrapped into the day) and, when the record
 *   has a date, a local date-time `YYYY-MM-DDTHH:MM` (days added or subtracted for values outside 0–1439)
 *   named with `DateTime` in place of a trailing `Time`/`TimeOfDay` (`startTime` → `startDateTime`,
 *   `timeOfDay` → `dateTime`). With a `timeZone`, that date-time carries the zone's UTC offset.
 */
import type { IDataObject } from 'n8n-workflow';

import { getCollection } from './catalogue';
import { boundedMemo } from './memo';

export interface SimplifyOptions {
	/** Translation language code (e.g. `nl`); falls back to the default text. */
	language?: string;
	/** IANA zone (e.g. `Europe/Brussels`) used to add a UTC offset to local date-times. */
	timeZone?: string;
}

const MINUTES_SUFFIX = 'InMinutes';

function isObject(value: unknown): value is IDataObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isTranslatedText(
	value: unknown,
): value is { default: string; translations?: IDataObject } {
	return isObject(value) && typeof value.default === 'string';
}

function isReference(
	value: unknown,
): value is { id: string | number; externalReferences?: IDataObject } {
	if (!isObject(value) || !(typeof value.id === 'number' || typeof value.id === 'string'))
		return false;
	for (const k in value) if (k !== 'id' && k !== 'externalReferences') return false;
	return true;
}

export function translate(
	value: { default: string; translations?: IDataObject },
	language?: string,
): string {
	const translated = language ? value.translations?.[language] : undefined;
	return typeof translated === 'string' && translated !== '' ? translated : value.default;
}

/** `@employee-number` → `EmployeeNumber`, `HRMID` → `HRMID`, `customPersonCode` → `CustomPersonCode`. */
export const referenceSuffix: (reference: string) => string = boundedMemo(
	256,
	(reference: string) =>
		reference
			.replace(/^@/, '')
			.split(/[^A-Za-z0-9]+/)
			.filter(Boolean)
			.map((part) => part[0].toUpperCase() + part.slice(1))
			.join(''),
);

function singular(name: string): string {
	return name.endsWith('s') ? name.slice(0, -1) : name;
}

/** `H:MM` for a duration in minutes: hours do not wrap at 24, negatives get a leading minus. */
export function formatDuration(minutes: number): string {
	if (minutes >= 0 && minutes < 1440 && Number.isInteger(minutes)) return DURATIONS[minutes];
	const sign = minutes < 0 ? '-' : '';
	const total = Math.round(Math.abs(minutes));
	return `${sign}${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

export function decimalHours(minutes: number): number {
	return Math.round((minutes / 60) * 100) / 100;
}

/** `HH:MM` of a minutes-since-midnight value, wrapped into one day. */
export function formatTimeOfDay(minutes: number): string {
	const inDay = ((Math.round(minutes) % 1440) + 1440) % 1440;
	return (
		TIMES_OF_DAY[inDay] ??
		`${String(Math.floor(inDay / 60)).padStart(2, '0')}:${String(inDay % 60).padStart(2, '0')}`
	);
}

/** `0:00` … `23:59` as durations, built once (the common range of a duration). */
const DURATIONS: readonly string[] = Array.from(
	{ length: 1440 },
	(_, m) => `${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}`,
);

/** `00:00` … `23:59`, built once. */
const TIMES_OF_DAY: readonly string[] = Array.from(
	{ length: 1440 },
	(_, m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`,
);

/** The last plain date seen and its `YYYY-MM-DDT` prefix: the records of a delivery mostly share a date. */
let lastDate = '';
let lastPrefix = '';

/** `YYYY-MM-DDTHH:MM` for a date plus minutes since its midnight (may be negative or beyond a day). */
export function localDateTime(date: string, minutes: number): string | undefined {
	// Common case (a valid calendar date and a time within that day) by string arithmetic; everything else
	// (days to add or subtract, odd dates that Date.UTC normalises) through Date, as before.
	const inDay = Math.round(minutes);
	if (inDay >= 0 && inDay < 1440) {
		if (date === lastDate) return lastPrefix + TIMES_OF_DAY[inDay];
		if (isPlainDate(date)) {
			lastDate = date;
			lastPrefix = `${date.slice(0, 10)}T`;
			return lastPrefix + TIMES_OF_DAY[inDay];
		}
	}
	const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(date);
	if (!match) return undefined;
	const utc =
		Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) +
		Math.round(minutes) * 60_000;
	// Outside the range of Date (e.g. an absurd minute count): no date-time rather than a RangeError.
	if (!Number.isFinite(utc) || Math.abs(utc) > 8.64e15) return undefined;
	return new Date(utc).toISOString().slice(0, 16);
}

/** One formatter per time zone (creating one is far dearer than using it); throws for an unknown zone. */
const zoneFormat = boundedMemo(
	32,
	(timeZone: string) =>
		new Intl.DateTimeFormat('en-US', {
			timeZone,
			hourCycle: 'h23',
			year: 'numeric',
			month: '2-digit',
			day: '2-digit',
			hour: '2-digit',
			minute: '2-digit',
		}),
);

const DIGIT_0 = 48;

function digitsAt(text: string, start: number, length: number): number {
	let value = 0;
	for (let i = start; i < start + length; i++) {
		const d = text.charCodeAt(i) - DIGIT_0;
		if (d < 0 || d > 9) return -1;
		value = value * 10 + d;
	}
	return value;
}

/** Whether `date` starts with `YYYY-MM-DD` naming a real day (year ≥ 100, which Date.UTC takes literally). */
function isPlainDate(date: string): boolean {
	if (date.length < 10 || date.charCodeAt(4) !== 45 || date.charCodeAt(7) !== 45) return false;
	const year = digitsAt(date, 0, 4);
	const month = digitsAt(date, 5, 2);
	const day = digitsAt(date, 8, 2);
	if (year < 100 || month < 1 || month > 12 || day < 1) return false;
	const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
	const days =
		month === 2
			? leap
				? 29
				: 28
			: month === 4 || month === 6 || month === 9 || month === 11
				? 30
				: 31;
	return day <= days;
}

/** The UTC offset (`+01:00`) that `timeZone` has at the given local wall time, or undefined. */
export function zoneOffset(local: string, timeZone: string): string | undefined {
	try {
		const wallAsUtc = Date.parse(`${local}:00Z`);
		const format = zoneFormat(timeZone);
		// Two passes find the instant whose wall time in the zone equals `local` (handles DST edges well enough).
		let offset = 0;
		for (let i = 0; i < 2; i++) {
			const parts = Object.fromEntries(
				format.formatToParts(new Date(wallAsUtc - offset)).map((p) => [p.type, p.value]),
			);
			const shown = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute);
			offset = shown - (wallAsUtc - offset);
		}
		const total = Math.round(offset / 60_000);
		const sign = total < 0 ? '-' : '+';
		const abs = Math.abs(total);
		return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
	} catch {
		return undefined;
	}
}

function dateTimeName(base: string): string {
	if (base === 'timeOfDay') return 'dateTime';
	return base.replace(/(TimeOfDay|Time)$/, '') + 'DateTime';
}

function baseName(field: string): string {
	return field.endsWith(MINUTES_SUFFIX) ? field.slice(0, -MINUTES_SUFFIX.length) : field;
}

const DERIVED_NAMES_SIZE = 1024;

/** `name + suffix` memoised per suffix. */
const namesWithSuffix = boundedMemo(DERIVED_NAMES_SIZE, (suffix: string) =>
	boundedMemo(DERIVED_NAMES_SIZE, (name: string) => name + suffix),
);

/**
 * `name + suffix`, the same string object every time: output property names are then stored without
 * building and hashing a new string per record.
 */
function derivedName(name: string, suffix: string): string {
	return namesWithSuffix(suffix)(name);
}

/** `name + 'Id'`, the common reference field, in one lookup. */
const idName = namesWithSuffix('Id');

function flattenReference(
	out: IDataObject,
	name: string,
	ref: { id: string | number; externalReferences?: IDataObject },
) {
	out[idName(name)] = ref.id;
	const refs = ref.externalReferences;
	if (refs === undefined || refs === null) return;
	for (const reference of Object.keys(refs))
		out[derivedName(name, referenceSuffix(reference))] = refs[reference];
}

/** Simplifies nested values (array elements, sub-objects) without collection-specific minute handling. */
function simplifyValue(value: unknown, options: SimplifyOptions): unknown {
	if (Array.isArray(value)) return value.map((v) => simplifyValue(v, options));
	if (!isObject(value)) return value;
	if (isTranslatedText(value)) return translate(value, options.language);
	return simplifyFields(value, options);
}

function simplifyFields(record: IDataObject, options: SimplifyOptions): IDataObject {
	const out: IDataObject = {};
	for (const name in record) {
		// JSON.parse makes `__proto__` an own key; assigning it would set the output's prototype instead.
		if (name === '__proto__') continue;
		const value = record[name];
		if (typeof value !== 'object' || value === null) {
			out[name] = value; // most fields: nothing to simplify
			continue;
		}
		if (name === 'externalReferences' && isObject(value)) continue;
		if (isTranslatedText(value)) out[name] = translate(value, options.language);
		else if (isReference(value)) flattenReference(out, name, value);
		else if (Array.isArray(value) && value.length > 0 && value.every(isReference)) {
			const refs = value as Array<{ id: string | number; externalReferences?: IDataObject }>;
			out[`${singular(name)}Ids`] = refs.map((r) => r.id);
			const referenceNames = new Set(refs.flatMap((r) => Object.keys(r.externalReferences ?? {})));
			for (const reference of referenceNames) {
				out[`${singular(name)}${referenceSuffix(reference)}s`] = refs.map(
					(r) => (r.externalReferences?.[reference] as string | undefined) ?? null,
				);
			}
		} else out[name] = simplifyValue(value, options) as IDataObject[keyof IDataObject];
	}
	return out;
}

/** The simplified form of one record of `collectionName` (see the module comment for the rules). */
export function simplifyRecord(
	collectionName: string,
	record: IDataObject,
	options: SimplifyOptions = {},
): IDataObject {
	const out = simplifyFields(record, options);

	// The record's own external references (e.g. a counter definition's `@counter-code`).
	if (isObject(record.externalReferences)) {
		for (const [reference, value] of Object.entries(record.externalReferences)) {
			const suffix = referenceSuffix(reference);
			const camel = suffix ? suffix[0].toLowerCase() + suffix.slice(1) : suffix;
			out[camel && !(camel in out) ? camel : `externalReference${suffix}`] = value;
		}
	}

	const plan = collectionPlan(collectionName);
	if (!plan) return out;

	for (const d of plan.durations) {
		const minutes = record[d.field];
		if (typeof minutes !== 'number') continue;
		out[d.hoursName] = decimalHours(minutes);
		if (!(d.base in record)) out[d.base] = formatDuration(minutes);
	}

	const date = plan.dateField ? record[plan.dateField] : undefined;
	for (const t of plan.times) {
		const minutes = record[t.field];
		if (typeof minutes !== 'number') continue;
		if (!(t.base in record)) out[t.base] = formatTimeOfDay(minutes);
		if (typeof date !== 'string') continue;
		const local = localDateTime(date, minutes);
		if (!local) continue;
		const offset = options.timeZone ? zoneOffset(local, options.timeZone) : undefined;
		out[t.dateTimeName] = offset ? `${local}:00${offset}` : local;
	}
	return out;
}

/** What a collection's catalogue entry asks of every record, with the output names worked out once. */
interface CollectionPlan {
	dateField?: string;
	durations: Array<{ field: string; base: string; hoursName: string }>;
	times: Array<{ field: string; base: string; dateTimeName: string }>;
}

const plans = new Map<string, CollectionPlan | null>();

function collectionPlan(collectionName: string): CollectionPlan | undefined {
	let plan = plans.get(collectionName);
	if (plan === undefined) {
		const collection = getCollection(collectionName);
		plan = collection
			? {
					dateField: collection.dateField,
					durations: collection.durationFields.map((field) => {
						const base = baseName(field);
						return {
							field,
							base,
							hoursName: base.endsWith('Hours') ? `${base}Decimal` : `${base}Hours`,
						};
					}),
					times: collection.timeOfDayFields.map((field) => {
						const base = baseName(field);
						return { field, base, dateTimeName: dateTimeName(base) };
					}),
				}
			: null;
		// Only catalogue names are cached, so the map is bounded by the catalogue.
		if (collection) plans.set(collectionName, plan);
	}
	return plan ?? undefined;
}
