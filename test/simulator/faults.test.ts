/** Fault injection and request statistics, the test aids the transport tests rely on. */
import type { AxiosInstance } from 'axios';

import type { ProtimeSimulator } from './index';
import { apiClient, requestToken, startSim } from './testkit';

let sim: ProtimeSimulator;
let api: AxiosInstance;
beforeEach(async () => {
	sim = await startSim();
	api = await apiClient(sim);
	sim.resetStats();
});
afterEach(async () => await sim.stop());

describe('faults', () => {
	it('fault: 429 with Retry-After and the standard error body, for the given number of requests', async () => {
		sim.injectFault({ status: 429, retryAfterSeconds: 2, times: 2 });
		const first = await api.get('/webhooks');
		expect(first.status).toBe(429);
		expect(first.headers['retry-after']).toBe('2');
		expect(first.data).toEqual({ error: { code: 'TooManyRequests', message: expect.any(String) } });
		expect((await api.get('/webhooks')).status).toBe(429);
		expect((await api.get('/webhooks')).status).toBe(200);
	});

	it('fault: 500 and 503 answers; a path limits which requests fail', async () => {
		sim.injectFault({ status: 503, path: '/counter-definitions' });
		sim.injectFault({ status: 500, path: /\/webhooks$/ });
		expect((await api.get('/people')).status).toBe(200);
		expect((await api.get('/counter-definitions')).status).toBe(503);
		expect((await api.get('/webhooks')).status).toBe(500);
		expect((await api.get('/counter-definitions')).status).toBe(200);
	});

	it('fault: API faults leave the token endpoint alone unless targeted', async () => {
		sim.injectFault({ status: 503, times: -1 });
		expect((await requestToken(sim)).status).toBe(200);
		sim.clearFaults();
		sim.injectFault({ status: 429, retryAfterSeconds: 60, target: 'token' });
		expect((await requestToken(sim)).status).toBe(429);
		expect((await api.get('/webhooks')).status).toBe(200);
	});

	it('fault: slow answers (injectDelay)', async () => {
		sim.injectDelay({ ms: 150 });
		await api.get('/webhooks');
		expect(sim.stats.requestLog[0].durationMs).toBeGreaterThanOrEqual(140);
	});

	it('fault: unreachable drops connections without an answer', async () => {
		sim.setUnreachable(true);
		await expect(api.get('/webhooks')).rejects.toMatchObject({
			code: expect.stringMatching(/ECONNRESET|ERR_|EPIPE|socket hang up/),
		});
		sim.setUnreachable(false);
		expect((await api.get('/webhooks')).status).toBe(200);
	});
});

describe('stats', () => {
	it('stats: counts token and API requests and logs method, path, status, time', async () => {
		await requestToken(sim);
		await api.get('/webhooks', { params: { filter: "status eq 'Enabled'" } });
		await api.get('/nope');
		expect(sim.stats.tokenRequests).toBe(1);
		expect(sim.stats.apiRequests).toBe(2);
		expect(sim.stats.requestLog.map((r) => [r.method, r.status, r.token])).toEqual([
			['POST', 200, true],
			['GET', 200, false],
			['GET', 404, false],
		]);
		expect(sim.stats.requestLog[1].path).toMatch(
			/^\/connector\/protimeapi\/api\/v1\/webhooks\?filter=/,
		);
		expect(Date.parse(sim.stats.requestLog[0].at)).toBeGreaterThan(0);
		sim.resetStats();
		expect(sim.stats).toEqual({ tokenRequests: 0, apiRequests: 0, requestLog: [] });
	});
});
