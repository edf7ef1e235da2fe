/** Shared helpers for the simulator's own tests: an API client and a tiny delivery receiver. */
import axios, { type AxiosInstance } from 'axios';
import express from 'express';
import { sleep } from 'n8n-workflow';

import { ALL_SCOPES } from './model';
import { ProtimeSimulator, type SimulatorOptions } from './index';

export const UA = 'SimulatorTests/1.0 (n8n-nodes-protime)';

/** Requests the token endpoint with a form body; never throws on HTTP status. */
export async function requestToken(
	sim: ProtimeSimulator,
	fields: Record<string, string | undefined> = {},
	tenant = sim.tenant,
) {
	const form = new URLSearchParams();
	const all: Record<string, string | undefined> = {
		grant_type: 'client_credentials',
		client_id: sim.defaultClient.clientId,
		client_secret: sim.defaultClient.clientSecret,
		scope: ALL_SCOPES.join(' '),
		...fields,
	};
	for (const [k, v] of Object.entries(all)) if (v !== undefined) form.set(k, v);
	return await axios.post(`${sim.origin}/tenants/${tenant}/connect/token`, form.toString(), {
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		validateStatus: () => true,
		proxy: false,
	});
}

/** An axios client for the API with a fresh token (of the given scopes) and a User-Agent; never throws on status. */
export async function apiClient(
	sim: ProtimeSimulator,
	scopes: readonly string[] = ALL_SCOPES,
): Promise<AxiosInstance> {
	const token = await requestToken(sim, { scope: scopes.join(' ') });
	if (token.status !== 200)
		throw new Error(`token request failed: ${token.status} ${JSON.stringify(token.data)}`);
	return axios.create({
		baseURL: sim.apiBase,
		headers: { Authorization: `Bearer ${token.data.access_token}`, 'User-Agent': UA },
		validateStatus: () => true,
		proxy: false,
	});
}

/** A client for server-relative links (Location, nextLink) on the simulator's origin. */
export function originClient(api: AxiosInstance, sim: ProtimeSimulator): AxiosInstance {
	return axios.create({
		baseURL: sim.origin,
		headers: {
			...api.defaults.headers.common,
			Authorization: api.defaults.headers.Authorization as string,
			'User-Agent': UA,
		},
		validateStatus: () => true,
		proxy: false,
	});
}

export async function startSim(options: SimulatorOptions = {}): Promise<ProtimeSimulator> {
	return await ProtimeSimulator.start({
		...options,
		assumptions: { allowHttpDestinations: true, retryScheduleMs: [20, 40], ...options.assumptions },
	});
}

export interface Received {
	body: Buffer;
	headers: Record<string, string | string[] | undefined>;
	at: number;
}

/** A destination for deliveries: records raw bodies; answers with `statuses` in turn, then 200. */
export async function startReceiver(): Promise<{
	url: string;
	received: Received[];
	statuses: number[];
	/** Waits this long before answering (to provoke delivery timeouts). */
	delay: { ms: number };
	stop: () => Promise<void>;
}> {
	const delay = { ms: 0 };
	const received: Received[] = [];
	const statuses: number[] = [];
	const app = express();
	app.post('/hook', express.raw({ type: '*/*' }), async (req, res) => {
		received.push({ body: req.body as Buffer, headers: req.headers, at: Date.now() });
		if (delay.ms > 0) await sleep(delay.ms);
		res.status(statuses.shift() ?? 200).end();
	});
	const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
		const s = app.listen(0, '127.0.0.1', () => resolve(s));
	});
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : 0;
	return {
		url: `http://127.0.0.1:${port}/hook`,
		received,
		statuses,
		delay,
		stop: async () =>
			await new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}
