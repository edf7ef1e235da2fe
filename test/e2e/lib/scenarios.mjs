// The e2e scenarios. Regular mode: one n8n instance for the smoke, trigger, action and renewal checks
// (the long renewal checks run in the background while the others go on). Queue mode: PostgreSQL,
// Redis, a main, a worker and a webhook processor.
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { assert, assertEqual } from './checks.mjs';
import { clearStaticData } from './database.mjs';
import { N8nClient, startN8n, stopN8n } from './n8n.mjs';
import {
	ACTION_TYPE,
	CREDENTIAL_TYPE,
	installIntoUserFolder,
	repoRoot,
	TRIGGER_TYPE,
} from './package.mjs';
import { freePort, log, sleep, stopProcess, waitFor } from './procs.mjs';
import { queueModeEnv, startPostgres, startRedis } from './services.mjs';
import { startRoundRobin } from './proxy.mjs';
import { startSimulator } from './simulator.mjs';
import { preparePackage, startInstance } from './stack.mjs';
import {
	importAsEditor,
	triggerStepWorkflow,
	triggerWorkflow,
	webhookCrudWorkflow,
	workInterruptionsCsvWorkflow,
} from './workflows.mjs';

const RENEWAL_VALIDITY_S = Number(process.env.E2E_VALIDITY_SECONDS || 180);

/** Signature as the simulator's defaults (X-Protime-Signature: base64 HMAC-SHA256 of the raw body). */
function sign(key, body) {
	return createHmac('sha256', Buffer.from(key, 'utf8')).update(body).digest('base64');
}

async function post(url, body, headers = {}) {
	const res = await fetch(url, {
		method: 'POST',
		headers: { 'content-type': 'application/json', ...headers },
		body,
	});
	return { status: res.status, text: await res.text() };
}

