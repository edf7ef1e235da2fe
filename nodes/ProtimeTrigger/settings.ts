/** The trigger's parameters, read and validated once per call. */
import { NodeOperationError, type IDataObject, type INode } from 'n8n-workflow';

import { isCollectionName, referenceOptions } from '../shared/catalogue';
import type { EventFilter } from '../shared/changes';
import {
	formatExternalReferences,
	validateExternalReferences,
	type ExternalReferenceSpec,
} from '../shared/externalReferences';
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
}

interface ParameterReader {
	getNode(): INode;
	getNodeParameter(name: string, fallback?: unknown): unknown;
}

/** Separates collection and reference in a Reference option value: `people|@employee-number`, `people|` = custom. */
export const REFERENCE_SEPARATOR = '|';

/** The options of the Reference field for a collection: its predefined references plus one custom entry per referenced collection. */
export function referenceChoices(collectionName: string): Array<{ name: string; value: string }> {
	if (!isCollectionName(collectionName)) return [];
	return referenceOptions(collectionName).flatMap(({ collection, predefined }) => [
		...predefined.map((reference) => ({ name: `${collection}: ${reference}`, value: `${collection}${REFERENCE_SEPARATOR}${reference}` })),
		{ name: `${collection}: custom reference…`, value: `${collection}${REFERENCE_SEPARATOR}` },
	]);
}

function parseReferences(node: INode, raw: unknown): ExternalReferenceSpec[] {
	const rows = ((raw as IDataObject | undefined)?.reference ?? []) as Array<{ reference?: string; customName?: string }>;
	return rows.map((row, i) => {
		const value = String(row.reference ?? '');
		const at = value.indexOf(REFERENCE_SEPARATOR);
		const collection = at >= 0 ? value.slice(0, at) : value;
		const reference = (at >= 0 ? value.slice(at + 1) : '') || String(row.customName ?? '').trim();
		if (!collection || !reference) {
			throw new NodeOperationError(node, `External reference ${i + 1} is incomplete`, {
				description: 'Choose a reference, and for a "custom reference" entry also enter its name in Custom Reference Name.',
			});
		}
		return { collection, reference };
	});
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
	const references = parseReferences(node, ctx.getNodeParameter('externalReferences', {}));
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
		language: typeof options.language === 'string' && options.language.trim() ? options.language.trim() : undefined,
		timeZone: typeof options.timeZone === 'string' && options.timeZone.trim() ? options.timeZone.trim() : undefined,
		dropStale: options.dropStale !== false,
		includeSubscriptionInfo: options.includeSubscriptionInfo === true,
		checkIntervalMinutes: (CHECK_INTERVALS as readonly number[]).includes(interval) ? interval : DEFAULT_CHECK_INTERVAL,
		renewalMarginMs: Math.min(Math.max(Number.isFinite(margin) ? margin : DEFAULT_RENEWAL_MARGIN, 2), 10080) * 60_000,
	};
}
