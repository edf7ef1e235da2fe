/**
 * The subscription record: one object in the node's static data, written only by `writeRecord`, plus this
 * process's memory of it. Why both, and why the memory hands out live objects: docs/trigger-design.md
 * ("Static data" and "Per-process memory").
 */
import { randomUUID } from 'crypto';
import type { IDataObject } from 'n8n-workflow';

import { holdsChanges, isEmpty, loadBatch, type Batch } from './batch';

export interface SubscriptionRecord {
	/** The Protime webhook id. */
	id: string;
	/** Its private HMAC key (never logged). */
	key: string;
	/** The key of the subscription this one replaced, still accepted until `previousKeyUntil` (epoch ms). */
	previousKey?: string;
	previousKeyUntil?: number;
	/**
	 * A renewed subscription kept until it expires (overlap), so what Protime still queues for it is
	 * delivered: its id and `validUntil`. Cleared once the check has looked at its expiry.
	 */
	previousId?: string;
	previousValidUntil?: string;
	/** What deliveries showed about it (`OverlapEvidence`), kept by the check. */
	previousFreshAt?: number;
	previousCaughtUp?: boolean;
	/** `detectedAt` of the last gap announced (ResyncRequired), so no copy of static data announces it again. */
	announced?: string;
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
	/** The process that keeps the batch, and when it last saved it (`Keeper`). */
	keeper?: IDataObject;
}

/** Deliveries signed with a replaced key are accepted this long after it was replaced, or after it expired when it was renewed (Protime retries what was in flight). */
export const PREVIOUS_KEY_GRACE_MS = 30 * 60_000;

/** The fields a renewal carries over: `previous*` (set anew by `writeRecord`) and `announced`. */
type Written = Omit<
	SubscriptionRecord,
	| 'previousKey'
	| 'previousKeyUntil'
	| 'previousId'
	| 'previousValidUntil'
	| 'previousFreshAt'
	| 'previousCaughtUp'
	| 'announced'
>;

export function triggerState(staticData: IDataObject): TriggerState {
	return staticData as TriggerState;
}

/**
 * The one writer of the record. A renewal keeps the replaced subscription (overlap) and its key until it
 * expires, plus a grace period; a replacement for changed settings or a lapse keeps neither.
 */
export function writeRecord(
	state: TriggerState,
	next: Written,
	{ overlap, now }: { overlap: boolean; now: number },
): SubscriptionRecord {
	const old = state.subscription;
	const record: SubscriptionRecord = { ...next };
	if (old?.announced) record.announced = old.announced;
	if (overlap && old?.key && old.key !== next.key) {
		record.previousKey = old.key;
		record.previousKeyUntil = now + PREVIOUS_KEY_GRACE_MS;
		const until = Date.parse(old.validUntil);
		if (!Number.isNaN(until)) {
			record.previousId = old.id;
			record.previousValidUntil = old.validUntil;
			record.previousKeyUntil = Math.max(record.previousKeyUntil, until + PREVIOUS_KEY_GRACE_MS);
		}
	}
	state.subscription = record as SubscriptionRecord & IDataObject;
	return record;
}

/** The keys a delivery may be signed with: the current one, then the previous one during its grace period. */
export function acceptedKeys(record: SubscriptionRecord | undefined, now: number): string[] {
	if (!record?.key) return [];
	if (!record.previousKey || (record.previousKeyUntil ?? 0) <= now) return [record.key];
	return [record.key, record.previousKey];
}

/**
 * A short tag of the subscription that signed a delivery (a hash of its key, stable across renewals), for
 * the stale filter: the same version delivered by another subscription (a renewal's overlap) is a
 * duplicate, by the same one a retry (docs/trigger-design.md, "Overlap").
 */
export function sourceTag(key: string): string {
	let hash = 0x811c9dc5;
	for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193) >>> 0;
	return hash.toString(36);
}

/** Whether a renewed subscription's key is still accepted (the overlap and its grace period). */
export function inOverlap(record: SubscriptionRecord | undefined, now: number): boolean {
	return record?.previousKey !== undefined && (record.previousKeyUntil ?? 0) > now;
}

/** The stale filter runs when the user asked for it, and always during an overlap (twins run once). */
export function staleFilterOn(
	dropStale: boolean,
	record: SubscriptionRecord | undefined,
	now: number,
): boolean {
	return dropStale || inOverlap(record, now);
}

const OVERLAP_FIELDS = ['previousId', 'previousValidUntil', 'previousFreshAt', 'previousCaughtUp'];

