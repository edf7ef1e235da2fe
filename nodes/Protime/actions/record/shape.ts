/** Output shape of collection records: raw, or the trigger's Simplify. */
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { simplifyRecord } from '../../../shared/simplify';
import { readSimplifyOptions } from '../../../shared/simplifyParameter';
import type { CollectionName } from '../../../shared/types';

/** A function that turns one raw record of `collectionName` into the output JSON for item `i`. */
export function recordShaper(
	this: IExecuteFunctions,
	i: number,
	collectionName: CollectionName,
): (record: IDataObject) => IDataObject {
	if (!(this.getNodeParameter('simplify', i, true) as boolean)) return (record) => record;
	// Same options and defaults as the trigger, so a record read here equals the one a delivery gives.
	const options = readSimplifyOptions(this.getNodeParameter('options', i, {}));
	return (record) => simplifyRecord(collectionName, record, options);
}
