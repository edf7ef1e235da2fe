#!/usr/bin/env node
// `npm run demo`: the Protime simulator with a small realistic tenant and a steady stream of work
// interruptions, plus a real n8n with this package and the example workflows, all on loopback.
// Runs until Ctrl-C, then stops everything it started.
//
// Env: DEMO_N8N_PORT (default 5678, or a free port if taken), DEMO_SIM_PORT (default 4010, idem),
//      DEMO_TRAFFIC_MS (default 5000: one change every 5 s), N8N_PROTIME_E2E_CACHE (install cache).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ensureInstalled } from './lib/install.mjs';
import { OWNER, N8nClient } from './lib/n8n.mjs';
import { CREDENTIAL_TYPE } from './lib/package.mjs';
import { freePort, log, sleep, stopAll, waitFor } from './lib/procs.mjs';
import { startSimulator } from './lib/simulator.mjs';
import { makeRunDir, startInstance } from './lib/stack.mjs';
import {
	dataTableColumns,
	hoursCsvWorkflow,
	syncTableWorkflow,
	webhookCrudWorkflow,
	workInterruptionsCsvWorkflow,
} from './lib/workflows.mjs';

function portFree(port) {
	return new Promise((resolve) => {
		const srv = net.createServer();
		srv.once('error', () => resolve(false));
		srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
	});
}

async function pickPort(wanted) {
	return (await portFree(wanted)) ? wanted : freePort();
}

async function main() {
	const runDir = makeRunDir('demo');
	log(`demo directory: ${runDir}`);
	const install = await ensureInstalled();
	const sim = await startSimulator({
		runDir,
		demo: true,
		port: await pickPort(Number(process.env.DEMO_SIM_PORT || 4010)),
		trafficMs: Number(process.env.DEMO_TRAFFIC_MS || 5000),
	});
	const n8nPort = await pickPort(Number(process.env.DEMO_N8N_PORT || 5678));
	const inst = await startInstance({ runDir, install, name: 'n8n-demo', port: n8nPort });
	const { client } = inst;
	const credential = await client.createCredential(
		'Protime (simulator)',
		CREDENTIAL_TYPE,
		sim.credentialData(),
	);
	const today = new Date().toISOString().slice(0, 10);
	const monthAgo = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);

	// the recommended sync pattern into an n8n Data Table: the initial sync fills it, the trigger keeps it equal
	const table = await client.createDataTable(
		'Protime work interruptions',
		dataTableColumns('work-interruptions'),
	);
	const syncWf = syncTableWorkflow({
		collection: 'work-interruptions',
		credential,
		target: 'dataTable',
		dataTable: { mode: 'id', value: table.id },
		startDate: monthAgo,
		endDate: new Date(Date.now() + 86_400_000).toISOString().slice(0, 10),
		options: { checkInterval: 1 },
	});
	const tableSync = await client.createWorkflow(syncWf);
	await client.activate(tableSync.id);
	await client.runManually(tableSync.id);
	const hours = await client.createWorkflow(
		hoursCsvWorkflow({ credential, filesDir: inst.filesDir }),
	);
	await client.activate(hours.id);
	const sync = await client.createWorkflow(
		workInterruptionsCsvWorkflow({
			credential,
			filesDir: inst.filesDir,
			startDate: monthAgo,
			endDate: today,
		}),
	);
	const crud = await client.createWorkflow(
		webhookCrudWorkflow({ credential, destinationUrl: 'http://127.0.0.1:9/my-own-receiver' }),
	);

	const editor = inst.baseUrl;
	process.stdout.write(`
================================================================================
 n8n-nodes-protime demo is running
--------------------------------------------------------------------------------
 n8n editor:     ${editor}/
 login:          ${OWNER.email}  /  ${OWNER.password}
 Protime (sim):  ${sim.origin}  tenant "${sim.tenant}", client "${sim.client.clientId}"
                 (a work interruption or other change every ${Number(process.env.DEMO_TRAFFIC_MS || 5000) / 1000} s)

 What to look at:
  0. ${editor}/projects/${table.projectId}/datatables/${table.id}
     Data Table "Protime work interruptions": filled by the initial sync, then kept
     equal to Protime by ${editor}/workflow/${tableSync.id}
     "${syncWf.name}" (active; reload the table to see it follow the changes)
  1. ${editor}/workflow/${hours.id}
     "${hoursCsvWorkflow({ credential, filesDir: inst.filesDir }).name}" (active)
     → Executions tab: every signed delivery from Protime is one execution;
       open one to see the typed work-interruption items (employee number,
       H:MM durations, local times) and the hours per employee per day.
  2. CSV files written by that workflow: ${inst.filesDir}
  3. ${editor}/workflow/${sync.id}  initial sync (Get Many, Return All → CSV): press "Execute workflow"
  4. ${editor}/workflow/${crud.id}  webhook subscriptions: create, list, delete
  5. Credentials → "Protime (simulator)": Environment Custom, Base URL ${sim.origin}

 Logs: ${runDir}
 Press Ctrl-C to stop n8n and the simulator.
================================================================================
`);
	// show that events flow: wait for the first executions and CSV files
	try {
		const execs = await waitFor(
			'the first executions of the hours workflow',
			async () => {
				const list = await client.executions(hours.id);
				return list.length >= 1 ? list : false;
			},
			{ timeoutMs: 120_000, intervalMs: 1000 },
		);
		log(
			`events are flowing: ${execs.length} execution(s) so far, latest #${execs[0].id} (${execs[0].status})`,
		);
	} catch (err) {
		log(`no execution yet: ${err.message} (see ${inst.n8n.logFile})`);
	}
	let last = 0;
	let lastRows = -1;
	for (;;) {
		await sleep(30_000);
		const rows = await client.dataTableRows(table).catch(() => undefined);
		const inProtime = (await sim.records('work-interruptions').catch(() => undefined))?.length;
		if (rows && rows.length !== lastRows) {
			log(
				`Data Table "Protime work interruptions": ${rows.length} rows (Protime has ${inProtime})`,
			);
			lastRows = rows.length;
		}
		const list = await client.executions(hours.id).catch(() => []);
		const files = fs.existsSync(inst.filesDir)
			? fs.readdirSync(inst.filesDir).filter((f) => f.endsWith('.csv'))
			: [];
		if (list.length !== last) {
			log(
				`${list.length} executions, ${files.length} CSV files in ${inst.filesDir}${files.length ? ` (latest ${path.join(inst.filesDir, files.sort().at(-1))})` : ''}`,
			);
			last = list.length;
		}
	}
}

main().catch(async (err) => {
	log(`demo failed: ${err.stack || err.message}`);
	await stopAll();
	process.exit(1);
});
