// Issue 20: a renewal during a sustained backlog loses nothing, whatever Protime does with the replaced webhook's
// queue. Four simulators: two drop a stopped webhook's queue and two drain it (queueOnStop); each feeds one
// trigger (default acknowledgement, or Batch Changes), all in one n8n (E2E_BACKLOG_MODE=queue: queue mode).
// Sized so the renewal falls inside the backlog and the old subscription's share of it can drain within the
// Renewal Margin (the product's promise; a backlog longer than the margin ends in an announced gap instead):
// webhooks valid VALIDITY_S, a check every minute, raising from DELAY_S for RAISE_S seconds, each simulator at
// its own pace (faster for Batch Changes, which takes more per second). Counted per trigger: changes raised, in a
// successful execution, lost (in none), lost without any ResyncRequired (silent), doubled (in two or more), and
// how long the backlog lasted (the longest stretch in which some change had waited more than 10 s).
// The raising pattern comes from a seed drawn per run and printed; E2E_SEED=<n> reruns one.
import fs from 'node:fs';
import path from 'node:path';
import { assert } from './checks.mjs';
import { N8nClient, startN8n } from './n8n.mjs';
import { CREDENTIAL_TYPE, installIntoUserFolder } from './package.mjs';
import { freePort, log, sleep, stopProcess, waitFor } from './procs.mjs';
import { queueModeEnv, startPostgres, startRedis } from './services.mjs';
import { startSimulator } from './simulator.mjs';
import { preparePackage } from './stack.mjs';
import { protimeTriggerNode } from './workflows.mjs';

// Sizing (env): E2E_BACKLOG_VALIDITY_S, E2E_BACKLOG_MARGIN_MIN (at most half the validity), E2E_BACKLOG_DELAY_S,
// E2E_BACKLOG_SECONDS, E2E_BACKLOG_PAUSE_MS and E2E_BACKLOG_BATCH_PAUSE_MS (mean pause between bursts of 1-6;
// 200 raises about 17 a second). With the defaults the first renewal comes 60-120 s into the raising (a second
// one comes while the backlog drains), at paces above what n8n took on a 2-core machine with the four triggers
// (about 0.8 default-acknowledgement and 3.5 Batch Changes deliveries a second), small enough that the old
// queue's share drains within the 8-minute margin. Raising 1.7 s / 0.3 s from 360 s left 201 changes of a Batch
// Changes trigger queued at the old subscription's expiry (dropped, announced). VALIDITY_S=240 MARGIN_MIN=2
// PAUSE_MS=200 BATCH_PAUSE_MS=200 DELAY_S=0 is the issue's original run, where no overlap can drain it.
const VALIDITY_S = Number(process.env.E2E_BACKLOG_VALIDITY_S || 960);
const OPTIONS = {
	checkInterval: 1,
	renewalMargin: Number(process.env.E2E_BACKLOG_MARGIN_MIN || 8),
};
/** E2E_BACKLOG_MODE=queue: PostgreSQL, Redis, a main, a worker and a webhook processor; else one n8n. */
const MODE = process.env.E2E_BACKLOG_MODE === 'queue' ? 'queue' : 'regular';
const DELAY_S = Number(process.env.E2E_BACKLOG_DELAY_S || 420);
const PAUSE_MS = {
	default: Number(process.env.E2E_BACKLOG_PAUSE_MS || 2500),
	// regular mode takes Batch Changes deliveries faster: at 600 ms one trigger kept up until after its renewal
	batch: Number(process.env.E2E_BACKLOG_BATCH_PAUSE_MS || (MODE === 'queue' ? 600 : 450)),
};
const BATCH = { batchChanges: true, batchWindow: 2, batchMaxChanges: 100 };
/** Raising crosses the renewal (due VALIDITY_S - margin after activation, a check every minute). */
const RAISE_S = Number(process.env.E2E_BACKLOG_SECONDS || 300);
/** A change waiting longer than this for its first successful delivery counts as backlog. */
const BACKLOG_WAIT_MS = 10_000;
const RETRY_MS = [500, 1000, 2000, 5000, 10_000, 20_000, 30_000, 30_000, 30_000];
const FINISHED = ['success', 'error', 'crashed', 'canceled'];

