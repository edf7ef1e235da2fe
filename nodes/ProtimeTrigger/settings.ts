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
import { CHECK_INTERVALS, DEFAULT_CHECK_INTERVAL, DEFAULT_RENEWAL_MARGIN } from './description';

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
	const events = (ctx.getNodeParameter('events', ['insertOrUpdate', 'delete']) as EventFilter[]).filter(
		(e) => e === 'insertOrUpdate' || e === 'delete',
	);
	if (events.length === 0) {
		throw new NodeOperationError(node, 'No events selected', {
			description: 'Select Insert or Update, Delete, or both under Events.',
		});
	}
	const parsed = parseReferenceRows(ctx.getNodeParameter('externalReferences', {}));
	if ('problem' in parsed) throw new NodeOperationError(node, parsed.problem.message, { description: parsed.problem.description });
	const references = parsed.specs;
	const problem = references.length ? validateExternalReferences(collectionName, references, { forWebhook: true }) : undefined;
	if (problem) throw new NodeOperationError(node, problem);

	const options = ctx.getNodeParameter('options', {}) as IDataObject;
	const interval = Number(options.checkInterval ?? DEFAULT_CHECK_INTERVAL);
	const margin = Number(options.renewalMargin ?? DEFAULT_RENEWAL_MARGIN);
	return {
		collectionName,
		events,
		references,
		referencesText: references.length ? formatExternalReferences(references) : '',
		simplify: options.simplify !== false,
		...readSimplifyOptions(options),
		dropStale: options.dropStale !== false,
		includeSubscriptionInfo: options.includeSubscriptionInfo === true,
		checkIntervalMinutes: (CHECK_INTERVALS as readonly number[]).includes(interval) ? interval : DEFAULT_CHECK_INTERVAL,
		acknowledge: options.acknowledge === 'onReceipt' ? 'onReceipt' : 'afterExecution',
		renewalMarginMs: Math.min(Math.max(Number.isFinite(margin) ? margin : DEFAULT_RENEWAL_MARGIN, 2), 10080) * 60_000,
	};
}
