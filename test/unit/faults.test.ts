/**
 * Injected faults, through the real node code (credential, transport, Protime node, Protime Trigger) against
 * the simulator: 429 with Retry-After, 500, 503, slow answers and timeouts, token expiry mid-run, Protime
 * unreachable (mid-run and during activation), the receiver down while changes happen, and a webhook
 * disabled behind the node's back. Each test shows recovery or a clear error, and that nothing is lost:
 * every record arrives exactly once, and every change raised during a fault is counted and arrives after it
 * (or, when Protime itself dropped it, is announced by a resync notice and returned by Get Many).
 */
import express from 'express';
import {
	sleep,
	type IDataObject,
	type INodeExecutionData,
	type IWebhookFunctions,
} from 'n8n-workflow';

import { getMany } from '../../nodes/Protime/actions/record/getMany';
import { recordResource } from '../../nodes/Protime/resources';
import { ProtimeTrigger } from '../../nodes/ProtimeTrigger/ProtimeTrigger.node';
import { REQUEST_LIMITS } from '../../nodes/shared/transport';
import { deleteWebhook } from '../../nodes/shared/webhooksApi';
import { ProtimeSimulator } from '../simulator';
import { ProtimeTestbed, type TriggerControls } from '../support/context';
import { JANUARY_INTERRUPTIONS } from './action-helpers';

const RECORDS = 240;
const PAGE = 20;
const IDS = Array.from({ length: RECORDS }, (_, n) => 50_000 + n);

let sim: ProtimeSimulator;
let bed: ProtimeTestbed;

function newBed(): ProtimeTestbed {
	return new ProtimeTestbed({
		simulatorOrigin: sim.origin,
		tenant: sim.tenant,
		clientId: sim.defaultClient.clientId,
		clientSecret: sim.defaultClient.clientSecret,
		node: TRIGGER_NODE,
	});
}

const TRIGGER_NODE = {
	name: 'Protime Trigger',
	type: 'n8n-nodes-protime.protimeTrigger',
	webhookId: 'wh-faults',
};

beforeAll(async () => {
	sim = await ProtimeSimulator.start({
		assumptions: {
			allowHttpDestinations: true,
			retryScheduleMs: [30, 60, 120, 240, 240, 240, 240, 240, 240, 240],
		},
	});
	sim.seed(
		'work-interruptions',
		IDS.map((id, n) => ({
			id,
			person: { id: 1001 },
			date: `2026-01-${String((n % 28) + 1).padStart(2, '0')}`,
		})) as never,
	);
});

afterAll(async () => await sim.stop());

beforeEach(() => {
	sim.clearFaults();
	sim.setUnreachable(false);
	sim.assumptions.pageSize = PAGE;
	sim.assumptions.emptyPagesBetween = 0;
	sim.resetStats();
	bed = newBed();
});

// ---------------------------------------------------------------------------------------------------------
// Get Many (Return All) with faults on some pages
// ---------------------------------------------------------------------------------------------------------

interface ReadResult {
	ids: number[];
	error?: Error & IDataObject;
}

/** Runs the node's Get Many; `onRecord(count)` runs after each record is emitted (to inject a fault mid-run). */
async function readAll(
	onRecord: (count: number) => void = () => undefined,
	b = bed,
): Promise<ReadResult> {
	const ids: number[] = [];
	const ctx = b.executeFunctions({ parameters: JANUARY_INTERRUPTIONS });
	try {
		await getMany.call(ctx, 0, recordResource('workInterruption')!, (json: IDataObject) => {
			ids.push(Number(json.id));
			onRecord(ids.length);
		});
		return { ids };
	} catch (error) {
		return { ids, error: error as Error & IDataObject };
	}
}

const statuses = () => sim.stats.requestLog.filter((r) => !r.token).map((r) => r.status);

function expectEveryRecordOnce(ids: number[]): void {
	expect(ids).toHaveLength(RECORDS);
	expect(new Set(ids).size).toBe(RECORDS);
	expect([...ids].sort((a, b) => a - b)).toEqual(IDS);
}

