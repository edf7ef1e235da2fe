// Real-n8n benchmark of issue 14's cost: changes/s through to finished executions with the Protime Trigger
// answering after the execution (acknowledge=afterExecution) against answering on receipt (onReceipt), one
// sender waiting for each answer and 8 in flight, in one n8n instance. n8n's Webhook node answering when the
// last node finishes against on receipt is the reference for what n8n itself charges for waiting.
import { randomUUID } from 'node:crypto';
import { hasAcknowledgeOption } from '../e2e/lib/durability.mjs';
import { log } from '../e2e/lib/procs.mjs';
import { protimeTriggerNode } from '../e2e/lib/workflows.mjs';
import { benchInstance, drained, finishedExecutions, load, payload } from './n8n.mjs';
import { median, percentile } from './stats.mjs';

const noOp = (position) => ({
	id: randomUUID(),
	name: 'After the trigger',
	type: 'n8n-nodes-base.noOp',
	typeVersion: 1,
	position,
	parameters: {},
});
const chain = (first, second) => ({
	[first.name]: { main: [[{ node: second.name, type: 'main', index: 0 }]] },
});

export async function benchN8nAcknowledge({ quick, benchDir, packed }) {
	const rounds = quick ? 2 : 3;
	const perRound = quick ? 40 : 80;
	const { head, sim, n8n, client } = await benchInstance({ benchDir, packed, label: 'n8n-ack' });
	const credential = await client.createCredential(
		'Protime (bench acknowledge)',
		'protimeApi',
		sim.credentialData(),
	);
	const supported = await hasAcknowledgeOption(client);

	const protime = async (acknowledge) => {
		const trigger = protimeTriggerNode({
			collectionName: 'work-interruptions',
			credential,
			events: ['insertOrUpdate', 'delete'],
			options: { acknowledge },
		});
		const after = noOp([260, 0]);
		const wf = await client.createWorkflow({
			name: `bench: Protime Trigger, acknowledge ${acknowledge}`,
			nodes: [trigger, after],
			connections: chain(trigger, after),
		});
		await client.activate(wf.id);
		const url = `${n8n.baseUrl}/webhook/${trigger.webhookId}/webhook`;
		const live = await sim.liveWebhooks(url);
		if (live.length !== 1)
			throw new Error(`expected one live subscription for ${url}, found ${live.length}`);
		return { url, key: live[0].key, workflowId: wf.id };
	};
	const webhook = async (responseMode, key) => {
		const hookPath = `bench-ack-${responseMode}-${randomUUID().slice(0, 8)}`;
		const start = {
			id: randomUUID(),
			name: 'Webhook',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			position: [0, 0],
			webhookId: randomUUID(),
			parameters: { httpMethod: 'POST', path: hookPath, responseMode, options: {} },
		};
		const after = noOp([260, 0]);
		const wf = await client.createWorkflow({
			name: `bench: Webhook node, ${responseMode}`,
			nodes: [start, after],
			connections: chain(start, after),
		});
		await client.activate(wf.id);
		return { url: `${n8n.baseUrl}/webhook/${hookPath}`, key, workflowId: wf.id };
	};
	const ok = (status, text) =>
		status >= 200 && status < 300 ? undefined : `answered ${status}: ${text.slice(0, 200)}`;
	const onReceipt = await protime('onReceipt');
	const candidates = {
		onReceipt,
		...(supported ? { afterExecution: await protime('afterExecution') } : {}),
		webhookOnReceived: await webhook('onReceived', onReceipt.key),
		webhookLastNode: await webhook('lastNode', onReceipt.key),
	};
	const names = Object.keys(candidates);
	const done = {};
	for (const name of names) {
		const c = candidates[name];
		await load(
			c.url,
			Array.from({ length: 20 }, () => payload(c.key)),
			4,
			ok,
		); // warm-up
		await drained(client, c.workflowId, 20);
		done[name] = await finishedExecutions(client, c.workflowId);
	}
	const result = {};
	for (const concurrency of [1, 8]) {
		const r = Object.fromEntries(names.map((n) => [n, { rates: [], latencies: [], failures: [] }]));
		for (let round = 0; round < rounds; round++) {
			for (const name of names.map((_, i) => names[(i + round) % names.length])) {
				const c = candidates[name];
				const t0 = performance.now();
				const out = await load(
					c.url,
					Array.from({ length: perRound }, () => payload(c.key)),
					concurrency,
					ok,
				);
				done[name] += perRound;
				const finishedAt = await drained(client, c.workflowId, done[name]);
				r[name].rates.push((perRound / (finishedAt - t0)) * 1000);
				r[name].latencies.push(...out.latencies);
				r[name].failures.push(...out.failures);
				log(
					`bench: acknowledge, ${concurrency} in flight, round ${round + 1}/${rounds} ${name}: ${r[name].rates.at(-1).toFixed(1)} changes/s finished`,
				);
			}
		}
		result[concurrency] = Object.fromEntries(
			names.map((n) => [
				n,
				{
					rate: median(r[n].rates),
					p50: percentile(r[n].latencies, 50),
					p99: percentile(r[n].latencies, 99),
					failures: r[n].failures,
				},
			]),
		);
	}
	return { head, rounds, perRound, supported, result, n8nVersion: '2.41.1' };
}
