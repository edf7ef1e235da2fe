/**
 * Batch Changes through the test bed (n8n 2.41's answering and static-data rules, test/support/context.ts):
 * deliveries kept and answered after the save, the clock's flush cron emitting them, and what survives a
 * process that dies (a fresh memory and clock on the same database).
 */
import { createHmac } from 'crypto';
import { sleep, type IDataObject, type INode } from 'n8n-workflow';

import { ProtimeTrigger } from '../../nodes/ProtimeTrigger/ProtimeTrigger.node';
import {
	CHECK_HEADER,
	deriveCheckSecret,
	signFlush,
} from '../../nodes/ProtimeTrigger/checkSignature';
import { Flusher, FLUSH_UNANSWERED_WARN_MS, forgetLane } from '../../nodes/ProtimeTrigger/clock';
import { forgetMemory, KEEPER_LEASE_MS, peekMemory } from '../../nodes/ProtimeTrigger/record';
import { ProtimeSimulator } from '../simulator';
import { ProtimeTestbed, type TriggerControls } from '../support/context';
import { FakeN8n } from '../support/fakeN8n';

const trigger = new ProtimeTrigger();
const NODE = {
	name: 'Protime Trigger',
	type: 'n8n-nodes-protime.protimeTrigger',
	webhookId: 'wh-b',
};
const IDENTITY = 'workflow-1/wh-b';
const CHECK_CRON = 0;
const FLUSH_CRON = 1;

let sim: ProtimeSimulator;
let bed: ProtimeTestbed;
let params: Record<string, unknown>;
let n8n: FakeN8n;

const batchParams = (options: IDataObject = {}): Record<string, unknown> => ({
	collectionName: 'work-interruptions',
	events: ['insertOrUpdate', 'delete'],
	externalReferences: {},
	options: { batchChanges: true, batchWindow: 5, batchMaxChanges: 100, ...options },
});

beforeAll(async () => {
	sim = await ProtimeSimulator.start({ assumptions: { allowHttpDestinations: true } });
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
	params = batchParams();
	forgetMemory(IDENTITY);
	forgetLane(IDENTITY);
	n8n.executions.length = 0;
	n8n.answers.length = 0;
	n8n.persists.length = 0;
	n8n.execution = undefined;
	travelTo(Date.parse('2026-06-01T08:00:00Z'));
});

afterEach(() => jest.useRealTimers());

/** The injectable clock: Date only (timers stay real), read alike by the node, the bed and the simulator. */
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
const later = (ms: number) => travelTo(Date.now() + ms);

const hookInput = (activationMode = 'activate') => ({
	parameters: params,
	node: NODE,
	webhookUrl: n8n.productionUrl,
	mode: 'trigger',
	activationMode,
	instanceBaseUrl: `${n8n.origin}/`,
});
/** Activation (n8n 2.x publication order); returns the clock's trigger context. */
async function activate(): Promise<TriggerControls> {
	const { ctx } = await bed.activate(trigger, hookInput());
	return ctx as unknown as TriggerControls;
}
/**
 * A hard kill and a start: this process's memory is gone, the database stays, a new clock starts, once the
 * dead process's keeper lease is over (`soon`: at once, inside it).
 */
async function restart(soon = false): Promise<TriggerControls> {
	forgetMemory(IDENTITY);
	forgetLane(IDENTITY);
	if (!soon) later(KEEPER_LEASE_MS);
	const { ctx } = await bed.activate(trigger, { ...hookInput('init'), order: 'webhooksFirst' });
	return ctx as unknown as TriggerControls;
}

const stored = () => bed.staticData(NODE.name) as IDataObject;
const key = () => String((stored().subscription as IDataObject).key);
const kept = () => {
	const batch = (stored().batch ?? {}) as {
		pending?: unknown[];
		inFlight?: { changes: unknown[] };
	};
	return (batch.pending?.length ?? 0) + (batch.inFlight?.changes.length ?? 0);
};
const cv = (n: number) => n.toString(16).toUpperCase().padStart(20, '0');
const wi = (id: number, version: number, changeType = 'InsertOrUpdate') => ({
	changeType,
	data: {
		changeVersion: cv(version),
		id,
		person: { id: 1001 },
		date: '2026-06-01',
		durationInMinutes: 30,
	},
});
async function deliver(body: unknown, signingKey = key()) {
	const raw = JSON.stringify(body);
	return await n8n.post(raw, {
		'x-protime-signature': createHmac('sha256', signingKey).update(raw).digest('base64'),
	});
}
const emitted = () =>
	n8n.executions.map((e) =>
		e.items.map(
			(i) =>
				`${String(i.json.changeType)}:${String(i.json.id)}@${Number.parseInt(String(i.json.changeVersion), 16)}`,
		),
	);