describe('Get Many over faulty pages', () => {
	it('429 with Retry-After on two pages mid-run: retried, every record exactly once', async () => {
		const result = await readAll((n) => {
			if (n === 3 * PAGE || n === 8 * PAGE)
				sim.injectFault({ status: 429, retryAfterSeconds: 1, times: 1, target: 'api' });
		});
		expect(result.error).toBeUndefined();
		expectEveryRecordOnce(result.ids);
		expect(statuses().filter((s) => s === 429)).toHaveLength(2);
		expect(statuses().filter((s) => s === 200)).toHaveLength(RECORDS / PAGE);
		expect(bed.logs.filter((l) => /answered 429/.test(l.message))).toHaveLength(2);
	});

	it('503 twice in a row on one page (maintenance): retried, every record exactly once', async () => {
		const result = await readAll((n) => {
			if (n === 5 * PAGE)
				sim.injectFault({ status: 503, retryAfterSeconds: 0, times: 2, target: 'api' });
		});
		expect(result.error).toBeUndefined();
		expectEveryRecordOnce(result.ids);
		expect(statuses().filter((s) => s === 503)).toHaveLength(2);
	});

	it('503 on the first page and on the token endpoint: retried, every record exactly once', async () => {
		sim.injectFault({ status: 503, retryAfterSeconds: 0, times: 1, target: 'api' });
		const result = await readAll();
		expect(result.error).toBeUndefined();
		expectEveryRecordOnce(result.ids);
	});

	it('500 mid-run: a clear error, no duplicate before it, and the rerun returns every record exactly once', async () => {
		const first = await readAll((n) => {
			if (n === 4 * PAGE) sim.injectFault({ status: 500, times: 1, target: 'api' });
		});
		expect(first.error).toBeDefined();
		expect(first.error!.message).toMatch(/500|unexpected|Protime/i);
		expect(String(first.error!.description ?? '')).not.toBe('');
		expect(new Set(first.ids).size).toBe(first.ids.length);
		expect(first.ids).toHaveLength(4 * PAGE);
		const again = await readAll();
		expect(again.error).toBeUndefined();
		expectEveryRecordOnce(again.ids);
	});

	it('slow answers (below the timeout) on several pages: every record exactly once', async () => {
		sim.injectDelay({ ms: 150, times: 4, target: 'api' });
		const result = await readAll();
		expect(result.error).toBeUndefined();
		expectEveryRecordOnce(result.ids);
	});

	it('an answer slower than the request timeout: a clear timeout error, then a complete rerun', async () => {
		const saved = REQUEST_LIMITS.timeoutMs;
		REQUEST_LIMITS.timeoutMs = 300;
		try {
			const first = await readAll((n) => {
				if (n === 2 * PAGE) sim.injectDelay({ ms: 1500, times: 1, target: 'api' });
			});
			expect(first.error).toBeDefined();
			expect(first.error!.message).toMatch(/did not answer within/);
			expect(first.ids).toHaveLength(2 * PAGE);
		} finally {
			REQUEST_LIMITS.timeoutMs = saved;
		}
		const again = await readAll();
		expect(again.error).toBeUndefined();
		expectEveryRecordOnce(again.ids);
	});

	it('token expiry mid-run: one new token, the run continues, every record exactly once', async () => {
		const result = await readAll((n) => {
			if (n === 6 * PAGE) sim.expireAllTokens();
		});
		expect(result.error).toBeUndefined();
		expectEveryRecordOnce(result.ids);
		expect(sim.stats.tokenRequests).toBe(2);
		expect(statuses().filter((s) => s === 401)).toHaveLength(1);
	});

	it('Protime unreachable mid-run: a clear error, then a complete rerun once it is back', async () => {
		const first = await readAll((n) => {
			if (n === 3 * PAGE) sim.setUnreachable(true);
		});
		expect(first.error).toBeDefined();
		expect(first.error!.message).toMatch(/Could not reach Protime/);
		expect(first.ids).toHaveLength(3 * PAGE);
		sim.setUnreachable(false);
		const again = await readAll();
		expect(again.error).toBeUndefined();
		expectEveryRecordOnce(again.ids);
	});
});

// ---------------------------------------------------------------------------------------------------------
// Protime Trigger
// ---------------------------------------------------------------------------------------------------------

const trigger = new ProtimeTrigger();
const hooks = trigger.webhookMethods.default;
const TRIGGER_PARAMS = {
	collectionName: 'work-interruptions',
	events: ['insertOrUpdate', 'delete'],
	externalReferences: {},
	options: {},
};

/** n8n's webhook endpoint for the trigger: raw body kept; answers 503 while `down` (n8n restarting). */
class Receiver {
	down = false;
	readonly emitted: IDataObject[] = [];
	readonly statuses: number[] = [];
	origin = '';
	private server?: ReturnType<express.Express['listen']>;

