/**
 * What the n8n editor gets from the Protime Trigger besides its parameters: the trigger panel texts and the
 * output schema; and that the parameters both nodes share (External References, Simplify) are one
 * declaration, one loader and one parser.
 */
import type { IDataObject, INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import { Protime } from '../../nodes/Protime/Protime.node';
import { ProtimeTrigger } from '../../nodes/ProtimeTrigger/ProtimeTrigger.node';
import { readSettings } from '../../nodes/ProtimeTrigger/settings';
import { COLLECTIONS } from '../../nodes/shared/catalogue';
import { parseReferenceRows, referenceChoices } from '../../nodes/shared/referenceParameter';
import { readSimplifyOptions } from '../../nodes/shared/simplifyParameter';
import { createProtimeTestbed } from '../support/context';
import { schemaOf, type JsonSchema } from './action-schema-model';
import { commonSchema, expectedTriggerSchemas, sampleTriggerItems } from './trigger-schema-model';

const trigger = new ProtimeTrigger();
const action = new Protime();
const bed = createProtimeTestbed();

const triggerProp = (name: string) => trigger.description.properties.find((p) => p.name === name)!;
const triggerOption = (name: string) =>
	(triggerProp('options').options as INodeProperties[]).find((o) => o.name === name)!;
const actionRecordProp = (name: string) =>
	action.description.properties.find(
		(p) => p.name === name && (p.displayOptions?.show?.resource ?? []).includes('clocking'),
	)!;

/** Whether `value` has every property of `schema` with its type (what the editor would show is really there). */
function conforms(value: unknown, schema: JsonSchema): boolean {
	const types = Array.isArray(schema.type) ? schema.type : [schema.type];
	const actual = Array.isArray(value)
		? 'array'
		: value === null
			? 'null'
			: Number.isInteger(value)
				? 'integer'
				: typeof value;
	if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) return false;
	if (schema.properties) {
		return Object.entries(schema.properties).every(([key, sub]) =>
			conforms((value as IDataObject)[key], sub),
		);
	}
	return true;
}

describe('Protime Trigger output schema', () => {
	const schemas = expectedTriggerSchemas();
	const [[, schema]] = Object.entries(schemas);

	it('is the one n8n reads for a node without resource and operation (by node version), and is up to date', async () => {
		expect(Object.keys(schemas)).toEqual([
			`v${String(trigger.description.version)}.0.0/output.json`,
		]);
		for (const [file, expected] of Object.entries(schemas)) {
			const committed = (await import(`../../nodes/ProtimeTrigger/__schema__/${file}`)) as {
				default?: unknown;
			};
			expect(committed.default ?? committed).toEqual(expected);
		}
	});

	it('lists the fields every change item has, whatever the collection', () => {
		expect(Object.keys(schema.properties!)).toEqual([
			'changeType',
			'collectionName',
			'id',
			'changeVersion',
			'data',
		]);
		expect(schema.properties!.data.properties).toEqual({
			changeVersion: { type: 'string' },
			id: { type: 'integer' },
		});
		const items = sampleTriggerItems();
		expect(items).toHaveLength(COLLECTIONS.length * 2);
		for (const item of items) expect(conforms(item, schema)).toBe(true);
	});

	it('keeps only what all samples share, uniting differing scalar types', () => {
		const a = schemaOf({ x: 1, y: 'a', z: { p: true, q: 1 }, list: [1] });
		const b = schemaOf({ x: 'one', z: { p: false }, list: ['a'] });
		expect(commonSchema([a, b])).toEqual({
			type: 'object',
			properties: {
				x: { type: ['integer', 'string'] },
				z: { type: 'object', properties: { p: { type: 'boolean' } } },
				list: { type: 'array', items: { type: ['integer', 'string'] } },
			},
		});
		expect(commonSchema([schemaOf({ x: {} }), schemaOf({ x: 1 })])).toEqual({
			type: 'object',
			properties: {},
		});
	});
});

