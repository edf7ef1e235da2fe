/** The Protime node's description: generated from the catalogue, and following n8n's UI conventions. */
import {
	NodeHelpers,
	type IDataObject,
	type INodeParameters,
	type INodeProperties,
	type INodePropertyOptions,
} from 'n8n-workflow';

import { Protime, TOOL_DESCRIPTION } from '../../nodes/Protime/Protime.node';
import { RECORD_RESOURCES } from '../../nodes/Protime/resources';
import { COLLECTIONS } from '../../nodes/shared/catalogue';
import { createProtimeTestbed } from '../support/context';

const node = new Protime();
const { description } = node;
const props = description.properties;

function walk(list: INodeProperties[], visit: (p: INodeProperties) => void): void {
	for (const p of list) {
		visit(p);
		for (const o of (p.options ?? []) as Array<INodeProperties | { values?: INodeProperties[] }>) {
			if ('type' in o && 'name' in o) walk([o as INodeProperties], visit);
			if ('values' in o && o.values) walk(o.values, visit);
		}
	}
}
const shownFor = (p: INodeProperties, key: string) =>
	(p.displayOptions?.show?.[key] ?? []) as string[];

describe('Protime node description', () => {
	it('is a tool-usable action node with the protimeApi credential and a subtitle', () => {
		expect(description).toMatchObject({
			name: 'protime',
			usableAsTool: { replacements: { description: TOOL_DESCRIPTION } },
			credentials: [{ name: 'protimeApi', required: true }],
			subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		});
	});

	it('has one resource per catalogue collection plus Webhook, sorted', () => {
		const resource = props.find((p) => p.name === 'resource')!;
		const names = (resource.options as INodePropertyOptions[]).map((o) => o.name);
		expect(names).toHaveLength(COLLECTIONS.length + 1);
		expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
		expect(names).toContain('Work Interruption');
		expect(names).toContain('Person');
	});

	it('gives every collection resource Get and Get Many with sentence-case actions', () => {
		for (const r of RECORD_RESOURCES) {
			const op = props.find(
				(p) => p.name === 'operation' && shownFor(p, 'resource').includes(r.value),
			)!;
			const actions = (op.options as INodePropertyOptions[]).map((o) => o.action);
			expect(actions).toEqual([
				`Get ${r.singular.toLowerCase()}`,
				`Get many ${r.plural.toLowerCase()}`,
			]);
		}
	});

	it('shows the required date range exactly for collections whose catalogue requires it', () => {
		const start = props.find((p) => p.name === 'startDate')!;
		const expected = RECORD_RESOURCES.filter((r) =>
			r.collection.filters.some((f) => f.required),
		).map((r) => r.value);
		expect(shownFor(start, 'resource').sort()).toEqual(expected.sort());
		expect(start.required).toBe(true);
	});

	it("offers each collection's optional filters plus the raw expression, sorted", () => {
		for (const r of RECORD_RESOURCES) {
			const filters = props.find(
				(p) => p.name === 'filters' && shownFor(p, 'resource').includes(r.value),
			)!;
			const names = (filters.options as INodeProperties[]).map((o) => o.displayName);
			const optional = r.collection.filters.filter((f) => !f.required).map((f) => f.displayName);
			expect(names.sort()).toEqual([...optional, 'Raw Filter Expression'].sort());
			expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
		}
	});

	it('follows the boolean and options conventions everywhere', () => {
		walk(props, (p) => {
			if (p.type === 'boolean') expect(p.description).toMatch(/^Whether /);
			if (p.type === 'options' && p.name !== 'operation' && Array.isArray(p.options)) {
				const names = (p.options as INodePropertyOptions[]).map((o) => o.name);
				expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b)));
			}
		});
	});

	it('warns in the Create notice that the key comes only once', () => {
		const notice = props.find((p) => p.type === 'notice')!;
		expect(notice.displayName).toMatch(/only in the response to Create, never again/);
		expect(shownFor(notice, 'operation')).toEqual(['create']);
	});
});

describe('getReferenceOptions', () => {
	const bed = createProtimeTestbed();
	const load = async (currentParameters: IDataObject) =>
		(
			await node.methods.loadOptions.getReferenceOptions.call(
				bed.loadOptionsFunctions({ currentParameters }),
			)
		).map((o) => o.value);

	it('lists the references of the resource, or of the Create collection, like the trigger', async () => {
		expect(await load({ resource: 'workInterruption' })).toEqual([
			'people|@badge-number',
			'people|@employee-number',
			'people|',
		]);
		expect(await load({ resource: 'webhook', collection: 'counter-definitions' })).toEqual([
			'counter-definitions|@counter-code',
			'counter-definitions|',
			'counter-groups|',
		]);
		expect(await load({ resource: 'webhook', collection: '={{ $json.x }}' })).toEqual([]);
	});
});

describe('as n8n resolves the parameters', () => {
	const resolve = (values: IDataObject) =>
		NodeHelpers.getNodeParameters(
			props,
			values as INodeParameters,
			true,
			false,
			{ typeVersion: 1 },
			description,
		)!;

	it('keeps same-named parameters apart by resource (filters, options, operation)', () => {
		const wi = resolve({ resource: 'workInterruption', operation: 'getAll' });
		expect(wi).toMatchObject({
			returnAll: false,
			limit: 50,
			startDate: '',
			endDate: '',
			filters: {},
			simplify: true,
		});
		const cd = resolve({
			resource: 'counterDefinition',
			operation: 'getAll',
			filters: { enabled: false },
		});
		expect(cd).not.toHaveProperty('startDate');
		expect(cd.filters).toEqual({ enabled: false });
		const create = resolve({ resource: 'webhook', operation: 'create' });
		expect(create).toMatchObject({ collection: 'clockings', destinationUrl: '', options: {} });
		expect(create).not.toHaveProperty('simplify');
	});

	it('shows ID or reference fields on Get by the look-up mode', () => {
		expect(resolve({ resource: 'workInterruption', operation: 'get' })).toHaveProperty('recordId', {
			__rl: true,
			mode: 'id',
			value: '',
		});
		expect(resolve({ resource: 'workInterruption', operation: 'get' })).not.toHaveProperty(
			'lookUpBy',
		);
		const byRef = resolve({
			resource: 'counterDefinition',
			operation: 'get',
			lookUpBy: 'externalReference',
		});
		expect(byRef).toMatchObject({ referenceName: '', referenceValue: '' });
		expect(byRef).not.toHaveProperty('recordId');
	});

	it('reports the missing required fields as issues', () => {
		const parameters = resolve({ resource: 'workInterruption', operation: 'getAll' });
		const issues = NodeHelpers.getNodeParametersIssues(
			props,
			{
				id: '1',
				name: 'Protime',
				type: 'n8n-nodes-protime.protime',
				typeVersion: 1,
				position: [0, 0],
				parameters,
			},
			description,
		);
		expect(Object.keys(issues?.parameters ?? {}).sort()).toEqual(['endDate', 'startDate']);
	});
});
