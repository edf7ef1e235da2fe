/**
 * The subscription record: one object in the node's static data, written only by `writeRecord`, plus this
 * process's memory of it. Why both, and why the memory hands out live objects: docs/trigger-design.md
 * ("Static data" and "Per-process memory").
 */
import type { IDataObject } from 'n8n-workflow';

import { compareChangeVersions } from '../shared/changes';
import { holdsChanges, isEmpty, loadBatch, type Batch } from './batch';

/**
 * A subscription this one replaced that may still deliver (renewal overlap, docs/trigger-design.md): kept at
 * Protime and its key accepted until it expired, then deleted.
 */
export interface PreviousSubscription {
	id: string;
	key: string;
	validUntil: string;
	/** Epoch ms when it was replaced. */
	replacedAt: number;
	/** The lowest changeVersion it delivered: changes older than its successor's are ones only it holds. */
	firstVersion?: string;
	/** Epoch ms of its last delivery that carried a change raised before its successor existed (older than the successor's `firstVersion`). */
	lastOwnAt?: number;
	/** Its expiry while still delivering was announced (ResyncRequired). */
	announced?: boolean;
}

export interface SubscriptionRecord {
	/** The Protime webhook id. */
	id: string;
	/** Its private HMAC key (never logged). */
	key: string;
	/** The subscriptions it replaced that may still deliver, newest first (at most MAX_PREVIOUS). */
	previous?: PreviousSubscription[];
	/** During the overlap: the lowest changeVersion it delivered (see PreviousSubscription.firstVersion). */
	firstVersion?: string;
	/** Written by versions before the renewal overlap: a replaced key accepted until `previousKeyUntil` (epoch ms). */
	previousKey?: string;
	previousKeyUntil?: number;
	validUntil: string;
	destination: string;
	collection: string;
	/** `(collection,reference)…` as sent on creation, empty when none. */
	references: string;
	/** Epoch ms of creation; with `validUntil` it gives the validity period. */
	createdAt: number;
}

export interface PendingResync {
	reason: string;
	detectedAt: string;
	previousWebhookId?: string;
}

/** The node's static data: n8n's own object, so writing to it is what gets persisted. */
export interface TriggerState extends IDataObject {
	subscription?: SubscriptionRecord & IDataObject;
	/** A lapse found where no item can be emitted (activation); emitted with the next request. */
	pendingResync?: PendingResync & IDataObject;
	/** The stale filter (`VersionStore` in shared/changes.ts). */
	versions?: IDataObject;
	/** When `delete()` last removed the subscription (ISO); the next `create()` reports the gap. */
	removedAt?: string;
	/** Changes acknowledged and kept for a later execution (Batch Changes, batch.ts). */
	batch?: IDataObject;
}

/**
 * A replaced subscription's key is accepted this long after it expired (a delivery in flight, or a Protime
 * that drains an expired webhook's queue); then it is dropped from the record and the subscription deleted.
 */
export const PREVIOUS_KEY_GRACE_MS = 30 * 60_000;

/** At most this many unexpired replaced subscriptions are kept (a renewal is due at most once per half validity). */
export const MAX_PREVIOUS = 2;

export function triggerState(staticData: IDataObject): TriggerState {
	return staticData as TriggerState;
}

/**
 * The one writer of the record: the new subscription with the replaced ones that stay (`previous`, decided
 * by the caller, see `overlapAfter` in decide.ts).
 */
export function writeRecord(
	state: TriggerState,
	next: Omit<SubscriptionRecord, 'previousKey' | 'previousKeyUntil' | 'previous'>,
	previous: PreviousSubscription[] = [],
): SubscriptionRecord {
	const record: SubscriptionRecord = { ...next };
	if (previous.length) record.previous = previous.map((p) => ({ ...p }));
	state.subscription = record as SubscriptionRecord & IDataObject;
	return record;
}

/** Whether a replaced subscription's key is still accepted at `now`. */
export function previousAccepted(previous: PreviousSubscription, now: number): boolean {
	const until = Date.parse(previous.validUntil);
	return Number.isNaN(until) || until + PREVIOUS_KEY_GRACE_MS > now;
}

/** The subscriptions a delivery may be signed by (id and key): the current one first, then the replaced ones still accepted. */
export function acceptedSubscriptions(
	record: SubscriptionRecord | undefined,
	now: number,
): Array<{ id: string; key: string }> {
	if (!record?.key) return [];
	const accepted = [{ id: record.id, key: record.key }];
	for (const previous of record.previous ?? []) {
		if (previous.key && previousAccepted(previous, now))
			accepted.push({ id: previous.id, key: previous.key });
	}
	if (record.previousKey && (record.previousKeyUntil ?? 0) > now)
		accepted.push({ id: '', key: record.previousKey });
	return accepted;
}

/** The keys a delivery may be signed with (acceptedSubscriptions' keys). */
export function acceptedKeys(record: SubscriptionRecord | undefined, now: number): string[] {
	return acceptedSubscriptions(record, now).map((s) => s.key);
}

/**
 * During the overlap, notes what a delivery signed by subscription `id` tells about the queues: the lowest
 * changeVersion each subscription delivered (`firstVersion`), and, for a replaced one, whether it still
 * delivered changes raised before its successor existed (older than the successor's `firstVersion`, or any
 * while the successor has delivered nothing): `lastOwnAt`, at most every 10 s. Written into the live record
 * and the request's copy; nothing outside the overlap.
 */
