/**
 * What the trigger cannot survive reaches where users look (issues 23 and 24): every log line names the
 * workflow and the node; a renewal failure, a lapse, n8n's SSRF protection refusing the clock's request and
 * execution engine v2 refusing the trigger become failed executions (`saveFailedExecution`), whose message
 * names the setting to change. Real node code, real credential and transport, the Protime simulator, and the
 * FakeN8n webhook endpoint, as in trigger.test.ts.
 */
import type { ITriggerFunctions } from 'n8n-workflow';

import { ProtimeTrigger } from '../../nodes/ProtimeTrigger/ProtimeTrigger.node';
import { forgetMemory } from '../../nodes/ProtimeTrigger/record';
import { isSsrfRefusal, problemOf } from '../../nodes/ProtimeTrigger/report';
import { deleteWebhook } from '../../nodes/shared/webhooksApi';
import { ProtimeSimulator } from '../simulator';
import { ProtimeTestbed, type TriggerControls } from '../support/context';
import { FakeN8n } from '../support/fakeN8n';

const trigger = new ProtimeTrigger();
const NODE = {
	name: 'Protime Trigger',
	type: 'n8n-nodes-protime.protimeTrigger',
	webhookId: 'wh-report',
};
const WHERE =
	'Protime Trigger [workflow "Test workflow" (id workflow-1), node "Protime Trigger"]: ';

let sim: ProtimeSimulator;
let bed: ProtimeTestbed;
let n8n: FakeN8n;
const params = {
	collectionName: 'work-interruptions',
	events: ['insertOrUpdate', 'delete'],
	externalReferences: {},
	options: {},
};

beforeAll(async () => {
	sim = await ProtimeSimulator.start({
		assumptions: { allowHttpDestinations: true, retryScheduleMs: [20, 40] },
	});
	n8n = new FakeN8n(
		() => bed,
		() => params,
		trigger,
		NODE,
	);
	await n8n.start();
});

afterAll(async () => {
	await n8n.stop();
	await sim.stop();
});

beforeEach(() => {
	bed = new ProtimeTestbed({
		simulatorOrigin: sim.origin,
		clientId: sim.defaultClient.clientId,
		clientSecret: sim.defaultClient.clientSecret,
		node: NODE,
	});
	forgetMemory(`workflow-1/${NODE.webhookId}`);
	n8n.engineV2 = false;
	n8n.notFound.clear();
	sim.clearFaults();
});

afterEach(async () => {
	sim.clearFaults();
	const ctx = bed.hookFunctions({ parameters: params, webhookUrl: n8n.productionUrl });
	for (const w of sim
		.webhooks()
		.filter((x) => !x.deleted && x.destinationUrl.startsWith(n8n.origin)))
		await deleteWebhook.call(ctx, w.id);
});

async function activate(): Promise<ITriggerFunctions & TriggerControls> {
	const { ctx } = await bed.activate(trigger, {
		parameters: params,
		node: NODE,
		webhookUrl: n8n.productionUrl,
		mode: 'trigger',
		activationMode: 'activate',
		instanceBaseUrl: `${n8n.origin}/`,
	});
	return ctx as ITriggerFunctions & TriggerControls;
}

const messages = (ctx: TriggerControls) => ctx.failedExecutions.map((e) => e.message);
const descriptions = (ctx: TriggerControls) =>
	ctx.failedExecutions.map((e) => String((e as { description?: unknown }).description));

describe('trigger log lines', () => {
	it('every line names the workflow (id and name) and the node, in the text and the metadata', async () => {
		const ctx = await activate();
		sim.injectFault({ status: 500, path: /\/webhooks/, times: -1 });
		await ctx.tick();
		expect(bed.logs.length).toBeGreaterThan(2);
		for (const line of bed.logs) {
			expect(
				line.message.startsWith(WHERE) ||
					line.message.startsWith(
						'Protime [workflow "Test workflow" (id workflow-1), node "Protime Trigger"]: ',
					),
			).toBe(true);
			expect(line.meta).toEqual({
				workflowId: 'workflow-1',
				workflowName: 'Test workflow',
				nodeName: 'Protime Trigger',
			});
		}
	});
});

