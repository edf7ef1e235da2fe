/** The items the trigger emits: one per change, plus the resync notice after a gap or a batch set aside. */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import type { Change } from '../shared/changes';
import { simplifyRecord } from '../shared/simplify';
import type { BaseRecord, ChangeType, CollectionName, CollectionRecords } from '../shared/types';
import type { TriggerSettings } from './settings';
import type { Memory, PendingResync, TriggerState } from './record';

export const RESYNC_CHANGE_TYPE = 'ResyncRequired';

/** The JSON of an emitted change item (`data` is the raw record, or its simplified form with Simplify). */
export interface ProtimeTriggerChange<C extends CollectionName = CollectionName> {
	changeType: ChangeType;
	collectionName: C;
	id: number | string;
	changeVersion: string;
	data: CollectionRecords[C] | Pick<BaseRecord, 'changeVersion' | 'id'> | IDataObject;
	_subscription?: { webhookId: string | null; validUntil: string | null };
}

/** The JSON of the item emitted after a lapse. */
export interface ProtimeTriggerResync {
	changeType: typeof RESYNC_CHANGE_TYPE;
	collectionName: CollectionName;
	reason: string;
	detectedAt: string;
	previousWebhookId: string | null;
	webhookId: string | null;
	validUntil: string | null;
	message: string;
	/** With reason `executionsFailed`: the changes of the batch set aside. */
	setAside?: Array<{ changeType: ChangeType; id: number | string; changeVersion: string }>;
}

/** The reason of the resync notice for a batch set aside after its executions failed (batch.ts). */
export const SET_ASIDE_REASON = 'executionsFailed';

function subscriptionInfo(state: TriggerState): IDataObject {
	return {
		webhookId: state.subscription?.id ?? null,
		validUntil: state.subscription?.validUntil ?? null,
	};
}

export function changeItem(
	change: Change,
	settings: TriggerSettings,
	state: TriggerState,
): INodeExecutionData {
	const data = settings.simplify
		? simplifyRecord(settings.collectionName, change.data, settings) // settings carry language and timeZone
		: change.data;
	const json: IDataObject = {
		changeType: change.changeType,
		collectionName: settings.collectionName,
		id: change.data.id,
		changeVersion: change.data.changeVersion,
		data,
	};
	if (settings.includeSubscriptionInfo) json._subscription = subscriptionInfo(state);
	return { json };
}

/** Tells the workflow that changes may have been missed and how to recover (docs/protime-reference.md). */
export function resyncItem(
	lapse: PendingResync,
	settings: TriggerSettings,
	state: TriggerState,
): INodeExecutionData {
	return {
		json: {
			changeType: RESYNC_CHANGE_TYPE,
			collectionName: settings.collectionName,
			reason: lapse.reason,
			detectedAt: lapse.detectedAt,
			previousWebhookId: lapse.previousWebhookId ?? null,
			webhookId: state.subscription?.id ?? null,
			validUntil: state.subscription?.validUntil ?? null,
			message:
				`The Protime subscription for ${settings.collectionName} lapsed (${lapse.reason}), so changes made before ` +
				`${lapse.detectedAt} may not have been delivered. A new subscription is active. Run a full initial sync: ` +
				`a Protime node with this collection and the Get Many operation (Return All), and apply its result.`,
		},
	};
}

/**
 * Tells the workflow that a batch was set aside after `failures` failed executions: its changes are not emitted
 * again, so a sink misses them until it reads those records again.
 */
export function setAsideItem(
	changes: readonly Change[],
	failures: number,
	settings: TriggerSettings,
	state: TriggerState,
	now: number,
): INodeExecutionData {
	const ids = changes.map((c) => String(c.data.id));
	const shown =
		ids.length > 20 ? `${ids.slice(0, 20).join(', ')} and ${ids.length - 20} more` : ids.join(', ');
	return {
		json: {
			changeType: RESYNC_CHANGE_TYPE,
			collectionName: settings.collectionName,
			reason: SET_ASIDE_REASON,
			detectedAt: new Date(now).toISOString(),
			previousWebhookId: null,
			webhookId: state.subscription?.id ?? null,
			validUntil: state.subscription?.validUntil ?? null,
			message:
				`The execution of ${changes.length === 1 ? 'a change' : `${changes.length} changes`} of ${settings.collectionName} failed ${failures} times, so ` +
				`${changes.length === 1 ? 'it was' : 'they were'} set aside and newer changes go on (records ${shown}). The failed executions show the error. ` +
				`Fix the workflow, then read these records again with a Protime node (Get Many), or run a full initial sync.`,
			setAside: changes.map((c) => ({
				changeType: c.changeType,
				id: c.data.id,
				changeVersion: c.data.changeVersion,
			})),
		},
	};
}

/**
 * The item for a gap, marked announced on the record (this request's copy and this process's live one), so
 * that no copy of static data loaded before this request emits it again (record.ts, `takeOver`).
 */
export function announceGap(
	gap: PendingResync,
	settings: TriggerSettings,
	state: TriggerState,
	memory: Memory | undefined,
): INodeExecutionData {
	if (state.subscription) state.subscription.announced = gap.detectedAt;
	if (memory?.record) memory.record.announced = gap.detectedAt;
	return resyncItem(gap, settings, state);
}

/** The gap an activation or a delivery left in static data, emitted once. */
export function takePendingResync(
	state: TriggerState,
	settings: TriggerSettings,
	memory?: Memory,
): INodeExecutionData[] {
	const pending = state.pendingResync;
	if (!pending) return [];
	delete state.pendingResync; // one already announced was dropped by `takeOver`
	return [announceGap(pending, settings, state, memory)];
}