function today(offsetDays = 0) {
	return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

/** The Protime webhook(s) at the simulator whose destination belongs to this n8n node (by webhookId). */
async function subscriptionsOf(sim, triggerNode, { live = true } = {}) {
	const all = await sim.webhooks();
	return all.filter(
		(w) =>
			w.destinationUrl.includes(triggerNode.webhookId) &&
			(!live || (!w.deleted && w.status === 'Enabled')),
	);
}

/**
 * A trigger's live subscriptions under the renewal overlap (docs/trigger-design.md): its current one, the newest,
 * plus at most two replaced ones kept until they expire. A replaced one was created at an earlier check, so it
 * expires at least 30 s before the newest; a duplicate made by a race would not.
 */
async function assertCurrentAndOverlap(sim, triggerNode, label) {
	const live = await subscriptionsOf(sim, triggerNode);
	assert(
		live.length >= 1 && live.length <= 3,
		`${label}: ${live.length} live, expected the current one plus at most two replaced ones`,
	);
	const newest = live.reduce((a, b) => (b.validUntilMs > a.validUntilMs ? b : a));
	const close = live.filter((w) => w !== newest && newest.validUntilMs - w.validUntilMs < 30_000);
	assertEqual(
		close.map((w) => `${w.id} until ${w.validUntil}`),
		[],
		`${label}: live subscriptions expiring within 30 s of the current one (${newest.validUntil})`,
	);
}

async function finishedExecutions(client, workflowId) {
	return (await client.executions(workflowId)).filter(
		(e) => e.finished || ['success', 'error', 'crashed', 'canceled'].includes(e.status),
	);
}

/** All items the trigger emitted over the workflow's executions, with the execution id. */
async function emittedItems(client, workflowId, nodeName = 'Protime Trigger') {
	const items = [];
	for (const e of await finishedExecutions(client, workflowId)) {
		const full = await client.execution(e.id);
		for (const json of N8nClient.nodeOutput(full, nodeName) ?? [])
			items.push({ executionId: e.id, status: e.status, json });
	}
	return items;
}

/** Waits until the trigger emitted an item with this record id; returns it. */
async function waitForItem(client, workflowId, id, { timeoutMs = 60_000 } = {}) {
	return waitFor(
		`an execution of workflow ${workflowId} with record id ${id}`,
		async () =>
			(await emittedItems(client, workflowId)).find((i) => String(i.json.id) === String(id)),
		{ timeoutMs, intervalMs: 1000 },
	);
}

/**
 * Imports every example twice as n8n's editor does (issue 24: two imports of one example must not share a webhook
 * path), publishes both copies of those with a trigger, and checks each copy has its own live Protime subscription.
 */
async function examplesTwice({ client, sim, credential }) {
	const dir = path.join(repoRoot, 'examples');
	const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
	assert(files.length >= 5, `example files (${files.length})`);
	const types = await client.nodeTypes();
	const known = new Set(types.map((n) => n.name));
	const webhookTypes = new Set(types.filter((t) => t.webhooks?.length).map((t) => t.name));
	assert(
		webhookTypes.has(TRIGGER_TYPE),
		'n8n lists the Protime Trigger among the node types with webhooks',
	);
	// never used: no delivery reaches the Postgres nodes here, but a user picks one before publishing
	const postgres = await client.createCredential('Payroll database (unused)', 'postgres', {
		host: '127.0.0.1',
		port: 1,
		database: 'none',
		user: 'none',
		password: '',
		ssl: 'disable',
		allowUnauthorizedCerts: false,
		sshTunnel: false,
	});
	const credentialFor = {
		[TRIGGER_TYPE]: CREDENTIAL_TYPE,
		[ACTION_TYPE]: CREDENTIAL_TYPE,
		'n8n-nodes-base.postgres': 'postgres',
	};
	const credentials = { [CREDENTIAL_TYPE]: credential, postgres };
	let published = 0;
	for (const f of files) {
		const text = fs.readFileSync(path.join(dir, f), 'utf8');
		const def = JSON.parse(text);
		assert(!def.nodes.some((n) => n.webhookId), `${f} carries a fixed webhookId`);
		for (const n of def.nodes) assert(known.has(n.type), `${f}: unknown node type ${n.type}`);
		const copies = [];
		for (let i = 0; i < 2; i++) {
			const wf = importAsEditor(def, { webhookTypes, credentials, credentialFor });
			const created = await client.createWorkflow({ ...wf, name: `${wf.name} (copy ${i + 1})` });
			const back = await client.getWorkflow(created.id);
			assertEqual(back.nodes.length, def.nodes.length, `${f}: nodes after import`);
			copies.push({ id: created.id, wf: back });
		}
		const triggers = copies.map((c) => c.wf.nodes.find((n) => n.type === TRIGGER_TYPE));
		if (triggers[0]) {
			assert(
				triggers[0].webhookId &&
					triggers[1].webhookId &&
					triggers[0].webhookId !== triggers[1].webhookId,
				`${f}: the two copies' webhook IDs ${triggers.map((t) => t.webhookId)}`,
			);
			for (const c of copies) await client.activate(c.id); // throws when n8n refuses ("The URL path … is already taken")
			for (const t of triggers) {
				const subs = await subscriptionsOf(sim, t);
				assertEqual(subs.length, 1, `${f}: live Protime subscriptions of a copy`);
			}
			published += 2;
			for (const c of copies) await client.deactivate(c.id);
		}
		for (const c of copies) await client.deleteWorkflow(c.id);
	}
	assert(
		published >= 6,
		`copies published (${published}): the three examples with a Protime Trigger, twice each`,
	);
	await client.delete(`/rest/credentials/${postgres.id}`, { expect: null });
	log(
		`examples: ${files.length} imported twice each; ${published} copies published, each with its own subscription`,
	);
}

async function createWorkflow(client, wf, { activate = true } = {}) {
	const created = await client.createWorkflow(wf);
	if (activate) await client.activate(created.id);
	const trigger = wf.nodes.find((n) => n.type === TRIGGER_TYPE);
	return { id: created.id, trigger, wf };
}

// ---------------------------------------------------------------------------------------------

export async function regular({ checks, runDir, install, want, during }) {
	// demo tenant (people with employee numbers, counter definitions), no background traffic
	const sim = await startSimulator({
		runDir,
		demo: true,
		trafficMs: 0,
		retryMs: [1000, 3000, 10_000, 20_000, 30_000],
	});
	// the renewal checks get their own simulator: short webhook validity, patient retries
	const renewSim = want('renewal')
		? await startSimulator({
				runDir,
				name: 'simulator-renewal',
				demo: true,
				trafficMs: 0,
				validitySeconds: RENEWAL_VALIDITY_S,
				retryMs: [2000, 5000, 10_000, 20_000, 40_000],
			})
		: undefined;
	const inst = await startInstance({ runDir, install });
	const { client } = inst;

	// ---- smoke: package loads, credential test ----
	let credential;
	await checks.check(
		'package loads: trigger, action node and credential types are listed',
		async () => {
			const nodes = await client.nodeTypes();
			const names = new Set(nodes.map((n) => n.name));
			assert(
				names.has(TRIGGER_TYPE),
				`${TRIGGER_TYPE} not among n8n's node types (log: ${inst.n8n.logFile})`,
			);
			assert(names.has(ACTION_TYPE), `${ACTION_TYPE} not among n8n's node types`);
			const creds = await client.credentialTypes();
			assert(
				creds.some((c) => c.name === CREDENTIAL_TYPE),
				`credential type ${CREDENTIAL_TYPE} not listed`,
			);
		},
	);
	credential = await client.createCredential(
		'Protime (simulator)',
		CREDENTIAL_TYPE,
		sim.credentialData(),
	);
	await checks.check(
		'every example in examples/ imports twice as the editor does (each copy its own webhook ID), and both copies of each trigger example publish with their own Protime subscription',
		() => examplesTwice({ client, sim, credential }),
	);
	await checks.check('credential test succeeds against the simulator', async () => {
		const r = await client.testCredential({
			id: credential.id,
			name: credential.name,
			type: CREDENTIAL_TYPE,
			data: sim.credentialData(),
		});
		assertEqual(r?.status, 'OK', `credential test result ${JSON.stringify(r)}`);
	});
	await checks.check(
		'credential test with a wrong secret says the client ID or secret was rejected',
		async () => {
			const data = sim.credentialData({ clientSecret: 'wrong-secret-e2e' });
			const bad = await client.createCredential('Protime (wrong secret)', CREDENTIAL_TYPE, data);
			const r = await client.testCredential({
				id: bad.id,
				name: bad.name,
				type: CREDENTIAL_TYPE,
				data,
			});
			assertEqual(r?.status, 'Error', `credential test result ${JSON.stringify(r)}`);
			assert(/client ID or client secret/i.test(r.message), `message: ${r.message}`);
			assert(!r.message.includes('wrong-secret-e2e'), 'the message must not echo the secret');
			await client.delete(`/rest/credentials/${bad.id}`, { expect: null });
		},
	);
	const renewCredential = renewSim
		? await client.createCredential(
				'Protime (short validity)',
				CREDENTIAL_TYPE,
				renewSim.credentialData(),
			)
		: undefined;

	if (want('trigger')) await triggerChecks({ checks, client, sim, credential, inst });

	// ---- renewal (background, after the restart checks: a restart re-runs trigger() and would hide
	// an activation-time problem of the renewal clock) ----
	const renewal = renewSim
		? startRenewal({ checks, client, sim: renewSim, credential: renewCredential, inst })
		: undefined;
	if (want('action')) await actionChecks({ checks, client, sim, credential, inst });
	if (during) {
		try {
			await during();
		} catch (err) {
			checks.fail('queue mode', err);
		}
	}
	if (renewal) await renewal;
	await inst.stop();
	await sim.stop();
	if (renewSim) await renewSim.stop();
}

// ---------------------------------------------------------------------------------------------

/**
 * Batch Changes end to end: 12 work interruptions raised at once reach one or two executions (window 2 s),
 * every change once, in changeVersion order; then the workflow is deactivated.
 */
async function batchBurst({ client, sim, credential, name, timeoutMs }) {
	const wf = await createWorkflow(
		client,
		triggerWorkflow({
			name,
			collectionName: 'work-interruptions',
			credential,
			options: { batchChanges: true, batchWindow: 2, batchMaxChanges: 100 },
		}),
	);
	const raised = [];
	for (let i = 0; i < 12; i++)
		raised.push(
			await sim.insert('work-interruptions', {
				date: today(),
				durationInMinutes: 20 + i,
				startTimeInMinutes: 400,
				endTimeInMinutes: 420 + i,
			}),
		);
	const versions = raised.map((r) => r.changeVersion);
	const items = await waitFor(
		'every raised change in a finished execution',
		async () => {
			// executions oldest first (the list is newest first), items in their order
			const all = (await emittedItems(client, wf.id))
				.map((i, k) => ({ ...i, k }))
				.sort((a, b) => Number(a.executionId) - Number(b.executionId) || a.k - b.k)
				.map((i) => i.json);
			return versions.every((v) => all.some((j) => j.changeVersion === v)) ? all : false;
		},
		{ timeoutMs, intervalMs: 1000 },
	);
	const executions = await finishedExecutions(client, wf.id);
	assert(
		executions.length >= 1 && executions.length <= 2,
		`executions for 12 changes: ${executions.length}`,
	);
	assert(
		executions.every((e) => e.status === 'success'),
		`statuses ${executions.map((e) => e.status).join(', ')}`,
	);
	assertEqual(
		items.map((j) => j.changeVersion).join(','),
		[...versions].sort().join(','),
		'items: every change once, in changeVersion order',
	);
	await client.deactivate(wf.id);
}

const workInterruption = (sim, minutes) =>
	sim.insert('work-interruptions', {
		date: today(),
		durationInMinutes: minutes,
		startTimeInMinutes: 600,
		endTimeInMinutes: 600 + minutes,
	});

/**
 * Issue 22: a workflow that always fails on one change does not stop the stream. Its batch fails Max Failed
 * Executions per Batch (3) times, is set aside and announced once (ResyncRequired, reason executionsFailed);
 * the changes made after it reach a successful execution each once.
 */
async function batchSetAside({ client, sim, credential }) {
	const POISON = 13;
	const wf = await createWorkflow(
		client,
		triggerStepWorkflow({
			name: 'e2e batch set aside',
			collectionName: 'work-interruptions',
			credential,
			options: { batchChanges: true, batchWindow: 1, batchMaxChanges: 100, batchMaxFailures: 3 },
			code: `for (const item of $input.all()) {
  if (item.json.data?.durationInMinutes === ${POISON}) throw new Error('this workflow refuses record ' + item.json.id);
}
return $input.all();`,
		}),
	);
	const poison = await workInterruption(sim, POISON);
	await waitFor(
		'a failed execution of the poisoned batch',
		async () => (await finishedExecutions(client, wf.id)).some((e) => e.status === 'error'),
		{ timeoutMs: 60_000, intervalMs: 1000 },
	);
	const goods = [];
	for (const minutes of [21, 22, 23]) goods.push(await workInterruption(sim, minutes));
	const items = await waitFor(
		'the changes after the poisoned one in a successful execution',
		async () => {
			const all = await emittedItems(client, wf.id);
			const ok = all.filter((i) => i.status === 'success');
			return goods.every((g) => ok.some((i) => i.json.id === g.id)) ? all : false;
		},
		{ timeoutMs: 90_000, intervalMs: 1000 },
	);
	const runsOf = (id, status) =>
		items.filter((i) => i.json.id === id && (!status || i.status === status)).length;
	const notices = items.filter((i) => i.json.reason === 'executionsFailed');
	log(
		`set aside: record ${poison.id} ran ${runsOf(poison.id)} times (failed ${runsOf(poison.id, 'error')}), ${notices.length} notice(s), later changes ${goods.map((g) => runsOf(g.id, 'success')).join('/')} successful run(s)`,
	);
	assertEqual(runsOf(poison.id, 'error'), 3, 'failed executions of the poisoned change');
	assertEqual(runsOf(poison.id), 3, 'executions of the poisoned change');
	assertEqual(notices.length, 1, 'ResyncRequired notices for the batch set aside');
	assertEqual(
		notices[0].json.setAside.map((c) => c.id).join(','),
		String(poison.id),
		'the notice names the change set aside',
	);
	for (const g of goods) assertEqual(runsOf(g.id), 1, `executions of later change ${g.id}`);
	await client.deactivate(wf.id);
}

/**
 * Issue 22: a re-publish with a changed trigger parameter while a batch executes (a Wait step of 10 s) starts
 * a new clock; the batch must not run a second time beside the first, nor after it.
 */
async function batchRepublish({ client, sim, credential }) {
	const wf = await createWorkflow(
		client,
		triggerStepWorkflow({
			name: 'e2e batch re-publish',
			collectionName: 'work-interruptions',
			credential,
			options: { batchChanges: true, batchWindow: 1, batchMaxChanges: 100 },
			waitSeconds: 10,
		}),
	);
	const record = await workInterruption(sim, 31);
	await waitFor(
		'the batch execution running',
		async () => (await client.executions(wf.id)).some((e) => e.status === 'running'),
		{ timeoutMs: 30_000, intervalMs: 250 },
	);
	// n8n 2.x restarts a trigger on publication only when its parameters changed (publication/trigger-diff.js)
	const saved = await client.getWorkflow(wf.id);
	const nodes = saved.nodes.map((n) =>
		n.type === TRIGGER_TYPE
			? {
					...n,
					parameters: { ...n.parameters, options: { ...n.parameters.options, batchWindow: 2 } },
				}
			: n,
	);
	await client.updateWorkflow(wf.id, { nodes, name: 'e2e batch re-publish (saved)' });
	await client.activate(wf.id); // 2.x: publishes the saved version; 1.x: the save re-activated it already
	const later = await workInterruption(sim, 32);
	await waitForItem(client, wf.id, later.id, { timeoutMs: 90_000 });
	await sleep(12_000); // a second run of the first batch would have started and ended by now
	const items = await emittedItems(client, wf.id);
	const runs = items.filter((i) => i.json.id === record.id);
	log(
		`re-publish during a batch: record ${record.id} ran ${runs.length} time(s) (${runs.map((r) => r.status).join(', ')})`,
	);
	assertEqual(runs.length, 1, 'executions of the batch running during the re-publish');
	assertEqual(runs[0].status, 'success', 'its status');
	await client.deactivate(wf.id);
}

/**
 * Issue 20: deactivate, change a record while the trigger is unpublished, activate: one ResyncRequired. Then
 * restart n8n and publish again: still one, with the same detectedAt (a re-publish on n8n 1.x deletes and
 * re-creates the subscription, a real new gap, announced once more).
 */
async function gapAnnouncedOnce({ client, sim, credential, inst }) {
	const wf = await createWorkflow(
		client,
		triggerWorkflow({
			name: 'e2e gap once',
			collectionName: 'work-interruptions',
			credential,
			options: { checkInterval: 1 },
		}),
	);
	const resyncs = async () =>
		(await emittedItems(client, wf.id)).filter((i) => i.json.changeType === 'ResyncRequired');
	const change = (minute) =>
		sim.insert('work-interruptions', {
			date: today(),
			durationInMinutes: 1,
			startTimeInMinutes: minute,
			endTimeInMinutes: minute + 1,
		});
	const first = await change(800);
	await waitForItem(client, wf.id, first.id);
	await client.deactivate(wf.id);
	await change(802); // made while the trigger is unpublished: the gap
	await client.activate(wf.id);
	await waitFor(
		'a ResyncRequired item after the re-activation',
		async () => (await resyncs()).length > 0,
		{
			timeoutMs: 150_000,
			intervalMs: 2000,
		},
	);
	const created = async () => (await subscriptionsOf(sim, wf.trigger, { live: false })).length;
	const before = await created();
	await inst.restart();
	await sleep(5000);
	const after = await change(804);
	await waitForItem(client, wf.id, after.id);
	const saved = await client.getWorkflow(wf.id);
	await client.updateWorkflow(wf.id, { nodes: saved.nodes, name: 'e2e gap once (saved)' });
	await client.activate(wf.id);
	const republished = (await created()) - before;
	await sleep(75_000); // more than one check interval
	const last = await change(806);
	await waitForItem(client, wf.id, last.id);
	const all = await resyncs();
	const distinct = [...new Set(all.map((i) => i.json.detectedAt))];
	log(
		`gap once (n8n ${inst.install.version}): ${all.length} ResyncRequired, detectedAt ${distinct.join(', ')}; the re-publish created ${republished} subscription(s)`,
	);
	assertEqual(
		all.length,
		distinct.length,
		'ResyncRequired items with the same detectedAt (a gap announced twice)',
	);
	// A re-publish that re-created the subscription (n8n 1.x deletes it first) is a new gap, announced once.
	assertEqual(all.length, 1 + (republished > 0 ? 1 : 0), 'ResyncRequired items');
	await client.deactivate(wf.id);
}

async function triggerChecks({ checks, client, sim, credential, inst }) {
	let wi; // work-interruptions workflow
	let cd; // counter-definitions workflow
	await checks.check(
		'trigger: activation creates exactly one subscription at the simulator',
		async () => {
			wi = await createWorkflow(
				client,
				triggerWorkflow({
					name: 'e2e work interruptions',
					collectionName: 'work-interruptions',
					credential,
					externalReferences: [{ collection: 'people', reference: '@employee-number' }],
				}),
			);
			const subs = await subscriptionsOf(sim, wi.trigger, { live: false });
			assertEqual(subs.length, 1, 'webhooks created for the node');
			assertEqual(subs[0].status, 'Enabled', 'status');
			assertEqual(subs[0].collectionName, 'work-interruptions', 'collection');
			assert(
				subs[0].destinationUrl === `${inst.baseUrl}/webhook/${wi.trigger.webhookId}/webhook`,
				`destination ${subs[0].destinationUrl}`,
			);
			cd = await createWorkflow(
				client,
				triggerWorkflow({
					name: 'e2e counter definitions',
					collectionName: 'counter-definitions',
					credential,
				}),
			);
			assertEqual(
				(await subscriptionsOf(sim, cd.trigger, { live: false })).length,
				1,
				'counter-definitions webhooks',
			);
		},
	);
	if (!wi || !cd) return;

	await checks.check(
		'trigger: a signed work-interruption delivery produces an execution with typed items',
		async () => {
			const people = await sim.records('people');
			const person = people[0];
			assert(person, 'the simulator has people (demo tenant)');
			await sim.setExternalReferences('people', person.id, { '@employee-number': 'E-2041' });
			const record = await sim.insert('work-interruptions', {
				person: { id: person.id },
				date: today(),
				startTimeInMinutes: 600,
				endTimeInMinutes: 645,
				durationInMinutes: 45,
			});
			const item = (await waitForItem(client, wi.id, record.id)).json;
			assertEqual(item.changeType, 'InsertOrUpdate', 'changeType');
			assertEqual(item.collectionName, 'work-interruptions', 'collectionName');
			assert(/^[0-9A-F]{20}$/.test(item.changeVersion), `changeVersion ${item.changeVersion}`);
			const d = item.data;
			assertEqual(d.date, record.date, 'data.date');
			assertEqual(d.durationInMinutes, 45, 'data.durationInMinutes');
			assertEqual(d.duration, '0:45', 'data.duration (H:MM)');
			assertEqual(d.durationHours, 0.75, 'data.durationHours');
			assertEqual(d.startTime, '10:00', 'data.startTime');
			assertEqual(d.personId, person.id, 'data.personId');
			assertEqual(
				d.personEmployeeNumber,
				'E-2041',
				'data.personEmployeeNumber (external reference requested by the trigger)',
			);
		},
	);

	await checks.check(
		'trigger: a signed counter-definition delivery produces an execution with typed items',
		async () => {
			const record = await sim.insert('counter-definitions', {});
			const item = (await waitForItem(client, cd.id, record.id)).json;
			assertEqual(item.changeType, 'InsertOrUpdate', 'changeType');
			assertEqual(item.collectionName, 'counter-definitions', 'collectionName');
			assertEqual(item.changeVersion, record.changeVersion, 'changeVersion');
			for (const [k, v] of Object.entries(record)) {
				if (v && typeof v === 'object' && typeof v.default === 'string') {
					assertEqual(item.data[k], v.default, `Simplify flattens the translated ${k}`);
				}
			}
		},
	);

	await checks.check('trigger: a Delete delivery produces an item for the deleted id', async () => {
		const record = await sim.insert('counter-definitions', {});
		await waitForItem(client, cd.id, record.id);
		const before = (await finishedExecutions(client, cd.id)).length;
		await sim.remove('counter-definitions', record.id);
		await waitFor(
			'one more execution after the delete',
			async () => (await finishedExecutions(client, cd.id)).length > before,
			{ timeoutMs: 60_000, intervalMs: 1000 },
		);
		const items = (await emittedItems(client, cd.id)).filter(
			(i) => String(i.json.id) === String(record.id),
		);
		assert(
			items.some((i) => i.json.changeType === 'Delete'),
			`a Delete item for id ${record.id}: ${JSON.stringify(items.map((i) => i.json))}`,
		);
	});

	await checks.check(
		'trigger: forged, unsigned and altered-body deliveries get 401 and start no execution',
		async () => {
			const [sub] = await subscriptionsOf(sim, wi.trigger);
			assert(sub, 'live subscription');
			const url = sub.destinationUrl;
			const people = await sim.records('people');
			const change = (minutes, version) =>
				JSON.stringify({
					changeType: 'InsertOrUpdate',
					data: {
						changeVersion: version,
						id: 990000 + minutes,
						person: { id: people[0].id },
						date: today(),
						startTimeInMinutes: 480,
						endTimeInMinutes: 480 + minutes,
						durationInMinutes: minutes,
					},
				});
			const before = (await client.executions(wi.id)).length;
			const bodyA = change(10, 'FFFFFFFF000000000001');
			const bodyB = change(600, 'FFFFFFFF000000000001');
			const unsigned = await post(url, bodyA);
			assertEqual(
				unsigned.status,
				401,
				`unsigned delivery status (${unsigned.text.slice(0, 200)})`,
			);
			const forged = await post(url, bodyA, {
				'X-Protime-Signature': sign(randomBytes(32).toString('base64'), bodyA),
			});
			assertEqual(forged.status, 401, 'forged delivery status');
			const altered = await post(url, bodyB, { 'X-Protime-Signature': sign(sub.key, bodyA) });
			assertEqual(altered.status, 401, 'altered-body delivery status');
			await sleep(3000);
			assertEqual(
				(await client.executions(wi.id)).length,
				before,
				'executions after the rejected deliveries',
			);
			// control: the same body correctly signed is accepted, so the 401s above were about the signature
			const good = await post(url, bodyB, { 'X-Protime-Signature': sign(sub.key, bodyB) });
			assertEqual(
				good.status,
				200,
				`correctly signed delivery status (${good.text.slice(0, 200)})`,
			);
			await waitForItem(client, wi.id, 990600, { timeoutMs: 30_000 });
		},
	);

	await checks.check(
		'trigger: 2xx only after the execution; the stale filter written on that path is kept (an older version is then dropped)',
		async () => {
			const [sub] = await subscriptionsOf(sim, wi.trigger);
			const people = await sim.records('people');
			const body = (version) =>
				JSON.stringify({
					changeType: 'InsertOrUpdate',
					data: {
						changeVersion: version,
						id: 991000,
						person: { id: people[0].id },
						date: today(),
						startTimeInMinutes: 60,
						endTimeInMinutes: 90,
						durationInMinutes: 30,
					},
				});
			const newer = body('FFFFFFFF000000000010');
			const first = await post(sub.destinationUrl, newer, {
				'X-Protime-Signature': sign(sub.key, newer),
			});
			assertEqual(first.status, 200, `delivery status (${first.text.slice(0, 200)})`);
			// Answered after the execution: it is already listed as finished when the 200 arrives.
			const items = await emittedItems(client, wi.id);
			assert(
				items.some((i) => i.json.id === 991000),
				'the execution had finished when Protime got its 200',
			);
			const older = body('FFFFFFFF00000000000F');
			const stale = await post(sub.destinationUrl, older, {
				'X-Protime-Signature': sign(sub.key, older),
			});
			assertEqual(stale.status, 200, 'stale delivery status');
			assertEqual(
				JSON.parse(stale.text).dropped,
				1,
				`the older version was dropped by the filter the first delivery saved (${stale.text})`,
			);
		},
	);

	await checks.check(
		'trigger: Batch Changes: a burst of 12 changes arrives in one or two executions, in changeVersion order, each once',
		async () => {
			await batchBurst({ client, sim, credential, name: 'e2e batch changes', timeoutMs: 60_000 });
		},
	);

	await checks.check(
		'trigger: Batch Changes: a batch that always fails is set aside after 3 failed executions, announced once, and the stream goes on',
		async () => {
			await batchSetAside({ client, sim, credential });
		},
	);

	await checks.check(
		'trigger: Batch Changes: a re-publish while a batch executes does not run it a second time',
		async () => {
			await batchRepublish({ client, sim, credential });
		},
	);

	await checks.check(
		'trigger: saving and re-publishing leaves exactly one subscription, deliveries still verify',
		async () => {
			const created = async () => (await subscriptionsOf(sim, wi.trigger, { live: false })).length;
			for (let i = 1; i <= 2; i++) {
				const wf = await client.getWorkflow(wi.id);
				const nodes = wf.nodes.map((n) =>
					n.type === TRIGGER_TYPE ? { ...n, position: [n.position[0] + 20 * i, n.position[1]] } : n,
				);
				const before = await created();
				await client.updateWorkflow(wi.id, { nodes, name: `e2e work interruptions (saved ${i})` });
				// 1.x re-adds the webhooks of an active workflow on every save; 2.x only when it is published
				assertEqual(
					(await created()) - before,
					client.major < 2 ? 1 : 0,
					`subscriptions created by save ${i} alone (n8n ${inst.install.version})`,
				);
				const saved = await created();
				await client.activate(wi.id);
				log(
					`n8n ${inst.install.version}: save ${i} created ${saved - before} subscription(s), publishing it ${(await created()) - saved}`,
				);
				const live = await subscriptionsOf(sim, wi.trigger);
				assertEqual(live.length, 1, `live subscriptions after save ${i}`);
			}
			const record = await sim.insert('work-interruptions', {
				date: today(),
				durationInMinutes: 5,
				startTimeInMinutes: 700,
				endTimeInMinutes: 705,
			});
			await waitForItem(client, wi.id, record.id);
			assertEqual(
				(await subscriptionsOf(sim, wi.trigger)).length,
				1,
				'live subscriptions after a delivery',
			);
		},
	);

	await checks.check(
		'trigger: restarting n8n twice leaves exactly one subscription, deliveries still verify',
		async () => {
			for (let i = 1; i <= 2; i++) {
				await inst.restart();
				await sleep(5000); // trigger() runs on start (activation mode init) after readiness
				assertEqual(
					(await subscriptionsOf(sim, wi.trigger)).length,
					1,
					`live subscriptions after restart ${i}`,
				);
				assertEqual(
					(await subscriptionsOf(sim, cd.trigger)).length,
					1,
					`counter-definitions subscriptions after restart ${i}`,
				);
			}
			const record = await sim.insert('work-interruptions', {
				date: today(),
				durationInMinutes: 7,
				startTimeInMinutes: 710,
				endTimeInMinutes: 717,
			});
			await waitForItem(client, wi.id, record.id);
			const record2 = await sim.insert('counter-definitions', {});
			await waitForItem(client, cd.id, record2.id);
		},
	);

	await checks.check(
		'trigger: a gap is announced once, across a deactivation, a re-activation, a restart and a re-publish',
		async () => {
			await gapAnnouncedOnce({ client, sim, credential, inst });
		},
	);

	await checks.check('trigger: deactivation leaves no subscription', async () => {
		await client.deactivate(wi.id);
		await client.deactivate(cd.id);
		await waitFor(
			'no live subscription of the deactivated workflows',
			async () =>
				(await subscriptionsOf(sim, wi.trigger)).length === 0 &&
				(await subscriptionsOf(sim, cd.trigger)).length === 0,
			{ timeoutMs: 30_000, intervalMs: 500 },
		);
		const url = `${inst.baseUrl}/webhook/${wi.trigger.webhookId}/webhook`;
		const r = await post(url, '{}');
		assertEqual(r.status, 404, 'the production URL after deactivation');
	});
}

// ---------------------------------------------------------------------------------------------

async function actionChecks({ checks, client, sim, credential, inst }) {
	await checks.check(
		'action: work interruptions of a date range, Return All, across pages → CSV file',
		async () => {
			await sim.assumptions({ pageSize: 25 });
			const people = await sim.records('people');
			const start = today(-40);
			const end = today(-10);
			const seeded = [];
			for (let d = -45; d <= -5; d++) {
				for (let k = 0; k < 3; k++) {
					seeded.push({
						person: { id: people[(d + 45 + k) % people.length].id },
						date: today(d),
						startTimeInMinutes: 540 + k * 60,
						endTimeInMinutes: 560 + k * 60,
						durationInMinutes: 20,
					});
				}
			}
			await sim.seed('work-interruptions', seeded);
			const expected = (await sim.records('work-interruptions')).filter(
				(r) => r.date >= start && r.date <= end,
			);
			assert(expected.length > 75, `enough records for several pages (${expected.length})`);
			const fileName = `work-interruptions-${Date.now()}.csv`;
			const wf = workInterruptionsCsvWorkflow({
				credential,
				filesDir: inst.filesDir,
				startDate: start,
				endDate: end,
				start: 'webhook',
				webhookPath: `e2e-sync-${Date.now()}`,
				fileName,
			});
			const { id } = await createWorkflow(client, wf);
			const webhookPath = wf.nodes[0].parameters.path;
			const r = await fetch(`${inst.baseUrl}/webhook/${webhookPath}`, { method: 'POST' });
			assertEqual(r.status, 200, `workflow run answer (${(await r.text()).slice(0, 300)})`);
			const [exec] = await client.waitExecutions(id, 1);
			const full = await client.execution(exec.id);
			assertEqual(
				full.status,
				'success',
				`execution status (${JSON.stringify(N8nClient.nodeError(full))?.slice(0, 400)})`,
			);
			const items = N8nClient.nodeOutput(full, 'Get work interruptions');
			assertEqual(items.length, expected.length, 'items read with Return All');
			assertEqual(new Set(items.map((i) => String(i.id))).size, expected.length, 'distinct ids');
			const file = path.join(inst.filesDir, fileName);
			assert(fs.existsSync(file), `CSV file ${file} written`);
			const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
			assertEqual(lines.length, expected.length + 1, 'CSV lines (header + one per record)');
			assert(/date/.test(lines[0]) && /id/.test(lines[0]), `CSV header ${lines[0]}`);
			const stats = await sim.stats();
			const pages = stats.requestLog.filter((e) =>
				/work-interruptions/.test(e.path ?? e.url ?? ''),
			).length;
			assert(pages >= Math.ceil(expected.length / 25), `paged requests (${pages})`);
			await client.deactivate(id);
			await sim.assumptions({ pageSize: 100 });
		},
	);

	await checks.check('action: create, list and delete a webhook subscription', async () => {
		const destinationUrl = `http://127.0.0.1:9/e2e-crud-${Date.now()}`;
		const wf = webhookCrudWorkflow({
			credential,
			destinationUrl,
			start: 'webhook',
			webhookPath: `e2e-crud-${Date.now()}`,
		});
		const { id } = await createWorkflow(client, wf);
		const r = await fetch(`${inst.baseUrl}/webhook/${wf.nodes[0].parameters.path}`, {
			method: 'POST',
		});
		const text = await r.text();
		assertEqual(r.status, 200, `workflow run answer (${text.slice(0, 300)})`);
		const [exec] = await client.waitExecutions(id, 1);
		const full = await client.execution(exec.id);
		assertEqual(
			full.status,
			'success',
			`execution status (${JSON.stringify(N8nClient.nodeError(full))?.slice(0, 400)})`,
		);
		const created = N8nClient.nodeOutput(full, 'Create webhook')[0];
		assert(created?.id, `created webhook ${JSON.stringify(created)}`);
		const listed = N8nClient.nodeOutput(full, 'List webhooks');
		assert(
			listed.some((w) => w.id === created.id),
			`the new webhook among the listed ones ${JSON.stringify(listed.map((w) => w.id))}`,
		);
		const hooks = (await sim.webhooks()).filter((w) => w.destinationUrl === destinationUrl);
		assertEqual(hooks.length, 1, 'webhooks created at the simulator');
		assert(hooks[0].deleted, 'the webhook was deleted at the simulator');
		await client.deactivate(id);
	});
	await checks.check(
		"action: Webhook → Get's 'From List' (searchWebhooks, through n8n's resource-locator endpoint) lists the subscriptions, searchable",
		async () => {
			// one subscription of our own, made with the simulator's default client as any Protime client would
			const c = sim.credentialData();
			const tokenRes = await fetch(`${sim.origin}/tenants/${c.tenant}/connect/token`, {
				method: 'POST',
				headers: {
					'content-type': 'application/x-www-form-urlencoded',
					'user-agent': 'n8n-nodes-protime-e2e',
				},
				body: new URLSearchParams({
					grant_type: 'client_credentials',
					client_id: c.clientId,
					client_secret: c.clientSecret,
				}),
			});
			const { access_token: token } = await tokenRes.json();
			const destinationUrl = `https://example.com/e2e-locator-${Date.now()}`;
			const made = await fetch(`${sim.origin}/connector/protimeapi/api/v1/webhooks`, {
				method: 'POST',
				headers: {
					authorization: `Bearer ${token}`,
					'content-type': 'application/json',
					'user-agent': 'n8n-nodes-protime-e2e',
				},
				body: JSON.stringify({ destinationUrl, collectionName: 'absence-groups' }),
			});
			assertEqual(made.status, 201, 'webhook made at the simulator');
			const search = (filter) =>
				client.post('/rest/dynamic-node-parameters/resource-locator-results', {
					path: 'parameters.webhookId',
					methodName: 'searchWebhooks',
					nodeTypeAndVersion: { name: ACTION_TYPE, version: 1 },
					currentNodeParameters: {
						resource: 'webhook',
						operation: 'get',
						webhookId: { __rl: true, mode: 'list', value: '' },
					},
					credentials: { [CREDENTIAL_TYPE]: { id: credential.id, name: credential.name } },
					...(filter ? { filter } : {}),
				});
			const all = (await search()).results ?? [];
			const live = (await sim.webhooks())
				.filter((w) => !w.deleted)
				.map((w) => w.id)
				.sort();
			assertEqual(all.map((r) => r.value).sort(), live, 'listed webhook ids');
			const mine = (await search('e2e-locator')).results ?? [];
			assert(
				mine.length === 1 &&
					mine[0].name.startsWith(`absence-groups → ${destinationUrl} (Enabled, until `),
				`search result ${JSON.stringify(mine)}`,
			);
		},
	);
}

// ---------------------------------------------------------------------------------------------

/**
 * Renewal over several validity periods, in the background:
 *  - steady: a work interruption every ~12 s for three validity periods → every one arrives once;
 *  - quiet: counter definitions, nothing raised for longer than the validity → the next change arrives;
 *  - lost: counter definitions too; its static data is wiped in n8n's database right after activation →
 *    the n8n process holding the record in memory writes it back, and the quiet change arrives (without
 *    that memory, after a restart, the trigger subscribes again with ResyncRequired: test/unit/trigger.test.ts).
 */
function startRenewal({ checks, client, sim, credential, inst }) {
	const validityMs = RENEWAL_VALIDITY_S * 1000;
	const options = { checkInterval: 1, renewalMargin: 2, includeSubscriptionInfo: true };
	return (async () => {
		let steady;
		let quiet;
		let lost;
		const ok = await checks.check(
			`renewal: activate three triggers on a simulator whose webhooks are valid ${RENEWAL_VALIDITY_S} s`,
			async () => {
				steady = await createWorkflow(
					client,
					triggerWorkflow({
						name: 'e2e renewal (steady)',
						collectionName: 'work-interruptions',
						credential,
						options,
					}),
				);
				quiet = await createWorkflow(
					client,
					triggerWorkflow({
						name: 'e2e renewal (quiet)',
						collectionName: 'counter-definitions',
						credential,
						options,
					}),
				);
				lost = await createWorkflow(
					client,
					triggerWorkflow({
						name: 'e2e renewal (static data lost)',
						collectionName: 'counter-definitions',
						credential,
						options,
					}),
				);
				assertEqual((await subscriptionsOf(sim, steady.trigger)).length, 1, 'steady subscriptions');
				assertEqual((await subscriptionsOf(sim, quiet.trigger)).length, 1, 'quiet subscriptions');
				assertEqual(
					(await subscriptionsOf(sim, lost.trigger)).length,
					1,
					'subscriptions of the trigger whose static data is wiped next',
				);
				return true;
			},
		);
		if (!ok) return;
		const t0 = Date.now();
		const raised = [];
		const steadyRun = (async () => {
			const people = await sim.records('people');
			let i = 0;
			while (Date.now() - t0 < 3 * validityMs + 10_000) {
				const r = await sim.insert('work-interruptions', {
					person: { id: people[i % people.length].id },
					date: today(),
					durationInMinutes: 1 + (i % 50),
					startTimeInMinutes: 60 + i,
					endTimeInMinutes: 61 + i + (i % 50),
				});
				raised.push(r.id);
				i++;
				await sleep(12_000);
			}
		})();
		const quietRun = (async () => {
			await sleep(validityMs + 45_000);
			return sim.insert('counter-definitions', {});
		})();
		const lostRun = (async () => {
			const [original] = await subscriptionsOf(sim, lost.trigger);
			await sleep(5000);
			await clearStaticData(inst, lost.id);
			return original;
		})();

		const quietRecord = await quietRun;
		await checks.check(
			`renewal: after ${Math.round((validityMs + 45_000) / 1000)} s without any change (validity ${RENEWAL_VALIDITY_S} s), the next counter-definition change arrives`,
			async () => {
				await waitForItem(client, quiet.id, quietRecord.id, { timeoutMs: 90_000 });
				const all = await subscriptionsOf(sim, quiet.trigger, { live: false });
				assert(
					all.length >= 2,
					`the quiet subscription was renewed (webhooks created: ${all.length})`,
				);
				await assertCurrentAndOverlap(sim, quiet.trigger, 'live quiet subscriptions');
			},
		);
		await checks.check(
			"renewal: static data of an active trigger wiped in n8n's database → the process that holds its record puts it back: no resync needed, one subscription, and the next change arrives",
			async () => {
				await lostRun;
				await waitForItem(client, lost.id, quietRecord.id, { timeoutMs: 90_000 });
				await assertCurrentAndOverlap(sim, lost.trigger, 'live subscriptions of the trigger');
				const resyncs = (await emittedItems(client, lost.id)).filter(
					(i) => i.json.changeType === 'ResyncRequired',
				);
				assertEqual(
					resyncs.length,
					0,
					'ResyncRequired items (the subscription and its key were never lost)',
				);
			},
		);

		await steadyRun;
		await checks.check(
			`renewal: ${raised.length} changes raised steadily over three validity periods all arrive, none twice`,
			async () => {
				await waitFor(
					'every raised change in an execution',
					async () => {
						const ids = (await emittedItems(client, steady.id)).map((i) => String(i.json.id));
						return raised.every((id) => ids.includes(String(id)));
					},
					{ timeoutMs: 120_000, intervalMs: 3000 },
				).catch(async (err) => {
					const ids = new Set(
						(await emittedItems(client, steady.id)).map((i) => String(i.json.id)),
					);
					throw new Error(
						`${err.message}; missing ids ${raised.filter((id) => !ids.has(String(id))).join(', ')}`,
					);
				});
				const ids = (await emittedItems(client, steady.id)).map((i) => String(i.json.id));
				const dupes = ids.filter((id, k) => ids.indexOf(id) !== k);
				assertEqual(dupes, [], 'ids emitted twice');
				const all = await subscriptionsOf(sim, steady.trigger, { live: false });
				assert(
					all.length >= 3,
					`the subscription was renewed at least twice (webhooks created: ${all.length})`,
				);
				await assertCurrentAndOverlap(sim, steady.trigger, 'live steady subscriptions');
			},
		);
		await client.deactivate(steady.id);
		await client.deactivate(quiet.id);
		await client.deactivate(lost.id);
		await checks.check('renewal: deactivation leaves no subscription', async () => {
			const live = async () =>
				(
					await Promise.all(
						[steady, quiet, lost].map(async (w) => (await subscriptionsOf(sim, w.trigger)).length),
					)
				).reduce((a, b) => a + b, 0);
			await waitFor('no live subscription', async () => (await live()) === 0, {
				timeoutMs: 30_000,
			});
		});
	})();
}

const KEPT_ELSEWHERE_LOG = "another n8n process saved this trigger's kept changes";

/**
 * Issue 22: a Batch Changes trigger whose requests a load balancer spreads over two webhook processors. Only one
 * process may keep a trigger's changes (static data is saved whole); the other refuses (503) and logs the fix.
 * Every change Protime got a 2xx for must reach a successful execution.
 */
async function twoProcessors({ client, sim, credential, proxy, logFiles }) {
	const wf = await createWorkflow(
		client,
		triggerWorkflow({
			name: 'e2e two webhook processors',
			collectionName: 'work-interruptions',
			credential,
			// checks every minute: a subscription Protime disables is recovered (and announced) within the wait
			options: { batchChanges: true, batchWindow: 2, batchMaxChanges: 100, checkInterval: 1 },
		}),
	);
	const sentBefore = proxy.sent();
	const raised = [];
	for (let i = 0; i < 10; i++) {
		raised.push(await workInterruption(sim, 40 + i));
		await sleep(300);
	}
	const hooks = async () =>
		(await sim.webhooks()).filter((w) => w.destinationUrl.includes(wf.trigger.webhookId));
	const attempts = async () => {
		const ids = (await hooks()).map((w) => w.id);
		return (await sim.deliveries()).filter((a) => ids.includes(a.webhookId));
	};
	// Refused deliveries wait for the simulator's retries (1 s, 3 s, 10 s); after the last one it disables the
	// subscription and drops its queue, as Protime documents. The trigger's next check then recovers and
	// announces the gap (ResyncRequired).
	const versions = raised.map((r) => r.changeVersion);
	let acknowledged = new Set();
	let lost = [];
	let shown = 0;
	const announcedGap = async () =>
		(await hooks()).some((w) => w.status === 'Disabled') &&
		(await emittedItems(client, wf.id)).some((i) => i.json.changeType === 'ResyncRequired');
	const settled = await waitFor(
		'every raised change acknowledged and in a successful execution, or what Protime gave up on announced',
		async () => {
			const all = await attempts();
			acknowledged = new Set(
				all.filter((a) => a.success).flatMap((a) => a.events.map((e) => e.changeVersion)),
			);
			const executed = new Set(
				(await emittedItems(client, wf.id))
					.filter((i) => i.status === 'success')
					.map((i) => i.json.changeVersion),
			);
			lost = [...acknowledged].filter((v) => !executed.has(v));
			if (Date.now() - shown > 15_000) {
				shown = Date.now();
				log(
					`two webhook processors: ${acknowledged.size}/${versions.length} acknowledged, ${executed.size} executed, ${all.filter((a) => a.statusCode === 503).length} refusals so far`,
				);
			}
			if (lost.length) return false;
			return versions.every((v) => acknowledged.has(v)) || (await announcedGap());
		},
		{ timeoutMs: 240_000, intervalMs: 2000 },
	).catch(() => false);
	const all = await attempts();
	const refused = all.filter((a) => a.statusCode === 503).length;
	const logged = logFiles.some((f) => fs.readFileSync(f, 'utf8').includes(KEPT_ELSEWHERE_LOG));
	const disabled = (await hooks()).filter((w) => w.status === 'Disabled').length;
	const resyncs = (await emittedItems(client, wf.id)).filter(
		(i) => i.json.changeType === 'ResyncRequired',
	).length;
	const sent = Object.entries(proxy.sent()).map(
		([port, n]) => `${port}: ${n - (sentBefore[port] ?? 0)}`,
	);
	log(
		`two webhook processors: ${raised.length} changes raised, ${acknowledged.size} acknowledged, LOST ${lost.length}, ` +
			`${refused} delivery attempts refused (503), ${disabled} subscription(s) disabled by the simulator after its retries, ` +
			`${resyncs} ResyncRequired, refusal logged: ${logged}; requests per processor ${sent.join(', ')}`,
	);
	assertEqual(
		lost.length,
		0,
		`acknowledged changes in no successful execution (${lost.slice(0, 5).join(', ')})`,
	);
	assert(
		settled,
		'within 4 minutes every raised change acknowledged and executed, or the subscription Protime disabled recovered with a ResyncRequired',
	);
	assert(refused === 0 || logged, 'a processor that refused deliveries logged why, with the fix');
	await client.deactivate(wf.id);
}

// ---------------------------------------------------------------------------------------------

export async function queue({ checks, runDir, install }) {
	const qDir = path.join(runDir, 'queue');
	fs.mkdirSync(qDir, { recursive: true });
	let pg;
	let redis;
	try {
		pg = await startPostgres({ runDir: qDir });
		redis = await startRedis({ runDir: qDir });
	} catch (err) {
		checks.fail('queue mode: PostgreSQL and Redis start', err);
		return;
	}
	const sim = await startSimulator({
		runDir: qDir,
		name: 'simulator-queue',
		demo: true,
		trafficMs: 0,
		retryMs: [1000, 3000, 10_000],
	});
	const tarball = await preparePackage(runDir);
	const userFolder = path.join(qDir, 'home');
	const filesDir = path.join(qDir, 'files');
	fs.mkdirSync(filesDir, { recursive: true });
	installIntoUserFolder(tarball, userFolder);
	const mainPort = await freePort();
	// N8N_WEBHOOK_URL points at a round-robin proxy, as at a load balancer: one webhook processor behind it,
	// two for the check of issue 22
	const webhookPort = await freePort();
	const processorPorts = [await freePort(), await freePort()];
	const proxy = await startRoundRobin({ targets: [processorPorts[0]], port: webhookPort });
	const shared = {
		...queueModeEnv({ pg, redis, mainPort, webhookPort }),
		OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
		N8N_LOG_LEVEL: 'debug',
	};
	let main;
	let worker;
	let webhook;
	const ok = await checks.check(
		'queue mode: main, worker and webhook processor start (PostgreSQL, Redis)',
		async () => {
			main = await startN8n(install, {
				role: 'start',
				name: 'n8n-queue-main',
				runDir: qDir,
				userFolder,
				filesDir,
				port: mainPort,
				extra: shared,
			});
			[worker, webhook] = await Promise.all([
				startN8n(install, {
					role: 'worker',
					name: 'n8n-queue-worker',
					runDir: qDir,
					userFolder,
					filesDir,
					extra: shared,
				}),
				startN8n(install, {
					role: 'webhook',
					name: 'n8n-queue-webhook',
					runDir: qDir,
					userFolder,
					filesDir,
					port: processorPorts[0],
					extra: shared,
				}),
			]);
			return true;
		},
	);
	if (!ok) return;
	const client = new N8nClient(main.baseUrl, install);
	await client.setupOwner();
	const credential = await client.createCredential(
		'Protime (simulator)',
		CREDENTIAL_TYPE,
		sim.credentialData(),
	);
	let wf;
	await checks.check(
		'queue mode: activation on the main creates one subscription pointing at the webhook processor',
		async () => {
			wf = await createWorkflow(
				client,
				triggerWorkflow({
					name: 'e2e queue work interruptions',
					collectionName: 'work-interruptions',
					credential,
				}),
			);
			const subs = await subscriptionsOf(sim, wf.trigger, { live: false });
			assertEqual(subs.length, 1, 'webhooks created');
			assert(
				subs[0].destinationUrl.startsWith(`http://127.0.0.1:${webhookPort}/webhook/`),
				`destination ${subs[0].destinationUrl}`,
			);
		},
	);
	if (!wf) return;
	await checks.check(
		'queue mode: deliveries are verified on the webhook processor and executed on the worker',
		async () => {
			const records = [];
			for (let i = 0; i < 3; i++)
				records.push(
					await sim.insert('work-interruptions', {
						date: today(),
						durationInMinutes: 10 + i,
						startTimeInMinutes: 300,
						endTimeInMinutes: 310 + i,
					}),
				);
			for (const r of records) await waitForItem(client, wf.id, r.id, { timeoutMs: 90_000 });
			const [sub] = await subscriptionsOf(sim, wf.trigger);
			const body = JSON.stringify({
				changeType: 'InsertOrUpdate',
				data: { id: 1, changeVersion: 'FFFFFFFFFFFFFFFFFFFF', date: today() },
			});
			const forged = await post(sub.destinationUrl, body, {
				'X-Protime-Signature': sign('not-the-key', body),
			});
			assertEqual(forged.status, 401, 'forged delivery on the webhook processor');
			const execs = await finishedExecutions(client, wf.id);
			assert(execs.length >= 3, `executions (${execs.length})`);
			const clean = (f) => fs.readFileSync(f, 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
			const workerLog = clean(worker.logFile);
			const webhookLog = clean(webhook.logFile);
			const mainLog = clean(main.logFile);
			const receivedOn = (log) =>
				log
					.split('\n')
					.filter((l) =>
						l.includes(`Received webhook "POST" for path "${wf.trigger.webhookId}/webhook"`),
					).length;
			assert(
				receivedOn(webhookLog) >= 4,
				`the webhook processor received the deliveries (${receivedOn(webhookLog)})`,
			);
			assertEqual(receivedOn(mainLog), 0, 'deliveries received by the main');
			for (const e of execs) {
				assert(
					webhookLog.includes(`Enqueued execution ${e.id} (job`),
					`the webhook processor enqueued execution ${e.id}`,
				);
				assert(
					workerLog.includes(`Worker started execution ${e.id} (job`),
					`the worker ran execution ${e.id}`,
				);
				assertEqual(e.status, 'success', `execution ${e.id} status`);
			}
			assert(!/Worker started execution/.test(mainLog), 'the main did not run executions');
			assertEqual((await subscriptionsOf(sim, wf.trigger)).length, 1, 'live subscriptions');
		},
	);
	await checks.check(
		'queue mode: Batch Changes: kept on the webhook processor, flushed by the clock on the main, executed on the worker',
		async () => {
			await batchBurst({
				client,
				sim,
				credential,
				name: 'e2e queue batch changes',
				timeoutMs: 90_000,
			});
		},
	);
	await checks.check(
		'queue mode: Batch Changes with nothing kept: the clock asks the webhook processor once per batch window, not every second',
		async () => {
			const idle = await createWorkflow(
				client,
				triggerWorkflow({
					name: 'e2e queue batch idle',
					collectionName: 'counter-definitions',
					credential,
					options: { batchChanges: true, batchWindow: 5, batchMaxChanges: 100 },
				}),
			);
			await sleep(10_000); // past activation and the first flush
			const before = proxy.requestsTo(idle.trigger.webhookId);
			const seconds = 60;
			await sleep(seconds * 1000);
			const requests = proxy.requestsTo(idle.trigger.webhookId) - before;
			log(
				`queue mode, Batch Changes, nothing kept: ${requests} requests to the trigger's webhook in ${seconds} s (${Math.round((requests * 3600) / seconds)} an hour; one a second would be ${seconds})`,
			);
			// one flush per 5-second window, and at most one check (Check Interval 10 minutes)
			assert(requests <= seconds / 5 + 2, `requests while idle: ${requests} in ${seconds} s`);
			await client.deactivate(idle.id);
		},
	);
	await checks.check(
		'queue mode: two webhook processors with Batch Changes lose no acknowledged change, and log why they refuse',
		async () => {
			const second = await startN8n(install, {
				role: 'webhook',
				name: 'n8n-queue-webhook-2',
				runDir: qDir,
				userFolder,
				filesDir,
				port: processorPorts[1],
				extra: shared,
			});
			try {
				proxy.route(processorPorts);
				await twoProcessors({
					client,
					sim,
					credential,
					proxy,
					logFiles: [webhook.logFile, second.logFile],
				});
			} finally {
				proxy.route([processorPorts[0]]);
				await stopN8n(second);
			}
		},
	);
	await checks.check('queue mode: deactivation leaves no subscription', async () => {
		await client.deactivate(wf.id);
		await waitFor(
			'no live subscription',
			async () => (await subscriptionsOf(sim, wf.trigger)).length === 0,
			{ timeoutMs: 30_000 },
		);
	});
	for (const p of [webhook, worker, main]) await stopN8n(p);
	await proxy.stop();
	await sim.stop();
	await stopProcess(redis.proc);
	await stopProcess(pg.proc, { graceMs: 20_000 });
	log('queue mode done');
}