/** A small seeded generator (mulberry32): the same seed raises the same pattern. */
function prng(seed) {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export function drawSeed() {
	const given = process.env.E2E_SEED;
	return given !== undefined && given !== '' ? Number(given) : Math.floor(Math.random() * 2 ** 31);
}

function workflow({ credential, name, options }) {
	const trigger = protimeTriggerNode({
		collectionName: 'work-interruptions',
		credential,
		events: ['insertOrUpdate', 'delete'],
		options: { ...OPTIONS, ...options },
	});
	const after = {
		id: `${trigger.id}-after`,
		name: 'After the trigger',
		type: 'n8n-nodes-base.noOp',
		typeVersion: 1,
		position: [260, 0],
		parameters: {},
	};
	return {
		name: `e2e backlog (${name}) ${Date.now()}`,
		nodes: [trigger, after],
		connections: { [trigger.name]: { main: [[{ node: after.name, type: 'main', index: 0 }]] } },
		trigger,
	};
}

/**
 * Raises changes at a seeded, uneven rate (bursts of 1–6, a pause of 0.5–1.5 × pauseMs between them) for RAISE_S
 * seconds, inserts and updates mixed; each change with the time it was raised.
 */
async function raise(sim, random, label, pauseMs) {
	const raised = [];
	const ids = [];
	const today = new Date().toISOString().slice(0, 10);
	const end = Date.now() + RAISE_S * 1000;
	let i = 0;
	while (Date.now() < end) {
		const burst = 1 + Math.floor(random() * 6);
		for (let k = 0; k < burst; k++, i++) {
			const update = ids.length > 10 && random() < 0.3;
			const r = update
				? await sim.update('work-interruptions', ids[Math.floor(random() * ids.length)], {
						durationInMinutes: 1 + (i % 50),
					})
				: await sim.insert('work-interruptions', {
						date: today,
						startTimeInMinutes: 300 + (i % 600),
						endTimeInMinutes: 310 + (i % 600),
						durationInMinutes: 10,
					});
			if (!update) ids.push(r.id);
			raised.push({ id: String(r.id), version: String(r.changeVersion), at: Date.now() });
		}
		await sleep(Math.floor(pauseMs * (0.5 + random())));
	}
	log(`backlog ${label}: raised ${raised.length} changes in ${RAISE_S} s`);
	return raised;
}

async function count(client, sim, wf, raised) {
	const executions = await client.executions(wf.id);
	const seen = new Map();
	let resyncs = 0;
	const byStatus = {};
	for (const e of executions) {
		byStatus[e.status] = (byStatus[e.status] ?? 0) + 1;
		if (e.status !== 'success') continue;
		for (const item of N8nClient.nodeOutput(await client.execution(e.id), wf.trigger.name) ?? []) {
			if (item.changeType === 'ResyncRequired') resyncs++;
			else if (item.changeVersion !== undefined)
				seen.set(String(item.changeVersion), (seen.get(String(item.changeVersion)) ?? 0) + 1);
		}
	}
	const hooks = (await sim.webhooks()).filter((w) =>
		w.destinationUrl.includes(wf.trigger.webhookId),
	);
	const hookIds = new Set(hooks.map((w) => w.id));
	const dropped = (await sim.droppedChanges()).filter((d) => hookIds.has(d.webhookId));
	// A record's older version may be dropped as stale once a newer one was emitted (the table stays right):
	// what must reach an execution is each record's newest version.
	const newest = new Map();
	for (const r of raised) newest.set(r.id, r.version);
	const lost = [...newest.values()].filter((v) => !seen.has(v));
	const versions = raised.map((r) => r.version);
	// first successful delivery of each change, over all of the trigger's subscriptions
	const firstOk = new Map();
	for (const w of hooks)
		for (const a of await sim.deliveries(w.id))
			if (a.success)
				for (const e of a.events)
					if (!firstOk.has(e.changeVersion) || a.attemptedAtMs < firstOk.get(e.changeVersion))
						firstOk.set(e.changeVersion, a.attemptedAtMs);
	// when each renewal created its subscription (a stopped webhook's validUntil is when it stopped, so only
	// for those that ran their course) and whether a change was then waiting in a backlog
	const renewedAt = hooks
		.map((w) => w.validUntilMs)
		.sort((x, y) => x - y)
		.slice(1)
		.map((until) => until - VALIDITY_S * 1000);
	const waitingAt = (t) =>
		raised.some((r) => r.at + BACKLOG_WAIT_MS <= t && (firstOk.get(r.version) ?? Infinity) > t);
	return {
		backlogSeconds: backlogSpan(raised, firstOk),
		renewalsInBacklog: renewedAt.filter(waitingAt).length,
		raised: raised.length,
		records: newest.size,
		executed: versions.filter((v) => seen.has(v)).length,
		superseded: versions.filter((v) => !seen.has(v)).length - lost.length,
		lost,
		silent: resyncs === 0 ? lost : [],
		doubled: [...seen].filter(([, n]) => n > 1).map(([v]) => v),
		resyncs,
		executions: byStatus,
		subscriptions: hooks.length,
		live: hooks.filter((w) => !w.deleted && w.status === 'Enabled').length,
		droppedBySimulator: dropped.length,
		droppedAndLost: dropped.filter((d) => lost.includes(String(d.changeVersion))).length,
		// With the overlap, Protime may drop a change only when the old subscription expires with it queued.
		lostNotAtExpiry: lost.filter(
			(v) => !dropped.some((d) => String(d.changeVersion) === v && d.reason === 'expired'),
		),
		droppedByReason: dropped.reduce(
			(acc, d) => ({ ...acc, [d.reason]: (acc[d.reason] ?? 0) + 1 }),
			{},
		),
		droppedAll: dropped.map((d) => String(d.changeVersion)),
	};
}

/**
 * The longest stretch of time in which at least one change had waited more than BACKLOG_WAIT_MS for its first
 * successful delivery (a change never delivered waits until now), in seconds.
 */
function backlogSpan(raised, firstOk) {
	const now = Date.now();
	const spans = raised
		.map((r) => [r.at + BACKLOG_WAIT_MS, firstOk.get(r.version) ?? now])
		.filter(([from, to]) => to > from)
		.sort((a, b) => a[0] - b[0]);
	let best = 0;
	let [from, to] = spans[0] ?? [0, 0];
	for (const [f, t] of spans) {
		if (f > to) {
			best = Math.max(best, to - from);
			[from, to] = [f, t];
		} else to = Math.max(to, t);
	}
	return Math.round(Math.max(best, to - from) / 1000);
}

/** E2E_BACKLOG_TRACE=1: what each Batch Changes trigger keeps in its saved static data, every 20 s. */
async function traceBatches(client, runs) {
	for (const r of runs.filter((x) => x.pace === 'batch')) {
		const wf = await client.getWorkflow(r.wf.id).catch((e) => ({ error: e.message }));
		const nodes = wf.staticData ?? {};
		const data = nodes[`node:${r.wf.trigger.name}`] ?? {};
		const b = data.batch ?? {};
		const f = b.inFlight;
		log(
			`backlog trace ${r.queue}/${r.pace}: pending ${b.pending?.length ?? '-'}, in flight ${f ? `${f.changes?.length} (id ${f.id || "''"}, attempts ${f.attempts}, retryAt ${f.retryAt ? new Date(f.retryAt).toISOString() : 0})` : 'none'}${wf.error ? ` (${wf.error})` : ''}`,
		);
	}
}

async function startBacklogN8n({ install, dir, userFolder }) {
	const common = { runDir: dir, userFolder, filesDir: path.join(dir, 'files') };
	if (MODE === 'regular') {
		const n8n = await startN8n(install, {
			...common,
			port: await freePort(),
			name: 'n8n-backlog',
			extra: { N8N_LOG_LEVEL: 'info' },
		});
		return { baseUrl: n8n.baseUrl, stop: () => stopProcess(n8n.proc) };
	}
	const pg = await startPostgres({ runDir: dir });
	const redis = await startRedis({ runDir: dir });
	const [mainPort, webhookPort] = [await freePort(), await freePort()];
	const extra = { ...queueModeEnv({ pg, redis, mainPort, webhookPort }), N8N_LOG_LEVEL: 'info' };
	const procs = [];
	for (const role of ['start', 'worker', 'webhook']) {
		const port = role === 'webhook' ? webhookPort : role === 'start' ? mainPort : undefined;
		procs.push(
			await startN8n(install, { ...common, extra, role, port, name: `n8n-backlog-${role}` }),
		);
	}
	return {
		baseUrl: procs[0].baseUrl,
		stop: async () => {
			for (const p of procs.reverse()) await stopProcess(p.proc);
			await stopProcess(redis.proc);
			await stopProcess(pg.proc, { graceMs: 20_000 });
		},
	};
}

export async function backlog({ checks, runDir, install }) {
	const seed = drawSeed();
	process.stdout.write(`backlog: seed ${seed} (rerun with E2E_SEED=${seed})\n`);
	log(`backlog: seed ${seed}`);
	const dir = path.join(runDir, 'backlog');
	fs.mkdirSync(dir, { recursive: true });
	const MODES = [
		['default acknowledgement', 'default', {}],
		['Batch Changes', 'batch', BATCH],
	];
	const sims = {};
	for (const queue of ['dropped', 'drained'])
		for (const [, pace] of MODES)
			sims[`${queue}/${pace}`] = await startSimulator({
				runDir: dir,
				name: `simulator-backlog-${queue}-${pace}`,
				demo: true,
				trafficMs: 0,
				validitySeconds: VALIDITY_S,
				retryMs: RETRY_MS,
				assumptions: { queueOnStop: queue },
			});
	const userFolder = path.join(dir, 'home');
	installIntoUserFolder(await preparePackage(runDir), userFolder);
	const n8n = await startBacklogN8n({ install, dir, userFolder });
	try {
		const client = new N8nClient(n8n.baseUrl, install);
		await client.setupOwner();
		const runs = [];
		for (const queue of ['dropped', 'drained'])
			for (const [mode, pace, options] of MODES) {
				const sim = sims[`${queue}/${pace}`];
				const credential = await client.createCredential(
					`Protime (backlog, ${queue}, ${pace})`,
					CREDENTIAL_TYPE,
					sim.credentialData(),
				);
				const wf = workflow({ credential, name: `${queue}, ${mode}`, options });
				const created = await client.createWorkflow(wf);
				await client.activate(created.id);
				runs.push({ queue, mode, pace, sim, wf: { ...wf, id: created.id } });
			}
		const t0 = Date.now();
		const trace = process.env.E2E_BACKLOG_TRACE
			? setInterval(() => traceBatches(client, runs), 20_000)
			: undefined;
		log(`backlog: raising from ${DELAY_S} s for ${RAISE_S} s; webhooks valid ${VALIDITY_S} s`);
		await sleep(DELAY_S * 1000);
		// one raiser per simulator, each from its own seed and at its trigger's pace
		await Promise.all(
			runs.map(
				async (r, k) =>
					(r.raised = await raise(r.sim, prng(seed + k), `${r.queue}/${r.pace}`, PAUSE_MS[r.pace])),
			),
		);
		for (const r of runs) {
			await waitFor(
				`backlog ${r.queue}/${r.pace}: the simulator has nothing left to deliver`,
				async () => (await r.sim.call('GET', '/deliveries')).pending === 0,
				{ timeoutMs: 900_000, intervalMs: 2000 },
			);
		}
		// A renewed subscription's overlap ends a few minutes after it expired (docs/trigger-design.md,
		// "Overlap"); only then is a gap it left announced. Wait for that before counting silent losses.
		let endsAt = 0;
		for (const r of runs) {
			const hooks = (await r.sim.webhooks()).filter((w) =>
				w.destinationUrl.includes(r.wf.trigger.webhookId),
			);
			const newest = Math.max(...hooks.map((w) => w.validUntilMs));
			// only a subscription that has expired by now can have left a gap at its overlap's end
			for (const w of hooks)
				if (w.validUntilMs < newest && w.validUntilMs <= Date.now())
					endsAt = Math.max(endsAt, w.validUntilMs);
		}
		const overlapWait = endsAt + 4 * 60_000 - Date.now();
		if (overlapWait > 0) {
			log(`backlog: waiting ${Math.round(overlapWait / 1000)} s for the last overlap to end`);
			await sleep(Math.min(overlapWait, 15 * 60_000));
		}
		// the Batch Changes triggers may still hold kept changes, and executions may still run
		let last = '';
		let stableSince = Date.now();
		await waitFor(
			'backlog: n8n executions settled',
			async () => {
				const sig = (
					await Promise.all(
						runs.map(async (r) =>
							(await client.executions(r.wf.id)).map((e) => `${e.id}:${e.status}`).join(','),
						),
					)
				).join('|');
				if (sig !== last) {
					last = sig;
					stableSince = Date.now();
				}
				return Date.now() - stableSince > 15_000;
			},
			{ timeoutMs: 600_000, intervalMs: 2000 },
		);
		for (const r of runs) {
			await checks.check(
				`backlog (seed ${seed}, ${MODE} mode): renewal during a backlog, queue ${r.queue} on stop, ${r.mode}: no change lost without a ResyncRequired`,
				async () => {
					const c = await count(client, r.sim, r.wf, r.raised);
					const statuses = Object.entries(c.executions)
						.map(([s, n]) => `${s} ${n}`)
						.join(', ');
					const line =
						`backlog ${MODE} ${r.queue}/${r.mode} (seed ${seed}, ${Math.round((Date.now() - t0) / 1000)} s): backlog ${c.backlogSeconds} s (renewals in it ${c.renewalsInBacklog}), changes ${c.raised} to ${c.records} records, executed ${c.executed} ` +
						`(older versions superseded before they came ${c.superseded}), LOST ${c.lost.length} newest versions ` +
						`(silent ${c.silent.length}, dropped by the simulator ${c.droppedBySimulator} ${JSON.stringify(c.droppedByReason)}, of them lost ${c.droppedAndLost}), DOUBLED ${c.doubled.length}, ` +
						`ResyncRequired ${c.resyncs}, subscriptions ${c.subscriptions} (live ${c.live}), executions ${statuses}`;
					process.stdout.write(`${line}\n`);
					log(line);
					assert(
						c.subscriptions >= 2,
						`the subscription was renewed during the backlog (webhooks created: ${c.subscriptions})`,
					);
					assert(
						c.renewalsInBacklog >= 1 && c.backlogSeconds >= 300,
						`a renewal fell inside a backlog of at least 5 minutes (renewals in a backlog ${c.renewalsInBacklog}, longest backlog ${c.backlogSeconds} s): size the run with the E2E_BACKLOG_* knobs`,
					);
					assert(
						c.silent.length === 0,
						`${c.silent.length} change(s) lost without a ResyncRequired (${c.silent.slice(0, 5).join(', ')})`,
					);
					assert(
						c.lostNotAtExpiry.length === 0,
						`${c.lostNotAtExpiry.length} change(s) lost that Protime did not drop at an old subscription's expiry (${c.lostNotAtExpiry.slice(0, 5).join(', ')})`,
					);
					assert(
						c.lost.length === 0,
						`${c.lost.length} change(s) lost (queue ${r.queue} on stop; ${c.resyncs} ResyncRequired announced) (${c.lost.slice(0, 5).join(', ')})`,
					);
				},
			);
		}
		clearInterval(trace);
		for (const r of runs) await client.deactivate(r.wf.id).catch(() => undefined);
	} finally {
		await n8n.stop();
		for (const sim of Object.values(sims)) await sim.stop();
	}
}
