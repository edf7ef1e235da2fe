/** Webhook management rules (docs/protime-reference.md §2, defaults §8). */
import type { AxiosInstance } from 'axios';

import type { ProtimeSimulator } from './index';
import { API_PATH } from './index';
import { apiClient, originClient, startSim } from './testkit';

let sim: ProtimeSimulator;
let api: AxiosInstance;
beforeEach(async () => {
	sim = await startSim({ assumptions: { allowHttpDestinations: false } });
	api = await apiClient(sim);
});
afterEach(async () => await sim.stop());

const create = async (
	collectionName = 'work-interruptions',
	query = '',
	destinationUrl = 'https://hooks.example.com/protime',
) => await api.post(`/webhooks${query}`, { destinationUrl, collectionName });

describe('create webhook', () => {
	it('create webhook: 201 with relative Location and key in body', async () => {
		const res = await create();
		expect(res.status).toBe(201);
		expect(res.headers.location).toBe(`${API_PATH}/webhooks/${res.data.id}`);
		expect(res.data).toEqual({
			id: expect.stringMatching(/^[0-9a-f-]{36}$/),
			key: expect.any(String),
			validUntil: expect.any(String),
			status: 'Enabled',
			destinationUrl: 'https://hooks.example.com/protime',
			collectionName: 'work-interruptions',
			externalReferences: {},
		});
		const location = await originClient(api, sim).get(res.headers.location as string);
		expect(location.data.id).toBe(res.data.id);
	});

	it('create webhook: the key is base64 of 32 random bytes, under a configurable property name', async () => {
		const first = await create();
		expect(Buffer.from(first.data.key, 'base64')).toHaveLength(32);
		expect((await create()).data.key).not.toBe(first.data.key);
		sim.assumptions.webhookKeyProperty = 'privateKey';
		const renamed = await create();
		expect(renamed.data.privateKey).toEqual(expect.any(String));
		expect(renamed.data.key).toBeUndefined();
	});

	it('create webhook: validUntil is ISO 8601 with offset, creation + the configured validity', async () => {
		sim.assumptions.webhookValiditySeconds = 3600;
		const before = Math.floor(Date.now() / 1000) * 1000;
		const res = await create();
		expect(res.data.validUntil).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
		const until = Date.parse(res.data.validUntil);
		expect(until - before).toBeGreaterThanOrEqual(3600_000);
		expect(until - before).toBeLessThanOrEqual(3600_000 + 2000);
	});

	it('create webhook: 400 for a relative or non-https destination URL', async () => {
		for (const url of ['/relative', 'not a url', 'http://hooks.example.com/x', '']) {
			const res = await create('clockings', '', url);
			expect(res.status).toBe(400);
			expect(res.data.error).toEqual({
				code: 'BadRequest',
				message: 'The request was invalid',
				reasons: [expect.stringContaining('destinationUrl')],
			});
		}
		sim.assumptions.allowHttpDestinations = true;
		expect((await create('clockings', '', 'http://hooks.example.com/x')).status).toBe(201);
	});

	it('create webhook: 400 for an unknown collection name', async () => {
		const res = await create('badges');
		expect(res.status).toBe(400);
		expect(res.data.error.reasons).toEqual(["Unknown collection name 'badges'"]);
	});

	it('create webhook: accepts all 18 collections', async () => {
		const { COLLECTIONS } = await import('./model');
		for (const c of COLLECTIONS) expect((await create(c.name)).status).toBe(201);
	});

	it('create webhook: ?externalReferences=(c,r)(c,r) is validated and reported on the resource', async () => {
		const ok = await create(
			'counter-definitions',
			'?externalReferences=(counter-definitions,@counter-code)(counter-groups,counterCode)',
		);
		expect(ok.status).toBe(201);
		expect(ok.data.externalReferences).toEqual({
			'counter-definitions': ['@counter-code'],
			'counter-groups': ['counterCode'],
		});

		const wrongCollection = await create(
			'work-interruptions',
			'?externalReferences=(terminals,@external-code)',
		);
		expect(wrongCollection.status).toBe(400);
		const wrongPredefined = await create(
			'work-interruptions',
			'?externalReferences=(people,@counter-code)',
		);
		expect(wrongPredefined.status).toBe(400);
		const malformed = await create(
			'work-interruptions',
			'?externalReferences=people,@employee-number',
		);
		expect(malformed.status).toBe(400);
		const noneOnGroups = await create(
			'counter-groups',
			'?externalReferences=(counter-groups,counterCode)',
		);
		expect(noneOnGroups.status).toBe(400);
	});

	it('create webhook: duplicates for one collection and destination are allowed (reject configurable)', async () => {
		expect((await create()).status).toBe(201);
		expect((await create()).status).toBe(201);
		sim.assumptions.duplicateWebhooks = 'reject';
		expect((await create()).status).toBe(400);
		expect((await create('clockings')).status).toBe(201);
	});

	it('create webhook: the resource externalReferences shape is configurable (map or list)', async () => {
		sim.assumptions.webhookExternalReferencesShape = 'list';
		const res = await create('work-interruptions', '?externalReferences=(people,@employee-number)');
		expect(res.data.externalReferences).toEqual([
			{ collection: 'people', reference: '@employee-number' },
		]);
	});
});

