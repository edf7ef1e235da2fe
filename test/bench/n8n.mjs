// Real-n8n benchmark: deliveries per second and latency through the Protime Trigger against n8n's built-in
// Webhook node, both active in the same n8n 2.41.1 instance and receiving the same payloads.
//
// The package is built from the committed HEAD into .bench/tree (git archive; node_modules linked), packed
// and installed as a community package with the e2e harness (test/e2e/lib), so `dist/` of the working
// copy is never touched. The simulator (test/e2e/lib/simulator.mjs) serves the token and webhook API for
// the trigger's activation; the deliveries themselves are posted by this process on loopback, signed with
// the key the simulator handed to the trigger, so both endpoints see identical bodies and headers.
import { execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ensureInstalled, N8N_VERSION } from '../e2e/lib/install.mjs';
import { N8nClient, startN8n } from '../e2e/lib/n8n.mjs';
import { installIntoUserFolder, repoRoot } from '../e2e/lib/package.mjs';
import { log } from '../e2e/lib/procs.mjs';
import { startSimulator } from '../e2e/lib/simulator.mjs';
import { protimeTriggerNode } from '../e2e/lib/workflows.mjs';
import { median, percentile } from './stats.mjs';

/** Builds the committed HEAD in a separate tree and packs it; returns the tarball path. */
export function packFromHead(benchDir) {
	const tree = path.join(benchDir, 'tree');
	fs.rmSync(tree, { recursive: true, force: true });
	fs.mkdirSync(tree, { recursive: true });
	const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
		cwd: repoRoot,
		encoding: 'utf8',
	}).trim();
	execFileSync('sh', ['-c', `git -C "${repoRoot}" archive HEAD | tar -x -C "${tree}"`]);
	fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(tree, 'node_modules'));
	const bin = (name) => path.join(repoRoot, 'node_modules', '.bin', name);
	execFileSync(bin('tsc'), ['-p', 'tsconfig.json'], {
		cwd: tree,
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	execFileSync(bin('gulp'), ['build:icons'], { cwd: tree, stdio: ['ignore', 'pipe', 'inherit'] });
	const packDir = path.join(benchDir, 'pack');
	fs.mkdirSync(packDir, { recursive: true });
	const out = execFileSync('npm', ['pack', '--json', '--pack-destination', packDir], {
		cwd: tree,
		encoding: 'utf8',
		env: {
			...process.env,
			npm_config_fund: 'false',
			npm_config_audit: 'false',
			npm_config_update_notifier: 'false',
		},
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	const info = JSON.parse(out)[0];
	log(`bench: packed ${info.filename} from HEAD ${head}`);
	return { tarball: path.join(packDir, info.filename), head };
}

let version = 0x100000;
const cv = () => (version++).toString(16).toUpperCase().padStart(20, '0');

export function payload(key) {
	const id = 1 + Math.floor(Math.random() * 2000);
	const body = JSON.stringify({
		changeType: 'InsertOrUpdate',
		data: {
			changeVersion: cv(),
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

/** Posts `bodies` to `url` with `concurrency` workers; returns latencies (ms), elapsed ms and failures. */
export async function load(url, bodies, concurrency, check) {
	const latencies = [];
	const failures = [];
	let next = 0;
	const t0 = performance.now();
	const worker = async () => {
		while (next < bodies.length) {
			const p = bodies[next++];
			const t = performance.now();
			const res = await fetch(url, { method: 'POST', body: p.body, headers: p.headers });
			const text = await res.text();
			latencies.push(performance.now() - t);
			const problem = check(res.status, text, res.headers);
			if (problem && failures.length < 5) failures.push(problem);
			else if (problem) failures.length++;
		}
	};
	await Promise.all(Array.from({ length: concurrency }, worker));
	return { latencies, elapsedMs: performance.now() - t0, failures };
}

/** Finished executions of a workflow (n8n's list API returns the total as `count`). */
export async function finishedExecutions(client, workflowId) {
	const filter = encodeURIComponent(
		JSON.stringify({ workflowId, status: ['success', 'error', 'crashed'] }),
	);
	const r = await client.get(`/rest/executions?filter=${filter}&limit=1`);
	return Number(r.count ?? 0);
}

/** Waits until `target` executions of the workflow have finished; returns the time it happened (performance.now()). */
export async function drained(client, workflowId, target, timeoutMs = 300_000) {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const n = await finishedExecutions(client, workflowId);
		if (n >= target) return performance.now();
		if (Date.now() > deadline)
			throw new Error(`only ${n} of ${target} executions of workflow ${workflowId} finished`);
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}

/** A run directory, the simulator and one n8n with the packed package and its owner; `label` names both. */
export async function benchInstance({ benchDir, packed, label, env = {} }) {
	const runDir = path.join(benchDir, `${label}-${Date.now()}`);
	fs.mkdirSync(runDir, { recursive: true });
	const install = await ensureInstalled();
	const { tarball, head } = packed ?? packFromHead(benchDir);
	const userFolder = path.join(runDir, 'n8n-home');
	installIntoUserFolder(tarball, userFolder);
	const sim = await startSimulator({ runDir });
	const n8n = await startN8n(install, {
		runDir,
		userFolder,
		filesDir: path.join(runDir, 'files'),
		name: `${label}-bench`,
		extra: { N8N_LOG_LEVEL: 'warn', ...env },
	});
	const client = new N8nClient(n8n.baseUrl, install);
	await client.setupOwner();
	return { head, sim, n8n, client };
}

export async function benchN8n({ quick, benchDir, packed, env = {} }) {
	const rounds = quick ? 3 : 5;
	const perRound = quick ? 100 : 150;
	const concurrency = 4;
	const { head, sim, n8n, client } = await benchInstance({ benchDir, packed, label: 'n8n', env });
	const credential = await client.createCredential(
		'Protime (bench)',
		'protimeApi',
		sim.credentialData(),
	);

	/** An active one-node workflow with a Protime Trigger; its URL, the key Protime signs with, its id. */
	const activeTrigger = async (name, typeVersion, options) => {
		const trigger = {
			...protimeTriggerNode({
				collectionName: 'work-interruptions',
				credential,
				events: ['insertOrUpdate', 'delete'],
				options,
			}),
			typeVersion,
		};
		const workflow = await client.createWorkflow({ name, nodes: [trigger], connections: {} });
		await client.activate(workflow.id);
		const url = `${n8n.baseUrl}/webhook/${trigger.webhookId}/webhook`;
		const live = await sim.liveWebhooks(url);
		if (live.length !== 1)
			throw new Error(`expected one live subscription for ${url}, found ${live.length}`);
		return { url, key: live[0].key, workflowId: workflow.id };
	};
	// The trigger at the node's current version (2; new nodes get it); the same with the stale/duplicate filter
	// off (Options → Drop Stale Changes), to show what the filter's static-data write per delivery costs; and
	// version 1 (an info row): n8n 2.41 evaluates a legacy expression through its expression isolate on every
	// request to a version-1 webhook node.
	// Answered on receipt, like the Webhook node it is compared with; the acknowledgement rows compare the modes.
	const protime = await activeTrigger('bench: Protime Trigger', 2, { acknowledge: 'onReceipt' });
	const protimeNoFilter = await activeTrigger('bench: Protime Trigger, Drop Stale off', 2, {
		dropStale: false,
		acknowledge: 'onReceipt',
	});

	// Built-in Webhook node workflow, same instance.
	const hookPath = `bench-${randomUUID().slice(0, 8)}`;
	const webhookNode = {
		id: randomUUID(),
		name: 'Webhook',
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2,
		position: [0, 0],
		webhookId: randomUUID(),
		parameters: { httpMethod: 'POST', path: hookPath, responseMode: 'onReceived', options: {} },
	};
	const wfB = await client.createWorkflow({
		name: 'bench: built-in Webhook',
		nodes: [webhookNode],
		connections: {},
	});
	await client.activate(wfB.id);
	const builtinUrl = `${n8n.baseUrl}/webhook/${hookPath}`;

	// Control: the same built-in Webhook node with one expression in its parameters (a response header).
	// n8n 2.41 lets only its own Webhook node with static parameters skip the expression isolate in the
	// webhook phase (LiveWebhooks.webhookPhaseNeedsIsolate); with an expression it pays what every other
	// trigger node pays, the Protime Trigger included. The gap between the two Webhook rows is n8n's.
	const exprPath = `bench-expr-${randomUUID().slice(0, 8)}`;
	const exprNode = {
		...webhookNode,
		id: randomUUID(),
		webhookId: randomUUID(),
		parameters: {
			httpMethod: 'POST',
			path: exprPath,
			responseMode: 'onReceived',
			options: { responseHeaders: { entries: [{ name: 'x-bench', value: "={{ 'control' }}" }] } },
		},
	};
	const wfE = await client.createWorkflow({
		name: 'bench: built-in Webhook with an expression',
		nodes: [exprNode],
		connections: {},
	});
	await client.activate(wfE.id);
	const builtinExprUrl = `${n8n.baseUrl}/webhook/${exprPath}`;

	const checkProtime = (status, text) => {
		if (status !== 200) return `Protime Trigger answered ${status}: ${text.slice(0, 200)}`;
		const body = JSON.parse(text);
		return body.emitted === 1 ? undefined : `Protime Trigger did not emit: ${text.slice(0, 200)}`;
	};
	const checkBuiltin = (status, text) =>
		status === 200 ? undefined : `Webhook node answered ${status}: ${text.slice(0, 200)}`;
	const checkBuiltinExpr = (status, text, headers) => {
		if (status !== 200)
			return `Webhook node (expression) answered ${status}: ${text.slice(0, 200)}`;
		return headers.get('x-bench') === 'control'
			? undefined
			: 'Webhook node (expression) did not evaluate its expression';
	};

	const candidates = {
		protime: { ...protime, check: checkProtime },
		builtin: { url: builtinUrl, key: protime.key, check: checkBuiltin, workflowId: wfB.id },
		builtinExpr: {
			url: builtinExprUrl,
			key: protime.key,
			check: checkBuiltinExpr,
			workflowId: wfE.id,
		},
		protimeNoFilter: { ...protimeNoFilter, check: checkProtime },
	};
	const names = Object.keys(candidates);
	// Warm-up, then interleaved rounds (the order rotates each round).
	for (const c of Object.values(candidates))
		await load(
			c.url,
			Array.from({ length: 40 }, () => payload(c.key)),
			concurrency,
			c.check,
		);
	const result = {};
	const done = {};
	for (const name of names) {
		result[name] = { rates: [], answered: [], latencies: [], failures: [] };
		// Let the warm-up executions finish before the first measured round.
		await drained(client, candidates[name].workflowId, 40);
		done[name] = await finishedExecutions(client, candidates[name].workflowId);
	}
	const ratios = [];
	const ratiosVsExpr = [];
	for (let r = 0; r < rounds; r++) {
		const order = names.map((_, i) => names[(i + r) % names.length]);
		const rate = {};
		for (const which of order) {
			const c = candidates[which];
			const bodies = Array.from({ length: perRound }, () => payload(c.key));
			const t0 = performance.now();
			const out = await load(c.url, bodies, concurrency, c.check);
			// Throughput counts executions that finished, not only answered requests: an endpoint that answers
			// early would otherwise leave its executions running into the next round.
			done[which] += perRound;
			const finishedAt = await drained(client, c.workflowId, done[which]);
			rate[which] = (perRound / (finishedAt - t0)) * 1000;
			result[which].rates.push(rate[which]);
			result[which].answered.push((perRound / out.elapsedMs) * 1000);
			result[which].latencies.push(...out.latencies);
			result[which].failures.push(...out.failures);
			log(
				`bench: n8n round ${r + 1}/${rounds} ${which}: ${rate[which].toFixed(1)} deliveries/s finished`,
			);
		}
		ratios.push(rate.protime / rate.builtin);
		ratiosVsExpr.push(rate.protime / rate.builtinExpr);
	}
	const summary = (x) => ({
		rate: median(x.rates),
		answered: median(x.answered),
		p50: percentile(x.latencies, 50),
		p99: percentile(x.latencies, 99),
		failures: x.failures,
	});
	return {
		head,
		rounds,
		perRound,
		concurrency,
		protime: summary(result.protime),
		builtin: summary(result.builtin),
		protimeNoFilter: summary(result.protimeNoFilter),
		builtinExpr: summary(result.builtinExpr),
		ratio: median(ratios),
		// Per round: Protime Trigger against the Webhook node that also takes an isolate (the n8n-imposed ceiling).
		ratioVsExpr: median(ratiosVsExpr),
		n8nVersion: N8N_VERSION,
	};
}
