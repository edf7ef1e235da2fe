/** Dynamic option lists of the Protime node. */
import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';

import { isCollectionName, referenceOptions } from '../../shared/catalogue';
import { REFERENCE_SEPARATOR } from '../actions/externalReferences';
import { WEBHOOK_RESOURCE, collectionOfResource } from '../resources';

/**
 * The external references the chosen collection (the resource, or Collection on Webhook > Create) can
 * carry: each predefined one plus a custom entry per referenced collection, valued like the trigger's.
 */
export async function getReferenceOptions(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const resource = this.getCurrentNodeParameter('resource') as string;
	const name =
		resource === WEBHOOK_RESOURCE ? this.getCurrentNodeParameter('collection') : collectionOfResource(resource);
	if (!isCollectionName(name)) return [];
	return referenceOptions(name).flatMap(({ collection, predefined }) => [
		...predefined.map((reference) => ({
			name: `${collection}: ${reference}`,
			value: `${collection}${REFERENCE_SEPARATOR}${reference}`,
		})),
		{ name: `${collection}: custom reference…`, value: `${collection}${REFERENCE_SEPARATOR}` },
	]);
}
