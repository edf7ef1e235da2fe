/** Return All / Limit of a Get Many, read and checked once per item. */
import type { IExecuteFunctions } from 'n8n-workflow';

import { problemError } from './errors';

/** How many results item `i` may return: Infinity with Return All, else a whole number of at least 1. */
export function readLimit(this: IExecuteFunctions, i: number): number {
	if (this.getNodeParameter('returnAll', i, false) as boolean) return Infinity;
	const limit = Number(this.getNodeParameter('limit', i, 50));
	if (!Number.isInteger(limit) || limit < 1) {
		throw problemError(
			this.getNode(),
			{
				message: `Limit must be a whole number of at least 1, not '${String(limit)}'`,
				description: 'Set Limit to 1 or more, or turn on Return All.',
			},
			i,
		);
	}
	return limit;
}
