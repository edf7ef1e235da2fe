/**
 * Get Many for a collection: validated filter, then `nextLink` paging consumed one page at a time. A filter too
 * long for one URL is sent as several requests over slices of its longest ID list, merged without doubles.
 */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { API_PATH } from '../../../shared/environment';
import { buildListFilters, encodedLength } from '../../../shared/filters';
import { protimePages } from '../../../shared/transport';
import { readFilterValues } from '../../descriptions/filterFields';
import type { RecordResource } from '../../resources';
import { problemError } from '../errors';
import { readLimit } from '../paging';
import { externalReferencesQuery, readReferenceSpecs } from '../externalReferences';
import type { Emit } from '../types';
import { recordShaper } from './shape';

export async function getMany(
	this: IExecuteFunctions,
	i: number,
	r: RecordResource,
	emit: Emit,
): Promise<void> {
	const name = r.collection.name;
	const limit = readLimit.call(this, i);

	// Everything is validated before the first request, so a bad range costs no API call.
	const { values, raw } = readFilterValues.call(this, i, r);
	const references = externalReferencesQuery.call(this, i, name, readReferenceSpecs.call(this, i));
	const filters = buildListFilters(name, values, raw, fixedUrlLength(name, references));
	if (!filters.ok) throw problemError(this.getNode(), filters.problem, i);
	const shape = recordShaper.call(this, i, name);

	// Slices select disjoint records; the id set only guards against a record served twice.
	const seen = filters.value.length > 1 ? new Set<string>() : undefined;
	let count = 0;
	for (const filter of filters.value) {
		const qs: IDataObject = {};
		if (filter) qs.filter = filter;
		if (references) qs.externalReferences = references;
		// Streaming: each raw page is turned into output items and dropped before the next one is fetched;
		// leaving the loop at the limit ends the generator, so no further page is requested.
		for await (const page of protimePages.call(this, `/${name}`, qs, { itemIndex: i })) {
			for (const record of page as IDataObject[]) {
				if (seen) {
					const key = String(record.id);
					if (seen.has(key)) continue;
					seen.add(key);
				}
				emit(shape(record));
				if (++count >= limit) return;
			}
		}
	}
}

/** Room for the origin (https, a tenant of up to 63 characters, the longest Protime domain), in characters. */
const ORIGIN_ALLOWANCE = 100;

/** The length of a list URL without its filter: origin, path and the external-references parameter. */
function fixedUrlLength(name: string, references: string | undefined): number {
	const path = `${API_PATH}/${name}?`.length;
	return (
		ORIGIN_ALLOWANCE +
		path +
		(references ? '&externalReferences='.length + encodedLength(references) : 0)
	);
}
