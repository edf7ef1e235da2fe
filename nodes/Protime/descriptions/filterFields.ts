/**
 * The Get Many filter fields, generated from the catalogue's filter definitions, and the matching reader.
 * Required filters (the date range) are top-level fields; optional ones sit in a per-resource "Filters"
 * collection together with the raw expression. Parameter names come from one function each, so the
 * description and the reader cannot drift apart.
 */
import type { IExecuteFunctions, INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import type { CollectionFilter } from '../../shared/catalogue';
import type { FilterValues } from '../../shared/filters';
import { RECORD_RESOURCES, type RecordResource } from '../resources';

const pascal = (name: string) =>
	name
		.split('-')
		.map((w) => w[0].toUpperCase() + w.slice(1))
		.join('');

/** `date` → `startDate`/`endDate`. */
export function rangeParameterNames(filter: CollectionFilter): { start: string; end: string } {
	return { start: `start${pascal(filter.name)}`, end: `end${pascal(filter.name)}` };
}

/** `counter-group` → `counterGroup`. */
export function filterParameterName(filter: CollectionFilter): string {
	if (filter.parameterName) return filter.parameterName;
	const p = pascal(filter.name);
	return p[0].toLowerCase() + p.slice(1);
}

function rangeFields(filter: CollectionFilter, required: boolean): INodeProperties[] {
	const names = rangeParameterNames(filter);
	return [
		{
			displayName: `Start ${filter.displayName}`,
			name: names.start,
			type: 'dateTime',
			default: '',
			required,
			description: 'First day of the range (inclusive). Only the date part is used.',
		},
		{
			displayName: `End ${filter.displayName}`,
			name: names.end,
			type: 'dateTime',
			default: '',
			required,
			description: filter.maxRangeDays
				? 'Last day of the range (inclusive), at most one year after the start. Only the date part is used.'
				: 'Last day of the range (inclusive). Only the date part is used.',
		},
	];
}

function optionalField(filter: CollectionFilter): INodeProperties[] {
	const base = {
		displayName: filter.displayName,
		name: filterParameterName(filter),
		description: filter.description,
	};
	switch (filter.kind) {
		case 'dateRange':
			return rangeFields(filter, false);
		case 'idList':
			return [{ ...base, type: 'string', default: '', placeholder: 'e.g. 115, 256' }];
		case 'boolean':
			return [{ ...base, type: 'boolean', default: true }];
		case 'options': {
			const options: INodePropertyOptions[] = [...(filter.options ?? [])]
				.sort((a, b) => a.localeCompare(b))
				.map((o) => ({ name: o, value: o }));
			return [{ ...base, type: 'options', options, default: options[0]?.value ?? '' }];
		}
	}
}

const RAW_FILTER: INodeProperties = {
	displayName: 'Raw Filter Expression',
	name: 'rawFilter',
	type: 'string',
	default: '',
	placeholder: 'e.g. person in circle(12)',
	description:
		"More conditions in Protime's filter syntax (operators eq, ge, le, in; joined with 'and'), added to the fields above with 'and'. Sent as the filter query parameter; '&', '#' and line breaks are refused.",
};

const getManyOf = (resources: string[]) => ({ resource: resources, operation: ['getAll'] });

/** All filter parameters for the collection resources' Get Many. */
export function filterFields(): INodeProperties[] {
	const fields: INodeProperties[] = [];
	// Required filters shared by several collections (the date range) become one field each.
	const required = new Map<string, { filter: CollectionFilter; resources: string[] }>();
	for (const r of RECORD_RESOURCES) {
		for (const filter of r.collection.filters.filter((f) => f.required)) {
			const key = `${filter.kind}:${filter.name}`;
			const entry = required.get(key) ?? { filter, resources: [] };
			entry.resources.push(r.value);
			required.set(key, entry);
		}
	}
	for (const { filter, resources } of required.values()) {
		const generated =
			filter.kind === 'dateRange' ? rangeFields(filter, true) : optionalField(filter);
		for (const field of generated) {
			fields.push({ ...field, required: true, displayOptions: { show: getManyOf(resources) } });
		}
	}
	for (const r of RECORD_RESOURCES) fields.push(filtersCollection(r));
	return fields;
}

function filtersCollection(r: RecordResource): INodeProperties {
	const options = r.collection.filters
		.filter((f) => !f.required)
		.flatMap(optionalField)
		.concat(RAW_FILTER)
		.sort((a, b) => a.displayName.localeCompare(b.displayName));
	return {
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions: { show: getManyOf([r.value]) },
		options,
	};
}

/** Reads the filter parameters of item `i` into the shape `buildListFilter` takes. */
export function readFilterValues(
	this: IExecuteFunctions,
	i: number,
	r: RecordResource,
): { values: FilterValues; raw: string } {
	const optional = this.getNodeParameter('filters', i, {}) as Record<string, unknown>;
	const values: FilterValues = {};
	for (const filter of r.collection.filters) {
		if (filter.kind === 'dateRange') {
			const names = rangeParameterNames(filter);
			values[filter.name] = filter.required
				? {
						start: this.getNodeParameter(names.start, i, ''),
						end: this.getNodeParameter(names.end, i, ''),
					}
				: { start: optional[names.start], end: optional[names.end] };
		} else {
			values[filter.name] = optional[filterParameterName(filter)];
		}
	}
	return { values, raw: String(optional.rawFilter ?? '') };
}
