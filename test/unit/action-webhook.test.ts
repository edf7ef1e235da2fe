/** Protime node, Webhook resource, against the simulator (real HTTP through the n8n test bed). */
import {
	KEY_INCLUDED_NOTICE,
	KEY_OMITTED_NOTICE,
	KEY_WITHHELD_FROM_TOOL_NOTICE,
} from '../../nodes/Protime/actions/webhook/create';
import { hoursRemaining } from '../../nodes/Protime/actions/webhook/output';
import { Protime } from '../../nodes/Protime/Protime.node';
import { ActionHarness, jsonOf } from './action-helpers';

let h: ActionHarness;
beforeAll(async () => {
	h = await ActionHarness.start();
});
afterAll(async () => await h.stop());
beforeEach(() => h.sim.resetStats());

const create = (extra: Record<string, unknown> = {}) => ({
	resource: 'webhook',
	operation: 'create',
	collection: 'work-interruptions',
	destinationUrl: 'https://example.com/protime/work-interruptions',
	...extra,
});

describe('Webhook > Create', () => {
	it('returns id, validUntil, status, the one-time key and a notice; pairs the item', async () => {
		const [item] = await h.run(create());
		const stored = h.sim.webhooks().find((w) => w.id === item.json.id)!;
		expect(stored).toBeDefined();
		expect(item.json).toMatchObject({
			id: stored.id,
			validUntil: stored.validUntil,
			status: 'Enabled',
			collectionName: 'work-interruptions',
			destinationUrl: 'https://example.com/protime/work-interruptions',
			key: stored.key,
			keyNotice: KEY_INCLUDED_NOTICE,
		});
		expect(item.json.hoursRemaining).toBeGreaterThan(0);
		expect(item.pairedItem).toEqual({ item: 0 });
	});

	it('leaves the key out of the output when asked, and says it cannot be retrieved', async () => {
		const [item] = await h.run(create({ options: { includeKey: false } }));
		expect(item.json).not.toHaveProperty('key');
		expect(JSON.stringify(item.json)).not.toContain(
			h.sim.webhooks().find((w) => w.id === item.json.id)!.key,
		);
		expect(item.json.keyNotice).toBe(KEY_OMITTED_NOTICE);
	});

	describe('as an AI tool, the key never reaches the model', () => {
		const keyOf = (id: unknown) => h.sim.webhooks().find((w) => w.id === id)!.key;
		const expectWithheld = (item: { json: Record<string, unknown> }) => {
			expect(item.json).not.toHaveProperty('key');
			expect(JSON.stringify(item.json)).not.toContain(keyOf(item.json.id));
			expect(item.json.keyNotice).toBe(KEY_WITHHELD_FROM_TOOL_NOTICE);
			expect(item.json.keyNotice).toMatch(/AI tool.*model's context/s);
			expect(item.json).toMatchObject({ status: 'Enabled', collectionName: 'work-interruptions' });
		};

		it("n8n 2.x agent path (isToolExecution() true), even with 'Include Key in Output' on", async () => {
			const [item] = await h.run(create({ options: { includeKey: true } }), {
				isToolExecution: true,
				node: { name: 'Protime', type: 'n8n-nodes-protime.protime' },
			});
			expectWithheld(item);
		});

		it("engine-request path (ExecuteContext: isToolExecution() false, node marked rewireOutputLogTo 'ai_tool')", async () => {
			const [item] = await h.run(create(), {
				isToolExecution: false,
				node: { name: 'Protime', type: 'n8n-nodes-protime.protime', rewireOutputLogTo: 'ai_tool' },
			});
			expectWithheld(item);
		});

		it('the tool variant of the node type (n8n-nodes-protime.protimeTool), also where there is no isToolExecution (n8n 1.x)', async () => {
			const [item] = await h.run(create(), {
				node: { name: 'Protime', type: 'n8n-nodes-protime.protimeTool' },
			});
			expectWithheld(item);
		});

		it('not a tool: the key is there as before', async () => {
			const [item] = await h.run(create(), {
				isToolExecution: false,
				node: { name: 'Protime', type: 'n8n-nodes-protime.protime' },
			});
			expect(item.json.key).toBe(keyOf(item.json.id));
		});
	});

	it('requests external references on the subscription', async () => {
		const [item] = await h.run(
			create({ externalReferences: { reference: [{ reference: 'people|@employee-number' }] } }),
		);
		expect(h.sim.webhooks().find((w) => w.id === item.json.id)!.externalReferences).toEqual([
			{ collection: 'people', reference: '@employee-number' },
		]);
	});

	it('refuses an external reference the collection cannot carry, before any call', async () => {
		const error = await h.fail(
			create({ externalReferences: { reference: [{ reference: 'terminals|@external-code' }] } }),
		);
		expect(error.message).toMatch(/terminals/);
		expect(h.apiRequests()).toEqual([]);
	});

	it.each([
		['a relative URL', '/protime/hook', /is not an absolute URL/],
		['an empty URL', '', /destination URL is empty/],
		['ftp', 'ftp://example.com/x', /must use https, not ftp/],
		['credentials in the URL', 'https://user:pw@example.com/x', /user name or password/],
		['a fragment', 'https://example.com/x#frag', /#fragment/],
		[
			'an n8n production webhook path',
			'https://n8n.example.com/webhook/abc/webhook',
			/n8n webhook path/,
		],
		[
			'an n8n test webhook path',
			'https://n8n.example.com/n8n/webhook-test/abc/webhook',
			/n8n webhook path/,
		],
	])('refuses %s before any call', async (_label, destinationUrl, message) => {
		const error = await h.fail(create({ destinationUrl }));
		expect(error.message).toMatch(message);
		expect(error.description).toBeTruthy();
		expect(h.apiRequests()).toEqual([]);
	});

	it('accepts an n8n webhook path when explicitly allowed', async () => {
		const [item] = await h.run(
			create({
				destinationUrl: 'https://n8n.example.com/webhook/abc',
				options: { allowN8nWebhookUrl: true },
			}),
		);
		expect(item.json.destinationUrl).toBe('https://n8n.example.com/webhook/abc');
	});

	it('accepts http only with the custom environment', async () => {
		h.sim.assumptions.allowHttpDestinations = true;
		const [item] = await h.run(create({ destinationUrl: 'http://127.0.0.1:9/hook' }));
		expect(item.json.status).toBe('Enabled');

		const sandbox = h.bed();
		sandbox.credentials.edit({ environment: 'sandbox' });
		const error = await h.fail(create({ destinationUrl: 'http://example.com/hook' }), {
			testbed: sandbox,
		});
		expect(error.message).toBe('The destination URL must use https, not http');
		expect(sandbox.sentRequests).toHaveLength(0);
	});
});

describe('Webhook Resource Locator (Get, Delete)', () => {
	const rl = (mode: string, value: unknown) => ({ __rl: true, mode, value });

	it("'From List' lists the tenant's subscriptions by collection, destination, status and expiry, searchable", async () => {
		const [a] = await h.run(
			create({ collection: 'absence-groups', destinationUrl: 'https://example.com/rl-a' }),
		);
		const [b] = await h.run(
			create({ collection: 'shift-definitions', destinationUrl: 'https://example.com/rl-b' }),
		);
		const ctx = h.testbed.loadOptionsFunctions({
			parameters: { resource: 'webhook', operation: 'get' },
		});
		const all = await new Protime().methods.listSearch.searchWebhooks.call(ctx);
		const byId = new Map(all.results.map((r) => [r.value, r.name]));
		expect(byId.get(a.json.id as string)).toBe(
			`absence-groups → https://example.com/rl-a (Enabled, until ${String(a.json.validUntil)})`,
		);
		expect(byId.get(b.json.id as string)).toMatch(
			/^shift-definitions → https:\/\/example\.com\/rl-b \(Enabled, until /,
		);
		expect(all.results.length).toBe(h.sim.webhooks().filter((w) => !w.deleted).length);
		const found = await new Protime().methods.listSearch.searchWebhooks.call(ctx, 'RL-B');
		expect(found.results.map((r) => r.value)).toEqual([b.json.id]);
		expect(found.paginationToken).toBeUndefined();
	});

	it('Get and Delete take the locator from the list, by ID, or a plain string from a workflow saved before', async () => {
		const [created] = await h.run(create({ collection: 'absence-definitions' }));
		const id = created.json.id as string;
		for (const webhookId of [rl('list', id), rl('id', ` ${id} `), id]) {
			const [item] = await h.run({ resource: 'webhook', operation: 'get', webhookId });
			expect(item.json).toMatchObject({ id, collectionName: 'absence-definitions' });
		}
		expect(
			jsonOf(await h.run({ resource: 'webhook', operation: 'delete', webhookId: rl('list', id) })),
		).toEqual([{ deleted: true }]);
		expect(h.sim.webhooks().find((w) => w.id === id)!.deleted).toBe(true);
		const empty = await h.fail({
			resource: 'webhook',
			operation: 'get',
			webhookId: rl('list', ''),
		});
		expect(empty.message).toBe('The webhook ID is empty');
	});

	it('is a resourceLocator with From List (searchWebhooks) first and By ID', () => {
		const p = new Protime().description.properties.find((x) => x.name === 'webhookId')!;
		expect(p).toMatchObject({ type: 'resourceLocator', default: { mode: 'list', value: '' } });
		expect(p.modes?.map((m) => [m.name, m.type, m.typeOptions?.searchListMethod])).toEqual([
			['list', 'list', 'searchWebhooks'],
			['id', 'string', undefined],
		]);
	});
});

describe('Webhook > Get, Get Many, Delete', () => {
	it('gets one webhook with the hours remaining, without its key', async () => {
		const [created] = await h.run(create({ collection: 'clockings' }));
		const [item] = await h.run({
			resource: 'webhook',
			operation: 'get',
			webhookId: created.json.id,
		});
		expect(item.json).toMatchObject({
			id: created.json.id,
			collectionName: 'clockings',
			status: 'Enabled',
		});
		expect(item.json).not.toHaveProperty('key');
		expect(typeof item.json.hoursRemaining).toBe('number');
	});

	it('lists webhooks filtered by collection and status, each with hoursRemaining', async () => {
		await h.run(create({ collection: 'counter-groups', destinationUrl: 'https://example.com/a' }));
		const [second] = await h.run(
			create({ collection: 'counter-groups', destinationUrl: 'https://example.com/b' }),
		);
		h.sim.disableWebhook(second.json.id as string);

		const enabled = await h.run({
			resource: 'webhook',
			operation: 'getAll',
			returnAll: true,
			filters: { collection: 'counter-groups', status: 'Enabled' },
		});
		expect(jsonOf(enabled).map((w) => w.destinationUrl)).toEqual(['https://example.com/a']);
		expect(enabled[0].json.hoursRemaining).toBeGreaterThan(0);
		expect(h.apiRequests().at(-1)).toContain('filter=');

		const disabled = await h.run({
			resource: 'webhook',
			operation: 'getAll',
			returnAll: true,
			filters: { collection: 'counter-groups', status: 'Disabled' },
		});
		expect(jsonOf(disabled).map((w) => w.id)).toEqual([second.json.id]);
		expect(disabled[0].json.hoursRemaining).toBeGreaterThanOrEqual(0);
	});

	it('applies Limit to Get Many', async () => {
		const all = await h.run({ resource: 'webhook', operation: 'getAll', returnAll: true });
		expect(all.length).toBeGreaterThan(2);
		const limited = await h.run({
			resource: 'webhook',
			operation: 'getAll',
			returnAll: false,
			limit: 2,
		});
		expect(limited).toHaveLength(2);
		expect(limited.every((i) => (i.pairedItem as { item: number }).item === 0)).toBe(true);
	});

	it('deletes a webhook with {deleted: true}; a second delete is a clear not-found', async () => {
		const [created] = await h.run(create({ collection: 'breaks' }));
		const id = created.json.id as string;
		expect(
			jsonOf(await h.run({ resource: 'webhook', operation: 'delete', webhookId: id })),
		).toEqual([{ deleted: true }]);
		expect(h.sim.webhooks().find((w) => w.id === id)!.deleted).toBe(true);

		const again = await h.fail({ resource: 'webhook', operation: 'delete', webhookId: id });
		expect(again.message).toBe(`No webhook with ID '${id}' exists in Protime`);
		expect(again.description).toMatch(/Get Many lists the current webhooks/);
	});

	it('reports an unknown webhook on Get as not found', async () => {
		const error = await h.fail({ resource: 'webhook', operation: 'get', webhookId: 'nope-0000' });
		expect(error.message).toBe("No webhook with ID 'nope-0000' exists in Protime");
	});

	it('refuses a webhook ID that is not one path segment', async () => {
		const error = await h.fail({
			resource: 'webhook',
			operation: 'delete',
			webhookId: '../clockings',
		});
		expect(error.message).toBe("The webhook ID '../clockings' contains '/', '\\' or '..'");
		expect(h.apiRequests()).toEqual([]);
	});
});

describe('hoursRemaining', () => {
	it('counts hours to validUntil with one decimal, 0 once passed, null when invalid', () => {
		const now = Date.parse('2026-03-01T10:00:00Z');
		expect(hoursRemaining('2026-03-02T12:30:00+02:00', now)).toBe(24.5);
		expect(hoursRemaining('2026-02-28T10:00:00Z', now)).toBe(0);
		expect(hoursRemaining('soon', now)).toBeNull();
	});
});
