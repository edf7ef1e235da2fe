/** Get Many for a collection: validated filter, then `nextLink` paging consumed one page at a time. */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { buildListFilter } from '../../../shared/filters';
import { protimePages } from '../../../shared/transport';
import { readFilterValues } from '../../descriptions/filterFields';
import type { RecordResource } from '../../resources';
import { problemError } from '../errors';
import { readLimit } from '../paging';
import { externalReferencesQuery, readReferenceSpecs } from '../externalReferences';
import type { Emit } from '../types';
import { recordShaper } from './shape';

export async function getMany(this: IExecuteFunctions, i: number, r: RecordResource, emit: Emit): Promise<void> {
	const name = r.collection.name;
	const limit = readLimit.call(this, i);

	// Everything is validated before the first request, so a bad range costs no API call.
	const { values, raw } = readFilterValues.call(this, i, r);
	const filter = buildListFilter(name, values, raw);
	if (!filter.ok) throw problemError(this.getNode(), filter.problem, i);
	const qs: IDataObject = {};
	if (filter.value) qs.filter = filter.value;
	const references = externalReferencesQuery.call(this, i, name, readReferenceSpecs.call(this, i));
	if (references) qs.externalReferences = references;
	const shape = recordShaper.call(this, i, name);

	// Streaming: each raw page is turned into output items and dropped before the next one is fetched;
	// leaving the loop at the limit ends the generator, so no further page is requested.
	let count = 0;
	for await (const page of protimePages.call(this, `/${name}`, qs, { itemIndex: i })) {
		for (const record of page as IDataObject[]) {
			emit(shape(record));
			if (++count >= limit) return;
		}
	}
}
