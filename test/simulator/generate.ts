/**
 * Realistic records for any collection, built from the model's `sample` (so nothing about a collection
 * is written twice): a fresh id, a recent date, one of the tenant's people, plausible minutes.
 */
import { getCollection, minuteFields, type CollectionName } from './model';
import type { SimRecord, Store } from './store';

/** Small deterministic PRNG (mulberry32), so demo data and test data are reproducible. */
export class Random {
	constructor(private state: number) {}

	next(): number {
		this.state = (this.state + 0x6d2b79f5) | 0;
		let t = this.state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	}

	int(min: number, max: number): number {
		return min + Math.floor(this.next() * (max - min + 1));
	}

	pick<T>(items: readonly T[]): T {
		return items[Math.floor(this.next() * items.length)];
	}
}

export function isoDate(ms: number): string {
	return new Date(ms).toISOString().slice(0, 10);
}

const DAY_MS = 86_400_000;

/**
 * A complete record: the sample, varied, then `partial` on top (partial wins). Records never store their own
 * `externalReferences`; callers move those into the store's reference table first.
 */
export function generateRecord(
	collectionName: CollectionName,
	partial: Record<string, unknown>,
	store: Store,
	random: Random,
	now: number,
): SimRecord {
	const def = getCollection(collectionName);
	const record = structuredClone(def.sample) as unknown as SimRecord;
	const sampleId = typeof def.sample.id === 'number' ? def.sample.id : 0;
	record.id =
		partial.id !== undefined ? (partial.id as number) : store.nextId(collectionName, sampleId);

	const people = store.list('people').map((p) => p.id);
	if (record.person && typeof record.person === 'object' && people.length > 0) {
		record.person = { id: random.pick(people) };
	}
	if (def.dateField && typeof record[def.dateField] === 'string') {
		const start = now - random.int(0, 6) * DAY_MS;
		record[def.dateField] = isoDate(start);
		if (typeof record.until === 'string' && def.dateField === 'from')
			record.until = isoDate(start + random.int(0, 4) * DAY_MS);
	}
	const minutes = minuteFields(def);
	varyMinutes(record, minutes.timeOfDay, minutes.duration, random);
	const rest = { ...partial };
	delete rest.externalReferences;
	Object.assign(record, rest, { id: record.id });
	// A given start or duration keeps the end consistent unless the end was given too.
	const span = ['startTimeInMinutes', 'endTimeInMinutes', 'durationInMinutes'].map(
		(f) => record[f],
	);
	if (span.every((m) => typeof m === 'number') && partial.endTimeInMinutes === undefined) {
		record.endTimeInMinutes =
			(record.startTimeInMinutes as number) + (record.durationInMinutes as number);
	}
	return record;
}

/** Keeps start/end/duration consistent when the sample has all three (work interruptions, counters, breaks). */
function varyMinutes(
	record: SimRecord,
	timeFields: string[],
	durationFields: string[],
	random: Random,
): void {
	const hasStart = typeof record.startTimeInMinutes === 'number';
	const hasEnd = typeof record.endTimeInMinutes === 'number';
	if (hasStart) record.startTimeInMinutes = random.int(7 * 4, 17 * 4) * 15;
	for (const field of durationFields) {
		if (typeof record[field] !== 'number') continue;
		const value = record[field] as number;
		const spread = Math.max(5, Math.round(Math.abs(value) * 0.4));
		record[field] = Math.max(value < 0 ? -spread * 3 : 1, value + random.int(-spread, spread));
	}
	if (hasStart && hasEnd) {
		const duration =
			typeof record.durationInMinutes === 'number' ? record.durationInMinutes : random.int(15, 90);
		record.endTimeInMinutes = (record.startTimeInMinutes as number) + duration;
	}
	for (const field of timeFields) {
		if (field === 'startTimeInMinutes' || field === 'endTimeInMinutes') continue;
		if (typeof record[field] === 'number') record[field] = random.int(6 * 60, 18 * 60);
	}
}
