// Issue 14: does a 2xx to Protime mean the change is safe? The simulator delivers 90 single changes one at a time,
// retrying on its schedule, while n8n is restarted (A), killed (B) or, in queue mode, loses its worker and then
// its webhook processor (C). The workflow's effect is counted apart from n8n's records: the node after the
// trigger posts each item to a sink in this harness. Every change Protime saw acknowledged must be in a
// successful execution and in the sink; in two executions only when a failed attempt explains it (below).
// E2E_DURABILITY_ACKNOWLEDGE=onReceipt runs the same with the trigger answering on receipt (expected to lose).
// E2E_DURABILITY_REPEAT=N (or `npm run test:durability -- --runs N`) runs every variant N times on the same
// stacks and prints one line per run.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { assert } from './checks.mjs';
import { N8nClient, startN8n } from './n8n.mjs';
import { CREDENTIAL_TYPE, installIntoUserFolder, TRIGGER_TYPE } from './package.mjs';
import { freePort, log, sleep, stopProcess, waitFor } from './procs.mjs';
import { queueModeEnv, startPostgres, startRedis } from './services.mjs';
import { startSimulator } from './simulator.mjs';
import { preparePackage } from './stack.mjs';
import { protimeTriggerNode } from './workflows.mjs';

const ACKNOWLEDGE = process.env.E2E_DURABILITY_ACKNOWLEDGE || 'afterExecution';
const CHANGES = Number(process.env.E2E_DURABILITY_CHANGES || 90);
/** Protime-like retries, 0.5 s to 30 s, long enough in total (~2 min) to outlast an n8n start on a busy machine. */
const RETRY_MS = [500, 1000, 2000, 5000, 10_000, 20_000, 30_000, 30_000, 30_000];
/** Protime's undocumented delivery timeout (test/simulator/assumptions.ts), at the simulator's default. */
const DELIVERY_TIMEOUT_MS = 10_000;
const RAISE_EVERY_MS = 200;
const LEAD = 4;
/** Disruptions when these shares of the changes have been acknowledged (always while some are still queued). */
const THREE = [0.15, 0.45, 0.75];
const TWO = [0.25, 0.6];
const FINISHED = ['success', 'error', 'crashed', 'canceled'];
/** E2E_DURABILITY_ONLY=D,E runs only those of the runs A–E (for working on one). */
const ONLY = (process.env.E2E_DURABILITY_ONLY || 'A,B,C,D,E').split(',').map((s) => s.trim());
const selected = (label) => ONLY.includes(label);
/** E2E_DURABILITY_REPEAT=N or `--runs N`: every selected variant N times, on the same stacks. */
const runsArg = process.argv.indexOf('--runs');
const REPEAT = Math.max(
	1,
	Number((runsArg >= 0 ? process.argv[runsArg + 1] : process.env.E2E_DURABILITY_REPEAT) || 1),
);

/** Batch Changes as the batching runs set it: windows short enough that many end during a run. */
export const BATCH_OPTIONS = { batchChanges: true, batchWindow: 3, batchMaxChanges: 50 };
/** A batch's execution can be emitted again when n8n dies before the clock's report of it was saved (≤ 1 tick). */
const REPORT_GAP_MS = 5000;

/**
 * The workflow's effect, outside n8n: each item of an execution is posted here as { v: changeVersion, e:
 * execution id }. What a crash does to n8n's record of an execution does not touch what the sink holds.
 */