describe('parameters shared by both nodes', () => {
	it('declare External References once: only the loader, its dependencies and the wording differ', () => {
		const strip = (p: INodeProperties) => {
			const copy = JSON.parse(JSON.stringify(p)) as IDataObject & {
				options: Array<{ values: IDataObject[] }>;
			};
			delete copy.description;
			delete copy.displayOptions;
			delete (copy.options[0].values[0] as { typeOptions?: unknown }).typeOptions;
			return copy;
		};
		const inTrigger = triggerProp('externalReferences');
		const inAction = actionRecordProp('externalReferences');
		expect(strip(inTrigger)).toEqual(strip(inAction));
		const typeOptions = (p: INodeProperties) =>
			(p.options as Array<{ values: INodeProperties[] }>)[0].values[0].typeOptions;
		expect(typeOptions(inTrigger)).toEqual({
			loadOptionsMethod: 'getTriggerReferenceOptions',
			loadOptionsDependsOn: ['collectionName'],
		});
		expect(typeOptions(inAction)).toEqual({
			loadOptionsMethod: 'getReferenceOptions',
			loadOptionsDependsOn: ['resource', 'collection'],
		});
	});

	it('offer the same reference choices in both nodes for every collection', async () => {
		for (const c of COLLECTIONS) {
			const fromTrigger = await trigger.methods.loadOptions.getTriggerReferenceOptions.call(
				bed.loadOptionsFunctions({ currentParameters: { collectionName: c.name } }),
			);
			const fromAction = await action.methods.loadOptions.getReferenceOptions.call(
				bed.loadOptionsFunctions({
					currentParameters: { resource: 'webhook', collection: c.name },
				}),
			);
			expect(fromTrigger).toEqual(referenceChoices(c.name));
			expect(fromAction).toEqual(fromTrigger);
		}
		expect(
			referenceChoices('work-interruptions').map((o: INodePropertyOptions) => o.value),
		).toContain('people|@employee-number');
		expect(referenceChoices('={{ $json.collection }}')).toEqual([]);
	});

	it('declare Simplify, Time Zone and Translation Language alike (names, types, defaults)', () => {
		const shape = (p: INodeProperties) => ({
			name: p.name,
			type: p.type,
			default: p.default,
			placeholder: p.placeholder,
		});
		const actionOptions = actionRecordProp('options').options as INodeProperties[];
		expect(shape(triggerOption('simplify'))).toEqual(shape(actionRecordProp('simplify')));
		for (const name of ['timeZone', 'language']) {
			expect(shape(triggerOption(name))).toEqual(
				shape(actionOptions.find((o) => o.name === name)!),
			);
		}
	});

	it('parse reference rows alike, with the problem of the first incomplete row', () => {
		expect(
			parseReferenceRows({
				reference: [
					{ reference: 'people|@employee-number' },
					{ reference: ' people| ', customName: ' HRMID ' },
				],
			}),
		).toEqual({
			specs: [
				{ collection: 'people', reference: '@employee-number' },
				{ collection: 'people', reference: 'HRMID' },
			],
		});
		expect(parseReferenceRows(undefined)).toEqual({ specs: [] });
		expect(
			parseReferenceRows({
				reference: [{ reference: 'people|@badge-number' }, { reference: 'people|' }],
			}),
		).toEqual({
			problem: expect.objectContaining({
				message: 'External reference 2 is incomplete',
			}) as unknown,
		});
	});

	it('the trigger reports an incomplete row as a node error, before any call', () => {
		const node = { name: 'Protime Trigger' } as never;
		const params: IDataObject = {
			collectionName: 'clockings',
			externalReferences: { reference: [{ reference: 'people|' }] },
		};
		expect(() =>
			readSettings({
				getNode: () => node,
				getNodeParameter: (name, fallback) => params[name] ?? fallback,
			}),
		).toThrow('External reference 1 is incomplete');
	});

	it('refuses a renewal margin shorter than twice the check interval, and says which option to change', () => {
		const node = { name: 'Protime Trigger' } as never;
		const read = (options: IDataObject) => {
			const params: IDataObject = { collectionName: 'clockings', options };
			return readSettings({
				getNode: () => node,
				getNodeParameter: (name, fallback) => params[name] ?? fallback,
			});
		};
		// the defaults (every 10 minutes, 60 minutes) and the exact boundary pass
		expect(read({})).toMatchObject({ checkIntervalMinutes: 10, renewalMarginMs: 60 * 60_000 });
		expect(read({ checkInterval: 30, renewalMargin: 60 })).toMatchObject({
			checkIntervalMinutes: 30,
			renewalMarginMs: 60 * 60_000,
		});
		expect(read({ checkInterval: 1, renewalMargin: 2 })).toMatchObject({
			checkIntervalMinutes: 1,
			renewalMarginMs: 2 * 60_000,
		});
		// one minute short of the rule
		let error: { message?: string; description?: string } = {};
		try {
			read({ checkInterval: 60, renewalMargin: 119 });
		} catch (err) {
			error = err as typeof error;
		}
		expect(error.message).toBe(
			'Renew Before Expiry must be at least twice the Subscription Check interval',
		);
		expect(error.description).toBe(
			'Subscription Check is every 60 minutes and Renew Before Expiry is 119 minutes. Under Options, set Renew Before Expiry to 120 minutes or more, or Subscription Check to every 30 minutes or more often.',
		);
		// the default margin with the longest interval
		expect(() => read({ checkInterval: 60 })).toThrow(
			'Renew Before Expiry must be at least twice the Subscription Check interval',
		);
		// the smallest margin leaves only every minute
		expect(() => read({ checkInterval: 2, renewalMargin: 3 })).toThrow(
			expect.objectContaining({
				description: expect.stringContaining(
					'or Subscription Check to every minute or more often.',
				) as unknown,
			}) as never,
		);
	});

	it('read the Simplify options alike: trimmed text, nothing for empty or non-text values', () => {
		expect(readSimplifyOptions({ language: ' nl ', timeZone: 'Europe/Brussels' })).toEqual({
			language: 'nl',
			timeZone: 'Europe/Brussels',
		});
		expect(readSimplifyOptions({ language: '  ', timeZone: 3 })).toEqual({
			language: undefined,
			timeZone: undefined,
		});
		expect(readSimplifyOptions(undefined)).toEqual({ language: undefined, timeZone: undefined });
	});
});
