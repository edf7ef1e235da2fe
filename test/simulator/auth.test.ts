/** Authentication rules (docs/protime-reference.md §1) and the API's header and scope checks (§1.5, §6.2, §8). */
import axios from 'axios';

import { ALL_SCOPES, WEBHOOK_READ_SCOPE, WEBHOOK_WRITE_SCOPE } from './model';
import type { ProtimeSimulator } from './index';
import { apiClient, requestToken, startSim, UA } from './testkit';

let sim: ProtimeSimulator;
beforeEach(async () => {
	sim = await startSim({
		clients: [
			{
				clientId: 'narrow',
				clientSecret: 'narrow-secret',
				scopes: [WEBHOOK_READ_SCOPE, 'connector-protimeapi-clockings.read'],
			},
		],
	});
});
afterEach(async () => await sim.stop());

describe('token endpoint', () => {
	it('token: client credentials in the form body give a Bearer token with the granted scopes', async () => {
		const res = await requestToken(sim, { scope: `${WEBHOOK_READ_SCOPE} ${WEBHOOK_WRITE_SCOPE}` });
		expect(res.status).toBe(200);
		expect(res.data).toEqual({
			access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
			expires_in: 1800,
			token_type: 'Bearer',
			scope: `${WEBHOOK_READ_SCOPE} ${WEBHOOK_WRITE_SCOPE}`,
		});
	});

	it('token: expires_in is 1800 by default and configurable', async () => {
		expect((await requestToken(sim)).data.expires_in).toBe(1800);
		sim.assumptions.tokenLifetimeSeconds = 60;
		expect((await requestToken(sim)).data.expires_in).toBe(60);
	});

	it('token: a wrong secret or unknown client is 400 invalid_client', async () => {
		expect((await requestToken(sim, { client_secret: 'wrong' })).status).toBe(400);
		expect((await requestToken(sim, { client_secret: 'wrong' })).data).toEqual({
			error: 'invalid_client',
		});
		expect((await requestToken(sim, { client_id: 'nobody' })).data).toEqual({
			error: 'invalid_client',
		});
	});

	it('token: a grant type other than client_credentials is 400 unsupported_grant_type', async () => {
		const res = await requestToken(sim, { grant_type: 'password' });
		expect(res.status).toBe(400);
		expect(res.data).toEqual({ error: 'unsupported_grant_type' });
	});

	it('token: a missing grant_type or a JSON body is 400 invalid_request', async () => {
		expect((await requestToken(sim, { grant_type: undefined })).data).toEqual({
			error: 'invalid_request',
		});
		const json = await axios.post(
			sim.tokenUrl,
			{ grant_type: 'client_credentials' },
			{ validateStatus: () => true, proxy: false },
		);
		expect(json.status).toBe(400);
		expect(json.data).toEqual({ error: 'invalid_request' });
	});

	it('token: a scope the client is not allowed is 400 invalid_scope (or dropped, configurable)', async () => {
		const asked = {
			client_id: 'narrow',
			client_secret: 'narrow-secret',
			scope: `${WEBHOOK_READ_SCOPE} ${WEBHOOK_WRITE_SCOPE}`,
		};
		const rejected = await requestToken(sim, asked);
		expect(rejected.status).toBe(400);
		expect(rejected.data).toEqual({ error: 'invalid_scope' });
		sim.assumptions.disallowedScope = 'drop';
		const dropped = await requestToken(sim, asked);
		expect(dropped.status).toBe(200);
		expect(dropped.data.scope).toBe(WEBHOOK_READ_SCOPE);
	});

	it('token: without a scope field every allowed scope is granted', async () => {
		const res = await requestToken(sim, { scope: undefined });
		expect(res.data.scope.split(' ').sort()).toEqual([...ALL_SCOPES].sort());
	});

	it('token: an unknown tenant gets its own answer (404, empty body by default; configurable)', async () => {
		const res = await requestToken(sim, {}, 'other-tenant');
		expect(res.status).toBe(404);
		expect(res.data).toBe('');
		sim.assumptions.unknownTenant = { status: 400, body: { error: 'invalid_tenant' } };
		const configured = await requestToken(sim, {}, 'other-tenant');
		expect(configured.status).toBe(400);
		expect(configured.data).toEqual({ error: 'invalid_tenant' });
	});

	it('token: HTTP Basic client authentication is accepted like IdentityServer does', async () => {
		const basic = Buffer.from(
			`${sim.defaultClient.clientId}:${sim.defaultClient.clientSecret}`,
		).toString('base64');
		const res = await axios.post(sim.tokenUrl, 'grant_type=client_credentials', {
			headers: {
				Authorization: `Basic ${basic}`,
				'Content-Type': 'application/x-www-form-urlencoded',
			},
			validateStatus: () => true,
			proxy: false,
		});
		expect(res.status).toBe(200);
	});

	it('token: every token request is counted in stats', async () => {
		await requestToken(sim);
		await requestToken(sim, { client_secret: 'x' });
		expect(sim.stats.tokenRequests).toBe(2);
		expect(sim.stats.requestLog.map((r) => [r.token, r.status])).toEqual([
			[true, 200],
			[true, 400],
		]);
	});
});