async function startSink() {
	const writes = [];
	const server = http.createServer((req, res) => {
		let body = '';
		req.on('data', (c) => (body += c));
		req.on('end', () => {
			try {
				const x = JSON.parse(body);
				if (x.v !== undefined && x.v !== '')
					writes.push({ v: String(x.v), e: String(x.e), at: Date.now() });
			} catch {
				/* not ours */
			}
			res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
		});
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${server.address().port}/effect`,
		writes,
		stop: () => new Promise((resolve) => server.close(resolve)),
	};
}

/** What n8n answers, with 200, to any request between opening its port and finishing its migrations. */
const STARTING_UP = 'n8n is starting up. Please wait';
/** E2E_DURABILITY_GATE=0: Protime reaches n8n without the readiness gate (the "starting up" 200s are counted). */
const GATED = process.env.E2E_DURABILITY_GATE !== '0';

/**
 * The way in for Protime that the README asks for (Delivery guarantee): a proxy that answers 503 while n8n's
 * GET /healthz/readiness is not 200. n8n opens its port before it has run its migrations and until then answers
 * every request 200 "n8n is starting up. Please wait" without running anything (abstract-server.js,
 * base-command.js), so a delivery answered then is acknowledged and lost. `refused`: deliveries turned away
 * while n8n was up but not ready; `startingUp`: "starting up" 200s that reached the sender (0 when gated).
 * Keep-alive to n8n as a sender's own connection would be.
 */
async function startGate(targetPort) {
	const agent = new http.Agent({ keepAlive: true });
	const stats = { refused: 0, startingUp: 0 };
	const call = (method, url, headers, body) =>
		new Promise((resolve, reject) => {
			const req = http.request(
				{ host: '127.0.0.1', port: targetPort, method, path: url, headers, agent },
				(res) => {
					const chunks = [];
					res.on('data', (c) => chunks.push(c));
					res.on('end', () =>
						resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }),
					);
					res.on('error', reject);
				},
			);
			req.on('error', reject);
			req.end(body);
		});
	const server = http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', async () => {
			try {
				if (GATED && (await call('GET', '/healthz/readiness', {})).status !== 200) {
					stats.refused++;
					res.writeHead(503, { 'content-type': 'text/plain' }).end('n8n is not ready');
					return;
				}
				const r = await call(req.method, req.url, req.headers, Buffer.concat(chunks));
				if (r.status === 200 && r.body.toString('utf8') === STARTING_UP) stats.startingUp++;
				const headers = { ...r.headers };
				for (const h of ['connection', 'keep-alive', 'transfer-encoding']) delete headers[h];
				res.writeHead(r.status, headers).end(r.body);
			} catch {
				res.destroy(); // n8n is gone: the sender sees its connection cut, as it would without the gate
			}
		});
	});
	await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${server.address().port}/`;
	const stop = () => {
		server.closeAllConnections();
		agent.destroy();
		return new Promise((resolve) => server.close(resolve));
	};
	return { url, stats, stop };
}

/** A trigger workflow on work interruptions, answering Protime as `acknowledge` says, then writing each item to the sink. */
function durabilityWorkflow({ credential, acknowledge, batch, sinkUrl }) {
	const options = batch ? BATCH_OPTIONS : { acknowledge };
	const trigger = protimeTriggerNode({
		collectionName: 'work-interruptions',
		credential,
		events: ['insertOrUpdate', 'delete'],
		options,
	});
	const after = {
		id: `${trigger.id}-after`,
		name: 'After the trigger',
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		position: [260, 0],
		parameters: {
			method: 'POST',
			url: sinkUrl,
			sendBody: true,
			bodyParameters: {
				parameters: [
					{ name: 'v', value: '={{ $json.changeVersion }}' },
					{ name: 'e', value: '={{ $execution.id }}' },
				],
			},
			options: {},
		},
	};
	return {
		name: `e2e durability (${batch ? 'batch changes' : `acknowledge ${acknowledge}`}) ${Date.now()}`,
		nodes: [trigger, after],
		connections: { [trigger.name]: { main: [[{ node: after.name, type: 'main', index: 0 }]] } },
		trigger,
	};
}

/** SIGKILL to the whole process group (n8n and its task runner), then the harness forgets the process. */
async function kill(instance) {
	try {
		process.kill(-instance.proc.pid, 'SIGKILL');
	} catch {
		/* already gone */
	}
	await instance.proc.exited;
	await stopProcess(instance.proc);
}

/** SIGTERM and n8n's own shutdown; says whether it ended by itself within the grace period. */
async function terminate(instance) {
	const t0 = Date.now();
	await stopProcess(instance.proc, { graceMs: 45_000 });
	return { seconds: (Date.now() - t0) / 1000, code: instance.proc.code };
}

/** The simulator's delivery attempts for the webhooks of one trigger node (all its subscriptions). */
async function attemptsOf(sim, trigger) {
	const hooks = (await sim.webhooks())
		.filter((w) => w.destinationUrl.includes(trigger.webhookId))
		.map((w) => w.id);
	const all = await sim.deliveries();
	return all.filter((a) => hooks.includes(a.webhookId));
}

const acknowledgedCount = async (sim, trigger) =>
	new Set(
		(await attemptsOf(sim, trigger))
			.filter((a) => a.success)
			.flatMap((a) => a.events.map((e) => e.changeVersion)),
	).size;

/**
 * Raises CHANGES work interruptions while `disrupt(k)` is called once per share in `shares` (after that share
 * of them was acknowledged), waits until the simulator has nothing left to deliver and n8n's executions settled, and counts.
 */
async function drive({
	sim,
	client,
	workflowId,
	trigger,
	disrupt,
	label,
	sink,
	gate,
	shares = THREE,
	raiseEveryMs = RAISE_EVERY_MS,
}) {
	const raised = [];
	const gateBefore = { ...gate.stats };
	const today = new Date().toISOString().slice(0, 10);
	const t0 = Date.now();
	// the raiser runs at most LEAD changes past a disruption's threshold until that disruption is over, so
	// changes are in flight at each disruption and keep coming after it
	const over = shares.map(() => {
		let resolve;
		const promise = new Promise((r) => (resolve = r));
		return { promise, resolve };
	});
	const raising = (async () => {
		for (let i = 0; i < CHANGES; i++) {
			for (let k = 0; k < shares.length; k++)
				if (i >= Math.ceil(CHANGES * shares[k]) + LEAD) await over[k].promise;
			const r = await sim.insert('work-interruptions', {
				date: today,
				startTimeInMinutes: 300 + i,
				endTimeInMinutes: 310 + i,
				durationInMinutes: 10,
			});
			raised.push(String(r.changeVersion));
			if (raiseEveryMs > 0) await sleep(raiseEveryMs);
		}
	})();
	const disruptions = [];
	for (let k = 0; k < shares.length; k++) {
		const at = Math.ceil(CHANGES * shares[k]);
		await waitFor(
			`${label}: ${at} changes acknowledged before disruption ${k + 1}`,
			async () => (await acknowledgedCount(sim, trigger)) >= at,
			{ timeoutMs: 240_000, intervalMs: 100 },
		);
		const when = Date.now();
		const detail = await disrupt(k);
		disruptions.push({ at: when, end: Date.now(), detail });
		over[k].resolve();
		log(`${label}: disruption ${k + 1} done (${JSON.stringify(detail)})`);
	}
	await raising;
	await waitFor(
		`${label}: the simulator has nothing left to deliver or retry`,
		async () => (await sim.call('GET', '/deliveries')).pending === 0,
		{ timeoutMs: 300_000, intervalMs: 500 },
	);
	// executions still running when the last answer went out (on receipt, or a recovered queue job) may finish later
	let last = '';
	let stableSince = Date.now();
	await waitFor(
		`${label}: n8n's executions settled`,
		async () => {
			const list = await client.executions(workflowId);
			const sig = list.map((e) => `${e.id}:${e.status}`).join(',');
			if (sig !== last) {
				last = sig;
				stableSince = Date.now();
			}
			const open = list.filter((e) => !FINISHED.includes(e.status)).length;
			return (open === 0 && Date.now() - stableSince > 3000) || Date.now() - stableSince > 30_000;
		},
		{ timeoutMs: 180_000, intervalMs: 1000 },
	);
	const counts = await count({ sim, client, workflowId, trigger, raised, disruptions, sink });
	counts.seconds = Math.round((Date.now() - t0) / 1000);
	counts.gate = {
		refused: gate.stats.refused - gateBefore.refused,
		startingUp: gate.stats.startingUp - gateBefore.startingUp,
	};
	return counts;
}

/** The end of an attempt (its answer, its error, or its timeout), in ms. */
const endOf = (a) => a.attemptedAtMs + a.durationMs;
/** Clock slack between the simulator's and n8n's timestamps (same machine; n8n stores ms). */
const SLACK_MS = 50;

/**
 * Whether the runs (executions) of one change beyond its first are each explained by a distinct failed attempt
 * to deliver it: Protime got no 2xx for an attempt `a` whose execution ran anyway (n8n created it while `a` was
 * open: the webhook handler creates it before it answers), and the next run was created after `a` ended (the
 * resend). That is the only way n8n runs one change twice with the default acknowledgement: n8n 2.41.1 does not
 * run a queued job again (scaling.service.js: maxStalledCount 0), and the trigger emits a change only from a delivery.
 */
export function attributedByFailedAttempts(runs, failed) {
	const free = [...failed].sort((x, y) => endOf(x) - endOf(y));
	for (let k = 1; k < runs.length; k++) {
		const i = free.findIndex(
			(a) =>
				a.attemptedAtMs - SLACK_MS <= runs[k - 1].t &&
				runs[k - 1].t <= endOf(a) + SLACK_MS &&
				endOf(a) <= runs[k].t + SLACK_MS,
		);
		if (i < 0) return false;
		free.splice(i, 1);
	}
	return true;
}

/**
 * What Protime saw against what n8n ran and what the workflow did. lost = acknowledged but in no successful
 * execution; effectLost = acknowledged but never written to the sink; a run of a change is an execution that
 * succeeded with it or wrote it to the sink; doubled = in several runs.
 */
async function count({ sim, client, workflowId, trigger, raised, disruptions, sink }) {
	const attempts = await attemptsOf(sim, trigger);
	const acknowledged = new Set(
		attempts.filter((a) => a.success).flatMap((a) => a.events.map((e) => e.changeVersion)),
	);
	const executions = await client.executions(workflowId);
	const byStatus = {};
	const created = new Map(); // execution id → when n8n created it (ms), any status
	const seen = new Map(); // changeVersion → successful executions carrying it
	const runsOf = new Map(); // changeVersion → Map(execution id → { t: created, done: stopped or written })
	const addRun = (v, id, t, done) => {
		if (!runsOf.has(v)) runsOf.set(v, new Map());
		const runs = runsOf.get(v);
		const r = runs.get(id);
		if (!r) runs.set(id, { id, t, done });
		else r.done = Math.min(r.done, done);
	};
	for (const e of executions) {
		byStatus[e.status] = (byStatus[e.status] ?? 0) + 1;
		created.set(String(e.id), Date.parse(e.createdAt ?? e.startedAt ?? '') || 0);
		if (e.status !== 'success') continue;
		const full = await client.execution(e.id);
		const stopped = Date.parse(e.stoppedAt ?? full.stoppedAt ?? '') || 0;
		for (const item of N8nClient.nodeOutput(full, trigger.name) ?? []) {
			if (item.changeVersion === undefined) continue;
			const v = String(item.changeVersion);
			seen.set(v, (seen.get(v) ?? 0) + 1);
			addRun(v, String(e.id), created.get(String(e.id)), stopped);
		}
	}
	const mine = new Set(raised);
	const effects = new Map(); // changeVersion → executions that wrote it
	for (const w of sink.writes) {
		if (!mine.has(w.v)) continue;
		if (!effects.has(w.v)) effects.set(w.v, new Set());
		effects.get(w.v).add(w.e);
		addRun(w.v, w.e, created.get(w.e) ?? w.at, w.at);
	}
	const failedAnswers = {};
	for (const a of attempts.filter((x) => !x.success)) {
		const k = a.statusCode ? String(a.statusCode) : a.error;
		failedAnswers[k] = (failedAnswers[k] ?? 0) + 1;
	}
	// the answer to each request that was in flight when a disruption began
	const inFlight = disruptions.map((d) =>
		attempts
			.filter((a) => a.attemptedAtMs <= d.at && endOf(a) >= d.at)
			.map((a) => (a.success ? `${a.statusCode} (acknowledged)` : a.statusCode || a.error)),
	);
	const failedOf = new Map();
	for (const a of attempts.filter((x) => !x.success))
		for (const e of a.events)
			failedOf.set(e.changeVersion, [...(failedOf.get(e.changeVersion) ?? []), a]);
	const runs = new Map([...runsOf].map(([v, m]) => [v, [...m.values()].sort((x, y) => x.t - y.t)]));
	const doubled = [...runs].filter(([, r]) => r.length > 1).map(([v]) => v);
	// With the default acknowledgement: each extra run explained by a failed attempt (attributedByFailedAttempts).
	const byAttempts = doubled.filter((v) =>
		attributedByFailedAttempts(runs.get(v), failedOf.get(v) ?? []),
	);
	// With Batch Changes the answer went out long before the execution; a batch runs again only when n8n died
	// between emitting it and saving the clock's report of it (docs/trigger-design.md, "Batching"), so that the
	// clock of the next start emits it again. Either the first run reached the sink and the disruption began
	// within REPORT_GAP_MS of its end, or the first run was created before the disruption and finished after it:
	// n8n 2.41 ran it at its next start (`EnqueuedExecutionRecoveryService` runs executions still `new` at boot,
	// `executions/enqueued-execution-recovery.service.js`) while the new clock emitted the batch again, whose
	// second run starts after the disruption. One such batch per disruption.
	const cutBy = (v) => {
		const [first, second] = runs.get(v);
		return disruptions.findIndex(
			(d) =>
				(first.done - SLACK_MS <= d.at && d.at <= first.done + REPORT_GAP_MS) ||
				(first.t <= d.at && d.at <= first.done && second.t > d.at),
		);
	};
	const batchGroups = new Map(); // disruption → first executions of the doubled batches it explains
	for (const v of doubled) {
		const k = cutBy(v);
		if (k < 0) continue;
		if (!batchGroups.has(k)) batchGroups.set(k, new Set());
		batchGroups.get(k).add(runs.get(v)[0].id);
	}
	return {
		raised: raised.length,
		deliveries: attempts.length,
		retries: attempts.filter((a) => a.attempt > 1).length,
		executions: byStatus,
		acknowledged: acknowledged.size,
		lost: [...acknowledged].filter((v) => !seen.has(v)),
		effectLost: [...acknowledged].filter((v) => !effects.has(v)),
		recordOnlyLost: [...acknowledged].filter((v) => !seen.has(v) && effects.has(v)),
		doubled,
		recordDoubled: [...seen].filter(([, n]) => n > 1).map(([v]) => v),
		effectDoubled: [...effects].filter(([, ids]) => ids.size > 1).map(([v]) => v),
		unattributed: doubled.filter((v) => !byAttempts.includes(v)),
		// doubles whose failed attempt timed out: n8n answered after Protime's delivery timeout, which in queue
		// mode happens without any disruption (measured: a 52 ms execution answered after more than 10 s)
		lateAnswered: byAttempts.filter((v) =>
			(failedOf.get(v) ?? []).some((a) => a.error === 'ECONNABORTED'),
		),
		batchUnattributed: doubled.filter((v) => cutBy(v) < 0),
		batchesRunTwice: [...batchGroups.values()].map((ids) => ids.size),
		successfulExecutions: byStatus.success ?? 0,
		disruptionCount: disruptions.length,
		neverAcknowledged: raised.filter((v) => !acknowledged.has(v)),
		failedAnswers,
		inFlight,
		disruptions: disruptions.map((d) => d.detail),
		detail: doubled
			.concat([...acknowledged].filter((v) => !seen.has(v) || !effects.has(v)))
			.slice(0, 8)
			.map((v) => ({
				v,
				runs: (runs.get(v) ?? []).map((r) => ({ id: r.id, t: r.t, done: r.done })),
				attempts: attempts
					.filter((a) => a.events.some((e) => e.changeVersion === v))
					.map((a) => ({ at: a.attemptedAtMs, ms: a.durationMs, status: a.statusCode || a.error })),
			})),
	};
}

/** One line per run and variant (E2E_DURABILITY_REPEAT): what the verdict looks at. */
const tally = [];

/** `batch`: a double is attributed to a cut batch report (verdict), not to a failed attempt. */
function report(label, c, { run, variant, batch = false } = {}) {
	const unattributed = batch ? c.batchUnattributed : c.unattributed;
	const statuses = Object.entries(c.executions)
		.map(([s, n]) => `${s} ${n}`)
		.join(', ');
	const failed =
		Object.entries(c.failedAnswers)
			.map(([s, n]) => `${s}×${n}`)
			.join(', ') || 'none';
	const line =
		`durability ${label}: changes ${c.raised}, deliveries ${c.deliveries}, retries ${c.retries}, executions ${statuses || 'none'}, ` +
		`acknowledged ${c.acknowledged}, LOST ${c.lost.length} (effect lost ${c.effectLost.length}, record only ${c.recordOnlyLost.length}), ` +
		`DOUBLED ${c.doubled.length} (records ${c.recordDoubled.length}, effects ${c.effectDoubled.length}, unattributed ${unattributed.length}, after a late answer ${c.lateAnswered.length}) ` +
		`(${c.seconds} s; ${GATED ? `readiness gate refused ${c.gate.refused}` : 'no readiness gate'}, n8n's "starting up" 200s passed on ${c.gate.startingUp}; failed answers: ${failed}; in flight at each disruption: ${c.inFlight.map((x) => `[${x.join(', ') || 'none'}]`).join(' ')})`;
	process.stdout.write(`${line}\n`);
	log(line);
	if (c.lost.length || c.effectLost.length || c.doubled.length)
		log(`durability ${label} detail: ${JSON.stringify(c.detail)}`);
	if (variant)
		tally.push({
			run,
			variant,
			lost: c.lost.length,
			effectLost: c.effectLost.length,
			doubled: c.doubled.length,
			unattributed: unattributed.length,
			refused: c.gate.refused,
			startingUp: c.gate.startingUp,
		});
	return line;
}

/**
 * Nothing acknowledged is lost, neither n8n's record nor the workflow's effect. With the default
 * acknowledgement every change in more than one run is explained by failed attempts
 * (attributedByFailedAttempts), at most one change per disruption; with Batch Changes by a disruption right
 * after the batch's first run, at most one batch per disruption.
 */
function verdict(c, { batch = false } = {}) {
	assert(
		c.neverAcknowledged.length === 0,
		`the harness did not get all ${c.raised} changes acknowledged (${c.neverAcknowledged.length} never were): the webhook ran out of retries, so the run proves nothing`,
	);
	assert(
		c.lost.length === 0,
		`${c.lost.length} acknowledged change(s) in no successful execution (${c.lost.slice(0, 5).join(', ')}; the effect of ${c.recordOnlyLost.length} of them reached the sink)`,
	);
	assert(
		c.effectLost.length === 0,
		`${c.effectLost.length} acknowledged change(s) never reached the sink (${c.effectLost.slice(0, 5).join(', ')})`,
	);
	if (batch) {
		assert(
			c.batchUnattributed.length === 0 && c.batchesRunTwice.every((n) => n <= 1),
			`${c.doubled.length} doubled (${c.doubled.slice(0, 5).join(', ')}): ${c.batchUnattributed.length} not run again after a disruption cut its batch's report, batches run twice per disruption ${JSON.stringify(c.batchesRunTwice)}`,
		);
	} else {
		assert(
			c.unattributed.length === 0 && c.doubled.length - c.lateAnswered.length <= c.disruptionCount,
			`${c.doubled.length} doubled (${c.doubled.slice(0, 5).join(', ')}) in ${c.disruptionCount} disruptions (${c.lateAnswered.length} after an answer later than the delivery timeout), of which ${c.unattributed.length} not explained by a failed attempt and its resend (${c.unattributed.slice(0, 5).join(', ')})`,
		);
	}
}

/** Whether the installed Protime Trigger offers Options → acknowledge (the trigger before issue 14 does not). */
export async function hasAcknowledgeOption(client) {
	const types = await client.nodeTypes();
	return types.some(
		(t) =>
			t.name === TRIGGER_TYPE &&
			(t.properties ?? []).some(
				(p) => p.name === 'options' && (p.options ?? []).some((o) => o.name === 'acknowledge'),
			),
	);
}

/** `acknowledge=X`, and when the installed trigger has no such option, that it ran its only behaviour. */
async function modeLabel(client) {
	return (await hasAcknowledgeOption(client))
		? `acknowledge=${ACKNOWLEDGE}`
		: `acknowledge=${ACKNOWLEDGE} asked, but this trigger has no such option (answers on receipt)`;
}

async function activeWorkflow(client, sim, credential, sink, { batch = false } = {}) {
	const wf = durabilityWorkflow({ credential, acknowledge: ACKNOWLEDGE, batch, sinkUrl: sink.url });
	const created = await client.createWorkflow(wf);
	await client.activate(created.id);
	const live = (await sim.webhooks()).filter(
		(w) => w.destinationUrl.includes(wf.trigger.webhookId) && !w.deleted && w.status === 'Enabled',
	);
	assert(live.length === 1, `one live subscription for the durability trigger (${live.length})`);
	return { workflowId: created.id, trigger: wf.trigger };
}

/** One variant once: a fresh workflow, the changes driven through `disrupt`, reported, deactivated; the counts. */
async function runVariant({
	client,
	sim,
	credential,
	sink,
	gate,
	batch = false,
	name,
	run,
	variant,
	...driveOptions
}) {
	const { workflowId, trigger } = await activeWorkflow(client, sim, credential, sink, { batch });
	const c = await drive({
		sim,
		client,
		workflowId,
		trigger,
		sink,
		gate,
		label: variant,
		...driveOptions,
	});
	report(name, c, { run, variant, batch });
	await client.deactivate(workflowId);
	return c;
}

// ---- runs A and B: regular mode, SQLite, one n8n restarted on the same user folder and port ----

async function regularRuns({ checks, runDir, install }) {
	const dir = path.join(runDir, 'durability');
	fs.mkdirSync(dir, { recursive: true });
	const sim = await startSimulator({
		runDir: dir,
		name: 'simulator-durability',
		demo: true,
		trafficMs: 0,
		retryMs: RETRY_MS,
		deliveryTimeoutMs: DELIVERY_TIMEOUT_MS,
	});
	const sink = await startSink();
	const userFolder = path.join(dir, 'home');
	installIntoUserFolder(await preparePackage(runDir), userFolder);
	const port = await freePort();
	const gate = await startGate(port);
	const opts = {
		runDir: dir,
		userFolder,
		filesDir: path.join(dir, 'files'),
		port,
		// Protime reaches n8n through the gate (1.x reads WEBHOOK_URL, 2.x N8N_WEBHOOK_URL)
		extra: { N8N_LOG_LEVEL: 'warn', N8N_WEBHOOK_URL: gate.url, WEBHOOK_URL: gate.url },
	};
	let n8n = await startN8n(install, { ...opts, name: 'n8n-durability' });
	const client = new N8nClient(n8n.baseUrl, install);
	await client.setupOwner();
	const credential = await client.createCredential(
		'Protime (durability)',
		CREDENTIAL_TYPE,
		sim.credentialData(),
	);
	let starts = 0;
	const startAgain = async () => {
		n8n = await startN8n(install, { ...opts, name: `n8n-durability-${++starts}` });
		await client.login();
	};
	const runs = [
		[
			'A',
			'three graceful restarts (SIGTERM)',
			async () => ({ stopped: await terminate(n8n), restarted: await startAgain() }),
		],
		[
			'B',
			'three SIGKILLs',
			async () => ({ killed: await kill(n8n), restarted: await startAgain() }),
		],
	];
	const stack = { client, sim, credential, sink, gate };
	try {
		for (let run = 1; run <= REPEAT; run++) {
			const of = REPEAT > 1 ? ` [run ${run}/${REPEAT}]` : '';
			for (const [label, what, disrupt] of runs.filter(([label]) => selected(label))) {
				await checks.check(
					`durability ${label}${of}: ${what} during ${CHANGES} changes, acknowledge=${ACKNOWLEDGE}: every acknowledged change in a successful execution and in the sink, twice only where a failed attempt and its resend explain it`,
					async () => {
						const name = `${label}${of} (${what}, ${await modeLabel(client)})`;
						const c = await runVariant({ ...stack, name, run, variant: label, disrupt });
						verdict(c);
					},
				);
			}
			const batching = `Batch Changes (window ${BATCH_OPTIONS.batchWindow} s, at most ${BATCH_OPTIONS.batchMaxChanges})`;
			// Both ways Protime may send (its docs do not say): one delivery at a time, and several at once.
			for (const senders of selected('E') ? [1, 4] : []) {
				await checks.check(
					`durability E${of}: ${batching}, ${senders === 1 ? 'one delivery at a time' : `${senders} deliveries at once`}: a burst of ${CHANGES} changes gives few executions that hold every change exactly once`,
					async () => {
						await sim.assumptions({ deliveryConcurrency: senders });
						const name = `E${of} (burst, ${senders} sender(s), ${batching})`;
						const c = await runVariant({
							...stack,
							batch: true,
							name,
							run,
							variant: `E${senders}`,
							shares: [],
							raiseEveryMs: 0,
						}).finally(() => sim.assumptions({ deliveryConcurrency: 1 }));
						verdict(c, { batch: true });
						assert(
							c.doubled.length === 0,
							`${c.doubled.length} change(s) in two executions with no disruption`,
						);
						const most = Math.ceil(c.raised / 10);
						assert(
							c.successfulExecutions <= most,
							`${c.successfulExecutions} executions for ${c.raised} changes (expected at most ${most})`,
						);
					},
				);
			}
			if (selected('D'))
				await checks.check(
					`durability D${of}: ${batching}, three SIGKILLs during ${CHANGES} changes: every acknowledged change in a successful execution and in the sink, twice only for a batch whose report a kill cut`,
					async () => {
						const name = `D${of} (three SIGKILLs, ${batching})`;
						const c = await runVariant({
							...stack,
							batch: true,
							name,
							run,
							variant: 'D',
							disrupt: runs[1][2],
						});
						verdict(c, { batch: true });
					},
				);
		}
	} finally {
		await stopProcess(n8n.proc);
		await sim.stop();
		await sink.stop();
		await gate.stop();
	}
}

// ---- run C: queue mode, PostgreSQL + Redis, main + worker + webhook processor ----

async function queueRun({ checks, runDir, install }) {
	const dir = path.join(runDir, 'durability-queue');
	fs.mkdirSync(dir, { recursive: true });
	const pg = await startPostgres({ runDir: dir });
	const redis = await startRedis({ runDir: dir });
	const sim = await startSimulator({
		runDir: dir,
		name: 'simulator-durability-queue',
		demo: true,
		trafficMs: 0,
		retryMs: RETRY_MS,
		deliveryTimeoutMs: DELIVERY_TIMEOUT_MS,
	});
	const sink = await startSink();
	const userFolder = path.join(dir, 'home');
	installIntoUserFolder(await preparePackage(runDir), userFolder);
	const [mainPort, webhookPort] = [await freePort(), await freePort()];
	const gate = await startGate(webhookPort);
	const extra = {
		...queueModeEnv({ pg, redis, mainPort, webhookPort }),
		N8N_WEBHOOK_URL: gate.url,
		WEBHOOK_URL: gate.url,
		N8N_LOG_LEVEL: 'info',
		// compressed time: a dead worker's job is seen as stalled after ~15 s instead of ~60 s
		QUEUE_WORKER_LOCK_DURATION: '15000',
		QUEUE_WORKER_LOCK_RENEW_TIME: '5000',
		QUEUE_WORKER_STALLED_INTERVAL: '5000',
	};
	const common = { runDir: dir, userFolder, filesDir: path.join(dir, 'files'), extra };
	const procs = {};
	let starts = 0;
	const start = async (role) => {
		const port = role === 'webhook' ? webhookPort : role === 'start' ? mainPort : undefined;
		procs[role] = await startN8n(install, {
			...common,
			role,
			port,
			name: `n8n-durability-queue-${role}-${starts++}`,
		});
	};
	try {
		await start('start');
		await Promise.all([start('worker'), start('webhook')]);
		const client = new N8nClient(procs.start.baseUrl, install);
		await client.setupOwner();
		const credential = await client.createCredential(
			'Protime (durability queue)',
			CREDENTIAL_TYPE,
			sim.credentialData(),
		);
		const victims = ['worker', 'webhook'];
		const what = 'queue mode: the worker SIGKILLed, then the webhook processor';
		for (let run = 1; run <= REPEAT; run++) {
			const of = REPEAT > 1 ? ` [run ${run}/${REPEAT}]` : '';
			await checks.check(
				`durability C${of} (${what}) during ${CHANGES} changes, acknowledge=${ACKNOWLEDGE}: every acknowledged change in a successful execution and in the sink, twice only where a failed attempt and its resend explain it`,
				async () => {
					const disrupt = async (k) => {
						const role = victims[k];
						await kill(procs[role]);
						await start(role);
						return { killed: role };
					};
					const name = `C${of} (${what}, ${await modeLabel(client)})`;
					const c = await runVariant({
						client,
						sim,
						credential,
						sink,
						gate,
						name,
						run,
						variant: 'C',
						disrupt,
						shares: TWO,
					});
					verdict(c);
				},
			);
		}
	} finally {
		await sink.stop();
		await gate.stop();
		for (const role of ['webhook', 'worker', 'start'])
			if (procs[role]) await stopProcess(procs[role].proc);
		await sim.stop();
		await stopProcess(redis.proc);
		await stopProcess(pg.proc, { graceMs: 20_000 });
	}
}

export async function durability({ checks, runDir, install }) {
	const t0 = Date.now();
	const guard = (name, fn) => fn().catch((err) => checks.fail(`durability ${name}`, err));
	if (process.env.E2E_DURABILITY_SERIAL === '1') {
		await guard('regular mode', () => regularRuns({ checks, runDir, install }));
		await guard('queue mode', () => queueRun({ checks, runDir, install }));
	} else {
		await Promise.all([
			guard('regular mode', () => regularRuns({ checks, runDir, install })),
			selected('C') ? guard('queue mode', () => queueRun({ checks, runDir, install })) : undefined,
		]);
	}
	log(`durability: ${Math.round((Date.now() - t0) / 1000)} s`);
	for (let run = 1; run <= REPEAT; run++) {
		const mine = tally.filter((t) => t.run === run);
		const cells = mine.map(
			(t) =>
				`${t.variant} lost ${t.lost}/${t.effectLost} doubled ${t.doubled}${t.unattributed ? ` (${t.unattributed} unattributed)` : ''}` +
				` (gate ${t.refused}${t.startingUp ? `, starting-up 200s ${t.startingUp}` : ''})`,
		);
		const line = `durability run ${run}/${REPEAT}: ${cells.join(' | ') || 'no variant finished'} (lost = no successful execution / no effect in the sink; gate = deliveries refused while n8n was not ready)`;
		process.stdout.write(`${line}\n`);
		log(line);
	}
}
