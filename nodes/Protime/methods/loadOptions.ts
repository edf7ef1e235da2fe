/** Dynamic option lists of the Protime node. */
import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';

import { isCollectionName, referenceOptions } from '../../shared/catalogue';
import { WEBHOOK_RESOURCE, collectionOfResource } from '../resources';

/** The collections whose external references the chosen collection (resource, or Collection on Create) can carry. */
export async function getReferenceCollections(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	const resource = this.getCurrentNodeParameter('resource') as string;
	const name =
		resource === WEBHOOK_RESOURCE ? this.getCurrentNodeParameter('collection') : collectionOfResource(resource);
	if (!isCollectionName(name)) return [];
	return referenceOptions(name)
		.map(({ collection, predefined }) => ({
			name: collection,
			value: collection,
			description: predefined.length
				? `Predefined: ${predefined.join(', ')}; custom references also work`
				: 'Custom references only',
		}))
		.sort((a, b) => a.name.localeCompare(b.name));
}
