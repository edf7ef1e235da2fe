/** Event delivery rules (docs/protime-reference.md §3, §4.1; open details per assumptions.ts / §8). */
import type { AxiosInstance } from 'axios';
import { createHmac } from 'crypto';

import type { ProtimeSimulator } from './index';
import { apiClient, startReceiver, startSim } from './testkit';

let sim: ProtimeSimulator;
let api: AxiosInstance;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeEach(async () => {
	sim = await startSim();
	api = await apiClient(sim);
	receiver = await startReceiver();
	sim.seed('people', [
		{ id: 1001, externalReferences: { '@employee-number': 'E-4821', '@badge-number': '6767676' } },
	]);
});
afterEach(async () => {
	await sim.stop();
	await receiver.stop();
});

async function subscribe(
	collectionName = 'work-interruptions',
	query = '',
): Promise<{ id: string; key: string }> {
	const res = await api.post(`/webhooks${query}`, { destinationUrl: receiver.url, collectionName });
	expect(res.status).toBe(201);
	return { id: res.data.id, key: res.data.key };
}

const json = (i: number) => JSON.parse(receiver.received[i].body.toString('utf8'));

describe('delivery', () => {
	it('delivery: each change is POSTed as one {changeType,data} with Content-Type application/json', async () => {
		await subscribe();
		const wi = sim.insert('work-interruptions', { person: { id: 1001 } });
		await sim.waitForDeliveries(1);
		expect(receiver.received[0].headers['content-type']).toBe('application/json');
		expect(json(0)).toEqual({ changeType: 'InsertOrUpdate', data: wi });
	});

	it('delivery: HMAC-SHA256 of the raw body under the key, base64, in X-Protime-Signature', async () => {
		const { key } = await subscribe();
		sim.insert('work-interruptions', {});
		await sim.waitForDeliveries(1);
		const { body, headers } = receiver.received[0];
		const expected = createHmac('sha256', Buffer.from(key, 'utf8')).update(body).digest('base64');
		expect(headers['x-protime-signature']).toBe(expected);
		expect(headers['x-protime-timestamp']).toBeUndefined();
	});

	it('delivery: signature header, hash, encoding, prefix and key handling are configurable', async () => {
		Object.assign(sim.assumptions.signature, {
			header: 'X-Signature',
			algorithm: 'sha512',
			encoding: 'hex',
			prefix: 'sha512=',
			keyEncoding: 'base64',
		});
		const { key } = await subscribe();
		sim.insert('work-interruptions', {});
		await sim.waitForDeliveries(1);
		const { body, headers } = receiver.received[0];
		const expected = createHmac('sha512', Buffer.from(key, 'base64')).update(body).digest('hex');
		expect(headers['x-signature']).toBe(`sha512=${expected}`);
		expect(headers['x-protime-signature']).toBeUndefined();
	});

	it('delivery: an optional timestamp header is signed as <timestamp>.<body> (off by default)', async () => {
		sim.assumptions.signature.timestampHeader = 'X-Protime-Timestamp';
		const { key } = await subscribe();
		sim.insert('work-interruptions', {});
		await sim.waitForDeliveries(1);
		const { body, headers } = receiver.received[0];
		const ts = headers['x-protime-timestamp'] as string;
		expect(ts).toMatch(/^\d{10}$/);
		const expected = createHmac('sha256', key).update(`${ts}.`).update(body).digest('base64');
		expect(headers['x-protime-signature']).toBe(expected);
	});

	it('delivery: the array and value envelopes batch queued events', async () => {
		sim.assumptions.envelope = 'value';
		await subscribe();
		receiver.statuses.push(500); // hold the first POST so the next events queue up behind it
		for (let i = 0; i < 3; i++) sim.insert('work-interruptions', {});
		await sim.waitForDeliveries(2);
		const bodies = receiver.received.map((r) => JSON.parse(r.body.toString('utf8')));
		expect(bodies[0]).toEqual({
			value: [expect.objectContaining({ changeType: 'InsertOrUpdate' })],
		});
		expect(bodies.at(-1).value.length).toBeGreaterThanOrEqual(1);
		const delivered = bodies.slice(1).flatMap((b) => b.value);
		expect(delivered).toHaveLength(3);

		sim.assumptions.envelope = 'array';
		sim.insert('work-interruptions', {});
		await sim.waitForDeliveries(3);
		expect(Array.isArray(JSON.parse(receiver.received.at(-1)!.body.toString('utf8')))).toBe(true);
	});

	it('delivery: a Delete carries only changeVersion and id', async () => {
		await subscribe();
		const wi = sim.seed('work-interruptions', [{}])[0];
		sim.remove('work-interruptions', wi.id);
		await sim.waitForDeliveries(1);
		const body = json(0);
		expect(body.changeType).toBe('Delete');
		expect(Object.keys(body.data).sort()).toEqual(['changeVersion', 'id']);
		expect(body.data.id).toBe(wi.id);
		expect(body.data.changeVersion > wi.changeVersion).toBe(true);
	});

	it('delivery: external references sit in the referenced sub-object, keyed by reference name', async () => {
		await subscribe(
			'work-interruptions',
			'?externalReferences=(people,@employee-number)(people,@badge-number)',
		);
		sim.insert('work-interruptions', { person: { id: 1001 } });
		await sim.waitForDeliveries(1);
		expect(json(0).data.person).toEqual({
			id: 1001,
			externalReferences: { '@employee-number': 'E-4821', '@badge-number': '6767676' },
		});
	});

	it("delivery: the record's own reference sits at its top level", async () => {
		await subscribe(
			'counter-definitions',
			'?externalReferences=(counter-definitions,@counter-code)(counter-groups,counterCode)',
		);
		sim.setExternalReferences('counter-groups', 3, { counterCode: 'GRP-OT' });
		sim.insert('counter-definitions', { code: 'OT175', counterGroup: { id: 3 } });
		await sim.waitForDeliveries(1);
		expect(json(0).data.externalReferences).toEqual({ '@counter-code': 'OT175' });
		expect(json(0).data.counterGroup).toEqual({
			id: 3,
			externalReferences: { counterCode: 'GRP-OT' },
		});
	});

	it('delivery: only subscribed collections are delivered, to every Enabled webhook', async () => {
		await subscribe('work-interruptions');
		await subscribe('work-interruptions');
		await subscribe('clockings');
		sim.insert('work-interruptions', {});
		sim.insert('counter-definitions', {});
		await sim.waitForDeliveries(2);
		expect(receiver.received.map((r) => JSON.parse(r.body.toString('utf8')).data.id)).toHaveLength(
			2,
		);
		expect(sim.pendingDeliveries()).toBe(0);
	});

	it('delivery: per-webhook order is the order of the changes, retries included', async () => {
		await subscribe();
		receiver.statuses.push(503, 503);
		const versions = [0, 1, 2, 3].map(() => sim.insert('work-interruptions', {}).changeVersion);
		await sim.waitForDeliveries(4);
		const delivered = receiver.received.map(
			(r) => JSON.parse(r.body.toString('utf8')).data.changeVersion,
		);
		expect(delivered).toEqual([versions[0], versions[0], versions[0], ...versions.slice(1)]);
	});

	it('delivery: with deliveryConcurrency N, up to N POSTs of one webhook are in flight at once (1 by default)', async () => {
		const inFlightAtOnce = async () => {
			receiver.received.length = 0;
			receiver.delay.ms = 150;
			for (let i = 0; i < 6; i++) sim.insert('work-interruptions', {});
			await waitFor(() => sim.pendingDeliveries() === 0);
			// arrivals within the answer delay of the first one overlapped it
			const first = receiver.received[0].at;
			return receiver.received.filter((r) => r.at - first < 100).length;
		};
		await subscribe();
		expect(await inFlightAtOnce()).toBe(1);
		sim.assumptions.deliveryConcurrency = 3;
		expect(await inFlightAtOnce()).toBe(3);
	});

	it('changeVersion: monotonically increasing 20-digit upper-case hex', () => {
		const versions = [
			sim.insert('work-interruptions', {}).changeVersion,
			sim.insert('counter-definitions', {}).changeVersion,
			sim.insert('work-interruptions', {}).changeVersion,
		];
		for (const v of versions) expect(v).toMatch(/^[0-9A-F]{20}$/);
		expect([...versions].sort()).toEqual(versions);
		expect(new Set(versions).size).toBe(3);
	});

	it('delivery: a non-2xx answer is retried on the configured schedule', async () => {
		const { id } = await subscribe();
		receiver.statuses.push(500, 404);
		sim.insert('work-interruptions', {});
		await sim.waitForDeliveries(1, { webhookId: id });
		expect(sim.deliveries(id).map((d) => [d.attempt, d.statusCode, d.success])).toEqual([
			[1, 500, false],
			[2, 404, false],
			[3, 200, true],
		]);
		const [a, b, c] = sim.deliveries(id).map((d) => d.attemptedAtMs);
		expect(b - a).toBeGreaterThanOrEqual(20);
		expect(c - b).toBeGreaterThanOrEqual(40);
	});

	it('delivery: a timeout counts as a failed attempt', async () => {
		sim.assumptions.deliveryTimeoutMs = 50;
		sim.assumptions.retryScheduleMs = [];
		receiver.delay.ms = 500;
		const { id } = await subscribe();
		sim.insert('work-interruptions', {});
		const [attempt] = await sim.waitForDeliveries(1, { webhookId: id, includeFailed: true });
		expect(attempt).toMatchObject({ success: false, statusCode: 0, error: 'ECONNABORTED' });
		await waitFor(() => sim.webhooks()[0].status === 'Disabled');
	});

	it('webhook becomes Disabled after retries are exhausted, and later changes are not delivered', async () => {
		const { id } = await subscribe();
		receiver.statuses.push(500, 500, 500);
		sim.insert('work-interruptions', {});
		sim.insert('work-interruptions', {});
		await sim.waitForDeliveries(3, { webhookId: id, includeFailed: true });
		await waitFor(() => sim.webhooks()[0].status === 'Disabled');
		expect(sim.webhooks()[0]).toMatchObject({
			status: 'Disabled',
			disabledReason: 'retriesExhausted',
		});
		expect((await api.get(`/webhooks/${id}`)).data.status).toBe('Disabled');
		sim.insert('work-interruptions', {});
		await waitFor(() => sim.pendingDeliveries() === 0);
		expect(receiver.received).toHaveLength(3);
	});

	it('webhook becomes Disabled at validUntil and stops delivering (validity configurable)', async () => {
		sim.assumptions.webhookValiditySeconds = 30;
		const { id } = await subscribe();
		sim.insert('work-interruptions', {});
		await sim.waitForDeliveries(1);
		sim.advanceClock(30);
		sim.insert('work-interruptions', {});
		expect(sim.webhooks()[0]).toMatchObject({ id, status: 'Disabled', disabledReason: 'expired' });
		expect(sim.pendingDeliveries()).toBe(0);
		expect(receiver.received).toHaveLength(1);
	});

	it('delivery: events raised while a webhook is disabled are lost for it, even for a new webhook', async () => {
		const first = await subscribe();
		sim.disableWebhook(first.id);
		sim.insert('work-interruptions', {});
		await subscribe();
		const after = sim.insert('work-interruptions', {});
		await sim.waitForDeliveries(1);
		await waitFor(() => sim.pendingDeliveries() === 0);
		expect(receiver.received.map((r) => JSON.parse(r.body.toString('utf8')).data.id)).toEqual([
			after.id,
		]);
	});

	it('delivery: a deleted webhook stops receiving events', async () => {
		const { id } = await subscribe();
		await api.delete(`/webhooks/${id}`);
		sim.insert('work-interruptions', {});
		await waitFor(() => sim.pendingDeliveries() === 0);
		expect(receiver.received).toHaveLength(0);
	});

	describe('queueOnStop: what a stopped webhook does with its queue', () => {
		/** Queues three changes behind a slow answer, then stops the webhook while the first is in flight. */
		async function stopWithQueue(stop: (id: string) => Promise<void> | void) {
			const { id } = await subscribe();
			receiver.delay.ms = 200;
			const versions = [0, 1, 2].map(() => sim.insert('work-interruptions', {}).changeVersion);
			await waitFor(() => receiver.received.length === 1);
			await stop(id);
			await waitFor(() => sim.pendingDeliveries() === 0);
			return {
				id,
				versions,
				delivered: receiver.received.map(
					(r) => JSON.parse(r.body.toString('utf8')).data.changeVersion,
				),
			};
		}
		const stops: Array<[string, (id: string) => Promise<void> | void]> = [
			['deleted', async (id) => void (await api.delete(`/webhooks/${id}`))],
			['disabled', (id) => void sim.disableWebhook(id)],
			['expired', (id) => void sim.expireWebhook(id)],
		];

		it.each(stops)(
			'dropped (default): a %s webhook delivers nothing more of its queue, and the drop is listed',
			async (_name, stop) => {
				expect(sim.assumptions.queueOnStop).toBe('dropped');
				const { id, versions, delivered } = await stopWithQueue(stop);
				expect(delivered).toEqual([versions[0]]);
				expect(
					sim
						.droppedChanges()
						.filter((d) => d.webhookId === id)
						.map((d) => d.changeVersion),
				).toEqual(versions.slice(1));
			},
		);

		it.each(stops)(
			'drained: a %s webhook still delivers its whole queue, one at a time with retries, and no new change',
			async (_name, stop) => {
				sim.assumptions.queueOnStop = 'drained';
				receiver.statuses.push(200, 503); // the second change is retried once
				const { id, versions, delivered } = await stopWithQueue(stop);
				expect(delivered).toEqual([versions[0], versions[1], versions[1], versions[2]]);
				expect(sim.droppedChanges().filter((d) => d.webhookId === id)).toEqual([]);
				sim.insert('work-interruptions', {});
				await waitFor(() => sim.pendingDeliveries() === 0);
				expect(receiver.received).toHaveLength(4);
			},
		);

		it('drained: a webhook disabled because its retries ran out still drops its queue', async () => {
			sim.assumptions.queueOnStop = 'drained';
			sim.assumptions.retryScheduleMs = [10];
			const { id } = await subscribe();
			receiver.statuses.push(500, 500);
			sim.insert('work-interruptions', {});
			sim.insert('work-interruptions', {});
			await waitFor(() => sim.webhooks()[0].status === 'Disabled');
			await waitFor(() => sim.pendingDeliveries() === 0);
			expect(receiver.received).toHaveLength(2);
			expect(sim.droppedChanges().filter((d) => d.webhookId === id)).toHaveLength(2);
		});
	});

	it('expireWebhook moves validUntil to now', async () => {
		const { id } = await subscribe();
		const info = sim.expireWebhook(id);
		expect(info.status).toBe('Disabled');
		expect(info.validUntilMs).toBeLessThanOrEqual(sim.now());
	});
});

async function waitFor(check: () => boolean, timeoutMs = 3000): Promise<void> {
	const { sleep } = await import('n8n-workflow');
	const deadline = Date.now() + timeoutMs;
	while (!check()) {
		if (Date.now() > deadline) throw new Error('condition not reached');
		await sleep(10);
	}
}