describe('list, get, delete', () => {
	it('list: {value:[…]} without keys', async () => {
		await create();
		const res = await api.get('/webhooks');
		expect(res.status).toBe(200);
		expect(res.data.value).toHaveLength(1);
		expect(res.data.value[0].key).toBeUndefined();
		expect(Object.keys(res.data.value[0]).sort()).toEqual([
			'collectionName',
			'destinationUrl',
			'externalReferences',
			'id',
			'status',
			'validUntil',
		]);
	});

	it("list: filter status eq '…' and collection-name eq '…' joined by and", async () => {
		const a = (await create('clockings')).data.id;
		const b = (await create('people')).data.id;
		sim.disableWebhook(b);
		const ids = async (filter: string) =>
			(await api.get('/webhooks', { params: { filter } })).data.value.map(
				(w: { id: string }) => w.id,
			);
		expect(await ids("status eq 'Disabled'")).toEqual([b]);
		expect(await ids("collection-name eq 'clockings'")).toEqual([a]);
		expect(await ids("status eq 'Enabled' and collection-name eq 'people'")).toEqual([]);
	});

	it('list: a malformed or unknown webhook filter is 400 with reasons', async () => {
		for (const filter of [
			"status eq 'Enabled",
			"colour eq 'red'",
			"status eq 'Sleeping'",
			"status eq 'Enabled' or status eq 'Disabled'",
		]) {
			const res = await api.get('/webhooks', { params: { filter } });
			expect(res.status).toBe(400);
			expect(res.data.error.reasons.length).toBeGreaterThan(0);
		}
	});

	it('get: the webhook object, 404 standard body for an unknown id', async () => {
		const id = (await create()).data.id;
		const res = await api.get(`/webhooks/${id}`);
		expect(res.data).toMatchObject({ id, status: 'Enabled', collectionName: 'work-interruptions' });
		expect(res.data.key).toBeUndefined();
		const missing = await api.get('/webhooks/00000000-0000-0000-0000-000000000000');
		expect(missing.status).toBe(404);
		expect(missing.data).toEqual({ error: { code: 'NotFound', message: expect.any(String) } });
	});

	it('delete: soft delete answers 204, hides the webhook from list and get, and marks it Disabled', async () => {
		const id = (await create()).data.id;
		const res = await api.delete(`/webhooks/${id}`);
		expect(res.status).toBe(204);
		expect((await api.get('/webhooks')).data.value).toEqual([]);
		expect((await api.get(`/webhooks/${id}`)).status).toBe(404);
		expect(sim.webhooks()[0]).toMatchObject({ id, deleted: true, status: 'Disabled' });
	});

	it('delete: deleted webhooks can be listed and read when configured; 200 configurable', async () => {
		sim.assumptions.listDeletedWebhooks = true;
		sim.assumptions.getDeletedWebhook = 'disabled';
		sim.assumptions.deleteStatus = 200;
		const id = (await create()).data.id;
		expect((await api.delete(`/webhooks/${id}`)).status).toBe(200);
		expect((await api.get('/webhooks')).data.value[0]).toMatchObject({ id, status: 'Disabled' });
		expect((await api.get(`/webhooks/${id}`)).data.status).toBe('Disabled');
	});

	it('delete: a repeated delete is 404 (configurable) and an unknown id is 404', async () => {
		const id = (await create()).data.id;
		await api.delete(`/webhooks/${id}`);
		expect((await api.delete(`/webhooks/${id}`)).status).toBe(404);
		sim.assumptions.repeatDeleteStatus = 'success';
		expect((await api.delete(`/webhooks/${id}`)).status).toBe(204);
		expect((await api.delete('/webhooks/nope')).status).toBe(404);
	});

	it('debug endpoint: GET /webhooks/{id}/events lists attempts, also after deletion', async () => {
		sim.assumptions.allowHttpDestinations = true;
		const id = (await create('work-interruptions', '', 'http://127.0.0.1:9/unreachable')).data.id;
		sim.assumptions.retryScheduleMs = [];
		const wi = sim.insert('work-interruptions', {});
		await sim.waitForDeliveries(1, { includeFailed: true });
		await api.delete(`/webhooks/${id}`);
		const res = await api.get(`/webhooks/${id}/events`);
		expect(res.status).toBe(200);
		expect(res.data).toEqual({
			value: [
				{
					eventId: expect.any(String),
					changeVersion: wi.changeVersion,
					attemptedAt: expect.any(String),
					statusCode: 0,
					success: false,
				},
			],
		});
		expect((await api.get('/webhooks/nope/events')).status).toBe(404);
	});

	it('webhook: the status becomes Disabled at validUntil', async () => {
		sim.assumptions.webhookValiditySeconds = 60;
		const id = (await create()).data.id;
		sim.advanceClock(59);
		expect((await api.get(`/webhooks/${id}`)).data.status).toBe('Enabled');
		sim.advanceClock(1);
		expect((await api.get(`/webhooks/${id}`)).data.status).toBe('Disabled');
	});
});
