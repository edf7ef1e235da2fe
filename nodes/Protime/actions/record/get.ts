/** Get one record of a collection by internal ID or by the record's own external reference. */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { isNotFoundError, protimeRequest } from '../../../shared/transport';
import type { RecordResource } from '../../resources';
import { asNodeError, problemError } from '../errors';
import { externalReferencesQuery, readReferenceSpecs } from '../externalReferences';
import { locatorValue } from '../locator';
import { pathSegment } from '../pathSegment';
import type { Emit } from '../types';
import { recordShaper } from './shape';

export async function get(
	this: IExecuteFunctions,
	i: number,
	r: RecordResource,
	emit: Emit,
): Promise<void> {
	const name = r.collection.name;
	const byReference = this.getNodeParameter('lookUpBy', i, 'id') === 'externalReference';
	const specs = readReferenceSpecs.call(this, i);
	let label = 'ID';
	let value: unknown;
	if (byReference) {
		const reference = String(this.getNodeParameter('referenceName', i, '')).trim();
		if (reference === '') {
			throw problemError(
				this.getNode(),
				{
					message: 'The reference name is empty',
					description: 'Enter the reference to look up by, e.g. @employee-number.',
				},
				i,
			);
		}
		// Asking for the record's own reference tells Protime which one the path value is, and returns it.
		if (!specs.some((s) => s.collection === name && s.reference === reference)) {
			specs.unshift({ collection: name, reference });
		}
		label = `${reference} value`;
		value = this.getNodeParameter('referenceValue', i, '');
	} else {
		value = locatorValue(this.getNodeParameter('recordId', i, ''));
	}
	const checked = pathSegment(value, label);
	if ('problem' in checked) throw problemError(this.getNode(), checked.problem, i);

	const qs: IDataObject = {};
	const references = externalReferencesQuery.call(this, i, name, specs);
	if (references) qs.externalReferences = references;

	let record: IDataObject;
	try {
		const path = `/${name}/${checked.segment}`;
		record = (await protimeRequest.call(this, {
			method: 'GET',
			path,
			qs,
			itemIndex: i,
		})) as IDataObject;
	} catch (error) {
		if (!isNotFoundError(error)) throw asNodeError(this.getNode(), error, i);
		throw problemError(
			this.getNode(),
			{
				message: `No ${r.singular.toLowerCase()} with ${label} '${String(value).trim()}' exists in Protime`,
				description: byReference
					? `Check the value and the reference name (predefined references start with @). Get Many with the same external reference lists the values that exist.`
					: `Check the ID: it is the internal Protime 'id' of the record, not an employee or badge number. Get Many lists the records that exist.`,
			},
			i,
		);
	}
	emit(recordShaper.call(this, i, name)(record));
}