describe('Batch Changes', () => {
	it('answers each delivery once its changes are saved, then emits a burst as one execution in changeVersion order', async () => {
		const clock = await activate();
		for (const [id, version] of [
			[1, 12],
			[2, 11],
			[3, 10],
			[4, 13],
		]) {
			const answer = await deliver(wi(id, version));
			expect(answer.status).toBe(200);
			expect(answer.data).toMatchObject({ received: 1, kept: 1 });
		}
		await deliver(wi(2, 14, 'Delete'));
		expect(n8n.executions).toHaveLength(0);
		expect(kept()).toBe(5); // in the database before any execution
		await clock.tick(FLUSH_CRON); // the window has not passed
		expect(n8n.executions).toHaveLength(0);
		later(4_500); // within a tick of the window's end
		await clock.tick(FLUSH_CRON);
		expect(emitted()).toEqual([
			[
				'InsertOrUpdate:3@10',
				'InsertOrUpdate:2@11',
				'InsertOrUpdate:1@12',
				'InsertOrUpdate:4@13',
				'Delete:2@14',
			],
		]);
		later(1000);
		await clock.tick(FLUSH_CRON); // reports the success: the batch leaves static data
		expect(kept()).toBe(0);
		expect(n8n.executions).toHaveLength(1);
	});

	it('keeps every change of deliveries in flight at the same time (one live batch per process)', async () => {
		const clock = await activate();
		const answers = await Promise.all(
			Array.from({ length: 24 }, (_, i) => deliver(wi(100 + i, 1 + i))),
		);
		expect(answers.map((a) => a.status)).toEqual(Array(24).fill(200));
		expect(kept()).toBe(24);
		later(5_000);
		await clock.tick(FLUSH_CRON);
		expect(n8n.executions.map((e) => e.items.length)).toEqual([24]);
	});

	it('starts an execution as soon as Max Changes per Execution is reached, and drains a backlog in one tick', async () => {
		params = batchParams({ batchMaxChanges: 40 });
		const clock = await activate();
		await deliver(Array.from({ length: 90 }, (_, i) => wi(i + 1, i + 1)));
		await clock.tick(FLUSH_CRON);
		expect(n8n.executions.map((e) => e.items.length)).toEqual([40, 40]); // the last 10 wait for their window
		later(5_000);
		await clock.tick(FLUSH_CRON);
		expect(n8n.executions.map((e) => e.items.length)).toEqual([40, 40, 10]);
		expect(n8n.executions.flatMap((e) => e.items.map((i) => i.json.id))).toEqual(
			Array.from({ length: 90 }, (_, i) => i + 1),
		);
	});

	it('refuses a forged delivery with 401 and keeps nothing of it', async () => {
		await activate();
		const before = bed.db.staticDataSaves;
		const answer = await deliver(wi(7, 70), 'not-the-key');
		expect(answer.status).toBe(401);
		expect(bed.db.staticDataSaves).toBe(before);
		expect(kept()).toBe(0);
	});

	it('drops a resend of a kept change (it is saved), and older versions', async () => {
		await activate();
		await deliver(wi(5, 50));
		expect((await deliver(wi(5, 50))).data).toMatchObject({ kept: 0, dropped: 1 });
		expect((await deliver(wi(5, 49))).data).toMatchObject({ kept: 0, dropped: 1 });
		expect(kept()).toBe(1);
	});

	it('loses nothing when n8n dies inside the window: the next process emits what was acknowledged', async () => {
		await activate();
		await deliver(wi(1, 1));
		await deliver(wi(2, 2));
		const clock = await restart();
		later(5_000);
		await clock.tick(FLUSH_CRON);
		expect(emitted()).toEqual([['InsertOrUpdate:1@1', 'InsertOrUpdate:2@2']]);
	});

	it('a process started while the one that kept the batch may still live refuses (503) and saves nothing, then takes over', async () => {
		await activate();
		await deliver(wi(1, 1));
		const clock = await restart(true);
		expect((await deliver(wi(2, 2))).status).toBe(503);
		expect(kept()).toBe(1);
		later(5_000);
		await clock.tick(FLUSH_CRON);
		expect(n8n.answers.at(-1)?.status).toBe(503);
		expect(n8n.executions).toHaveLength(0);
		later(KEEPER_LEASE_MS);
		expect((await deliver(wi(2, 2))).status).toBe(200);
		later(5_000);
		await clock.tick(FLUSH_CRON); // saves that it keeps the batch, then emits it
		expect(emitted()).toEqual([['InsertOrUpdate:1@1', 'InsertOrUpdate:2@2']]);
	});

	it('emits a batch again when n8n died during its execution, then moves on', async () => {
		const first = await activate();
		await deliver([wi(1, 1), wi(2, 2)]);
		later(5_000);
		// A delivery saved while the batch runs puts the batch in flight into the database; then n8n dies.
		n8n.execution = async () => {
			await deliver(wi(3, 3));
			return 'crash' as const;
		};
		await first.tick(FLUSH_CRON);
		expect(n8n.executions).toHaveLength(1); // started, never answered
		expect(kept()).toBe(3);
		n8n.execution = undefined;
		const clock = await restart();
		await clock.tick(FLUSH_CRON);
		expect(emitted()[1]).toEqual(['InsertOrUpdate:1@1', 'InsertOrUpdate:2@2']); // alone: 3 waits for its window
		later(5_000);
		await clock.tick(FLUSH_CRON);
		expect(emitted()[2]).toEqual(['InsertOrUpdate:3@3']);
		later(1_000);
		await clock.tick(FLUSH_CRON);
		expect(kept()).toBe(0);
		expect(n8n.executions).toHaveLength(3);
	});

	it('emits again what a crash before any save left pending', async () => {
		const first = await activate();
		await deliver([wi(1, 1), wi(2, 2)]);
		later(5_000);
		n8n.execution = () => 'crash' as const;
		await first.tick(FLUSH_CRON);
		n8n.execution = undefined;
		const clock = await restart();
		await clock.tick(FLUSH_CRON);
		expect(emitted()).toEqual([
			['InsertOrUpdate:1@1', 'InsertOrUpdate:2@2'],
			['InsertOrUpdate:1@1', 'InsertOrUpdate:2@2'],
		]);
	});

	it('retries a failed execution with a growing pause, newer changes waiting behind it', async () => {
		const clock = await activate();
		await deliver(wi(1, 1));
		later(5_000);
		n8n.execution = () => {
			throw new Error('a node of the workflow failed');
		};
		await clock.tick(FLUSH_CRON);
		expect(n8n.answers.at(-1)?.status).toBe(500);
		await deliver(wi(2, 2));
		await clock.tick(FLUSH_CRON); // reports the failure: pauses 1 s
		expect(n8n.executions).toHaveLength(1);
		later(1_000);
		await clock.tick(FLUSH_CRON); // fails again: pauses 2 s
		expect(n8n.executions).toHaveLength(2);
		await clock.tick(FLUSH_CRON);
		later(1_000);
		await clock.tick(FLUSH_CRON);
		expect(n8n.executions).toHaveLength(2); // still pausing
		n8n.execution = undefined;
		later(1_500);
		await clock.tick(FLUSH_CRON);
		later(5_000);
		await clock.tick(FLUSH_CRON);
		expect(emitted().slice(2)).toEqual([['InsertOrUpdate:1@1'], ['InsertOrUpdate:2@2']]);
	});

	it('sets a batch aside after Max Failed Executions per Batch, announces it once, and goes on', async () => {
		params = batchParams({ batchMaxFailures: 2 });
		const clock = await activate();
		await deliver(wi(1, 1));
		later(5_000);
		// the workflow fails on record 1, whatever else the batch holds
		n8n.execution = (items) => {
			if (items[0].some((i) => i.json.id === 1)) throw new Error('a node of the workflow failed');
		};
		await clock.tick(FLUSH_CRON); // fails once
		await deliver(wi(2, 2));
		later(1_000);
		await clock.tick(FLUSH_CRON); // reports it, pauses 1 s
		later(1_000);
		await clock.tick(FLUSH_CRON); // fails twice
		expect(n8n.answers.filter((a) => a.status === 500)).toHaveLength(2);
		later(5_000);
		await clock.tick(FLUSH_CRON); // sets it aside, then emits record 2
		const [notice] = n8n.executions[2].items.map((i) => i.json);
		expect(notice).toMatchObject({
			changeType: 'ResyncRequired',
			reason: 'executionsFailed',
			setAside: [{ changeType: 'InsertOrUpdate', id: 1, changeVersion: cv(1) }],
		});
		expect(String(notice.message)).toContain('failed 2 times');
		expect(emitted().slice(3)).toEqual([['InsertOrUpdate:2@2']]);
		later(10_000);
		await clock.tick(FLUSH_CRON);
		await clock.tick(FLUSH_CRON);
		expect(kept()).toBe(0);
		expect(n8n.executions).toHaveLength(4); // the notice once, record 1 never again
	});

	it('a re-publish while a batch executes never runs it a second time beside it, nor after it', async () => {
		const first = await bed.activate(trigger, hookInput());
		await deliver([wi(1, 1), wi(2, 2)]);
		later(5_000);
		let started = 0;
		let release = () => {};
		const gate = new Promise<void>((resolve) => (release = resolve));
		n8n.execution = async () => {
			started++;
			await gate;
		};
		const running = first.ctx!.tick(FLUSH_CRON);
		while (started === 0) await sleep(10);
		// n8n closes the published version's trigger and starts the new one's, in this process
		await first.response?.closeFunction?.();
		const second = (await activate()) as TriggerControls;
		const secondTick = second.tick(FLUSH_CRON);
		await Promise.race([secondTick, sleep(300)]);
		expect(started).toBe(1);
		release();
		await Promise.all([running, secondTick]);
		later(1_000);
		await second.tick(FLUSH_CRON); // reports the first clock's success
		later(1_000);
		await second.tick(FLUSH_CRON);
		expect(started).toBe(1);
		expect(emitted()).toEqual([['InsertOrUpdate:1@1', 'InsertOrUpdate:2@2']]);
		expect(kept()).toBe(0);
	});

	it('answers 503 rather than keep more than 5,000 changes, so Protime sends them again later', async () => {
		await activate();
		const answer = await deliver(Array.from({ length: 5001 }, (_, i) => wi(i + 1, i + 1)));
		expect(answer.status).toBe(503);
		expect(kept()).toBe(0);
		expect((await deliver(wi(1, 1))).data).toMatchObject({ kept: 1 }); // versions of the refused ones were not recorded
	});

	it('still emits the kept changes after Batch Changes was switched off (through the check)', async () => {
		await activate();
		await deliver([wi(1, 1), wi(2, 2)]);
		params = { ...batchParams(), options: {} };
		const { ctx } = await bed.activate(trigger, hookInput());
		const clock = ctx as unknown as TriggerControls;
		expect(clock.crons).toHaveLength(1); // no flush cron
		await clock.tick(CHECK_CRON);
		expect(emitted()).toEqual([['InsertOrUpdate:1@1', 'InsertOrUpdate:2@2']]);
		expect((await deliver(wi(3, 3))).status).toBe(200); // and deliveries are executed one by one again
		expect(emitted()[1]).toEqual(['InsertOrUpdate:3@3']);
	});

	it('a clock that cannot see the batch (queue mode) asks once per window while nothing is kept, and a kept change still goes out within its window', async () => {
		const clock = await activate();
		/** One second, as on a main that does not serve the webhook: the clock sees no batch in memory. */
		const second = async () => {
			const memory = peekMemory(IDENTITY);
			if (memory) delete memory.batch; // the webhook side reloads it from static data
			later(1_000);
			await clock.tick(FLUSH_CRON);
		};
		const flushes = () =>
			n8n.answers.filter((a) => (a.body as IDataObject | undefined)?.code === 'nothingFlushed')
				.length;
		for (let i = 0; i < 20; i++) await second();
		expect(flushes()).toBe(4); // one per 5-second window, not 20
		await deliver(wi(1, 1));
		const keptAt = Date.now();
		while (n8n.executions.length === 0 && Date.now() - keptAt < 10_000) await second();
		expect(emitted()).toEqual([['InsertOrUpdate:1@1']]);
		expect(Date.now() - keptAt).toBeLessThanOrEqual(5_000); // the window
	});

	it('writes nothing to static data while nothing is kept (a flush every second must cost no save)', async () => {
		const clock = await activate();
		await deliver(wi(1, 1)); // this process now remembers the record
		later(5_000);
		await clock.tick(FLUSH_CRON); // emitted, succeeded, reported: nothing kept
		expect(kept()).toBe(0);
		const secret = deriveCheckSecret(
			sim.defaultClient.clientSecret,
			'workflow-1',
			NODE as unknown as INode,
		);
		const before = bed.db.staticDataSaves;
		// Sent as the clock of another process would (queue mode: it cannot see this memory).
		for (let i = 1; i <= 3; i++) {
			const flush = signFlush(secret, Date.now() + 1000 * i, `other-main-${i}`, undefined);
			const answer = await n8n.post(flush.body, { [CHECK_HEADER]: flush.header });
			expect(answer.data).toMatchObject({ code: 'nothingFlushed', kept: 0 });
		}
		expect(bed.db.staticDataSaves).toBe(before);
	});

	it('keeps acknowledged changes through a deactivation: the next activation emits them', async () => {
		await activate();
		await deliver([wi(1, 1), wi(2, 2)]);
		await bed.runHook(trigger.webhookMethods.default.delete, hookInput());
		expect(kept()).toBe(2);
		const clock = await activate();
		later(5_000);
		await clock.tick(FLUSH_CRON);
		// the gap while it was inactive is announced by a flush with nothing to emit, which n8n saves before
		// its execution (a flush answered after its execution is never saved, so the gap would come back), once
		for (let i = 0; i < 3; i++) {
			later(2_000);
			await clock.tick(FLUSH_CRON);
		}
		expect(emitted()).toEqual([
			['InsertOrUpdate:1@1', 'InsertOrUpdate:2@2'],
			['ResyncRequired:undefined@NaN'],
		]);
	});

	it('static data lost while active: the flushes between two checks do not stop the second check from recovering', async () => {
		const clock = await activate();
		const oldId = String(stored().subscription && (stored().subscription as IDataObject).id);
		delete bed.db.staticData[`node:${NODE.name}`];
		forgetMemory(IDENTITY);
		await clock.tick(CHECK_CRON);
		expect(n8n.answers.at(-1)).toMatchObject({ status: 409, body: { code: 'unrecorded' } });
		forgetMemory(IDENTITY); // the clock cannot see the memory of the process it flushes (queue mode)
		await clock.tick(FLUSH_CRON); // answered 200, nothing flushed
		expect(n8n.answers.at(-1)).toMatchObject({ status: 200, body: { code: 'nothingFlushed' } });
		await clock.tick(CHECK_CRON);
		expect(n8n.answers.at(-1)).toMatchObject({ status: 200, body: { action: 'recover' } });
		expect((stored().subscription as IDataObject).id).not.toBe(oldId);
	});

	it('a test listen emits its delivery at once (n8n waits for one event)', async () => {
		const raw = JSON.stringify(wi(9, 9));
		await bed.runHook(trigger.webhookMethods.default.create, {
			...hookInput('manual'),
			mode: 'manual',
			testStaticData: true,
			webhookUrl: n8n.testUrl,
		});
		const testKey = String((bed.staticData(NODE.name, true).subscription as IDataObject).key);
		const answer = await n8n.post(
			raw,
			{ 'x-protime-signature': createHmac('sha256', testKey).update(raw).digest('base64') },
			n8n.testUrl,
		);
		expect(answer.status).toBe(200);
		expect(n8n.executions).toEqual([expect.objectContaining({ mode: 'manual' })]);
	});

	it('warns once per flush, with the fix, when its answer is a minute late (queue mode can lose it)', () => {
		const flusher = new Flusher();
		expect(flusher.overdueToLog(10 * FLUSH_UNANSWERED_WARN_MS)).toBeUndefined(); // nothing sent
		flusher.sent(1_000);
		expect(flusher.overdueToLog(1_000 + FLUSH_UNANSWERED_WARN_MS - 1)).toBeUndefined();
		const warning = flusher.overdueToLog(1_000 + FLUSH_UNANSWERED_WARN_MS);
		expect(warning).toContain('60 s ago');
		expect(warning).toContain('N8N_EXECUTIONS_QUEUE_KEEP_LAST_COMPLETED');
		expect(flusher.overdueToLog(1_000 + 5 * FLUSH_UNANSWERED_WARN_MS)).toBeUndefined();
		flusher.answered();
		expect(flusher.overdueToLog(100 * FLUSH_UNANSWERED_WARN_MS)).toBeUndefined();
		flusher.sent(7_000);
		expect(flusher.overdueToLog(7_000 + FLUSH_UNANSWERED_WARN_MS)).toBeDefined();
	});

	it('says how to fix a batch window out of range', async () => {
		params = batchParams({ batchWindow: 0 });
		await expect(
			bed.runHook(trigger.webhookMethods.default.create, hookInput()),
		).rejects.toMatchObject({
			message: 'Batch Window (Seconds) must be a whole number from 1 to 300',
		});
	});
});
