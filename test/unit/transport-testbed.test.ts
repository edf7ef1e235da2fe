/**
 * The n8n test bed (test/support/context.ts) behaves like n8n where the nodes depend on it: parameter
 * resolution, static-data saving points, cron ticks, emit, webhook request/response objects.
 */
import type { INodeTypeDescription, IWebhookFunctions } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { createProtimeTestbed } from '../support/context';

const description: INodeTypeDescription = {
	displayName: 'Probe',
	name: 'probe',
	group: ['transform'],
	version: 1,
	description: 'test',
	defaults: { name: 'Probe' },
	inputs: [NodeConnectionTypes.Main],
	outputs: [NodeConnectionTypes.Main],
	properties: [
		{
			displayName: 'Mode',
			name: 'mode',
			type: 'options',
			options: [
				{ name: 'A', value: 'a' },
				{ name: 'B', value: 'b' },
			],
			default: 'a',
		},
		{
			displayName: 'Only B',
			name: 'onlyB',
			type: 'string',
			default: 'bee',
			displayOptions: { show: { mode: ['b'] } },
		},
		{ displayName: 'Limit', name: 'limit', type: 'number', default: 50 },
		{
			displayName: 'Options',
			name: 'options',
			type: 'collection',
			default: {},
			options: [{ displayName: 'X', name: 'x', type: 'boolean', default: false }],
		},
	],
};

describe('parameters', () => {
	it('with a description: defaults filled in, hidden parameters dropped, missing ones throw like n8n', () => {
		const bed = createProtimeTestbed({ node: { description } });
		const a = bed.executeFunctions({ parameters: { mode: 'a', onlyB: 'set' } });
		expect(a.getNodeParameter('limit', 0)).toBe(50);
		expect(a.getNodeParameter('options', 0)).toEqual({});
		expect(a.getNodeParameter('options.x', 0, false)).toBe(false);
		expect(() => a.getNodeParameter('onlyB', 0)).toThrow('Could not get parameter "onlyB"');
		const b = bed.executeFunctions({ parameters: { mode: 'b' } });
		expect(b.getNodeParameter('onlyB', 0)).toBe('bee');
	});

	it('per-item values are functions of the item', () => {
		const bed = createProtimeTestbed();
		const items = [{ json: { id: 7 } }, { json: { id: 8 } }];
		const ctx = bed.executeFunctions({
			items,
			parameters: { id: (_i: number, item: { json: { id: number } }) => item.json.id },
		});
		expect([0, 1].map((i) => ctx.getNodeParameter('id', i))).toEqual([7, 8]);
	});
});

describe('static data is saved where n8n saves it', () => {
	const write = (value: string) =>
		async function (this: IWebhookFunctions) {
			this.getWorkflowStaticData('node').value = value;
			return { workflowData: [[{ json: {} }]] };
		};

	it('activation hooks: saved when the method returns', async () => {
		const bed = createProtimeTestbed();
		await bed.runHook(async function () {
			this.getWorkflowStaticData('node').id = 'w1';
			return true;
		});
		expect(bed.staticData()).toEqual({ id: 'w1' });
		await expect(
			bed.runHook(async function () {
				this.getWorkflowStaticData('node').id = 'w2';
				throw new Error('create failed');
			}),
		).rejects.toThrow('create failed');
		expect(bed.staticData()).toEqual({ id: 'w1' });
	});

	it('webhook(): lost when n8n answers on receipt or after the run (the run clears the changed flag, n8n 2.41.1), kept with noWebhookResponse', async () => {
		const bed = createProtimeTestbed();
		const lost = await bed.runWebhook(write('lost'), {
			request: { body: {} },
			responseMode: 'onReceived',
		});
		expect(lost.staticDataSaved).toBe(false);
		expect(bed.staticData()).toEqual({});
		const crashed = await bed.runWebhook(write('crashed'), {
			request: { body: {} },
			execution: () => 'crash',
		});
		expect(crashed).toMatchObject({
			staticDataSaved: false,
			executed: 'crash',
			response: { ended: false },
		});
		expect(bed.staticData()).toEqual({});
		const failed = await bed.runWebhook(write('failed'), {
			request: { body: {} },
			execution: () => {
				throw new Error('node failed');
			},
		});
		expect(failed).toMatchObject({
			staticDataSaved: false,
			executed: 'error',
			response: { statusCode: 500 },
		});
		const afterRun = await bed.runWebhook(write('after the run'), { request: { body: {} } });
		expect(afterRun).toMatchObject({
			staticDataSaved: false,
			executed: 'success',
			response: { statusCode: 200 },
		});
		expect(bed.staticData()).toEqual({});
		const kept = await bed.runWebhook(
			async function (this: IWebhookFunctions) {
				this.getWorkflowStaticData('node').value = 'kept';
				this.getResponseObject().status(202).json({ ok: true });
				return { noWebhookResponse: true, workflowData: [[{ json: {} }]] };
			},
			{ request: { rawBody: '{"a":1}', headers: { 'X-Sig': 'abc' } } },
		);
		expect(kept.response).toEqual({
			statusCode: 202,
			headers: {},
			body: { ok: true },
			ended: true,
		});
		expect(bed.staticData()).toEqual({ value: 'kept' });
	});

	it('webhook request object: raw bytes, parsed body, lower-cased headers', async () => {
		const bed = createProtimeTestbed();
		const ctx = bed.webhookFunctions({
			request: { rawBody: '{"a": 1}', headers: { 'X-Protime-Signature': 's' } },
		});
		const req = ctx.getRequestObject() as unknown as {
			rawBody: Buffer;
			body: unknown;
			headers: Record<string, string>;
		};
		expect(req.rawBody.toString()).toBe('{"a": 1}');
		expect(req.body).toEqual({ a: 1 });
		expect(ctx.getHeaderData()['x-protime-signature']).toBe('s');
	});

	it('trigger: saved at the end of activation and on emit, not by a tick alone', async () => {
		const bed = createProtimeTestbed();
		const { ctx } = await bed.runTrigger(async function () {
			this.getWorkflowStaticData('node').activated = true;
			this.helpers.registerCron({ expression: '*/10 * * * * *' }, () => {
				this.getWorkflowStaticData('node').ticks =
					((this.getWorkflowStaticData('node').ticks as number) ?? 0) + 1;
			});
			return {};
		});
		expect(bed.staticData()).toEqual({ activated: true });
		await ctx.tick();
		expect(bed.staticData()).toEqual({ activated: true });
		ctx.emit([[{ json: {} }]]);
		expect(bed.staticData()).toEqual({ activated: true, ticks: 1 });
		expect(ctx.emitted).toHaveLength(1);
		expect(ctx.crons[0].cron.expression).toBe('*/10 * * * * *');
	});

	it('test listens use separate static data', async () => {
		const bed = createProtimeTestbed();
		await bed.runHook(
			async function () {
				this.getWorkflowStaticData('node').id = 'test';
				return true;
			},
			{ testStaticData: true },
		);
		expect(bed.staticData('Protime', true)).toEqual({ id: 'test' });
		expect(bed.staticData()).toEqual({});
	});
});