describe('failed executions (saveFailedExecution)', () => {
	it('a renewal failure is reported once per streak, again after a success', async () => {
		const ctx = await activate();
		await ctx.tick();
		expect(ctx.failedExecutions).toEqual([]);
		// Protime refuses every webhook call: the check cannot look at or renew the subscription.
		sim.injectFault({ status: 500, path: /\/webhooks/, times: -1 });
		await ctx.tick();
		await ctx.tick();
		expect(messages(ctx)).toEqual([
			'Renewing the Protime subscription for work-interruptions failed (502)',
		]);
		expect(descriptions(ctx)[0]).toMatch(/not renewed while this lasts/);
		expect((ctx.failedExecutions[0] as { node?: { name?: string } }).node?.name).toBe(
			'Protime Trigger',
		);
		sim.clearFaults();
		await ctx.tick();
		expect(ctx.failedExecutions).toHaveLength(1);
		sim.injectFault({ status: 500, path: /\/webhooks/, times: -1 });
		await ctx.tick();
		expect(ctx.failedExecutions).toHaveLength(2);
		// The workflow stays active: nothing went to emitError (which deactivates it).
		expect(ctx.emittedErrors).toEqual([]);
	});

	it('a lapse is reported, besides the ResyncRequired item', async () => {
		const ctx = await activate();
		const live = sim.webhooks().find((w) => !w.deleted && w.destinationUrl === n8n.productionUrl);
		sim.disableWebhook(String(live?.id));
		await ctx.tick();
		expect(messages(ctx)).toEqual([
			'The Protime subscription for work-interruptions had lapsed and was replaced',
		]);
		expect(descriptions(ctx)[0]).toMatch(/Get Many for work-interruptions to resync/);
		expect(n8n.executions.flatMap((e) => e.items.map((i) => i.json.changeType))).toContain(
			'ResyncRequired',
		);
	});

	it("n8n's SSRF protection refusing the check names N8N_SSRF_ALLOWED_HOSTNAMES / N8N_SSRF_ALLOWED_IP_RANGES", async () => {
		const ctx = await activate();
		// What @n8n/backend-network throws (SsrfBlockedIpError, n8n 2.41.1), wrapped as a request error.
		const refusal = Object.assign(
			new Error('The request was blocked because it resolves to a restricted IP address'),
			{ name: 'SsrfBlockedIpError' },
		);
		ctx.helpers.httpRequest = async () => {
			throw Object.assign(new Error('request failed'), { cause: refusal });
		};
		await ctx.tick();
		expect(messages(ctx)).toEqual([
			"n8n's SSRF protection blocks the Protime Trigger's subscription check",
		]);
		expect(descriptions(ctx)[0]).toMatch(/N8N_SSRF_ALLOWED_HOSTNAMES.*N8N_SSRF_ALLOWED_IP_RANGES/);
		expect(bed.logs.filter((l) => l.level === 'error').at(-1)?.message).toMatch(
			/N8N_SSRF_PROTECTION_ENABLED/,
		);
	});

	it('execution engine v2 refusing the response mode names the workflow setting', async () => {
		const ctx = await activate();
		n8n.engineV2 = true;
		await ctx.tick();
		expect(messages(ctx)).toEqual(['Execution engine v2 refuses the Protime Trigger']);
		expect(descriptions(ctx)[0]).toMatch(/engineType 'v2'.*default execution engine \(v1\)/);
		expect(bed.logs.filter((l) => l.level === 'error').at(-1)?.message).toMatch(/engineType 'v2'/);
	});

	it('on n8n 1.x (no saveFailedExecution) the failure is logged and nothing throws', async () => {
		const ctx = await activate();
		delete (ctx as Partial<ITriggerFunctions>).saveFailedExecution;
		sim.injectFault({ status: 500, path: /\/webhooks/, times: -1 });
		await ctx.tick();
		expect(bed.logs.some((l) => l.level === 'error' && l.message.includes('answered 502'))).toBe(
			true,
		);
	});
});

describe('problem recognition', () => {
	it('knows the SSRF errors by name, wrapped or not, and not other network errors', () => {
		expect(isSsrfRefusal(Object.assign(new Error('x'), { name: 'SsrfBlockedHostnameError' }))).toBe(
			true,
		);
		expect(
			isSsrfRefusal({
				message: 'y',
				cause: {
					message: 'The request was blocked because the destination hostname is restricted',
				},
			}),
		).toBe(true);
		expect(
			isSsrfRefusal(
				Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }),
			),
		).toBe(false);
	});

	it('a check still waiting for activation (409 unrecorded) and a plain success are no problems', () => {
		expect(
			problemOf(
				{ kind: 'answer', url: 'u', statusCode: 409, body: { code: 'unrecorded' } },
				'clockings',
			),
		).toBeUndefined();
		expect(
			problemOf(
				{ kind: 'answer', url: 'u', statusCode: 200, body: { action: 'renew' } },
				'clockings',
			),
		).toBeUndefined();
		expect(
			problemOf(
				{ kind: 'answer', url: 'u', statusCode: 409, body: { error: 'conflict' } },
				'clockings',
			)?.message,
		).toMatch(/failed \(409\)/);
	});

	it('a check refused because another process keeps the batch names the fix, not a renewal failure', () => {
		const problem = problemOf(
			{ kind: 'answer', url: 'u', statusCode: 503, body: { code: 'keptElsewhere' } },
			'clockings',
		);
		expect(problem?.message).toMatch(/Another n8n process keeps/);
		expect(problem?.description).toMatch(/one webhook processor/);
	});
});
