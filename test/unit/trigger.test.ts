/**
 * The Protime Trigger end to end inside the test bed: the real node code, the real credential and transport,
 * real HTTP to the Protime simulator, and a small HTTP server standing in for n8n's webhook endpoint (it
 * hands each request to `webhook()` through the test bed, which saves static data the way n8n 2.41 does).
 */
import { createHmac, randomBytes } from 'crypto';
import {
	ObservableObject,
	type IDataObject,
	type INode,
	type INodeExecutionData,
	type IWebhookFunctions,
} from 'n8n-workflow';

import { ProtimeTrigger } from '../../nodes/ProtimeTrigger/ProtimeTrigger.node';
import { cronFor } from '../../nodes/ProtimeTrigger/clock';
import { destinationProblem } from '../../nodes/ProtimeTrigger/destination';
import { acceptedKeys, forgetMemory } from '../../nodes/ProtimeTrigger/record';
import { renewalMargin } from '../../nodes/ProtimeTrigger/decide';
import {
	deriveCheckSecret,
	CHECK_HEADER,
	secretMaterial,
	signCheck,
	signPersist,
} from '../../nodes/ProtimeTrigger/checkSignature';
import { DEFAULT_SCOPES } from '../../nodes/shared/catalogue';
import { handoffKey, putTestItems, takeTestItems } from '../../nodes/ProtimeTrigger/testHandoff';
import { createWebhook, deleteWebhook } from '../../nodes/shared/webhooksApi';
import { ProtimeSimulator } from '../simulator';
import { ProtimeTestbed, type ActivationOrder, type TriggerControls } from '../support/context';
import { FakeN8n } from '../support/fakeN8n';

const trigger = new ProtimeTrigger();
const hooks = trigger.webhookMethods.default;
const NODE = {
	name: 'Protime Trigger',
	type: 'n8n-nodes-protime.protimeTrigger',
	webhookId: 'wh-1',
};

let sim: ProtimeSimulator;
let bed: ProtimeTestbed;
let params: Record<string, unknown>;
let n8n: FakeN8n;

const baseParams = (): Record<string, unknown> => ({
	collectionName: 'work-interruptions',
	events: ['insertOrUpdate', 'delete'],
	externalReferences: {},
	options: {},
});

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
	params = baseParams();
	forgetMemory('workflow-1/wh-1'); // each test is a fresh n8n process
	n8n.executions.length = 0;
	n8n.answers.length = 0;
	n8n.persists.length = 0;
	n8n.notFound.clear();
	sim.clearFaults();
	sim.assumptions.signature = {
		header: 'X-Protime-Signature',
		algorithm: 'sha256',
		encoding: 'base64',
		prefix: '',
		keyEncoding: 'utf8',
		timestampHeader: '',
	};
	sim.assumptions.envelope = 'single';
	sim.assumptions.webhookKeyProperty = 'key';
	sim.assumptions.webhookValiditySeconds = 7 * 24 * 3600;
});

afterEach(async () => {
	// Leave no subscription behind for the next test.
	const live = sim.webhooks().filter((w) => !w.deleted && w.destinationUrl.startsWith(n8n.origin));
	// With the default credential: a test may have spoiled its bed's.
	const cleaner = new ProtimeTestbed({
		simulatorOrigin: sim.origin,
		clientId: sim.defaultClient.clientId,
		clientSecret: sim.defaultClient.clientSecret,
		node: NODE,
	});
	const ctx = cleaner.hookFunctions({ parameters: params, webhookUrl: n8n.productionUrl });
	for (const w of live) await deleteWebhook.call(ctx, w.id);
});

// ---------------------------------------------------------------------------------------------------------

type HookName = 'checkExists' | 'create' | 'delete';
const hookInput = (
	extra: { test?: boolean; activationMode?: string; instanceBaseUrl?: string } = {},
) => ({
	parameters: params,
	node: NODE,
	webhookUrl: extra.test ? n8n.testUrl : n8n.productionUrl,
	mode: extra.test ? 'manual' : 'trigger',
	testStaticData: extra.test ?? false,
	activationMode: extra.activationMode ?? (extra.test ? 'manual' : 'activate'),
	// So the production URL derived from it is the one FakeN8n serves.
	instanceBaseUrl: extra.instanceBaseUrl ?? `${n8n.origin}/`,
});
const runHook = async (name: HookName, extra: { test?: boolean; activationMode?: string } = {}) =>
	await bed.runHook(hooks[name], hookInput(extra));

/**
 * What n8n 2.41 does on activation through its publication service: trigger() first, on static data as it
 * was before, then checkExists, and create() if needed.
 */
async function activate(
	extra: { instanceBaseUrl?: string; activationMode?: string; order?: ActivationOrder } = {},
) {
	const { ctx, created } = await bed.activate(trigger, { ...hookInput(extra), order: extra.order });
	return { ctx: ctx as NonNullable<typeof ctx>, created };
}

const state = (test = false) => bed.staticData(NODE.name, test);
/** The subscription record in static data. */
const rec = (test = false) => (state(test).subscription ?? {}) as IDataObject;
const liveAt = (url = n8n.productionUrl) =>
	sim.webhooks().filter((w) => !w.deleted && w.destinationUrl === url);
/** The ones not yet expired either. */
const validAt = () => liveAt().filter((w) => w.validUntilMs > Date.now());
const editRecord = (patch: IDataObject) => {
	Object.assign(bed.db.staticData[`node:${NODE.name}`].subscription as IDataObject, patch);
};
/**
 * The injectable clock: moves the wall clock (Date only; timers stay real) that the node, the test bed and
 * the simulator read, and lets it run on from there.
 */
function travelTo(ms: number): void {
	jest.useFakeTimers({
		advanceTimers: true,
		now: ms,
		doNotFake: [
			'nextTick',
			'setImmediate',
			'clearImmediate',
			'setTimeout',
			'clearTimeout',
			'setInterval',
			'clearInterval',
			'queueMicrotask',
			'hrtime',
			'performance',
		],
	});
}
/** Just before the recorded subscription expires: within any renewal margin. */
const travelToDue = () => travelTo(Date.parse(String(rec().validUntil)) - 30_000);
afterEach(() => jest.useRealTimers());
const cv = (n: number) => n.toString(16).toUpperCase().padStart(20, '0');
const sign = (key: string, raw: string) => createHmac('sha256', key).update(raw).digest('base64');
const wi = (id: number, version: number, extra: IDataObject = {}) => ({
	changeType: 'InsertOrUpdate',
	data: {
		changeVersion: cv(version),
		id,
		person: { id: 1001 },
		date: '2026-03-02',
		durationInMinutes: 45,
		startTimeInMinutes: 600,
		endTimeInMinutes: 645,
		...extra,
	},
});
async function postSigned(body: unknown, key = String(rec().key)) {
	const raw = JSON.stringify(body);
	return await n8n.post(raw, { 'x-protime-signature': sign(key, raw) });
}
const flat = () => n8n.executions.flatMap((e) => e.items.map((i) => i.json));
/** The check secret as both sides derive it, for the default client, workflow and node. */
const checkSecretOf = (
	material = sim.defaultClient.clientSecret,
	workflowId = 'workflow-1',
	node: Partial<INode> = NODE,
) => deriveCheckSecret(material, workflowId, node as INode);
async function postCheck(secret: string, now?: number) {
	const check = signCheck(secret, now);
	return await n8n.post(check.body, { [CHECK_HEADER]: check.header });
}
/** The URLs the clock sent its checks to, in order. */
const checkUrls = () =>
	bed.sentRequests.filter((r) => r.headers[CHECK_HEADER] !== undefined).map((r) => r.url);

// ---------------------------------------------------------------------------------------------------------

