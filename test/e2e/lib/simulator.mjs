// Starts the Protime simulator (test/simulator/cli.mjs) as a separate process and drives it
// through its HTTP control API under <origin>/_sim/...
import path from 'node:path';
import { repoRoot } from './package.mjs';
import { freePort, log, startProcess, stopProcess, tail, waitFor } from './procs.mjs';

/**
 * Starts `node --import tsx test/simulator/cli.mjs` (http destinations allowed, the e2e needs them).
 * options: validitySeconds, retryMs (array), deliveryTimeoutMs, trafficMs (with demo), assumptions (object).
 */
export async function startSimulator({
	runDir,
	demo = false,
	port,
	tenant = 'acme',
	extraArgs = [],
	name = 'simulator',
	validitySeconds,
	retryMs,
	deliveryTimeoutMs,
	trafficMs,
	assumptions,
	clientId,
	clientSecret,
}) {
	port = port ?? (await freePort());
	const logFile = path.join(runDir, `${name}.log`);
	const args = [
		'--import',
		'tsx',
		path.join(repoRoot, 'test', 'simulator', 'cli.mjs'),
		'--port',
		String(port),
		'--tenant',
		tenant,
	];
	if (demo) args.push('--demo');
	if (trafficMs !== undefined) args.push('--traffic-ms', String(trafficMs));
	if (validitySeconds !== undefined) args.push('--validity-seconds', String(validitySeconds));
	if (retryMs) args.push('--retry-ms', retryMs.join(','));
	if (deliveryTimeoutMs !== undefined)
		args.push('--delivery-timeout-ms', String(deliveryTimeoutMs));
	if (assumptions) args.push('--assumptions', JSON.stringify(assumptions));
	if (clientId) args.push('--client-id', clientId, '--client-secret', clientSecret);
	args.push(...extraArgs);
	const proc = startProcess(name, process.execPath, args, {
		cwd: repoRoot,
		env: { ...process.env, NODE_OPTIONS: '' },
		logFile,
	});
	const origin = `http://127.0.0.1:${port}`;
	const sim = new SimulatorClient(origin, proc);
	await waitFor(
		`simulator on ${origin}`,
		async () => {
			if (proc.code !== undefined)
				throw new Error(`simulator exited with ${proc.code}:\n${tail(logFile)}`);
			const r = await fetch(`${origin}/_sim/health`).catch(() => undefined);
			if (!r?.ok) return false;
			sim.info = await r.json();
			return true;
		},
		{ timeoutMs: 60_000, intervalMs: 300 },
	).catch((err) => {
		throw new Error(`${err.message}\n--- ${logFile} ---\n${tail(logFile)}`);
	});
	log(`simulator ready on ${origin}`);
	return sim;
}

export class SimulatorClient {
	constructor(origin, proc) {
		this.origin = origin;
		this.proc = proc;
	}

	async call(method, p, body, { expect = [200, 201, 204] } = {}) {
		const res = await fetch(`${this.origin}/_sim${p}`, {
			method,
			headers: body === undefined ? {} : { 'content-type': 'application/json' },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		if (expect && !expect.includes(res.status))
			throw new Error(`simulator ${method} /_sim${p} → ${res.status}: ${text.slice(0, 500)}`);
		try {
			return text ? JSON.parse(text) : undefined;
		} catch {
			return text;
		}
	}

	get tenant() {
		return this.info.tenant;
	}
	get client() {
		return this.info.defaultClient;
	}

	/** Data for the n8n `protimeApi` credential pointing at this simulator. */
	credentialData(overrides = {}) {
		return {
			environment: 'custom',
			baseUrl: this.origin,
			tenant: this.info.tenant,
			authentication: 'clientCredentials',
			clientId: this.info.defaultClient.clientId,
			clientSecret: this.info.defaultClient.clientSecret,
			company: 'n8n-nodes-protime e2e',
			...overrides,
		};
	}

	assumptions(patch) {
		return patch ? this.call('PATCH', '/assumptions', patch) : this.call('GET', '/assumptions');
	}
	insert(collection, partial = {}) {
		return this.call('POST', `/records/${collection}`, partial);
	}
	update(collection, id, patch) {
		return this.call('PATCH', `/records/${collection}/${id}`, patch);
	}
	remove(collection, id) {
		return this.call('DELETE', `/records/${collection}/${id}`);
	}
	setExternalReferences(collection, id, values) {
		return this.call('POST', `/external-references/${collection}/${id}`, values);
	}
	async seed(collection, records) {
		return (await this.call('POST', `/records/${collection}/seed`, { records })).value;
	}
	async records(collection) {
		return (await this.call('GET', `/records/${collection}`)).value;
	}
	/** All webhooks, deleted ones included, with keys. */
	async webhooks() {
		return (await this.call('GET', '/webhooks')).value;
	}
	/** Webhooks that are live: not deleted, Enabled (optionally for one destination URL). */
	async liveWebhooks(destinationPrefix) {
		return (await this.webhooks()).filter(
			(w) =>
				!w.deleted &&
				w.status === 'Enabled' &&
				(!destinationPrefix || w.destinationUrl.startsWith(destinationPrefix)),
		);
	}
	async deliveries(webhookId) {
		return (
			await this.call(
				'GET',
				`/deliveries${webhookId ? `?webhookId=${encodeURIComponent(webhookId)}` : ''}`,
			)
		).value;
	}
	/**
	 * Queues `count` changes the webhook already delivered once more: kind `duplicate` or `older` (out of order);
	 * with `ids`, older versions of those records, whichever webhook of the collection delivered them.
	 */
	async redeliver(webhookId, kind, count, ids) {
		return (await this.call('POST', `/webhooks/${webhookId}/redeliver`, { kind, count, ids }))
			.value;
	}
	/** Changes lost with a webhook's queue when it stopped delivering: [{webhookId, changeVersion, id, reason, droppedAtMs}]. */
	async droppedChanges() {
		return (await this.call('GET', '/deliveries/dropped')).value;
	}
	/** {attempts, succeeded, retries, pending, dropped} over all webhooks, without the bodies. */
	deliverySummary() {
		return this.call('GET', '/deliveries/summary');
	}
	expireWebhook(id) {
		return this.call('POST', `/webhooks/${id}/expire`);
	}
	disableWebhook(id) {
		return this.call('POST', `/webhooks/${id}/disable`);
	}
	/** Fault injection: `{ status, path?, times? }` (path `/regex/` or a substring; times null = until cleared). */
	injectFault(spec) {
		return this.call('POST', '/faults', spec);
	}
	clearFaults() {
		return this.call('DELETE', '/faults');
	}
	startTraffic(everyMs) {
		return this.call('POST', '/traffic/start', { everyMs });
	}
	stopTraffic() {
		return this.call('POST', '/traffic/stop');
	}
	stats() {
		return this.call('GET', '/stats');
	}

	stop() {
		return stopProcess(this.proc);
	}
}
