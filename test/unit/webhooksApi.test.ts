/** Webhook management through the transport, against the simulator (and one stub for answer shapes it never sends). */
import express from 'express';

import {
	createWebhook,
	deleteWebhook,
	findWebhookKey,
	getWebhook,
	listWebhooks,
} from '../../nodes/shared/webhooksApi';
import { failure } from '../support/failure';
import { createProtimeTestbed, type ProtimeTestbed } from '../support/context';
import { ProtimeSimulator } from '../simulator';

const DESTINATION = 'https://n8n.example.com/webhook/abc/webhook';

describe('against the simulator', () => {
	let sim: ProtimeSimulator;
	let bed: ProtimeTestbed;
	beforeEach(async () => {
		sim = await ProtimeSimulator.start();
		bed = createProtimeTestbed({
			simulatorOrigin: sim.origin,
			tenant: sim.tenant,
			clientId: sim.defaultClient.clientId,
			clientSecret: sim.defaultClient.clientSecret,
		});
	});
	afterEach(async () => await sim.stop());

	it('createWebhook returns the webhook and its one-time key', async () => {
		const { webhook, key } = await createWebhook.call(bed.hookFunctions(), {
			collectionName: 'clockings',
			destinationUrl: DESTINATION,
		});
		const [stored] = sim.webhooks();
		expect(key).toBe(stored.key);
		expect(webhook).toEqual({
			id: stored.id,
			validUntil: stored.validUntil,
			status: 'Enabled',
			destinationUrl: DESTINATION,
			collectionName: 'clockings',
			externalReferences: expect.anything(),
		});
	});

	it('sends external references as ?externalReferences= on the create call', async () => {
		await createWebhook.call(bed.hookFunctions(), {
			collectionName: 'work-interruptions',
			destinationUrl: DESTINATION,
			externalReferences: [{ collection: 'people', reference: '@employee-number' }],
		});
		expect(sim.webhooks()[0].externalReferences).toEqual([
			{ collection: 'people', reference: '@employee-number' },
		]);
		const create = sim.stats.requestLog.find((r) => r.method === 'POST' && !r.token);
		expect(decodeURIComponent(create?.path ?? '')).toContain(
			'externalReferences=(people,@employee-number)',
		);
	});

	it('refuses invalid external references before calling Protime', async () => {
		const error = await failure(
			async () =>
				await createWebhook.call(bed.hookFunctions(), {
					collectionName: 'work-interruptions',
					destinationUrl: DESTINATION,
					externalReferences: [{ collection: 'people', reference: '@badge' }],
				}),
		);
		expect(error.message).toContain('"@badge" is not a predefined reference of people');
		expect(sim.stats.apiRequests).toBe(0);
	});

	it.each(['privateKey', 'webhookKey', 'secret', 'hmacKey', 'SigningSecret', 'webhook_key'])(
		'finds the key under %p',
		async (property) => {
			sim.assumptions.webhookKeyProperty = property;
			const { key } = await createWebhook.call(bed.hookFunctions(), {
				collectionName: 'people',
				destinationUrl: DESTINATION,
			});
			expect(key).toBe(sim.webhooks()[0].key);
		},
	);

	it('no key in the answer: NodeApiError listing property names, never values', async () => {
		sim.assumptions.webhookKeyProperty = 'token';
		const error = await failure(
			async () =>
				await createWebhook.call(bed.hookFunctions(), {
					collectionName: 'people',
					destinationUrl: DESTINATION,
				}),
		);
		expect(error.name).toBe('NodeApiError');
		expect(error.message).toBe('Protime created the webhook but its answer holds no private key');
		expect(error.description).toMatch(/properties: id, token, validUntil, status/);
		expect(error.description).toContain(sim.webhooks()[0].id);
		expect(JSON.stringify(error)).not.toContain(sim.webhooks()[0].key);
	});

	it('a Protime 400 (bad destination) comes back with its reason', async () => {
		const error = await failure(
			async () =>
				await createWebhook.call(bed.hookFunctions(), {
					collectionName: 'people',
					destinationUrl: 'http://insecure.example/x',
				}),
		);
		expect(error.httpCode).toBe('400');
		expect(error.description).toMatch(/Reasons: .*https/i);
	});

	it('lists with status and collection filters, gets, deletes (soft), and reports notFound', async () => {
		const a = (
			await createWebhook.call(bed.hookFunctions(), {
				collectionName: 'clockings',
				destinationUrl: DESTINATION,
			})
		).webhook;
		const b = (
			await createWebhook.call(bed.hookFunctions(), {
				collectionName: 'people',
				destinationUrl: DESTINATION,
			})
		).webhook;
		sim.disableWebhook(b.id);
		const fns = bed.executeFunctions();
		expect((await listWebhooks.call(fns)).map((w) => w.id).sort()).toEqual([a.id, b.id].sort());
		expect(
			(await listWebhooks.call(fns, { collectionName: 'clockings' })).map((w) => w.id),
		).toEqual([a.id]);
		expect((await listWebhooks.call(fns, { status: 'Disabled' })).map((w) => w.id)).toEqual([b.id]);
		expect(await listWebhooks.call(fns, { status: 'Enabled', collectionName: 'people' })).toEqual(
			[],
		);
		expect(
			sim.stats.requestLog.some((r) =>
				decodeURIComponent(r.path.replace(/\+/g, ' ')).includes(
					"status eq 'Enabled' and collection-name eq 'people'",
				),
			),
		).toBe(true);

		expect(await getWebhook.call(fns, a.id)).toMatchObject({
			id: a.id,
			status: 'Enabled',
			collectionName: 'clockings',
		});
		expect(await deleteWebhook.call(fns, a.id)).toBe('deleted');
		expect(sim.webhooks().find((w) => w.id === a.id)?.deleted).toBe(true);
		expect(await getWebhook.call(fns, a.id)).toBeUndefined();
		expect(await deleteWebhook.call(fns, a.id)).toBe('notFound');
		expect(await getWebhook.call(fns, '00000000-0000-0000-0000-000000000000')).toBeUndefined();
	});

	it('rejects ids and filters that would change the request', async () => {
		const fns = bed.executeFunctions();
		expect((await failure(async () => await getWebhook.call(fns, '../people'))).message).toBe(
			'"../people" is not a valid webhook ID',
		);
		expect((await failure(async () => await deleteWebhook.call(fns, ''))).message).toBe(
			'"" is not a valid webhook ID',
		);
		expect(
			(await failure(async () => await listWebhooks.call(fns, { collectionName: "x' or 1 eq 1" })))
				.message,
		).toContain('Unknown collection');
		expect(
			(await failure(async () => await listWebhooks.call(fns, { status: 'Gone' }))).message,
		).toBe('Unknown webhook status "Gone"');
		expect(sim.stats.apiRequests).toBe(0);
	});

	it('other errors are not mistaken for notFound', async () => {
		sim.injectFault({ status: 500, path: '/webhooks/' });
		const error = await failure(
			async () => await deleteWebhook.call(bed.executeFunctions(), 'abc'),
		);
		expect(error.httpCode).toBe('500');
	});
});