describe('activation lifecycle', () => {
	it('creates exactly one subscription and stores id, key, validUntil, createdAt and URL (no check secret)', async () => {
		expect(await runHook('checkExists')).toBe(false);
		expect(await runHook('create')).toBe(true);
		const live = liveAt();
		expect(live).toHaveLength(1);
		expect(live[0]).toMatchObject({ collectionName: 'work-interruptions', status: 'Enabled' });
		const s = state();
		expect(s.subscription).toMatchObject({
			id: live[0].id,
			key: live[0].key,
			validUntil: live[0].validUntil,
			destination: n8n.productionUrl,
			collection: 'work-interruptions',
		});
		expect(typeof (s.subscription as IDataObject).createdAt).toBe('number');
		expect(s).not.toHaveProperty('renewalSecret');
		expect(bed.logs.map((l) => l.message).join('\n')).not.toContain(live[0].key);
	});

	/** Activates, renews at the check, and returns the old subscription (left to expire) and the clock. */
	async function renewWithOverlap() {
		const { ctx } = await activate();
		const old = {
			id: String(rec().id),
			key: String(rec().key),
			until: Date.parse(String(rec().validUntil)),
		};
		travelTo(old.until - 55 * 60_000); // due for the check (60-minute margin)
		await ctx.tick();
		expect(n8n.answers.at(-1)).toMatchObject({ status: 200, body: { action: 'renew' } });
		expect(rec()).toMatchObject({ previousId: old.id });
		return { ctx, old };
	}
	const resyncs = () => flat().filter((j) => j.changeType === 'ResyncRequired');
	const emittedIds = () =>
		flat()
			.filter((j) => j.changeType === 'InsertOrUpdate')
			.map((j) => j.id);

	it('a renewal keeps the old subscription: a change both deliver is emitted once, a retry of the same one again', async () => {
		const { old } = await renewWithOverlap();
		expect(liveAt().map((w) => w.id)).toEqual([old.id, rec().id]);
		await postSigned(wi(1, 5), old.key); // only the old one held it: its backlog
		await postSigned(wi(2, 7)); // new first...
		await postSigned(wi(2, 7), old.key); // ...then the old one: a duplicate
		await postSigned(wi(3, 9), old.key); // old first...
		await postSigned(wi(3, 9)); // ...then the new one: a duplicate
		expect(emittedIds()).toEqual([1, 2, 3]);
		// The same subscription sending it again is a retry (its execution may have failed): emitted again.
		await postSigned(wi(3, 9), old.key);
		await postSigned(wi(2, 7));
		expect(emittedIds()).toEqual([1, 2, 3, 3, 2]);
		expect(resyncs()).toEqual([]);
	});

	it.each([
		['Ignore Older Versions off', { dropStale: false }],
		['acknowledged on receipt', { acknowledge: 'onReceipt' }],
		['Batch Changes', { batchChanges: true }],
	])('during the overlap a change both deliver is emitted once: %s', async (_name, options) => {
		params.options = options;
		const { ctx, old } = await renewWithOverlap();
		await postSigned(wi(2, 7));
		await postSigned(wi(2, 7), old.key);
		await postSigned(wi(3, 9), old.key);
		await postSigned(wi(3, 9));
		if ('batchChanges' in options) {
			travelTo(Date.now() + 120_000); // past any batch window
			await ctx.tick(1); // the flush cron
		}
		expect(emittedIds()).toEqual([2, 3]);
	});

	it('announces a gap once when the old subscription was still delivering changes only it held as it expired', async () => {
		const { ctx, old } = await renewWithOverlap();
		travelTo(old.until - 60_000);
		await postSigned(wi(1, 5), old.key); // its backlog, a minute before it expires
		travelTo(old.until + 60_000);
		await ctx.tick();
		expect(resyncs()).toEqual([]); // it may still be draining what it held
		travelTo(old.until + 90_000);
		await postSigned(wi(2, 6), old.key); // and it is (queueOnStop: drained)
		travelTo(old.until + 3 * 60_000);
		await ctx.tick();
		expect(resyncs()).toEqual([]);
		travelTo(old.until + 4 * 60_000); // quiet for more than two minutes since
		await ctx.tick();
		expect(resyncs()).toEqual([
			expect.objectContaining({
				previousWebhookId: old.id,
				reason: expect.stringMatching(/still delivering changes that only it held/),
			}),
		]);
		expect(rec().previousId).toBeUndefined();
		await ctx.tick();
		await postSigned(wi(4, 11));
		expect(resyncs()).toHaveLength(1);
	});

	it('a renewal that comes before the previous overlap ended ends it, announcing its gap', async () => {
		const { ctx, old } = await renewWithOverlap();
		travelTo(old.until - 60_000);
		await postSigned(wi(1, 5), old.key); // its backlog, a minute before it expires
		travelTo(Date.parse(String(rec().validUntil)) - 55 * 60_000); // the new one is due in turn
		const second = String(rec().id);
		await ctx.tick();
		expect(rec()).toMatchObject({ previousId: second });
		expect(resyncs()).toEqual([expect.objectContaining({ previousWebhookId: old.id })]);
	});

	it.each([
		['delivered, late, a change the new one had delivered first', 'second'],
		['delivered first a change the new one delivered too', 'first'],
		['was quiet well before it expired', 'quiet'],
	])('announces nothing when the old subscription %s', async (_name, how) => {
		const { ctx, old } = await renewWithOverlap();
		if (how === 'quiet') {
			await postSigned(wi(1, 5), old.key);
		} else {
			// Its backlog until a minute before it expires, then a change made after the renewal: caught up.
			travelTo(old.until - 2 * 60_000);
			await postSigned(wi(1, 5), old.key);
			const order = how === 'second' ? [undefined, old.key] : [old.key, undefined];
			for (const key of order) await postSigned(wi(2, 7), key);
		}
		travelTo(old.until + 6 * 60_000);
		await ctx.tick();
		expect(resyncs()).toEqual([]);
		expect(rec().previousId).toBeUndefined();
	});

	it('deactivation deletes the old subscription of an overlap too', async () => {
		const { old } = await renewWithOverlap();
		await runHook('delete');
		expect(liveAt()).toEqual([]);
		expect(sim.webhooks().find((w) => w.id === old.id)?.deleted).toBe(true);
	});

	it('on an n8n start leaves a due subscription to the next check while Protime may still be resending to it', async () => {
		await activate();
		const first = String(rec().id);
		// Due (within the 60-minute margin), with far more than one check interval left.
		travelTo(Date.parse(String(rec().validUntil)) - 30 * 60_000);
		const { ctx } = await activate({ activationMode: 'init', order: 'webhooksFirst' });
		expect(rec().id).toBe(first);
		expect(liveAt().map((w) => w.id)).toEqual([first]);
		await ctx.tick(); // the check renews it
		expect(rec().id).not.toBe(first);
		expect(liveAt().map((w) => w.id)).toEqual([first, rec().id]); // the old one is left to expire (overlap)
		// A start with little time left renews at once, and keeps the old one until it expires (overlap): what
		// Protime still holds for it is delivered.
		travelTo(Date.parse(String(rec().validUntil)) - 5 * 60_000);
		const second = String(rec().id);
		await activate({ activationMode: 'init', order: 'webhooksFirst' });
		expect(rec().id).not.toBe(second);
		expect(rec().previousId).toBe(second);
		expect(liveAt().map((w) => w.id)).toContain(second);
	});

	it('adopts a healthy subscription on the next activation (no new one, nothing deleted)', async () => {
		await activate();
		const before = sim.webhooks().length;
		expect(await runHook('checkExists', { activationMode: 'init' })).toBe(true);
		expect(sim.webhooks()).toHaveLength(before);
		expect(liveAt()).toHaveLength(1);
	});

	it.each([
		['expired', (id: string) => sim.expireWebhook(id), true],
		['disabled', (id: string) => sim.disableWebhook(id), true],
	])('replaces an %s subscription and records a pending resync', async (_name, spoil, lapse) => {
		await activate();
		const oldId = String(rec().id);
		spoil(oldId);
		expect(await runHook('checkExists')).toBe(false);
		await runHook('create');
		const live = liveAt().filter((w) => w.status === 'Enabled');
		expect(live).toHaveLength(1);
		expect(live[0].id).not.toBe(oldId);
		expect(Boolean(state().pendingResync)).toBe(lapse);
		expect(bed.logs.some((l) => l.level === 'error' && l.message.includes('lapsed'))).toBe(true);
	});

	it('renews a subscription near its expiry on activation, keeping the old one until it expires (a planned renewal, no resync)', async () => {
		sim.assumptions.webhookValiditySeconds = 120;
		await activate();
		const oldId = String(rec().id);
		travelToDue();
		expect(await runHook('checkExists')).toBe(false);
		await runHook('create');
		expect(liveAt().map((w) => w.id)).toEqual([oldId, rec().id]);
		expect(rec().previousId).toBe(oldId);
		expect(state().pendingResync).toBeUndefined();
	});

	it('replaces the subscription when the settings changed (collection, external references)', async () => {
		await activate();
		const first = String(rec().id);
		params.externalReferences = { reference: [{ reference: 'people|@employee-number' }] };
		expect(await runHook('checkExists')).toBe(false);
		await runHook('create');
		const live = liveAt();
		expect(live).toHaveLength(1);
		expect(live[0].id).not.toBe(first);
		expect(live[0].externalReferences).toEqual([
			{ collection: 'people', reference: '@employee-number' },
		]);
		params.collectionName = 'counter-definitions';
		params.externalReferences = {};
		expect(await runHook('checkExists')).toBe(false);
		await runHook('create');
		expect(liveAt().map((w) => w.collectionName)).toEqual(['counter-definitions']);
	});

	it('replaces a subscription whose key is not held', async () => {
		await activate();
		const oldId = String(rec().id);
		delete (bed.db.staticData[`node:${NODE.name}`].subscription as IDataObject).key;
		expect(await runHook('checkExists')).toBe(false);
		await runHook('create');
		expect(liveAt().map((w) => w.id)).not.toContain(oldId);
		expect(liveAt()).toHaveLength(1);
	});

	it('finds the orphan of lost static data by URL and removes it (no duplicates)', async () => {
		await activate();
		const orphan = String(rec().id);
		bed.db.staticData = {};
		expect(await runHook('checkExists')).toBe(false);
		await runHook('create');
		expect(liveAt()).toHaveLength(1);
		expect(liveAt()[0].id).not.toBe(orphan);
	});

	it('removes a duplicate at the same URL when adopting the stored subscription', async () => {
		await activate();
		await createWebhook.call(bed.hookFunctions(hookInput()), {
			collectionName: 'work-interruptions',
			destinationUrl: n8n.productionUrl,
		});
		expect(liveAt()).toHaveLength(2);
		expect(await runHook('checkExists')).toBe(true);
		expect(liveAt().map((w) => w.id)).toEqual([rec().id]);
	});

	it('fails activation with the property names when the 201 body has no key', async () => {
		sim.assumptions.webhookKeyProperty = 'zzz';
		const error = await runHook('create').catch(
			(e: { message: string; description?: string }) => e,
		);
		expect(error).toMatchObject({ message: expect.stringMatching(/no private key/) });
		expect((error as { description: string }).description).toMatch(/zzz/);
		// n8n calls delete() after a failed create(): the keyless webhook must not stay behind.
		expect(liveAt()).toHaveLength(1);
		await runHook('delete');
		expect(liveAt()).toHaveLength(0);
	});

	it('refuses an http or local production URL with a message about N8N_WEBHOOK_URL unless the environment is custom', async () => {
		bed.credentials.edit({ environment: 'production' });
		await expect(runHook('create')).rejects.toThrow(/HTTPS.*N8N_WEBHOOK_URL/s);
		const local = bed.runHook(hooks.create, {
			...hookInput(),
			webhookUrl: 'https://localhost:5678/webhook/wh-1/webhook',
		});
		await expect(local).rejects.toThrow(/localhost.*N8N_WEBHOOK_URL/s);
		expect(sim.webhooks().filter((w) => w.destinationUrl.includes('localhost'))).toHaveLength(0);
	});

	it('gives a test listen its own subscription and deletes only that one when listening ends', async () => {
		await activate();
		const production = String(rec().id);
		expect(await runHook('checkExists', { test: true })).toBe(false);
		await runHook('create', { test: true });
		expect(liveAt(n8n.testUrl)).toHaveLength(1);
		expect(rec(true).id).toBe(liveAt(n8n.testUrl)[0].id);
		await runHook('delete', { test: true });
		expect(liveAt(n8n.testUrl)).toHaveLength(0);
		expect(liveAt().map((w) => w.id)).toEqual([production]);
	});
});

