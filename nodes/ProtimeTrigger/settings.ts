/** The trigger's parameters, read and validated once per call. */
import { NodeOperationError, type IDataObject, type INode } from 'n8n-workflow';

import { isCollectionName } from '../shared/catalogue';
import type { EventFilter } from '../shared/changes';
import {
	formatExternalReferences,
	validateExternalReferences,
	type ExternalReferenceSpec,
} from '../shared/externalReferences';
import { parseReferenceRows } from '../shared/referenceParameter';
import { readSimplifyOptions } from '../shared/simplifyParameter';
import type { CollectionName } from '../shared/types';
import type { BatchSettings } from './batch';
import {
	CHECK_INTERVALS,
	DEFAULT_BATCH_MAX_CHANGES,
	DEFAULT_BATCH_MAX_FAILURES,
	DEFAULT_BATCH_WINDOW,
	DEFAULT_CHECK_INTERVAL,
	DEFAULT_RENEWAL_MARGIN,
	MAX_BATCH_MAX_CHANGES,
	MAX_BATCH_MAX_FAILURES,
	MAX_BATCH_WINDOW,
} from './description';

export interface TriggerSettings {
	collectionName: CollectionName;
	events: EventFilter[];
	references: ExternalReferenceSpec[];
	/** `(collection,reference)…`, empty when none. */
	referencesText: string;
	simplify: boolean;
	language?: string;
	timeZone?: string;
	dropStale: boolean;
	includeSubscriptionInfo: boolean;
	checkIntervalMinutes: number;
	renewalMarginMs: number;
	/** When Protime gets its 2xx: after the execution succeeded (default), or on receipt. */
	acknowledge: 'afterExecution' | 'onReceipt';
	/** Batch Changes: present when on. */
	batch?: BatchSettings;
}

/** A whole number option within its bounds, else a message that says how to fix it. */
function boundedWhole(
	node: INode,
	value: unknown,
	fallback: number,
	min: number,
	max: number,
	label: string,
): number {
	const n = value === undefined || value === '' ? fallback : Number(value);
	if (!Number.isInteger(n) || n < min || n > max) {
		throw new NodeOperationError(node, `${label} must be a whole number from ${min} to ${max}`, {
			description: `Set ${label} under Options to a whole number from ${min} to ${max} (it is ${JSON.stringify(value)}).`,
		});
	}
	return n;
}

function readBatch(node: INode, options: IDataObject): BatchSettings | undefined {
	if (options.batchChanges !== true) return undefined;
	const windowSeconds = boundedWhole(
		node,
		options.batchWindow,
		DEFAULT_BATCH_WINDOW,
		1,
		MAX_BATCH_WINDOW,
		'Batch Window (Seconds)',
	);
	const maxChanges = boundedWhole(
		node,
		options.batchMaxChanges,
		DEFAULT_BATCH_MAX_CHANGES,
		1,
		MAX_BATCH_MAX_CHANGES,
		'Max Changes per Execution',
	);
	const maxFailures = boundedWhole(
		node,
		options.batchMaxFailures,
		DEFAULT_BATCH_MAX_FAILURES,
		1,
		MAX_BATCH_MAX_FAILURES,
		'Max Failed Executions per Batch',
	);
	return { windowMs: windowSeconds * 1000, maxChanges, maxFailures };
}

/**
 * The renewal timing: the check interval (one of CHECK_INTERVALS) and the margin in minutes (2 to 10080).
 * The margin must be at least twice the interval, so that a subscription entering the margin is seen by at
 * least two checks before it expires (a second chance when one renewal is refused).
 */
function readRenewalTiming(
	node: INode,
	options: IDataObject,
): { checkIntervalMinutes: number; renewalMarginMinutes: number } {
	const interval = Number(options.checkInterval ?? DEFAULT_CHECK_INTERVAL);
	const margin = Number(options.renewalMargin ?? DEFAULT_RENEWAL_MARGIN);
	const checkIntervalMinutes = (CHECK_INTERVALS as readonly number[]).includes(interval)
		? interval
		: DEFAULT_CHECK_INTERVAL;
	const renewalMarginMinutes = Math.min(
		Math.max(Number.isFinite(margin) ? margin : DEFAULT_RENEWAL_MARGIN, 2),
		10080,
	);
	if (renewalMarginMinutes < 2 * checkIntervalMinutes) {
		const every =
			checkIntervalMinutes === 1 ? 'every minute' : `every ${checkIntervalMinutes} minutes`;
		const shorter = CHECK_INTERVALS.filter((m) => 2 * m <= renewalMarginMinutes).pop();
		throw new NodeOperationError(
			node,
			'Renew Before Expiry must be at least twice the Subscription Check interval',
			{
				description:
					`Subscription Check is ${every} and Renew Before Expiry is ${renewalMarginMinutes} minutes. Under Options, set Renew Before Expiry to ${2 * checkIntervalMinutes} minutes or more` +
					(shorter
						? `, or Subscription Check to every ${shorter === 1 ? 'minute' : `${shorter} minutes`} or more often.`
						: '.'),
			},
		);
	}
	return { checkIntervalMinutes, renewalMarginMinutes };
}

interface ParameterReader {
	getNode(): INode;
	getNodeParameter(name: string, fallback?: unknown): unknown;
}

export function readSettings(ctx: ParameterReader): TriggerSettings {
	const node = ctx.getNode();
	const collectionName = ctx.getNodeParameter('collectionName') as string;
	if (!isCollectionName(collectionName)) {
		throw new NodeOperationError(node, `Unknown Protime collection "${collectionName}"`, {
			description: 'Choose one of the collections in the Collection list.',
		});
	}
	const events = (
		ctx.getNodeParameter('events', ['insertOrUpdate', 'delete']) as EventFilter[]
	).filter((e) => e === 'insertOrUpdate' || e === 'delete');
	if (events.length === 0) {
		throw new NodeOperationError(node, 'No events selected', {
			description: 'Select Insert or Update, Delete, or both under Events.',
		});
	}
	const parsed = parseReferenceRows(ctx.getNodeParameter('externalReferences', {}));
	if ('problem' in parsed)
		throw new NodeOperationError(node, parsed.problem.message, {
			description: parsed.problem.description,
		});
	const references = parsed.specs;
	const problem = references.length
		? validateExternalReferences(collectionName, references, { forWebhook: true })
		: undefined;
	if (problem) throw new NodeOperationError(node, problem);

	const options = ctx.getNodeParameter('options', {}) as IDataObject;
	const { checkIntervalMinutes, renewalMarginMinutes } = readRenewalTiming(node, options);
	return {
		collectionName,
		events,
		references,
		referencesText: references.length ? formatExternalReferences(references) : '',
		simplify: options.simplify !== false,
		...readSimplifyOptions(options),
		dropStale: options.dropStale !== false,
		includeSubscriptionInfo: options.includeSubscriptionInfo === true,
		checkIntervalMinutes,
		acknowledge: options.acknowledge === 'onReceipt' ? 'onReceipt' : 'afterExecution',
		batch: readBatch(node, options),
		renewalMarginMs: renewalMarginMinutes * 60_000,
	};
}
