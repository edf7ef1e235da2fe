/**
 * Batch Changes: a delivery's changes are kept in static data (saved before Protime gets its 2xx); the clock's
 * flush turns them into executions of up to N changes and reports back whether each one succeeded. Why this
 * loses nothing and what it costs: docs/trigger-design.md ("Batching"). Pure: no n8n, no clock of its own.
 */
import type { IDataObject } from 'n8n-workflow';

import { sortByChangeVersion, type Change } from '../shared/changes';

/** A change kept for a later execution, with the time (epoch ms) it was acknowledged. */
export interface Kept {
	change: Change;
	at: number;
}

/** The batch handed to an execution whose outcome the clock has not reported yet. */
export interface InFlight {
	/** The id the clock gave the flush that emitted it (its report names it); '' while it waits to be emitted again. */
	id: string;
	changes: Change[];
	/** Executions of this batch that failed or were never reported (n8n killed, clock restarted). */
	attempts: number;
	/** Of those, the executions n8n reported failed: at the limit the batch is set aside. */
	failures: number;
	/** Not emitted again before this time (epoch ms): a failing workflow is retried with a growing pause. */
	retryAt: number;
}

export interface Batch {
	pending: Kept[];
	inFlight?: InFlight;
}

export interface BatchSettings {
	windowMs: number;
	maxChanges: number;
	/** Failed executions of one batch before it is set aside (newer changes go on). */
	maxFailures: number;
}

/** What the clock says about its previous flush: the execution succeeded (2xx), or not. */
export interface FlushReport {
	id: string;
	outcome: 'done' | 'failed';
}

/** The clock's flush cadence: a change waits at most its window, measured at this granularity. */
export const FLUSH_TICK_MS = 1000;
/** Changes kept at most; beyond, a delivery gets 503 and Protime resends it later (nothing is lost). */
export const MAX_KEPT = 5000;
const MAX_RETRY_PAUSE_MS = 5 * 60_000;

function isObject(value: unknown): value is IDataObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isKept(value: unknown): value is Kept {
	return (
		isObject(value) &&
		typeof value.at === 'number' &&
		isObject(value.change) &&
		isObject(value.change.data)
	);
}

/** The batch in static data, or an empty one; entries of a wrong shape are left out. */
export function loadBatch(raw: unknown): Batch {
	if (!isObject(raw)) return { pending: [] };
	const pending = Array.isArray(raw.pending) ? raw.pending.filter(isKept) : [];
	const batch: Batch = { pending };
	const flight = raw.inFlight;
	if (isObject(flight) && typeof flight.id === 'string' && Array.isArray(flight.changes)) {
		batch.inFlight = {
			id: flight.id,
			changes: (flight.changes as unknown[]).filter(
				(c): c is Change => isObject(c) && isObject(c.data),
			),
			attempts: Number(flight.attempts) || 0,
			failures: Number(flight.failures) || 0,
			retryAt: Number(flight.retryAt) || 0,
		};
	}
	return batch;
}

/** Whether a batch as stored holds any change (without loading it). */
export function holdsChanges(raw: unknown): boolean {
	if (!isObject(raw)) return false;
	return (Array.isArray(raw.pending) && raw.pending.length > 0) || isObject(raw.inFlight);
}

export function keptCount(batch: Batch): number {
	return batch.pending.length + (batch.inFlight?.changes.length ?? 0);
}

export function isEmpty(batch: Batch): boolean {
	return keptCount(batch) === 0;
}

/** Whether `count` more changes fit. */
export function hasRoomFor(batch: Batch, count: number): boolean {
	return keptCount(batch) + count <= MAX_KEPT;
}

/** Keeps `changes` (already filtered) for a later execution. */
export function keep(batch: Batch, changes: readonly Change[], now: number): void {
	for (const change of changes) batch.pending.push({ change, at: now });
}

/** 1 s, 2 s, 4 s … at most 5 minutes. */
export function retryPause(attempts: number): number {
	return Math.min(FLUSH_TICK_MS * 2 ** Math.max(0, attempts - 1), MAX_RETRY_PAUSE_MS);
}

/** What a report did to the batch: nothing, or it changed it; `setAside` holds a batch that failed too often. */
export interface Applied {
	changed: boolean;
	setAside?: InFlight;
}

/**
 * Applies the clock's report on the batch in flight. A batch in flight that the report does not name was
 * emitted by a flush whose answer nobody saw (n8n died): it is emitted again at once. One whose execution
 * failed is emitted again after a growing pause, until it failed `maxFailures` times: then it is set aside,
 * so that one bad change does not stop the stream (a death is no failure: it never sets a batch aside).
 */
export function applyReport(
	batch: Batch,
	report: FlushReport | undefined,
	now: number,
	maxFailures: number,
): Applied {
	const flight = batch.inFlight;
	if (!flight || flight.id === '') return { changed: false };
	const named = report?.id === flight.id;
	if (named && report.outcome === 'done') {
		delete batch.inFlight;
		return { changed: true };
	}
	flight.attempts++;
	if (named) flight.failures++;
	if (flight.failures >= maxFailures) {
		delete batch.inFlight;
		return { changed: true, setAside: flight };
	}
	flight.retryAt = named ? now + retryPause(flight.attempts) : now;
	flight.id = '';
	return { changed: true };
}

/** Whether the pending changes are due: enough of them, or the oldest's window ends before the next tick. */
export function isDue(batch: Batch, settings: BatchSettings, now: number): boolean {
	const oldest = batch.pending[0];
	if (!oldest) return false;
	return (
		batch.pending.length >= settings.maxChanges ||
		now + FLUSH_TICK_MS > oldest.at + settings.windowMs
	);
}

/**
 * The changes the flush `id` emits, in `changeVersion` order, or undefined when nothing is due. A batch in
 * flight that failed goes first and alone (its retry pause over); else up to `maxChanges` pending ones.
 */
export function takeFlush(
	batch: Batch,
	settings: BatchSettings,
	id: string,
	now: number,
): Change[] | undefined {
	const flight = batch.inFlight;
	if (flight?.changes.length === 0) delete batch.inFlight;
	else if (flight) {
		if (flight.id !== '' || flight.retryAt > now) return undefined;
		flight.id = id;
		return [...flight.changes];
	}
	if (!isDue(batch, settings, now)) return undefined;
	const taken = batch.pending.splice(0, settings.maxChanges);
	const changes = [...sortByChangeVersion(taken.map((k) => k.change))];
	batch.inFlight = { id, changes, attempts: 0, failures: 0, retryAt: 0 };
	return [...changes];
}