describe('deactivation', () => {
	it('deletes the subscription and clears the stored state, keeping only when it did so', async () => {
		await activate();
		expect(await runHook('delete')).toBe(true);
		expect(liveAt()).toHaveLength(0);
		expect(Object.keys(state())).toEqual(['removedAt']);
	});

	it('a create() after a delete() (n8n 1.x does both on every save) announces the gap with ResyncRequired', async () => {
		await activate();
		await runHook('delete');
		const { ctx } = await activate();
		expect(liveAt()).toHaveLength(1);
		// A delivery acknowledged after its execution: n8n 2.41.1 never saves what webhook() wrote, so the gap
		// is left to the check, which n8n saves before its execution starts.
		await postSigned(wi(12, 12));
		travelTo(Date.now() + 1000);
		await ctx.tick();
		expect(flat().map((j) => j.changeType)).toEqual(['InsertOrUpdate', 'ResyncRequired']);
		expect(String(flat()[1].reason)).toMatch(/n8n removed this trigger's webhook/);
	});

	it('a gap is announced once: deactivate, activate, deliver, check, restart, deliver, check', async () => {
		await activate();
		await runHook('delete');
		const { ctx } = await activate();
		const resyncs = () => flat().filter((j) => j.changeType === 'ResyncRequired');
		await postSigned(wi(12, 12));
		travelTo(Date.now() + 1000);
		await ctx.tick();
		expect(resyncs()).toHaveLength(1);
		const detectedAt = resyncs()[0].detectedAt;
		// Restart: a new process, static data as n8n saved it; more deliveries and checks.
		forgetMemory('workflow-1/wh-1');
		const again = await activate({ activationMode: 'init', order: 'webhooksFirst' });
		await postSigned(wi(13, 13));
		travelTo(Date.now() + 1000);
		await again.ctx.tick();
		await postSigned(wi(14, 14));
		expect(resyncs()).toHaveLength(1);
		expect(resyncs()[0].detectedAt).toBe(detectedAt);
		expect(
			flat()
				.filter((j) => j.changeType === 'InsertOrUpdate')
				.map((j) => j.id),
		).toEqual([12, 13, 14]);
	});

	it('counts a 404 as done', async () => {
		await activate();
		await deleteWebhook.call(bed.hookFunctions(hookInput()), String(rec().id));
		expect(await runHook('delete')).toBe(true);
		expect(bed.logs.some((l) => l.message.includes('already gone'))).toBe(true);
	});

	it('copes with a create() that never completed, removing what it may have left at the URL', async () => {
		await createWebhook.call(bed.hookFunctions(hookInput()), {
			collectionName: 'work-interruptions',
			destinationUrl: n8n.productionUrl,
		});
		expect(await runHook('delete')).toBe(true);
		expect(liveAt()).toHaveLength(0);
	});

	it('logs and reports a failed delete instead of swallowing it', async () => {
		await activate();
		const id = String(rec().id);
		sim.injectFault({ status: 500, path: new RegExp(`/webhooks/${id}$`), times: 10 });
		await expect(runHook('delete')).rejects.toThrow(/Could not delete/);
		expect(bed.logs.some((l) => l.level === 'error' && l.message.includes(id))).toBe(true);
		sim.clearFaults();
	});
});

describe('deliveries', () => {
	const variants: Array<[string, Partial<ProtimeSimulator['assumptions']['signature']>]> = [
		['base64, key as text (default)', {}],
		['hex', { encoding: 'hex' }],
		[
			'sha256= prefixed hex in another header',
			{ encoding: 'hex', prefix: 'sha256=', header: 'X-Hub-Signature-256' },
		],
		['base64 under the decoded key bytes', { keyEncoding: 'base64' }],
		[
			'base64 over "<timestamp>.<body>" with a timestamp header',
			{ timestampHeader: 'X-Protime-Timestamp' },
		],
	];
	it.each(variants)(
		'verifies a simulator delivery signed as %s and emits a typed item',
		async (_name, signature) => {
			Object.assign(sim.assumptions.signature, signature);
			await activate();
			const record = sim.insert('work-interruptions', {
				durationInMinutes: 90,
				startTimeInMinutes: 480,
				endTimeInMinutes: 570,
			});
			await sim.waitForDeliveries(1, { webhookId: String(rec().id) });
			expect(n8n.executions).toHaveLength(1);
			expect(n8n.executions[0].items[0].json).toMatchObject({
				changeType: 'InsertOrUpdate',
				collectionName: 'work-interruptions',
				id: record.id,
				changeVersion: record.changeVersion,
				data: {
					id: record.id,
					durationInMinutes: 90,
					duration: '1:30',
					durationHours: 1.5,
					startTime: '08:00',
					endTime: '09:30',
				},
			});
		},
	);

	it('emits Delete changes and honours the Events filter', async () => {
		params.events = ['delete'];
		await activate();
		const record = sim.insert('work-interruptions', {});
		sim.remove('work-interruptions', record.id);
		await sim.waitForDeliveries(2, { webhookId: String(rec().id) });
		expect(flat()).toEqual([expect.objectContaining({ changeType: 'Delete', id: record.id })]);
		expect(n8n.answers.map((a) => a.status)).toEqual([200, 200]);
	});

	it('the stale filter survives a restart: after a Delete and a restart, an older resend of that record is dropped (FINDINGS #6)', async () => {
		await activate();
		await postSigned(wi(5, 1));
		await postSigned({ changeType: 'Delete', data: { id: 5, changeVersion: cv(2) } });
		// n8n 2.41.1 saved neither delivery's static data; the persist requests did, before each execution
		expect(n8n.persists.map((p) => p.status)).toEqual([200, 200]);
		expect(n8n.persists[1].versions).toEqual([[5, cv(2)]]);
		// Restart: a new process, static data as n8n saved it.
		forgetMemory('workflow-1/wh-1');
		await activate({ activationMode: 'init', order: 'webhooksFirst' });
		const resend = await postSigned(wi(5, 1));
		expect(resend.data).toMatchObject({ emitted: 0, dropped: 1 });
		expect(flat().map((j) => `${j.changeType}:${j.id}@${j.changeVersion}`)).toEqual([
			`InsertOrUpdate:5@${cv(1)}`,
			`Delete:5@${cv(2)}`,
		]);
	});

	it('a persist request goes to the address built from the instance base URL when the public one answers 404, and a delivery runs even when neither answers', async () => {
		const options = {
			simulatorOrigin: sim.origin,
			clientId: sim.defaultClient.clientId,
			clientSecret: sim.defaultClient.clientSecret,
			node: NODE,
			instanceBaseUrl: n8n.aliasBase,
		};
		bed = new ProtimeTestbed(options);
		await activate();
		n8n.notFound.add('direct'); // the public address does not loop back to this n8n
		const alias = `${n8n.aliasBase}webhook/wh-1/webhook`;
		const raw = JSON.stringify(wi(5, 1));
		const first = await n8n.post(
			raw,
			{ 'x-protime-signature': sign(String(rec().key), raw) },
			alias,
		);
		expect(first.status).toBe(200);
		expect(n8n.persists.map((p) => p.status)).toEqual([200]);
		expect(JSON.stringify(state().versions)).toContain(cv(1));
		// Neither answers: the delivery still runs, and the log says what was not saved and why.
		options.instanceBaseUrl = 'http://127.0.0.1:9/';
		const raw2 = JSON.stringify(wi(6, 2));
		const second = await n8n.post(
			raw2,
			{ 'x-protime-signature': sign(String(rec().key), raw2) },
			alias,
		);
		expect(second.status).toBe(200);
		expect(flat().map((j) => j.id)).toEqual([5, 6]);
		expect(JSON.stringify(state().versions)).not.toContain(cv(2));
		expect(bed.logs.filter((l) => l.level === 'warn').at(-1)?.message).toMatch(
			/versions of a delivery could not be saved .*404.*127\.0\.0\.1:9.*own webhook URL/s,
		);
	});

	it('a persist request that does not verify is refused (401) and saves nothing; an older version never replaces a newer one', async () => {
		await activate();
		await postSigned(wi(5, 3));
		const saved = () => JSON.stringify(state().versions);
		const before = saved();
		const secret = checkSecretOf();
		const forged = signPersist('0'.repeat(64), Date.now(), [[5, cv(9)]]);
		const refused = await n8n.post(forged.body, { [CHECK_HEADER]: forged.header });
		expect(refused.status).toBe(401);
		const stale = signPersist(secret, Date.now() - 6 * 60_000, [[5, cv(9)]]);
		expect((await n8n.post(stale.body, { [CHECK_HEADER]: stale.header })).status).toBe(401);
		expect(saved()).toBe(before);
		// A genuine but older entry (a replay, or another process's older view) leaves the newer one.
		const older = signPersist(secret, Date.now(), [[5, cv(1)]]);
		const answer = await n8n.post(older.body, { [CHECK_HEADER]: older.header });
		expect(answer.data).toMatchObject({ persisted: 1, recorded: 0 });
		expect(saved()).toContain(cv(3));
		expect(saved()).not.toContain(cv(1));
	});

	it('flattens external references with Simplify and keeps raw records without it', async () => {
		params.externalReferences = {
			reference: [
				{ reference: 'people|@employee-number' },
				{ reference: 'people|', customName: 'HRMID' },
			],
		};
		sim.setExternalReferences('people', 1001, { '@employee-number': 'E-1001', HRMID: 'H-7' });
		await activate();
		sim.insert('work-interruptions', { person: { id: 1001 } });
		await sim.waitForDeliveries(1, { webhookId: String(rec().id) });
		expect(flat()[0].data).toMatchObject({
			personId: 1001,
			personEmployeeNumber: 'E-1001',
			personHRMID: 'H-7',
		});
		params.options = { simplify: false, includeSubscriptionInfo: true };
		sim.insert('work-interruptions', { person: { id: 1001 } });
		await sim.waitForDeliveries(2, { webhookId: String(rec().id) });
		expect(flat()[1]).toMatchObject({
			data: { person: { id: 1001, externalReferences: { '@employee-number': 'E-1001' } } },
			_subscription: { webhookId: rec().id, validUntil: rec().validUntil },
		});
	});

	it('accepts array and {value} envelopes and emits in changeVersion order', async () => {
		await activate();
		expect((await postSigned([wi(1, 30), wi(2, 10), wi(3, 20)])).status).toBe(200);
		expect((await postSigned({ value: [wi(4, 50), wi(5, 40)] })).status).toBe(200);
		expect(n8n.executions.map((e) => e.items.map((i) => i.json.id))).toEqual([
			[2, 3, 1],
			[5, 4],
		]);
		sim.assumptions.envelope = 'array';
		sim.insert('work-interruptions', {});
		await sim.waitForDeliveries(1, { webhookId: String(rec().id) });
		expect(n8n.executions).toHaveLength(3);
	});

	it('drops stale changes by changeVersion per record, and re-emits a resend of the newest when 2xx means executed (default)', async () => {
		await activate();
		await postSigned(wi(1, 5));
		const resend = await postSigned(wi(1, 5)); // Protime resends what it got no 2xx for
		const stale = await postSigned(wi(1, 4));
		await postSigned(wi(1, 6));
		expect(resend.status).toBe(200);
		expect(stale.data).toMatchObject({ received: 1, emitted: 0, dropped: 1 });
		expect(flat().map((j) => j.changeVersion)).toEqual([cv(5), cv(5), cv(6)]);
		params.options = { dropStale: false };
		await postSigned(wi(1, 4));
		expect(flat()).toHaveLength(4);
	});

	it('with acknowledgement on receipt drops duplicates too (a resend was already taken)', async () => {
		params.options = { acknowledge: 'onReceipt' };
		await activate();
		await postSigned(wi(1, 5));
		const dup = await postSigned(wi(1, 5));
		await postSigned(wi(1, 4));
		await postSigned(wi(1, 6));
		expect(dup.data).toMatchObject({ received: 1, emitted: 0, dropped: 1 });
		expect(flat().map((j) => j.changeVersion)).toEqual([cv(5), cv(6)]);
	});

	it('answers 2xx only once the execution succeeded; a failed or crashed execution gets none, and the resend is emitted', async () => {
		await activate();
		const runs: string[] = [];
		const outcome = { next: 'success' as 'success' | 'error' | 'crash' };
		const deliver = async (body: IDataObject) => {
			const raw = JSON.stringify(body);
			return await bed.runWebhook(trigger.webhook, {
				parameters: params,
				node: NODE,
				mode: 'webhook',
				webhookUrl: n8n.productionUrl,
				request: { headers: { 'x-protime-signature': sign(String(rec().key), raw) }, rawBody: raw },
				execution: () => {
					runs.push(outcome.next);
					if (outcome.next === 'error') throw new Error('a node of the workflow failed');
					return outcome.next === 'crash' ? 'crash' : undefined;
				},
			});
		};
		outcome.next = 'error';
		expect((await deliver(wi(3, 30))).response.statusCode).toBe(500);
		outcome.next = 'crash';
		expect((await deliver(wi(3, 30))).response.ended).toBe(false);
		outcome.next = 'success';
		const done = await deliver(wi(3, 30));
		expect(done.response.statusCode).toBe(200);
		expect(runs).toEqual(['error', 'crash', 'success']); // each resend reached an execution
		// Older versions of the record stay dropped (answered at once, nothing to execute).
		const stale = await deliver(wi(3, 29));
		expect(stale.result.workflowData).toBeUndefined();
		expect(stale.response).toMatchObject({ statusCode: 200, body: { dropped: 1 } });
	});

	it('an unsigned request writes nothing to static data', async () => {
		await activate();
		const before = bed.db.staticDataSaves;
		const snapshot = structuredClone(bed.db.staticData);
		expect((await n8n.post(JSON.stringify(wi(8, 80)))).status).toBe(401);
		expect(bed.db.staticDataSaves).toBe(before);
		expect(bed.db.staticData).toEqual(snapshot);
	});

	it('handles a delivery of 10,000 changes', async () => {
		await activate();
		const many = Array.from({ length: 10_000 }, (_, i) => wi(i + 1, 20_000 - i));
		const response = await postSigned({ value: many });
		expect(response.status).toBe(200);
		const items = n8n.executions[0].items;
		expect(items).toHaveLength(10_000);
		expect(items[0].json.id).toBe(10_000);
		expect(items[9_999].json.id).toBe(1);
	});

	it.each([
		['an unrelated object', { hello: 'world' }],
		['a change without changeVersion', { changeType: 'InsertOrUpdate', data: { id: 1 } }],
		['an array with a number', [wi(1, 1), 7]],
		['a string', 'text'],
	])('answers 400 with a clear message and starts nothing for %s', async (_name, body) => {
		await activate();
		const response = await postSigned(body);
		expect(response.status).toBe(400);
		expect(String(response.data.message)).toMatch(/Expected a change/);
		expect(n8n.executions).toHaveLength(0);
	});

	it('leaves bodies that are not JSON to n8n (422 before the node runs)', async () => {
		await activate();
		expect(
			(await n8n.post('{not json', { 'x-protime-signature': sign(String(rec().key), '{not json') }))
				.status,
		).toBe(422);
		expect(n8n.executions).toHaveLength(0);
	});
});

describe('verification failures: 401 and no execution', () => {
	const raw = JSON.stringify(wi(9, 9));
	const cases: Array<[string, () => Record<string, string>, string?]> = [
		[
			'a tampered body',
			() => ({ 'x-protime-signature': sign(String(rec().key), raw.replace('"id":9', '"id":8')) }),
		],
		[
			'the wrong key',
			() => ({ 'x-protime-signature': sign(randomBytes(32).toString('base64'), raw) }),
		],
		['no signature header (unsigned)', () => ({})],
		[
			'an oversized header',
			() => ({ 'x-protime-signature': `${'A'.repeat(600)},${sign(String(rec().key), raw)}` }),
		],
	];
	it.each(cases)('rejects %s', async (_name, headers) => {
		await activate();
		const response = await n8n.post(raw, headers());
		expect(response.status).toBe(401);
		expect(n8n.executions).toHaveLength(0);
		expect(bed.logs.some((l) => l.level === 'warn' && l.message.includes('401'))).toBe(true);
	});

	it('rejects a delivery whose raw body is missing', async () => {
		await activate();
		const ctx = bed.webhookFunctions({
			...hookInput(),
			mode: 'webhook',
			request: { body: wi(9, 9), headers: { 'x-protime-signature': sign(String(rec().key), raw) } },
		});
		const request = ctx.getRequestObject() as unknown as { rawBody?: Buffer };
		delete request.rawBody;
		const result = await trigger.webhook.call(ctx as IWebhookFunctions);
		expect(result).toEqual({ noWebhookResponse: true });
		expect(ctx.response.statusCode).toBe(401);
	});

	it('rejects everything while no key is stored (fail closed)', async () => {
		const response = await n8n.post(raw, { 'x-protime-signature': sign('anything', raw) });
		expect(response.status).toBe(401);
	});
});

describe('renewal through the check', () => {
	it('registers one cron tick at the chosen interval, spread by a stable second', async () => {
		params.options = { checkInterval: 5 };
		const { ctx } = await activate();
		const controls = ctx as unknown as { crons: Array<{ cron: { expression: string } }> };
		expect(controls.crons).toHaveLength(1);
		expect(controls.crons[0].cron.expression).toMatch(/^\d{1,2} \*\/5 \* \* \* \*$/);
		expect(cronFor(60, 'x')).toMatch(/^\d{1,2} \d{1,2} \* \* \* \*$/);
	});

	it('does nothing to a healthy subscription', async () => {
		const { ctx } = await activate();
		const id = rec().id;
		await (ctx as unknown as { tick(): Promise<void> }).tick();
		expect(n8n.answers.at(-1)).toMatchObject({ status: 200, body: { ok: true, action: 'adopt' } });
		expect(rec().id).toBe(id);
		expect(n8n.executions).toHaveLength(0);
	});

	it('renews near expiry: new subscription first, old one kept until it expires, new key saved, previous key accepted meanwhile', async () => {
		sim.assumptions.webhookValiditySeconds = 120;
		const { ctx } = await activate();
		const old = { id: String(rec().id), key: String(rec().key) };
		travelToDue();
		await (ctx as unknown as { tick(): Promise<void> }).tick();
		expect(n8n.answers.at(-1)).toMatchObject({ status: 200, body: { ok: true, action: 'renew' } });
		const now = rec();
		expect(now.id).not.toBe(old.id);
		expect(liveAt().map((w) => w.id)).toEqual([old.id, now.id]); // the old one is left to expire (overlap)
		expect(n8n.executions).toHaveLength(0); // a planned renewal is not a lapse
		// The new key verifies real deliveries of the new subscription; the old one delivers the same change,
		// which is emitted once.
		sim.insert('work-interruptions', {});
		await sim.waitForDeliveries(1, { webhookId: String(now.id) });
		await sim.waitForDeliveries(1, { webhookId: old.id });
		expect(n8n.executions).toHaveLength(1);
		// ...and an in-flight delivery signed with the previous key still verifies.
		expect((await postSigned(wi(77, 77), old.key)).status).toBe(200);
		expect(n8n.executions).toHaveLength(2);
	});

	it('a delivery leaves renewal to the clock while the clock is on time', async () => {
		// Default margin 60 min and interval 10 min: the clock renews within 60 min of validUntil, a delivery
		// only within 50 (the clock has then missed a check).
		sim.assumptions.webhookValiditySeconds = 55 * 60;
		const { ctx } = await activate();
		const first = String(rec().id);
		// Margin: half the validity (27.5 min). The clock is due within it, a delivery only 10 min later.
		travelTo(Date.parse(String(rec().validUntil)) - 20 * 60_000);
		sim.insert('work-interruptions', {});
		await sim.waitForDeliveries(1, { webhookId: first });
		expect(n8n.executions).toHaveLength(1);
		expect(rec().id).toBe(first);
		await ctx.tick();
		expect(n8n.answers.at(-1)).toMatchObject({ status: 200, body: { action: 'renew' } });
		expect(liveAt().map((w) => w.id)).toEqual([first, rec().id]);
	});

	it('renews again and again: each renewal starts from static data as n8n loads it (observable, previous keys included)', async () => {
		sim.assumptions.webhookValiditySeconds = 120;
		const { ctx } = await activate();
		const ids = [String(rec().id)];
		for (let i = 0; i < 3; i++) {
			travelToDue();
			await ctx.tick();
			expect(n8n.answers.at(-1)).toMatchObject({
				status: 200,
				body: { ok: true, action: 'renew' },
			});
			ids.push(String(rec().id));
		}
		expect(new Set(ids).size).toBe(4);
		expect(validAt().map((w) => w.id)).toEqual([ids[2], ids[3]]);
		expect(rec().previousKey).toBeDefined();
	});

	it('renews ahead of validUntil when a delivery arrives after the clock missed its chance', async () => {
		sim.assumptions.webhookValiditySeconds = 55 * 60;
		params.options = { checkInterval: 1 };
		await activate();
		const oldId = String(rec().id);
		// Margin: half the validity (27.5 min); a delivery renews from one check interval later on.
		travelTo(Date.parse(String(rec().validUntil)) - 20 * 60_000);
		sim.insert('work-interruptions', {});
		await sim.waitForDeliveries(1, { webhookId: oldId });
		expect(rec().id).not.toBe(oldId);
		expect(liveAt().map((w) => w.id)).toEqual([oldId, rec().id]);
		expect(n8n.executions).toHaveLength(1);
	});

	it('after a lapse creates a new subscription and emits a ResyncRequired item', async () => {
		const { ctx } = await activate();
		const oldId = String(rec().id);
		sim.disableWebhook(oldId);
		await (ctx as unknown as { tick(): Promise<void> }).tick();
		expect(n8n.answers.at(-1)).toMatchObject({
			status: 200,
			body: { ok: true, action: 'recover' },
		});
		expect(flat()).toEqual([
			expect.objectContaining({
				changeType: 'ResyncRequired',
				collectionName: 'work-interruptions',
				previousWebhookId: oldId,
				webhookId: rec().id,
			}),
		]);
		expect(String(flat()[0].message)).toContain('Get Many');
		expect(bed.logs.some((l) => l.level === 'error' && l.message.includes('resync'))).toBe(true);
		expect(liveAt().filter((w) => w.status === 'Enabled')).toHaveLength(1);
	});

	it('emits the resync notice recorded by an activation hook with the next request', async () => {
		await activate();
		sim.expireWebhook(String(rec().id));
		expect(await runHook('checkExists', { activationMode: 'init' })).toBe(false);
		await runHook('create');
		const { ctx } = await bed.runTrigger(trigger.trigger, hookInput());
		await (ctx as unknown as { tick(): Promise<void> }).tick();
		expect(flat().map((j) => j.changeType)).toEqual(['ResyncRequired']);
		expect(state().pendingResync).toBeUndefined();
	});

	it('refuses forged, replayed and stale checks with 401', async () => {
		await activate();
		const secret = checkSecretOf();
		expect((await postCheck(randomBytes(32).toString('hex'))).status).toBe(401);
		const good = signCheck(secret);
		expect((await n8n.post(good.body, { [CHECK_HEADER]: good.header })).status).toBe(200);
		expect((await n8n.post(good.body, { [CHECK_HEADER]: good.header })).status).toBe(401);
		expect((await postCheck(secret, Date.now() - 10 * 60_000)).status).toBe(401);
		const altered = signCheck(secret);
		expect(
			(await n8n.post(altered.body.replace('1', '2'), { [CHECK_HEADER]: altered.header })).status,
		).toBe(401);
		// The count of unrecorded checks is signed too: raising it is an alteration.
		const counted = signCheck(secret);
		expect(
			(
				await n8n.post(counted.body.replace('"unrecordedChecks":0', '"unrecordedChecks":5'), {
					[CHECK_HEADER]: counted.header,
				})
			).status,
		).toBe(401);
	});

	it('a check of a healthy subscription writes nothing to static data', async () => {
		const { ctx } = await activate();
		const saves = bed.db.staticDataSaves;
		const before = structuredClone(bed.db.staticData);
		await ctx.tick();
		await ctx.tick();
		expect(n8n.answers.map((a) => a.status)).toEqual([200, 200]);
		expect(bed.db.staticDataSaves).toBe(saves);
		expect(bed.db.staticData).toEqual(before);
	});

	it('refuses with 401 a check whose secret is derived from another credential, workflow or node', async () => {
		await activate();
		expect((await postCheck(checkSecretOf('another-client-secret'))).status).toBe(401);
		expect((await postCheck(checkSecretOf(undefined, 'workflow-2'))).status).toBe(401);
		expect(
			(await postCheck(checkSecretOf(undefined, undefined, { ...NODE, webhookId: 'wh-2' }))).status,
		).toBe(401);
		expect(n8n.answers.map((a) => a.status)).toEqual([401, 401, 401]);
		expect(
			bed.logs.filter((l) => l.level === 'warn' && l.message.includes('signature does not match')),
		).toHaveLength(3);
		expect((await postCheck(checkSecretOf())).status).toBe(200);
	});

	it('logs clearly when the check cannot reach n8n, and when the check fails at Protime', async () => {
		const { ctx } = await activate();
		sim.injectFault({ status: 500, path: /\/webhooks\//, times: 10 });
		await ctx.tick();
		expect(n8n.answers.at(-1)?.status).toBe(502);
		expect(bed.logs.some((l) => l.level === 'error' && l.message.includes('answered 502'))).toBe(
			true,
		);
		sim.clearFaults();
		// A start where neither the stored URL nor the instance base URL reaches n8n.
		editRecord({ destination: 'http://127.0.0.1:9/webhook/wh-1/webhook' });
		const restarted = await bed.runTrigger(
			trigger.trigger,
			hookInput({ activationMode: 'init', instanceBaseUrl: 'http://127.0.0.1:9/' }),
		);
		await (restarted.ctx as TriggerControls).tick();
		const error = bed.logs.filter((l) => l.level === 'error').at(-1)?.message ?? '';
		expect(error).toMatch(
			/could not reach .*127\.0\.0\.1:9\/webhook\/wh-1\/webhook: .*ECONNREFUSED.*N8N_WEBHOOK_URL/s,
		);
	});

	it('activation order of n8n 2.41 (trigger() before create(), separate static data): the clock still checks and a quiet subscription is renewed before validUntil', async () => {
		sim.assumptions.webhookValiditySeconds = 120;
		const { ctx, created } = await activate({ order: 'publication' });
		expect(created).toBe(true);
		// The trigger context saw static data from before create(), and its copy is never refreshed.
		expect(ctx.getWorkflowStaticData('node')).toEqual({});
		expect(rec().destination).toBe(n8n.productionUrl);
		expect(ctx.crons).toHaveLength(1);
		expect(bed.logs.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);

		await ctx.tick();
		expect(checkUrls()).toEqual([n8n.productionUrl]); // derived from the instance base URL and the webhook id
		expect(n8n.answers.at(-1)).toMatchObject({
			status: 200,
			body: { ok: true, action: 'adopt', destinationUrl: n8n.productionUrl },
		});

		// No change is raised; time passes until the subscription is near its validUntil.
		const old = { id: String(rec().id), validUntil: String(rec().validUntil) };
		travelToDue();
		await ctx.tick();
		expect(n8n.answers.at(-1)).toMatchObject({ status: 200, body: { ok: true, action: 'renew' } });
		expect(rec().id).not.toBe(old.id);
		expect(Date.parse(String(rec().validUntil))).toBeGreaterThanOrEqual(Date.parse(old.validUntil));
		expect(liveAt().map((w) => w.id)).toEqual([old.id, rec().id]);
		expect(n8n.executions).toHaveLength(0);
		// The next change still arrives, signed with the renewed key.
		sim.insert('work-interruptions', {});
		await sim.waitForDeliveries(1, { webhookId: String(rec().id) });
		expect(n8n.executions).toHaveLength(1);
	});

	it('the older order (create() before trigger()) works the same', async () => {
		const { ctx } = await activate({ order: 'webhooksFirst' });
		expect(ctx.getWorkflowStaticData('node').subscription).toMatchObject({
			destination: n8n.productionUrl,
		});
		await ctx.tick();
		expect(n8n.answers.at(-1)).toMatchObject({ status: 200, body: { ok: true, action: 'adopt' } });
	});

	it('restart (init): the stored destinationUrl is used', async () => {
		await activate();
		const unreachableBase = 'http://127.0.0.1:9/';
		const { ctx } = await activate({
			activationMode: 'init',
			order: 'webhooksFirst',
			instanceBaseUrl: unreachableBase,
		});
		await ctx.tick();
		expect(n8n.answers.at(-1)).toMatchObject({ status: 200, body: { ok: true, action: 'adopt' } });
		expect(checkUrls()).toEqual([n8n.productionUrl]);
		expect(bed.sentRequests.some((r) => r.url.startsWith(unreachableBase))).toBe(false);
	});

	it('queue mode: a main that serves no webhooks sends its first check to the recorded webhook URL, not its own', async () => {
		n8n.notFound.add('alias'); // the main's own base URL: no production webhooks there
		const { ctx } = await activate({ instanceBaseUrl: n8n.aliasBase });
		await ctx.tick();
		expect(checkUrls()).toEqual([n8n.productionUrl]);
		expect(n8n.answers.at(-1)).toMatchObject({ status: 200, body: { action: 'adopt' } });
		expect(bed.logs.filter((l) => l.level === 'error')).toEqual([]);
	});

	it('tries the other address after a 404 or a network error, and logs it', async () => {
		// Only the derived address (through the alias base URL) is known: a clock in a process that holds no
		// record (another main took over).
		const { ctx } = await activate({ instanceBaseUrl: n8n.aliasBase });
		forgetMemory('workflow-1/wh-1');
		const alias = `${n8n.origin}/alias/webhook/${NODE.webhookId}/webhook`;
		await ctx.tick();
		expect(checkUrls()).toEqual([alias]);
		// The answer named the production URL; when the alias stops answering (404), the clock uses it.
		n8n.notFound.add('alias');
		await ctx.tick();
		expect(checkUrls().slice(1)).toEqual([alias, n8n.productionUrl]);
		expect(n8n.answers.at(-1)).toMatchObject({ status: 200, body: { action: 'adopt' } });
		expect(bed.logs.filter((l) => l.level === 'warn').at(-1)?.message).toMatch(
			/could not use .*alias.*404.*reached .*\/webhook\/wh-1\/webhook instead/s,
		);
		// ...and keeps using the address that answered.
		await ctx.tick();
		expect(checkUrls().at(-1)).toBe(n8n.productionUrl);
		expect(checkUrls()).toHaveLength(4);
		// Nothing answers: an error that says what to check.
		n8n.notFound.add('direct');
		await ctx.tick();
		expect(bed.logs.filter((l) => l.level === 'error').at(-1)?.message).toMatch(
			/could not reach .*404.*N8N_WEBHOOK_URL/s,
		);

		// A start whose stored URL is refused at the network level: the derived address is tried next.
		n8n.notFound.clear();
		editRecord({ destination: 'http://127.0.0.1:9/webhook/wh-1/webhook' });
		const restarted = await bed.runTrigger(trigger.trigger, hookInput({ activationMode: 'init' }));
		editRecord({ destination: n8n.productionUrl });
		await (restarted.ctx as TriggerControls).tick();
		expect(checkUrls().slice(-2)).toEqual([
			'http://127.0.0.1:9/webhook/wh-1/webhook',
			n8n.productionUrl,
		]);
		expect(n8n.answers.at(-1)).toMatchObject({ status: 200, body: { action: 'adopt' } });
		expect(bed.logs.filter((l) => l.level === 'warn').at(-1)?.message).toMatch(
			/127\.0\.0\.1:9.*ECONNREFUSED.*reached/s,
		);
	});

	it('credential secret changed: checks use the new derivation and still verify (client secret, then a pasted token)', async () => {
		sim.addClient({
			clientId: 'rotating',
			clientSecret: 'first-secret',
			scopes: [...DEFAULT_SCOPES],
		});
		bed = new ProtimeTestbed({
			simulatorOrigin: sim.origin,
			clientId: 'rotating',
			clientSecret: 'first-secret',
			node: NODE,
		});
		const { ctx } = await activate();
		await ctx.tick();
		expect(n8n.answers.at(-1)).toMatchObject({ status: 200, body: { action: 'adopt' } });

		// The client secret is regenerated at Protime and pasted into the credential.
		sim.addClient({
			clientId: 'rotating',
			clientSecret: 'second-secret',
			scopes: [...DEFAULT_SCOPES],
		});
		bed.credentials.edit({ clientSecret: 'second-secret' });
		await ctx.tick();
		expect(n8n.answers.at(-1)).toMatchObject({ status: 200, body: { action: 'adopt' } });
		expect((await postCheck(checkSecretOf('first-secret'))).status).toBe(401);
		expect((await postCheck(checkSecretOf('second-secret'))).status).toBe(200);

		// Switched to a pasted access token: the token is the material now.
		const token = String(bed.credentials.read().sessionToken);
		bed.credentials.edit({ authentication: 'accessToken', accessToken: `Bearer ${token}` });
		await ctx.tick();
		expect(n8n.answers.at(-1)).toMatchObject({ status: 200, body: { action: 'adopt' } });
		expect((await postCheck(checkSecretOf('second-secret'))).status).toBe(401);
		expect((await postCheck(checkSecretOf(token))).status).toBe(200);

		const logged = bed.logs.map((l) => l.message).join('\n');
		for (const secret of [
			'first-secret',
			'second-secret',
			token,
			checkSecretOf('second-secret'),
			checkSecretOf(token),
		]) {
			expect(logged).not.toContain(secret);
		}
	});

	it('logs an error and sends nothing when the credential holds no material', async () => {
		const { ctx } = await activate();
		bed.credentials.edit({ clientSecret: '' });
		await ctx.tick();
		expect(checkUrls()).toEqual([]);
		expect(bed.logs.filter((l) => l.level === 'error').at(-1)?.message).toMatch(
			/cannot sign the subscription check.*credential/,
		);
	});

	it('a check that arrives while activation is still saving writes nothing, so what create() stored survives', async () => {
		// n8n 2.41 starts the clock first; its first tick may come before create() has been saved.
		const { ctx } = await bed.runTrigger(trigger.trigger, hookInput());
		const check = signCheck(checkSecretOf());
		const early = bed.webhookFunctions({
			...hookInput(),
			mode: 'webhook',
			request: {
				headers: { [CHECK_HEADER]: check.header },
				rawBody: Buffer.from(check.body),
				body: JSON.parse(check.body),
			},
		});
		await trigger.webhook.call(early); // before create() has stored anything
		expect(await runHook('checkExists')).toBe(false);
		expect(await runHook('create')).toBe(true);
		const stored = structuredClone(state());
		early.save(); // n8n saves the request's copy of static data after webhook() returned
		expect(early.response).toMatchObject({
			statusCode: 409,
			body: { ok: false, code: 'unrecorded' },
		});
		expect(state()).toEqual(stored);
		const storedId = (stored.subscription as IDataObject).id;
		expect(liveAt().map((w) => w.id)).toEqual([storedId]);
		// The next scheduled check finds the subscription.
		await ctx.tick();
		expect(n8n.answers.at(-1)).toMatchObject({
			status: 200,
			body: { action: 'adopt', webhookId: storedId },
		});
	});

	it('static data lost while active: the first check writes nothing, the next subscribes again, removes the old subscription and emits ResyncRequired', async () => {
		const { ctx } = await activate();
		const oldId = String(rec().id);
		delete bed.db.staticData[`node:${NODE.name}`]; // what n8n's whole-object save of an older copy can do
		forgetMemory('workflow-1/wh-1'); // in another process, or after a restart: nothing of it in memory
		await ctx.tick();
		expect(n8n.answers.at(-1)).toMatchObject({ status: 409, body: { code: 'unrecorded' } });
		expect(bed.db.staticData).toEqual({});
		expect(liveAt().map((w) => w.id)).toEqual([oldId]);

		await ctx.tick();
		expect(n8n.answers.at(-1)).toMatchObject({
			status: 200,
			body: { ok: true, action: 'recover', destinationUrl: n8n.productionUrl },
		});
		const now = rec();
		expect(now).toMatchObject({ destination: n8n.productionUrl, collection: 'work-interruptions' });
		expect(now.id).not.toBe(oldId);
		expect(liveAt().map((w) => w.id)).toEqual([now.id]); // the old one, whose key was lost, is deleted
		expect(flat()).toEqual([
			expect.objectContaining({
				changeType: 'ResyncRequired',
				collectionName: 'work-interruptions',
				webhookId: now.id,
			}),
		]);
		expect(String(flat()[0].reason)).toMatch(/no subscription is recorded/);

		// Deliveries verify again, and the clock is back to quiet checks.
		sim.insert('work-interruptions', {});
		await sim.waitForDeliveries(1, { webhookId: String(now.id) });
		expect(n8n.executions).toHaveLength(2);
		await ctx.tick();
		expect(n8n.answers.at(-1)).toMatchObject({ status: 200, body: { action: 'adopt' } });
	});

	it('a check removes any other subscription at this trigger URL (one whose key is not stored)', async () => {
		const { ctx } = await activate();
		const kept = String(rec().id);
		const { webhook: orphan } = await createWebhook.call(bed.hookFunctions(hookInput()), {
			collectionName: 'work-interruptions',
			destinationUrl: n8n.productionUrl,
		});
		const elsewhere = await createWebhook.call(bed.hookFunctions(hookInput()), {
			collectionName: 'work-interruptions',
			destinationUrl: `${n8n.origin}/webhook/other/webhook`,
		});
		await ctx.tick();
		expect(n8n.answers.at(-1)).toMatchObject({
			status: 200,
			body: { action: 'adopt', webhookId: kept, problems: [] },
		});
		expect(liveAt().map((w) => w.id)).toEqual([kept]);
		expect(
			bed.logs.some(
				(l) => l.level === 'info' && l.message.includes(`deleted subscription ${orphan.id}`),
			),
		).toBe(true);
		expect(liveAt(`${n8n.origin}/webhook/other/webhook`).map((w) => w.id)).toEqual([
			elsewhere.webhook.id,
		]);
	});

	it("a check and an overdue delivery at the same moment renew once, and the stored key is the live subscription's", async () => {
		sim.assumptions.webhookValiditySeconds = 120;
		const { ctx } = await activate();
		const old = String(rec().id);
		const existing = new Set(sim.webhooks().map((w) => w.id));
		travelToDue();
		// Each request works on its own copy of static data, loaded before either renewal was saved.
		await Promise.all([ctx.tick(), postSigned(wi(5, 5)), postSigned(wi(6, 6))]);
		const live = liveAt().filter((w) => w.id !== old);
		expect(live).toHaveLength(1);
		expect(liveAt().map((w) => w.id)).toEqual([old, live[0].id]);
		// One renewal: a single subscription was created by the three requests.
		expect(
			sim
				.webhooks()
				.filter((w) => !existing.has(w.id))
				.map((w) => w.id),
		).toEqual([live[0].id]);
		expect(rec()).toMatchObject({ id: live[0].id, key: live[0].key });
		expect(
			flat()
				.map((j) => j.id)
				.sort(),
		).toEqual([5, 6]);
	});
});

describe('test listens (manual mode)', () => {
	it('emits, from trigger(), the items webhook() produced for the test delivery', async () => {
		await runHook('create', { test: true });
		sim.insert('work-interruptions', {});
		await sim.waitForDeliveries(1, { webhookId: String(rec(true).id) });
		expect(n8n.executions[0].mode).toBe('manual');
		const manual = bed.triggerFunctions({ ...hookInput({ test: true }), mode: 'manual' });
		const response = await trigger.trigger.call(manual);
		await response.manualTriggerFunction!();
		const emitted = (manual as unknown as { emitted: INodeExecutionData[][][] }).emitted;
		expect(emitted[0][0][0].json).toMatchObject({
			changeType: 'InsertOrUpdate',
			collectionName: 'work-interruptions',
		});
		await response.manualTriggerFunction!();
		expect(emitted[1][0][0].json.changeType).toBe('TestDeliveryUnavailable');
	});

	it('keeps the hand-off bounded', () => {
		for (let i = 0; i < 50; i++) putTestItems(handoffKey('w', `n${i}`), [[{ json: { i } }]]);
		expect(takeTestItems(handoffKey('w', 'n0'))).toBeUndefined();
		expect(takeTestItems(handoffKey('w', 'n49'))).toEqual([[{ json: { i: 49 } }]]);
		expect(takeTestItems(handoffKey('w', 'n49'))).toBeUndefined();
	});
});

describe('pure helpers', () => {
	it('refuses destinations Protime cannot reach', () => {
		expect(destinationProblem('https://n8n.example.com/webhook/x/webhook', false)).toBeUndefined();
		for (const url of [
			'http://n8n.example.com/w',
			'https://127.0.0.1/w',
			'https://10.1.2.3/w',
			'https://192.168.1.4/w',
			'https://box.local/w',
			'https://[::1]/w',
		]) {
			expect(destinationProblem(url, false)).toMatch(/N8N_WEBHOOK_URL/);
		}
		expect(destinationProblem('http://127.0.0.1:5678/w', true)).toBeUndefined();
		expect(destinationProblem(undefined, true)).toMatch(/N8N_WEBHOOK_URL/);
		expect(destinationProblem('not-a-url', true)).toMatch(/not an absolute URL/);
		// new URL() drops these silently; the raw text must never reach Protime.
		for (const url of [
			'https://n8n.example.com/webhook/abc\r\nX-Injected: 1/webhook',
			'https://n8n.exam\tple.com/w',
			'https://n8n.example.com/web hook/w',
		]) {
			expect(destinationProblem(url, false)).toMatch(/contains .*N8N_WEBHOOK_URL/s);
			expect(destinationProblem(url, true)).toMatch(/contains/);
		}
	});

	it('derives the check secret from the credential by mode, per workflow and node', () => {
		expect(
			secretMaterial({
				authentication: 'clientCredentials',
				clientSecret: 's3cret',
				accessToken: 'ignored',
			}),
		).toBe('s3cret');
		expect(
			secretMaterial({
				authentication: 'accessToken',
				clientSecret: 'ignored',
				accessToken: ' Bearer tok ',
			}),
		).toBe('tok');
		expect(
			secretMaterial({ authentication: 'clientCredentials', clientSecret: '' }),
		).toBeUndefined();
		expect(secretMaterial({ authentication: 'accessToken', accessToken: '' })).toBeUndefined();
		const node = { name: 'T', webhookId: 'w' } as INode;
		const expected = createHmac('sha256', 'm')
			.update('n8n-nodes-protime/check/v1/wf/w')
			.digest('hex');
		expect(deriveCheckSecret('m', 'wf', node)).toBe(expected);
		expect(deriveCheckSecret('m', 'wf2', node)).not.toBe(expected);
		expect(deriveCheckSecret('m', 'wf', { ...node, webhookId: 'v' })).not.toBe(expected);
	});

	it('caps the renewal margin at half the validity and ages the previous key out', () => {
		const createdAt = Date.parse('2026-03-01T00:00:00Z');
		const s = {
			id: 'w',
			createdAt,
			validUntil: '2026-03-01T00:10:00Z',
			key: 'new',
			previousKey: 'old',
			previousKeyUntil: createdAt + 1000,
			destination: 'u',
			collection: 'c',
			references: '',
		};
		expect(renewalMargin(s, 60 * 60_000)).toBe(5 * 60_000);
		expect(renewalMargin({ ...s, validUntil: 'not a date' }, 60_000)).toBe(60_000);
		expect(acceptedKeys(s, createdAt)).toEqual(['new', 'old']);
		expect(acceptedKeys(s, createdAt + 2000)).toEqual(['new']);
	});
});

/** Static data of a trigger that holds a healthy subscription signed with `key`. */
function storedSubscription(key: string): IDataObject {
	return {
		subscription: {
			id: 'wh-x',
			key,
			validUntil: new Date(Date.now() + 7 * 86_400_000).toISOString(),
			createdAt: Date.now(),
			destination: 'http://localhost:5678/webhook/wh-1/webhook',
			collection: 'work-interruptions',
			references: '',
		},
	};
}

/**
 * A webhook context built by hand, for the tests that must control exactly what n8n hands the node (its
 * observable static data, an unread body); the answer's status and body are recorded in `answer`.
 */
function bareWebhookContext(
	request: object,
	answer: { status?: number; body?: unknown },
	staticData: IDataObject,
	params: Record<string, unknown>,
): IWebhookFunctions {
	return {
		getRequestObject: () => request,
		getResponseObject: () => ({
			status: (s: number) => ((answer.status = s), { json: (b: unknown) => (answer.body = b) }),
		}),
		getWorkflowStaticData: () => staticData,
		getNodeParameter: (name: string, fallback?: unknown) => params[name] ?? fallback,
		getNode: () => ({ ...NODE, parameters: params }) as unknown as INode,
		getMode: () => 'webhook',
		getWorkflow: () => ({ id: 'wf-1' }),
		logger: {
			info: () => undefined,
			warn: () => undefined,
			error: () => undefined,
			debug: () => undefined,
		},
	} as unknown as IWebhookFunctions;
}

describe('static data writes per delivery', () => {
	it('writes the version filter only for fresh changes, and nothing for a duplicate or a rejected delivery', async () => {
		const key = randomBytes(32).toString('base64');
		const raw = storedSubscription(key);
		// n8n's own observable static data: any set or delete at any depth marks it changed, and n8n then saves
		// the whole static data to its database after the request.
		// Each request reads it afresh from the database, as n8n does.
		let db = JSON.stringify({ 'node:Protime Trigger': raw });
		let lastChanged = false;
		const changed = () => lastChanged;
		const params: Record<string, unknown> = {
			collectionName: 'work-interruptions',
			events: ['insertOrUpdate', 'delete'],
			externalReferences: {},
			options: { acknowledge: 'onReceipt' },
		};
		const deliver = async (body: IDataObject, signWith = key) => {
			const rawBody = Buffer.from(JSON.stringify(body));
			const answer: { status?: number } = {};
			const workflowStatic = ObservableObject.create(
				JSON.parse(db) as IDataObject,
			) as IDataObject & { __dataChanged: boolean };
			const staticData = workflowStatic['node:Protime Trigger'] as IDataObject;
			const request = {
				headers: {
					'x-protime-signature': createHmac('sha256', signWith).update(rawBody).digest('base64'),
				},
				rawBody,
				body: JSON.parse(rawBody.toString()),
			};
			const ctx = bareWebhookContext(request, answer, staticData, params);
			const result = await trigger.webhook.call(ctx);
			lastChanged = workflowStatic.__dataChanged;
			if (lastChanged) db = JSON.stringify(workflowStatic);
			return { status: answer.status, emitted: result.workflowData?.[0]?.length ?? 0 };
		};
		const change = {
			changeType: 'InsertOrUpdate',
			data: { id: 7, changeVersion: '0000000000000000000A', date: '2026-03-02' },
		};

		expect(await deliver(change)).toEqual({ status: 200, emitted: 1 });
		expect(changed()).toBe(true); // the first fresh change creates the store
		expect(await deliver(change)).toEqual({ status: 200, emitted: 0 }); // a retry of the same change
		expect(changed()).toBe(false);
		expect(await deliver(change, randomBytes(32).toString('base64'))).toEqual({
			status: 401,
			emitted: 0,
		});
		expect(changed()).toBe(false);
		expect(
			await deliver({ ...change, data: { ...change.data, changeVersion: '0000000000000000000B' } }),
		).toEqual({ status: 200, emitted: 1 });
		expect(changed()).toBe(true);
		expect(
			(JSON.parse(db)['node:Protime Trigger'].versions as { recent: IDataObject }).recent['7'],
		).toBe('0000000000000000000B');
	});
});

describe('node version 2: body n8n left unread', () => {
	it('reads the raw body itself (readRawBody), verifies it, then parses it; unsigned stays 401', async () => {
		const key = randomBytes(32).toString('base64');
		const staticData = storedSubscription(key);
		const params: Record<string, unknown> = {
			collectionName: 'work-interruptions',
			events: ['insertOrUpdate'],
			externalReferences: {},
			options: { acknowledge: 'onReceipt' },
		};
		const raw = Buffer.from(
			JSON.stringify({
				changeType: 'InsertOrUpdate',
				data: { id: 9, changeVersion: '0000000000000000000C' },
			}),
		);
		const send = async (signature: string) => {
			const answer: { status?: number; body?: unknown } = {};
			// As n8n 2.41 hands a version-2 node a request with a content type it does not parse: no body, no raw body yet.
			const req: IDataObject & { rawBody?: Buffer } = {
				headers: { 'content-type': 'application/octet-stream', 'x-protime-signature': signature },
			};
			req.readRawBody = async () => {
				req.rawBody = raw;
			};
			const ctx = bareWebhookContext(req, answer, staticData, params);
			const result = await trigger.webhook.call(ctx);
			return {
				status: answer.status,
				items: result.workflowData?.[0]?.map((i) => i.json.id) ?? [],
			};
		};
		expect(await send(createHmac('sha256', key).update(raw).digest('base64'))).toEqual({
			status: 200,
			items: [9],
		});
		expect(await send(createHmac('sha256', 'wrong').update(raw).digest('base64'))).toEqual({
			status: 401,
			items: [],
		});
	});
});