describe('answer shapes the simulator does not produce (test-only stub server)', () => {
	// STUB: 201 without `id`, the key nested under `webhook`, a relative Location, and no validUntil, so the
	// webhook is read back once by id.
	let origin: string;
	let close: () => Promise<void>;
	const hits: string[] = [];
	beforeAll(async () => {
		const app = express();
		app.use(express.json());
		app.post(
			'/tenants/acme/connect/token',
			(_req, res) => void res.json({ access_token: 'stub-token', expires_in: 1800 }),
		);
		app.post('/connector/protimeapi/api/v1/webhooks', (req, res) => {
			hits.push(`POST ${req.originalUrl}`);
			res
				.status(201)
				.location('/connector/protimeapi/api/v1/webhooks/wh-42')
				.json({ webhook: { key: 'nested-key', status: 'Enabled' } });
		});
		app.get('/connector/protimeapi/api/v1/webhooks/:id', (req, res) => {
			hits.push(`GET ${req.originalUrl}`);
			res.json({
				id: req.params.id,
				validUntil: '2026-04-01T12:00:00+02:00',
				status: 'Enabled',
				destinationUrl: DESTINATION,
				collectionName: 'people',
			});
		});
		const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
			const s = app.listen(0, '127.0.0.1', () => resolve(s));
		});
		const address = server.address();
		origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
		close = async () => await new Promise<void>((resolve) => server.close(() => resolve()));
	});
	afterAll(async () => await close());

	it('takes the id from a relative Location and fills validUntil by reading the webhook', async () => {
		const bed = createProtimeTestbed({
			simulatorOrigin: origin,
			tenant: 'acme',
			clientId: 'c',
			clientSecret: 's',
		});
		const { webhook, key } = await createWebhook.call(bed.hookFunctions(), {
			collectionName: 'people',
			destinationUrl: DESTINATION,
		});
		expect(key).toBe('nested-key');
		expect(webhook).toMatchObject({
			id: 'wh-42',
			validUntil: '2026-04-01T12:00:00+02:00',
			collectionName: 'people',
		});
		expect(hits).toEqual([
			'POST /connector/protimeapi/api/v1/webhooks',
			'GET /connector/protimeapi/api/v1/webhooks/wh-42',
		]);
	});
});

describe('findWebhookKey', () => {
	it('prefers known names, looks into nested objects, and matches key/secret case-insensitively', () => {
		expect(findWebhookKey({ id: 'x', key: 'k1', secret: 's' })).toBe('k1');
		expect(findWebhookKey({ webhook: { privateKey: 'k2' } })).toBe('k2');
		expect(findWebhookKey({ data: { attributes: { HMAC_SECRET: 'k3' } } })).toBe('k3');
		expect(findWebhookKey({ WebhookKEY: 'k4' })).toBe('k4');
		expect(findWebhookKey({ key: '', other: 1 })).toBeUndefined();
		expect(findWebhookKey({ key: 42 })).toBeUndefined();
		expect(findWebhookKey(null)).toBeUndefined();
		expect(findWebhookKey('key')).toBeUndefined();
	});
});