	async start(): Promise<void> {
		const app = express();
		app.use(express.raw({ type: () => true, limit: '50mb' }));
		app.post('/webhook/:id/webhook', async (req, res) => {
			if (this.down) {
				this.statuses.push(503);
				res.status(503).json({ message: 'n8n is restarting' });
				return;
			}
			const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
			const headers = Object.fromEntries(
				Object.entries(req.headers).map(([k, v]) => [
					k,
					Array.isArray(v) ? v.join(', ') : String(v),
				]),
			);
			const { result, response } = await bed.runWebhook(
				trigger.webhook as (this: IWebhookFunctions) => Promise<never>,
				{
					parameters: TRIGGER_PARAMS,
					node: TRIGGER_NODE,
					mode: 'webhook',
					webhookUrl: this.url,
					request: { headers, rawBody },
				},
			);
			this.statuses.push(response.statusCode);
			for (const item of (result.workflowData?.[0] ?? []) as INodeExecutionData[])
				this.emitted.push(item.json);
			res.status(response.statusCode).json(response.body ?? {});
		});
		await new Promise<void>((resolve) => {
			this.server = app.listen(0, '127.0.0.1', () => resolve());
		});
		this.origin = `http://127.0.0.1:${(this.server!.address() as { port: number }).port}`;
	}

	get url(): string {
		return `${this.origin}/webhook/${TRIGGER_NODE.webhookId}/webhook`;
	}

	async stop(): Promise<void> {
		await new Promise<void>((resolve) => {
			this.server?.close(() => resolve());
			this.server?.closeAllConnections();
		});
	}
}

