/** Dynamic option lists of the Protime node. */
import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';

import { referenceChoices } from '../../shared/referenceParameter';
import { WEBHOOK_RESOURCE, collectionOfResource } from '../resources';

/**
 * The external references the chosen collection (the resource, or Collection on Webhook > Create) can
 * carry: each predefined one plus a custom entry per referenced collection, valued like the trigger's.
 */
export async function getReferenceOptions(
	this: ILoadOptionsFunctions,
): Promise<INodePropertyOptions[]> {
	const resource = this.getCurrentNodeParameter('resource') as string;
	return referenceChoices(
		resource === WEBHOOK_RESOURCE
			? this.getCurrentNodeParameter('collection')
			: collectionOfResource(resource),
	);
}