/** Ends the overlap on the record (its key stays accepted until `previousKeyUntil`). */
export function closeOverlap(record: SubscriptionRecord): void {
	for (const field of OVERLAP_FIELDS) delete (record as unknown as IDataObject)[field];
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
	/** The subscription `checkExists` found due: `create()` renews it (overlap) instead of replacing it. */
	renewOnCreate?: string;
	/** What deliveries told about the subscription a renewal left to expire (`previousId`); see check.ts. */
	overlap?: OverlapEvidence;
	/** This process's mark as the batch's keeper (random, one per memory). */
	mark: string;
	/** Since when this process keeps the batch (its memory is the newest copy); see `takeOverBatch`. */
	keepingSince?: number;
	/** When this process last logged that another one keeps the batch (logged at most once a minute). */
	keptElsewhereLoggedAt?: number;
}

export interface OverlapEvidence {
	/** The overlapped subscription. */
	id: string;
	/** When it last delivered a change no other subscription had delivered (it may still hold a backlog). */
	freshAt?: number;
	/** Both subscriptions delivered a change (a twin): the old one is past the renewal. */
	caughtUp?: boolean;
}

const MAX_TRIGGERS = 500;
const memories = new Map<string, Memory>();

export function memoryOf(identity: string): Memory {
	let memory = memories.get(identity);
	if (!memory) {
		if (memories.size >= MAX_TRIGGERS) memories.delete(memories.keys().next().value as string);
		memory = { mark: randomUUID() };
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
	if (mine && theirs !== mine && !(theirs && theirs.createdAt > mine.createdAt)) {
		if (savesLate || !theirs || theirs.id !== mine.id || theirs.key !== mine.key)
			state.subscription = mine as SubscriptionRecord & IDataObject;
	}
	// A copy loaded before a gap was announced must not save it back as pending.
	const pending = state.pendingResync?.detectedAt;
	if (pending !== undefined && (pending === mine?.announced || pending === theirs?.announced))
		delete state.pendingResync;
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

// ---------------------------------------------------------------------------------------------------------
// The keeper: static data is saved whole, so only one process may keep a trigger's batch at a time.
// ---------------------------------------------------------------------------------------------------------

/** The process that keeps a trigger's batch (its memory's mark), and when it last saved it (epoch ms). */
export interface Keeper {
	mark: string;
	at: number;
}

/**
 * A keeper that saved within this time is alive: another process must write nothing. A keeper with changes
 * saves at least once a second (its flushes); a process killed and started again waits out the rest.
 */
export const KEEPER_LEASE_MS = 15_000;

/** The code of the 503 a process answers while another one keeps the batch. */
export const KEPT_ELSEWHERE = 'keptElsewhere';
export const KEPT_ELSEWHERE_FIX =
	"Batch Changes keeps a trigger's changes in one n8n process at a time, and this workflow's webhook requests reach more than one (queue mode with several webhook processors). Route this workflow's webhook URL to one webhook processor, or turn Batch Changes off. Right after an n8n restart this lasts at most 15 seconds and needs nothing.";

function keeperOf(state: TriggerState): Keeper | undefined {
	const keeper = state.keeper;
	if (typeof keeper?.mark !== 'string' || typeof keeper.at !== 'number') return undefined;
	return { mark: keeper.mark, at: keeper.at };
}

/**
 * The keeper whose save this request's copy shows, when it is another process and newer than what this one
 * kept: undefined when this process may go on.
 */
export function otherKeeper(state: TriggerState, memory: Memory): Keeper | undefined {
	const keeper = keeperOf(state);
	if (!keeper || keeper.mark === memory.mark) return undefined;
	if (memory.keepingSince !== undefined && keeper.at <= memory.keepingSince) return undefined;
	return keeper;
}

/** Whether this request's copy still names another keeper than this process (it would take over). */
export function keptByOther(state: TriggerState, memory: Memory): boolean {
	const keeper = keeperOf(state);
	return holdsChanges(state.batch) && keeper?.mark !== memory.mark;
}

/**
 * The kept changes of this trigger, live from the memory (loaded from the request's static data the first
 * time, and again when another process kept them since: its save is newer than this memory). A request whose
 * copy holds kept changes, or whose memory does, carries the live batch and names this process its keeper, so
 * whatever it saves is the newest this process knows; with nothing kept anywhere it writes nothing.
 */
export function takeOverBatch(memory: Memory, state: TriggerState, now = Date.now()): Batch {
	if (memory.batch === undefined || otherKeeper(state, memory)) {
		if (memory.batch !== undefined) memory.versions = undefined; // the other process's filter is newer too
		memory.batch = loadBatch(state.batch === undefined ? undefined : plainCopy(state.batch));
		memory.keepingSince = now;
	}
	if (!isEmpty(memory.batch) || holdsChanges(state.batch)) carryBatch(memory, state, now);
	return memory.batch;
}

/** Puts this process's live batch into the request's copy, naming this process its keeper. */
export function carryBatch(memory: Memory, state: TriggerState, now = Date.now()): void {
	state.batch = memory.batch as unknown as IDataObject;
	state.keeper = { mark: memory.mark, at: now };
}
