// What the trigger cannot fix reaches n8n's execution list (issues 23, 24): a forced renewal failure in n8n 2.41.1
// (the simulator refuses to create webhooks while the subscription has expired) becomes a failed execution of the
// workflow, through ITriggerFunctions.saveFailedExecution, naming the node and what failed; the workflow stays
// active. One workflow, a check every minute: about two minutes.
import { assert, assertEqual } from './checks.mjs';
import { N8nClient } from './n8n.mjs';
import { CREDENTIAL_TYPE } from './package.mjs';
import { waitFor } from './procs.mjs';
import { startSimulator } from './simulator.mjs';
import { startInstance } from './stack.mjs';
import { triggerWorkflow } from './workflows.mjs';

export async function reporting({ checks, runDir, install }) {
	const sim = await startSimulator({ runDir, name: 'simulator-reporting', trafficMs: 0 });
	const inst = await startInstance({ runDir, name: 'n8n-reporting', install });
	try {
		await checks.check(
			"reporting: a forced renewal failure shows in n8n's execution list as a failed execution of the workflow, naming the node; the workflow stays active",
			async () => {
				const { client } = inst;
				const credential = await client.createCredential(
					'Protime (simulator)',
					CREDENTIAL_TYPE,
					sim.credentialData(),
				);
				const name = 'reporting: renewal refused';
				const wf = await client.createWorkflow(
					triggerWorkflow({
						name,
						collectionName: 'counter-definitions',
						credential,
						options: { checkInterval: 1 },
					}),
				);
				await client.activate(wf.id);
				const [live] = await waitFor(
					"the trigger's subscription",
					async () => {
						const found = await sim.liveWebhooks(inst.baseUrl);
						return found.length ? found : false;
					},
					{ timeoutMs: 60_000, intervalMs: 500 },
				);
				// Protime refuses every create; the subscription expires: the next check must replace it and cannot.
				await sim.injectFault({ status: 500, path: '/webhooks$/', times: null });
				await sim.expireWebhook(live.id);
				const failed = await waitFor(
					'a failed execution of the workflow',
					async () => {
						const list = await client.executions(wf.id);
						return list.find((e) => e.status === 'error') ?? false;
					},
					{ timeoutMs: 150_000, intervalMs: 2000 },
				);
				const execution = await client.execution(failed.id);
				const error = N8nClient.nodeError(execution);
				assert(
					/^Renewing the Protime subscription for counter-definitions failed \(502\)$/.test(
						String(error?.message),
					),
					`error message: ${error?.message}`,
				);
				assert(
					/not renewed while this lasts/.test(String(error?.description)),
					`error description: ${error?.description}`,
				);
				assertEqual(
					execution.data?.resultData?.lastNodeExecuted,
					'Protime Trigger',
					'node of the failed execution',
				);
				assertEqual(
					String(execution.workflowId ?? failed.workflowId),
					String(wf.id),
					'workflow of the failed execution',
				);
				assertEqual(execution.workflowData?.name ?? failed.workflowName, name, 'workflow name');
				assertEqual(
					(await client.publicationStatus(wf.id)).status,
					'published',
					'workflow still published (active)',
				);
			},
		);
	} finally {
		await sim.clearFaults().catch(() => undefined);
		await inst.stop();
		await sim.stop();
	}
}
