/** Operations and fields of the collection resources (one resource per catalogue collection). */
import type { INodeProperties } from 'n8n-workflow';

import { RECORD_RESOURCES, resourcesWhere } from '../resources';
import { externalReferences, returnAllAndLimit, simplifyAndOptions } from './common';
import { filterFields } from './filterFields';

const allRecordResources = RECORD_RESOURCES.map((r) => r.value);
/** Collections whose records carry their own external reference, so Get can look one up by it. */
const withOwnReference = resourcesWhere((c) => c.references.some((ref) => ref.path === ''));

function operations(): INodeProperties[] {
	return RECORD_RESOURCES.map((r) => ({
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: [r.value] } },
		options: [
			{
				name: 'Get',
				value: 'get',
				description: `Get one ${r.singular.toLowerCase()} by ID or external reference`,
				action: `Get ${r.singular.toLowerCase()}`,
			},
			{
				name: 'Get Many',
				value: 'getAll',
				description: `Get many ${r.plural.toLowerCase()}, e.g. for the initial sync before a trigger`,
				action: `Get many ${r.plural.toLowerCase()}`,
			},
		],
		default: 'getAll',
	}));
}

const getFields: INodeProperties[] = [
	{
		displayName: 'Look Up By',
		name: 'lookUpBy',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'External Reference', value: 'externalReference' },
			{ name: 'ID', value: 'id' },
		],
		default: 'id',
		displayOptions: { show: { resource: withOwnReference, operation: ['get'] } },
	},
	{
		displayName: 'Record',
		name: 'recordId',
		type: 'resourceLocator',
		required: true,
		default: { mode: 'id', value: '' },
		description: 'The internal Protime ID of the record',
		modes: [{ displayName: 'By ID', name: 'id', type: 'string', placeholder: 'e.g. 12345' }],
		displayOptions: {
			show: { resource: allRecordResources, operation: ['get'] },
			hide: { lookUpBy: ['externalReference'] },
		},
	},
	{
		displayName: 'Reference Name',
		name: 'referenceName',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. @employee-number',
		description:
			"The record's own external reference to look up by, predefined (starting with @) or custom",
		displayOptions: {
			show: { resource: withOwnReference, operation: ['get'], lookUpBy: ['externalReference'] },
		},
	},
	{
		displayName: 'Reference Value',
		name: 'referenceValue',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. E-1042',
		description: 'The value of that reference, e.g. the employee number',
		displayOptions: {
			show: { resource: withOwnReference, operation: ['get'], lookUpBy: ['externalReference'] },
		},
	},
];

const show = { resource: allRecordResources, operation: ['get', 'getAll'] };

export const recordProperties: INodeProperties[] = [
	...operations(),
	...getFields,
	...returnAllAndLimit({ resource: allRecordResources, operation: ['getAll'] }),
	...filterFields(),
	externalReferences(show, 'the records'),
	...simplifyAndOptions(show),
];
