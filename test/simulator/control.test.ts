/** The control API over HTTP (/_sim) used by the e2e harness, and the demo tenant. */
import axios from 'axios';
import { sleep } from 'n8n-workflow';

import { COLLECTIONS } from './model';
import { seedDemoTenant, startTraffic } from './demoTenant';
import type { ProtimeSimulator } from './index';
import { apiClient, startReceiver, startSim } from './testkit';

let sim: ProtimeSimulator;
beforeEach(async () => {
	sim = await startSim();
});
afterEach(async () => await sim.stop());

const control = () =>
	axios.create({ baseURL: `${sim.origin}/_sim`, validateStatus: () => true, proxy: false });

describe('control API over HTTP', () => {
	it('control: health names origin, tenant and the default client', async () => {
		const res = await control().get('/health');
		expect(res.data).toMatchObject({
			origin: sim.origin,
			tenant: 'acme',
			defaultClient: sim.defaultClient,
		});
	});

	it('control: records can be inserted, updated and deleted, raising signed deliveries', async () => {
		const receiver = await startReceiver();
		try {
			const api = await apiClient(sim);
			await api.post('/webhooks', {
				destinationUrl: receiver.url,
				collectionName: 'work-interruptions',
			});
			const inserted = await control().post('/records/work-interruptions', {
				durationInMinutes: 12,
			});
			expect(inserted.data.durationInMinutes).toBe(12);
			const updated = await control().patch(`/records/work-interruptions/${inserted.data.id}`, {
				durationInMinutes: 15,
			});
			expect(updated.data.changeVersion > inserted.data.changeVersion).toBe(true);
			expect(
				(await control().delete(`/records/work-interruptions/${inserted.data.id}`)).status,
			).toBe(204);
			const waited = await control().post('/deliveries/wait', { n: 3, timeoutMs: 3000 });
			expect(waited.data.value.map((d: { body: string }) => JSON.parse(d.body).changeType)).toEqual(
				['InsertOrUpdate', 'InsertOrUpdate', 'Delete'],
			);
			const webhooks = await control().get('/webhooks');
			expect(webhooks.data.value[0].key).toEqual(expect.any(String));
		} finally {
			await receiver.stop();
		}
	});

	it('control: redeliver resends a delivered newest version (duplicate) or an older one after a newer (out of order)', async () => {
		const receiver = await startReceiver();
		try {
			const api = await apiClient(sim);
			const hook = (
				await api.post('/webhooks', {
					destinationUrl: receiver.url,
					collectionName: 'work-interruptions',
				})
			).data;
			const a = (await control().post('/records/work-interruptions', { durationInMinutes: 12 }))
				.data;
			const a2 = (
				await control().patch(`/records/work-interruptions/${a.id}`, { durationInMinutes: 15 })
			).data;
			await control().post('/deliveries/wait', { n: 2, timeoutMs: 3000 });
			const dup = await control().post(`/webhooks/${hook.id}/redeliver`, {
				kind: 'duplicate',
				count: 5,
			});
			expect(dup.data.value).toEqual([{ id: a.id, changeVersion: a2.changeVersion }]);
			const older = await control().post(`/webhooks/${hook.id}/redeliver`, {
				kind: 'older',
				count: 1,
			});
			expect(older.data.value).toEqual([{ id: a.id, changeVersion: a.changeVersion }]);
			const all = await control().post('/deliveries/wait', { n: 4, timeoutMs: 3000 });
			expect(
				all.data.value.map((d: { body: string }) => JSON.parse(d.body).data.changeVersion),
			).toEqual([a.changeVersion, a2.changeVersion, a2.changeVersion, a.changeVersion]);
			expect((await control().get('/deliveries/summary')).data).toEqual({
				attempts: 4,
				succeeded: 4,
				retries: 0,
				pending: 0,
				dropped: 0,
			});
			expect(
				(await control().post(`/webhooks/${hook.id}/redeliver`, { kind: 'other' })).status,
			).toBe(400);
			// ids: older versions of those records whichever webhook delivered them, resent on this one
			const hook2 = (
				await api.post('/webhooks', {
					destinationUrl: receiver.url,
					collectionName: 'work-interruptions',
				})
			).data;
			const b = (await control().post('/records/work-interruptions', { durationInMinutes: 5 }))
				.data;
			await control().post('/deliveries/wait', { n: 6, timeoutMs: 3000 });
			const byId = await control().post(`/webhooks/${hook2.id}/redeliver`, {
				kind: 'older',
				count: 5,
				ids: [a.id, b.id],
			});
			expect(byId.data.value).toEqual([
				{ id: a.id, changeVersion: a.changeVersion },
				{ id: a.id, changeVersion: a.changeVersion },
			]);
			const resent = await control().post('/deliveries/wait', { n: 8, timeoutMs: 3000 });
			expect(
				resent.data.value
					.slice(-2)
					.map((d: { webhookId: string; body: string }) => [
						d.webhookId,
						JSON.parse(d.body).data.changeVersion,
					]),
			).toEqual([
				[hook2.id, a.changeVersion],
				[hook2.id, a.changeVersion],
			]);
		} finally {
			await receiver.stop();
		}
	});

	it('control: changes still queued when their webhook is deleted are listed as dropped', async () => {
		const receiver = await startReceiver();
		try {
			receiver.delay.ms = 300;
			const api = await apiClient(sim);
			const hook = (
				await api.post('/webhooks', {
					destinationUrl: receiver.url,
					collectionName: 'work-interruptions',
				})
			).data;
			const records = [];
			for (let i = 0; i < 3; i++)
				records.push(
					(await control().post('/records/work-interruptions', { durationInMinutes: 10 + i })).data,
				);
			expect((await api.delete(`/webhooks/${hook.id}`)).status).toBe(204);
			await sleep(500);
			const dropped = (await control().get('/deliveries/dropped')).data.value;
			expect(
				dropped.map((d: { changeVersion: string; reason: string }) => [d.changeVersion, d.reason]),
			).toEqual(records.slice(1).map((r) => [r.changeVersion, 'deleted']));
			expect((await control().get('/deliveries/summary')).data.dropped).toBe(2);
		} finally {
			await receiver.stop();
		}
	});

	it('control: seed, list records, external references, unknown collection 404', async () => {
		await control().post('/records/people/seed', { records: [{ id: 7, firstName: 'Ine' }] });
		await control().post('/external-references/people/7', { '@employee-number': 'E-7' });
		expect((await control().get('/records/people')).data.value[0]).toMatchObject({
			id: 7,
			firstName: 'Ine',
		});
		const api = await apiClient(sim);
		expect(
			(
				await api.get('/people/E-7', {
					params: { externalReferences: '(people,@employee-number)' },
				})
			).data.id,
		).toBe(7);
		expect((await control().post('/records/badges', {})).status).toBe(404);
	});

	it('control: faults, delays, token expiry, unreachable and stats over HTTP', async () => {
		const api = await apiClient(sim);
		await control().post('/faults', { status: 429, retryAfterSeconds: 1, path: '/\\/webhooks/' });
		const limited = await api.get('/webhooks');
		expect([limited.status, limited.headers['retry-after']]).toEqual([429, '1']);
		await control().post('/tokens/expire');
		expect((await api.get('/webhooks')).status).toBe(401);
		await control().post('/unreachable', { unreachable: true });
		await expect(api.get('/webhooks')).rejects.toBeDefined();
		await control().post('/unreachable', { unreachable: false });
		const stats = await control().get('/stats');
		expect(stats.data.tokenRequests).toBe(1);
		expect(stats.data.requestLog.at(-1).status).toBe(0);
		await control().post('/stats/reset');
		expect((await control().get('/stats')).data.apiRequests).toBe(0);
	});

	it('control: assumptions can be read and patched', async () => {
		const res = await control().patch('/assumptions', {
			webhookValiditySeconds: 5,
			signature: { encoding: 'hex' },
		});
		expect(res.data).toMatchObject({
			webhookValiditySeconds: 5,
			signature: { encoding: 'hex', header: 'X-Protime-Signature' },
		});
		expect(sim.assumptions.signature.encoding).toBe('hex');
	});

	it('control: webhooks can be expired and disabled', async () => {
		const api = await apiClient(sim);
		const a = (
			await api.post('/webhooks', {
				destinationUrl: 'https://example.com/a',
				collectionName: 'people',
			})
		).data.id;
		const b = (
			await api.post('/webhooks', {
				destinationUrl: 'https://example.com/b',
				collectionName: 'people',
			})
		).data.id;
		expect((await control().post(`/webhooks/${a}/expire`)).data).toMatchObject({
			status: 'Disabled',
			disabledReason: 'expired',
		});
		expect((await control().post(`/webhooks/${b}/disable`)).data).toMatchObject({
			status: 'Disabled',
			disabledReason: 'manual',
		});
		expect((await control().post('/webhooks/nope/disable')).status).toBe(400);
	});
});

