// Real-n8n benchmark of Batch Changes (issue 16): a burst of single-change deliveries, sent one at a time
// (the next after the answer) and with 8 in flight, to the Protime Trigger with batching on and off and to
// n8n's Webhook node, all in one n8n instance. Per run: executions, changes/s through to finished executions,
// and the delay from sending a change to the start of the execution that carries it.
import { randomUUID } from 'node:crypto';
import { N8nClient } from '../e2e/lib/n8n.mjs';
import { log, sleep } from '../e2e/lib/procs.mjs';
import { protimeTriggerNode } from '../e2e/lib/workflows.mjs';
import { createHmac } from 'node:crypto';
import { benchInstance, drained, finishedExecutions } from './n8n.mjs';
import { percentile } from './stats.mjs';

export const WINDOW_SECONDS = 5; // the defaults of the node's options
export const MAX_CHANGES = 100;
const FINISHED = ['success', 'error', 'crashed', 'canceled'];

let nextId = 1;
let version = 0x200000;
/**
 * One signed single change of a record no other change of the run touches: with several in flight, two
 * changes of one record may arrive out of order, and the trigger rightly drops the older one.
 */
function payload(key) {
	const id = nextId++;
	const body = JSON.stringify({
		changeType: 'InsertOrUpdate',
		data: {
			changeVersion: (version++).toString(16).toUpperCase().padStart(20, '0'),
			id,
			person: { id: 1001 + (id % 250) },
			date: '2026-03-02',
			durationInMinutes: 45,
			startTimeInMinutes: 600,
			endTimeInMinutes: 645,
		},
	});
	return {
		body,
		headers: {
			'content-type': 'application/json',
			'x-protime-signature': createHmac('sha256', key).update(body).digest('base64'),
		},
	};
}

const noOp = () => ({
	id: randomUUID(),
	name: 'After the trigger',
	type: 'n8n-nodes-base.noOp',
	typeVersion: 1,
	position: [260, 0],
	parameters: {},
});
const chain = (first, second) => ({
	[first.name]: { main: [[{ node: second.name, type: 'main', index: 0 }]] },
});

/** Sends `bodies` with `concurrency` senders; records when each change was sent (epoch ms, by changeVersion). */
async function send(url, bodies, concurrency, sentAt) {
	let next = 0;
	const failures = [];
	const worker = async () => {
		while (next < bodies.length) {
			const p = bodies[next++];
			sentAt.set(JSON.parse(p.body).data.changeVersion, Date.now());
			const res = await fetch(url, { method: 'POST', body: p.body, headers: p.headers });
			const text = await res.text();
			if (res.status < 200 || res.status >= 300)
				failures.push(`${res.status}: ${text.slice(0, 120)}`);
		}
	};
	await Promise.all(Array.from({ length: concurrency }, worker));
	return failures;
}

/** The changes in the finished executions of a workflow not in `seen`: changeVersion → execution start (ms). */
async function executedChanges(client, c, seen) {
	const started = new Map();
	let open = 0;
	for (const e of await client.executions(c.workflowId)) {
		if (!FINISHED.includes(e.status)) {
			open++;
			continue;
		}
		if (seen.has(e.id)) continue;
		seen.add(e.id);
		const full = await client.execution(e.id);
		const at = Date.parse(full.startedAt ?? e.startedAt);
		for (const json of N8nClient.nodeOutput(full, c.nodeName) ?? []) {
			const version = c.versionOf(json);
			if (version !== undefined) started.set(version, at);
		}
	}
	return { started, open };
}

