// A round-robin HTTP proxy in front of n8n's webhook processors, as a load balancer spreads one workflow's
// requests over several of them (issue 22: two webhook processors with Batch Changes). Bodies pass byte for
// byte, so signatures still verify; each request goes to the next target in turn.
import http from 'node:http';
import { freePort, log } from './procs.mjs';

export async function startRoundRobin({ targets, port }) {
	port ??= await freePort();
	const state = { targets: [...targets], next: 0, sent: new Map(), paths: new Map() };
	const server = http.createServer((req, res) => {
		const target = state.targets[state.next++ % state.targets.length];
		state.sent.set(target, (state.sent.get(target) ?? 0) + 1);
		state.paths.set(req.url, (state.paths.get(req.url) ?? 0) + 1);
		const upstream = http.request(
			{
				host: '127.0.0.1',
				port: target,
				method: req.method,
				path: req.url,
				headers: { ...req.headers, host: `127.0.0.1:${target}` },
			},
			(answer) => {
				res.writeHead(answer.statusCode ?? 502, answer.headers);
				answer.pipe(res);
			},
		);
		upstream.on('error', (err) => {
			if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
			res.end(`proxy: ${err.message}`);
		});
		req.pipe(upstream);
	});
	await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
	log(`round-robin proxy on port ${port} → ${state.targets.join(', ')}`);
	return {
		port,
		/** Sends the next requests to these ports in turn. */
		route(ports) {
			state.targets = [...ports];
			log(`round-robin proxy on port ${port} → ${state.targets.join(', ')}`);
		},
		/** Requests forwarded so far whose path contains `fragment`. */
		requestsTo: (fragment) =>
			[...state.paths].filter(([p]) => p.includes(fragment)).reduce((n, [, k]) => n + k, 0),
		/** Requests forwarded per target port so far. */
		sent: () => Object.fromEntries(state.sent),
		stop: () =>
			new Promise((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}