export function noteDelivery(
	memory: Memory | undefined,
	state: TriggerState,
	id: string,
	lowest: string | undefined,
	now: number,
): void {
	if (lowest === undefined) return;
	let wrote = false;
	for (const record of new Set([memory?.record, state.subscription])) {
		if (!record?.previous?.length) continue;
		const chain: Array<{ id: string; firstVersion?: string; lastOwnAt?: number }> = [
			record,
			...record.previous,
		];
		const index = chain.findIndex((s) => s.id === id);
		if (index < 0) continue;
		const signer = chain[index];
		if (
			signer.firstVersion === undefined ||
			compareChangeVersions(lowest, signer.firstVersion) < 0
		) {
			signer.firstVersion = lowest;
			wrote = true;
		}
		if (index === 0) continue;
		const boundary = chain[index - 1].firstVersion;
		const own = boundary === undefined || compareChangeVersions(lowest, boundary) < 0;
		if (own && (signer.lastOwnAt ?? 0) <= now - 10_000) {
			signer.lastOwnAt = now;
			wrote = true;
		}
	}
	// A write through the copy's own property, so n8n sees it changed (nested plain objects are not observed).
	if (wrote && state.subscription) state.subscription = state.subscription; // eslint-disable-line no-self-assign
}

// ---------------------------------------------------------------------------------------------------------
// Per-process memory, keyed by trigger identity, bounded as a whole.
// ---------------------------------------------------------------------------------------------------------

export interface Memory {
	/** The newest record this process wrote (a live object: in-flight requests that took it over save it as it is then). */
	record?: SubscriptionRecord;
	/** The stale filter, shared live by this process's requests for the same reason. */
	versions?: IDataObject;
	/** The renewal running in this process, if any. */
	renewing?: Promise<unknown>;
	/** Timestamp of the last accepted check request (replay protection). */
	lastCheck?: number;
	/** The kept changes (Batch Changes), shared live like the record. */
	batch?: Batch;
	/** Timestamp of the last accepted flush request (replay protection, apart from checks). */
	lastFlush?: number;
	/** A gap a request found that n8n does not save (a delivery answered after its execution): the next check announces it. */
	pendingResync?: PendingResync;
}

const MAX_TRIGGERS = 500;
const memories = new Map<string, Memory>();

export function memoryOf(identity: string): Memory {
	let memory = memories.get(identity);
	if (!memory) {
		if (memories.size >= MAX_TRIGGERS) memories.delete(memories.keys().next().value as string);
		memory = {};
		memories.set(identity, memory);
	}
	return memory;
}

/** The memory of a trigger when this process has one (a look that creates none). */
export function peekMemory(identity: string): Memory | undefined {
	return memories.get(identity);
}

/** Forgets a trigger (deactivation). */
export function forgetMemory(identity: string): void {
	memories.delete(identity);
}

/** A plain copy: static data as n8n loads it is wrapped in Proxies, which structuredClone refuses. */
export function plainCopy<T>(value: T): T {
	return JSON.parse(JSON.stringify(value)) as T;
}

/** Remembers a record this process just wrote: updates the live object in place, so holders see it. */
export function rememberRecord(memory: Memory, record: SubscriptionRecord): SubscriptionRecord {
	const fresh = plainCopy(record);
	if (!memory.record) {
		memory.record = fresh;
		return fresh;
	}
	for (const field of Object.keys(memory.record))
		delete (memory.record as unknown as IDataObject)[field];
	Object.assign(memory.record, fresh);
	return memory.record;
}

/**
 * The one take-over point of a request. The request's copy of static data gets this process's live record
 * when that is newer, or always when n8n will save the copy only later (after the execution): a renewal made
 * meanwhile is then saved instead of being undone. Returns the record the request works with.
 */
export function takeOver(
	memory: Memory,
	state: TriggerState,
	savesLate: boolean,
): SubscriptionRecord | undefined {
	const mine = memory.record;
	const theirs = state.subscription;
	if (!mine || theirs === mine || (theirs && theirs.createdAt > mine.createdAt)) return theirs;
	if (savesLate || !theirs || theirs.id !== mine.id || theirs.key !== mine.key)
		state.subscription = mine as SubscriptionRecord & IDataObject;
	return state.subscription;
}

/** Runs `renew` as the only renewal of this trigger in this process; a caller that had to wait gets undefined. */
export async function singleFlight<T>(
	memory: Memory,
	renew: () => Promise<T>,
): Promise<T | undefined> {
	if (memory.renewing) {
		await memory.renewing.catch(() => undefined);
		return undefined;
	}
	const promise = renew();
	memory.renewing = promise;
	try {
		return await promise;
	} finally {
		memory.renewing = undefined;
	}
}

/**
 * The kept changes of this trigger, live from the memory (loaded from the request's static data the first
 * time). A request whose copy holds kept changes, or whose memory does, carries the live batch, so whatever
 * it saves is the newest this process knows; with nothing kept anywhere it writes nothing.
 */
export function takeOverBatch(memory: Memory, state: TriggerState): Batch {
	memory.batch ??= loadBatch(state.batch === undefined ? undefined : plainCopy(state.batch));
	if (!isEmpty(memory.batch) || holdsChanges(state.batch)) {
		state.batch = memory.batch as unknown as IDataObject;
	}
	return memory.batch;
}