describe('Protime Trigger under faults', () => {
	let receiver: Receiver;

	const hookInput = () => ({
		parameters: TRIGGER_PARAMS,
		node: TRIGGER_NODE,
		webhookUrl: receiver.url,
		mode: 'trigger',
		activationMode: 'activate',
	});

	/** What n8n does on activation: checkExists, create if needed, then trigger(). */
	async function activate(): Promise<TriggerControls> {
		if (!(await bed.runHook(hooks.checkExists, hookInput())))
			await bed.runHook(hooks.create, hookInput());
		const { ctx } = await bed.runTrigger(trigger.trigger, hookInput());
		return ctx;
	}

	const state = () => bed.staticData(TRIGGER_NODE.name);
	const live = () => sim.webhooks().filter((w) => !w.deleted && w.destinationUrl === receiver.url);
	const changes = () => receiver.emitted.filter((j) => j.changeType === 'InsertOrUpdate');

	async function waitUntil(what: string, done: () => boolean, timeoutMs = 10_000): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		while (!done()) {
			if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
			await sleep(20);
		}
	}

	beforeEach(async () => {
		receiver = new Receiver();
		await receiver.start();
	});

	afterEach(async () => {
		sim.clearFaults();
		sim.setUnreachable(false);
		const ctx = bed.hookFunctions(hookInput());
		for (const w of live()) await deleteWebhook.call(ctx, w.id);
		await receiver.stop();
	});

	it('Protime unreachable during activation: a clear error, nothing half-created; activation later works and no change is lost', async () => {
		sim.setUnreachable(true);
		let error: (Error & IDataObject) | undefined;
		try {
			await activate();
		} catch (e) {
			error = e as Error & IDataObject;
		}
		expect(error).toBeDefined();
		expect(error!.message).toMatch(/Could not reach Protime|could not|reach/i);
		expect(`${error!.message} ${String(error!.description ?? '')}`).not.toMatch(/secret|Bearer/i);
		expect((state().subscription as IDataObject | undefined)?.id).toBeUndefined();
		expect(live()).toEqual([]);

		sim.setUnreachable(false);
		await activate();
		expect(live()).toHaveLength(1);
		const raised = [1, 2, 3, 4, 5].map(() =>
			sim.insert('work-interruptions', { person: { id: 1001 } } as never),
		);
		await waitUntil('5 changes', () => changes().length >= 5);
		expect(changes().map((j) => j.changeVersion)).toEqual(raised.map((r) => r.changeVersion));
	});

	it('429 with Retry-After and 503 while creating the subscription: retried, one subscription', async () => {
		sim.injectFault({
			status: 429,
			retryAfterSeconds: 1,
			times: 1,
			path: '/webhooks',
			target: 'api',
		});
		sim.injectFault({
			status: 503,
			retryAfterSeconds: 0,
			times: 1,
			path: '/webhooks',
			target: 'api',
		});
		await activate();
		expect(live()).toHaveLength(1);
		expect((state().subscription as IDataObject | undefined)?.id).toBe(live()[0].id);
		const codes = sim.stats.requestLog
			.filter((r) => r.path.includes('/webhooks'))
			.map((r) => r.status);
		expect(codes).toContain(429);
		expect(codes).toContain(503);
	});

	it('receiver down while changes happen: every change raised during the outage arrives once after it', async () => {
		await activate();
		receiver.down = true;
		const raised = Array.from({ length: 8 }, (_, n) =>
			sim.insert('work-interruptions', { person: { id: 1001 + (n % 2) } } as never),
		);
		await waitUntil(
			'failed attempts during the outage',
			() => receiver.statuses.filter((s) => s === 503).length >= 2,
		);
		expect(changes()).toEqual([]);
		receiver.down = false;
		await waitUntil('all 8 changes', () => changes().length >= raised.length);
		await sim.waitForDeliveries(raised.length, { timeoutMs: 5000 });
		expect(changes().map((j) => j.changeVersion)).toEqual(raised.map((r) => r.changeVersion));
		expect(live().map((w) => w.status)).toEqual(['Enabled']);
	});

	it('webhook disabled behind the node’s back: the next check recreates it, announces a resync, and Get Many returns what was missed', async () => {
		const ctx = await activate();
		const inJanuary = { person: { id: 1001 }, date: '2026-01-15' } as never;
		const before = [1, 2, 3].map(() => sim.insert('work-interruptions', inJanuary));
		await waitUntil('3 changes', () => changes().length >= 3);
		const oldId = String((state().subscription as IDataObject | undefined)?.id);
		sim.disableWebhook(oldId);
		// Raised while disabled: Protime does not deliver these (and drops them), so they are counted here.
		const missed = [1, 2, 3, 4].map(() => sim.insert('work-interruptions', inJanuary));
		await ctx.tick();
		const resync = receiver.emitted.filter((j) => j.changeType === 'ResyncRequired');
		expect(resync).toHaveLength(1);
		expect(resync[0]).toMatchObject({
			previousWebhookId: oldId,
			webhookId: (state().subscription as IDataObject | undefined)?.id,
		});
		expect(String(resync[0].message)).toMatch(/Get Many/);
		expect(live().filter((w) => w.status === 'Enabled')).toHaveLength(1);
		expect((state().subscription as IDataObject | undefined)?.id).not.toBe(oldId);

		// The resync the notice asks for: Get Many returns every record, the missed ones included.
		const all = await readAll();
		expect(all.error).toBeUndefined();
		const got = new Set(all.ids);
		for (const r of [...before, ...missed]) expect(got.has(Number(r.id))).toBe(true);
		// And changes after the recovery are delivered again, through the new subscription.
		const after = [1, 2].map(() =>
			sim.insert('work-interruptions', { person: { id: 1001 } } as never),
		);
		await waitUntil('2 changes after recovery', () => changes().length >= 5);
		expect(changes().map((j) => j.changeVersion)).toEqual(
			[...before, ...after].map((r) => r.changeVersion),
		);
	});

	it('Protime failing (500) during a renewal check: answered 502 and logged; the next check recovers', async () => {
		const ctx = await activate();
		const oldId = String((state().subscription as IDataObject | undefined)?.id);
		sim.disableWebhook(oldId);
		sim.injectFault({ status: 500, times: 1, path: '/webhooks', target: 'api' });
		await ctx.tick();
		expect(receiver.statuses.at(-1)).toBe(502);
		expect(
			bed.logs.some(
				(l) => l.level === 'error' && /check failed|retried at the next check/.test(l.message),
			),
		).toBe(true);
		expect(receiver.emitted).toEqual([]);
		await ctx.tick();
		expect(receiver.statuses.at(-1)).toBe(200);
		expect(receiver.emitted.map((j) => j.changeType)).toEqual(['ResyncRequired']);
		expect(live().filter((w) => w.status === 'Enabled')).toHaveLength(1);
		const raised = sim.insert('work-interruptions', { person: { id: 1001 } } as never);
		await waitUntil('1 change after recovery', () => changes().length >= 1);
		expect(changes().map((j) => j.changeVersion)).toEqual([raised.changeVersion]);
	});
});