export async function benchN8nBatch({ quick, benchDir, packed, env = {} }) {
	const changes = quick ? 300 : 1000;
	const { head, sim, n8n, client } = await benchInstance({
		benchDir,
		packed,
		label: 'n8n-batch',
		env,
	});
	const credential = await client.createCredential(
		'Protime (bench batch)',
		'protimeApi',
		sim.credentialData(),
	);

	const protime = async (label, options) => {
		const trigger = protimeTriggerNode({
			collectionName: 'work-interruptions',
			credential,
			events: ['insertOrUpdate', 'delete'],
			options,
		});
		const after = noOp();
		const wf = await client.createWorkflow({
			name: `bench: Protime Trigger, ${label}`,
			nodes: [trigger, after],
			connections: chain(trigger, after),
		});
		await client.activate(wf.id);
		const url = `${n8n.baseUrl}/webhook/${trigger.webhookId}/webhook`;
		const live = await sim.liveWebhooks(url);
		if (live.length !== 1)
			throw new Error(`expected one live subscription for ${url}, found ${live.length}`);
		return {
			url,
			key: live[0].key,
			workflowId: wf.id,
			nodeName: trigger.name,
			versionOf: (json) => json.changeVersion,
		};
	};
	const batched = await protime(`Batch Changes (${WINDOW_SECONDS} s, ${MAX_CHANGES})`, {
		batchChanges: true,
		batchWindow: WINDOW_SECONDS,
		batchMaxChanges: MAX_CHANGES,
	});
	const single = await protime('one execution per change', {});
	const hookPath = `bench-batch-${randomUUID().slice(0, 8)}`;
	const start = {
		id: randomUUID(),
		name: 'Webhook',
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		position: [0, 0],
		webhookId: randomUUID(),
		parameters: { httpMethod: 'POST', path: hookPath, responseMode: 'onReceived', options: {} },
	};
	const after = noOp();
	const wf = await client.createWorkflow({
		name: 'bench: Webhook node (batch reference)',
		nodes: [start, after],
		connections: chain(start, after),
	});
	await client.activate(wf.id);
	const webhook = {
		url: `${n8n.baseUrl}/webhook/${hookPath}`,
		key: single.key,
		workflowId: wf.id,
		nodeName: start.name,
		versionOf: (json) => json.body?.data?.changeVersion,
	};
	const candidates = { batched, single, webhook };

	const seen = Object.fromEntries(Object.keys(candidates).map((n) => [n, new Set()]));
	// When every change sent is in a finished execution. One execution per change: n8n's count of finished
	// executions (a light query while the run is timed), then each execution read. Batches: the few new
	// executions read as they finish.
	const settle = async (name, expected, sentAt, t0) => {
		const c = candidates[name];
		const started = new Map();
		const collect = async () => {
			const r = await executedChanges(client, c, seen[name]);
			for (const [v, at] of r.started) if (sentAt.has(v)) started.set(v, at);
			return r.open;
		};
		let finishedAt = 0;
		if (c !== batched) {
			finishedAt = await drained(client, c.workflowId, c.finishedBefore + expected, 900_000);
			await collect();
		} else {
			for (const deadline = Date.now() + 600_000; Date.now() < deadline; await sleep(200)) {
				const open = await collect();
				if (started.size >= expected && open === 0) {
					finishedAt = performance.now();
					break;
				}
			}
		}
		if (!finishedAt || started.size < expected)
			throw new Error(
				`${name}: only ${started.size} of ${expected} changes reached a finished execution`,
			);
		c.finishedBefore = await finishedExecutions(client, c.workflowId);
		return { seconds: (finishedAt - t0) / 1000, started };
	};
	for (const c of Object.values(candidates)) c.finishedBefore = 0;
	// Warm-up: each endpoint once, executions finished.
	for (const name of Object.keys(candidates)) {
		const sentAt = new Map();
		const t0 = performance.now();
		await send(
			candidates[name].url,
			Array.from({ length: 20 }, () => payload(candidates[name].key)),
			4,
			sentAt,
		);
		await settle(name, 20, sentAt, t0);
	}
	const result = {};
	for (const concurrency of [1, 8]) {
		result[concurrency] = {};
		for (const name of Object.keys(candidates)) {
			const c = candidates[name];
			const executionsBefore = seen[name].size;
			const sentAt = new Map();
			const t0 = performance.now();
			const failures = await send(
				c.url,
				Array.from({ length: changes }, () => payload(c.key)),
				concurrency,
				sentAt,
			);
			const { seconds, started } = await settle(name, changes, sentAt, t0);
			const delays = [...started].map(([v, at]) => at - sentAt.get(v));
			result[concurrency][name] = {
				executions: seen[name].size - executionsBefore,
				rate: changes / seconds,
				p50: percentile(delays, 50),
				p99: percentile(delays, 99),
				failures,
			};
			log(
				`bench: batch, ${concurrency} in flight, ${name}: ${JSON.stringify({ ...result[concurrency][name], failures: failures.length })}`,
			);
		}
	}
	return {
		head,
		changes,
		result,
		windowSeconds: WINDOW_SECONDS,
		maxChanges: MAX_CHANGES,
		n8nVersion: '2.41.1',
	};
}