describe('API authentication and headers', () => {
	it('api: User-Agent is required (400 standard error body)', async () => {
		const api = await apiClient(sim);
		const res = await api.get('/webhooks', { headers: { 'User-Agent': '' } });
		expect(res.status).toBe(400);
		expect(res.data).toEqual({
			error: { code: 'BadRequest', message: 'User-Agent header is required' },
		});
	});

	it('api: no Bearer token is 401', async () => {
		const res = await axios.get(`${sim.apiBase}/webhooks`, {
			headers: { 'User-Agent': UA },
			validateStatus: () => true,
			proxy: false,
		});
		expect(res.status).toBe(401);
		expect(res.data.error.code).toBe('Unauthorized');
	});

	it('api: an expired token is 401 (expireAllTokens, or the clock passing expires_in)', async () => {
		const api = await apiClient(sim);
		expect((await api.get('/webhooks')).status).toBe(200);
		sim.expireAllTokens();
		expect((await api.get('/webhooks')).status).toBe(401);
		const fresh = await apiClient(sim);
		sim.advanceClock(1800);
		expect((await fresh.get('/webhooks')).status).toBe(401);
	});

	it('api: a valid token without the scope is 403 with the standard body (401 configurable)', async () => {
		const api = await apiClient(sim, [WEBHOOK_READ_SCOPE]);
		const res = await api.post('/webhooks', {
			destinationUrl: 'https://example.com/x',
			collectionName: 'clockings',
		});
		expect(res.status).toBe(403);
		expect(res.data).toEqual({ error: { code: 'Forbidden', message: expect.any(String) } });
		sim.assumptions.missingScopeStatus = 401;
		expect(
			(
				await api.post('/webhooks', {
					destinationUrl: 'https://example.com/x',
					collectionName: 'clockings',
				})
			).status,
		).toBe(401);
	});

	it('api: a collection GET needs the collection read scope', async () => {
		const api = await apiClient(sim, [WEBHOOK_READ_SCOPE]);
		expect((await api.get('/counter-definitions')).status).toBe(403);
	});

	it('api: creating a webhook can also require the collection read scope (configurable, off by default)', async () => {
		const api = await apiClient(sim, [WEBHOOK_READ_SCOPE, WEBHOOK_WRITE_SCOPE]);
		const body = { destinationUrl: 'https://example.com/x', collectionName: 'clockings' };
		expect((await api.post('/webhooks', body)).status).toBe(201);
		sim.assumptions.webhookCreateRequiresCollectionScope = true;
		expect((await api.post('/webhooks', body)).status).toBe(403);
	});
});