describe('demo tenant', () => {
	it('demo: people carry employee and badge numbers; definitions carry codes; every collection has records', () => {
		seedDemoTenant(sim);
		expect(sim.records('people').length).toBeGreaterThanOrEqual(5);
		expect(sim.records('counter-definitions').map((c) => c.code)).toContain('OT150');
		expect(sim.records('shift-definitions').map((c) => c.code)).toContain('DAY');
		for (const c of COLLECTIONS) expect(sim.records(c.name).length).toBeGreaterThan(0);
		const people = new Set(sim.records('people').map((p) => p.id));
		expect(
			sim.records('work-interruptions').every((wi) => people.has((wi.person as { id: number }).id)),
		).toBe(true);
	});

	it('demo: traffic raises a steady stream of changes until stopped', async () => {
		seedDemoTenant(sim);
		const receiver = await startReceiver();
		try {
			const api = await apiClient(sim);
			await api.post('/webhooks', {
				destinationUrl: receiver.url,
				collectionName: 'work-interruptions',
			});
			const traffic = startTraffic(sim, { everyMs: 5 });
			await sim.waitForDeliveries(5, { timeoutMs: 5000 });
			traffic.stop();
			const { sleep } = await import('n8n-workflow');
			await sleep(50);
			const count = sim.deliveries().length + sim.pendingDeliveries();
			await sleep(50);
			expect(sim.deliveries().length + sim.pendingDeliveries()).toBe(count);
		} finally {
			await receiver.stop();
		}
	});
});
