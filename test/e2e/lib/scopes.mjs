// A client Protime granted only some scopes (the usual case), with the credential left at its defaults:
// the token request asks for no scope, the trigger and Get Many of the granted collection work, and a
// Get Many of another collection fails naming the scope to ask Protime for.
import { randomUUID } from 'node:crypto';
import { assert, assertEqual } from './checks.mjs';
import { N8nClient } from './n8n.mjs';
import { ACTION_TYPE, CREDENTIAL_TYPE } from './package.mjs';
import { waitFor } from './procs.mjs';
import { startSimulator } from './simulator.mjs';
import { startInstance } from './stack.mjs';
import { triggerWorkflow } from './workflows.mjs';

const CLIENT = { clientId: 'e2e-work-interruptions-only', clientSecret: 'e2e-scoped-secret' };
const GRANTED = [
	'connector-protimeapi-webhooks.read',
	'connector-protimeapi-webhooks.write',
	'connector-protimeapi-work-interruptions.read',
];

const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/** Webhook start → Protime Get Many of `resource` over the last week. */
function getManyWorkflow({ credential, resource, path }) {
	return {
		name: `e2e scopes: Get Many ${resource}`,
		nodes: [
			{
				id: randomUUID(),
				name: 'Start',
				type: 'n8n-nodes-base.webhook',
				typeVersion: 2,
				position: [0, 0],
				webhookId: randomUUID(),
				parameters: { httpMethod: 'POST', path, responseMode: 'lastNode', options: {} },
			},
			{
				id: randomUUID(),
				name: 'Get Many',
				type: ACTION_TYPE,
				typeVersion: 1,
				position: [260, 0],
				parameters: {
					resource,
					operation: 'getAll',
					startDate: day(-7),
					endDate: day(0),
					returnAll: true,
				},
				credentials: { [CREDENTIAL_TYPE]: { id: credential.id, name: credential.name } },
			},
		],
		connections: { Start: { main: [[{ node: 'Get Many', type: 'main', index: 0 }]] } },
	};
}

/** Creates, activates and calls a Get Many workflow; returns its finished execution. */
async function runGetMany(inst, credential, resource) {
	const path = `e2e-scopes-${resource}-${Date.now()}`;
	const created = await inst.client.createWorkflow(getManyWorkflow({ credential, resource, path }));
	await inst.client.activate(created.id);
	await fetch(`${inst.baseUrl}/webhook/${path}`, { method: 'POST' }).then((r) => r.text());
	const [exec] = await inst.client.waitExecutions(created.id, 1);
	await inst.client.deactivate(created.id);
	return inst.client.execution(exec.id);
}

export async function scopes({ checks, runDir, install }) {
	const sim = await startSimulator({ runDir, name: 'simulator-scopes', demo: true, trafficMs: 0 });
	const inst = await startInstance({ runDir, name: 'n8n-scopes', install });
	try {
		await sim.call('POST', '/clients', { ...CLIENT, scopes: GRANTED });
		const data = sim.credentialData(CLIENT); // no Scopes: the credential's default
		const credential = await inst.client.createCredential(
			'Protime (work interruptions only)',
			CREDENTIAL_TYPE,
			data,
		);

		await checks.check(
			'scopes: at defaults, the credential test passes for a client granted only webhooks and work interruptions',
			async () => {
				const r = await inst.client.testCredential({
					id: credential.id,
					name: credential.name,
					type: CREDENTIAL_TYPE,
					data,
				});
				assertEqual(r?.status, 'OK', `credential test result ${JSON.stringify(r)}`);
				const asked = (await sim.call('GET', '/token-requests')).value.filter(
					(t) => t.clientId === CLIENT.clientId,
				);
				assert(
					asked.length > 0 && asked.every((t) => t.scope === undefined),
					`token requests sent no scope: ${JSON.stringify(asked)}`,
				);
			},
		);

		let workflowId;
		let trigger;
		await checks.check(
			'scopes: a work-interruptions trigger activates with that client (one subscription)',
			async () => {
				const wf = triggerWorkflow({
					name: 'e2e scopes: work interruptions',
					collectionName: 'work-interruptions',
					credential,
				});
				const created = await inst.client.createWorkflow(wf);
				await inst.client.activate(created.id);
				workflowId = created.id;
				trigger = wf.nodes.find((n) => n.webhookId);
				const live = (await sim.liveWebhooks()).filter((w) =>
					w.destinationUrl.includes(trigger.webhookId),
				);
				assertEqual(live.length, 1, 'live subscriptions of the trigger');
			},
		);

		if (workflowId) {
			await checks.check(
				'scopes: the trigger receives a change of work interruptions',
				async () => {
					const record = await sim.insert('work-interruptions', {
						date: day(0),
						durationInMinutes: 30,
						startTimeInMinutes: 600,
						endTimeInMinutes: 630,
					});
					await waitFor(
						`an execution with work interruption ${record.id}`,
						async () => {
							for (const e of await inst.client.executions(workflowId)) {
								const items =
									N8nClient.nodeOutput(await inst.client.execution(e.id), trigger.name) ?? [];
								if (items.some((i) => String(i.id) === String(record.id))) return true;
							}
							return false;
						},
						{ timeoutMs: 60_000, intervalMs: 1000 },
					);
				},
			);
			await inst.client.deactivate(workflowId);
		}

		await checks.check('scopes: Get Many reads work interruptions with that client', async () => {
			await sim.insert('work-interruptions', { date: day(-1) });
			const full = await runGetMany(inst, credential, 'workInterruption');
			assertEqual(
				full.status,
				'success',
				`execution status (${JSON.stringify(N8nClient.nodeError(full))?.slice(0, 400)})`,
			);
			const expected = (await sim.records('work-interruptions')).filter(
				(r) => r.date >= day(-7) && r.date <= day(0),
			);
			assertEqual(
				N8nClient.nodeOutput(full, 'Get Many').length,
				expected.length,
				'work interruptions read',
			);
		});

		await checks.check(
			'scopes: Get Many of a collection not granted fails naming the scope to ask Protime for',
			async () => {
				const full = await runGetMany(inst, credential, 'clocking');
				assertEqual(full.status, 'error', 'execution status');
				const error = N8nClient.nodeError(full) ?? {};
				const text = `${error.message ?? ''} ${error.description ?? ''}`;
				assert(
					text.includes('connector-protimeapi-clockings.read'),
					`error names the scope: ${text.slice(0, 400)}`,
				);
				assert(/Ask Protime to grant/.test(text), `error says whom to ask: ${text.slice(0, 400)}`);
			},
		);
	} finally {
		await inst.stop();
		await sim.stop();
	}
}
