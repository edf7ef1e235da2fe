// Real-n8n Get Many: the Protime node (Get Many, Return All) against n8n's HTTP Request node with pagination
// ("Response Contains Next URL") + Split Out (one item per record, like the Protime node's output), in the
// same n8n 2.41.1 instance over the same simulator (sim-server.mjs, in its own process). Each workflow is
// started by a Webhook node that answers when the workflow has finished (with the item count from a final
// Summarize node, the same for both), so the request time is the execution time.
// Memory: n8n runs with its V8 inspector on a loopback port; heap-probe.mjs (a small DevTools Protocol client under
// n8n's Node 24) collects garbage before each run and takes the used V8 heap as the baseline, samples the used heap
// every 10 ms during the run (peak heap growth = peak − baseline), and collects garbage again after the run
// (retained growth). n8n's RSS sampled from /proc every 25 ms is kept as an extra figure only: a long-lived V8
// process does not give freed memory back to the OS, so RSS growth depends on what earlier runs left reserved.
// Before each measured run a one-expression workflow runs first, so that what the previous execution left to the
// expression engine is let go before the baseline (see `flush` below).
// BENCH_HEAP_PROFILE=<dir> also writes a V8 allocation sampling profile of each measured run (.heapprofile, garbage
// included); BENCH_HEAP_SNAPSHOT=<dir> a heap snapshot after each measured run's final collection (~200-300 MB each).
// Both open in Chrome DevTools' Memory tab.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureInstalled } from '../e2e/lib/install.mjs';
import { N8nClient, n8nEnv, startN8n } from '../e2e/lib/n8n.mjs';
import { ACTION_TYPE, CREDENTIAL_TYPE, installIntoUserFolder } from '../e2e/lib/package.mjs';
import { freePort, log, sleep } from '../e2e/lib/procs.mjs';
import { startHeapProbe } from './heap-probe.mjs';
import { fieldMedians } from './stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

function startSimServer(records) {
	const child = spawn(
		process.execPath,
		['--import', 'tsx', path.join(here, 'sim-server.mjs'), '--records', String(records)],
		{
			stdio: ['ignore', 'pipe', 'inherit'],
			env: { ...process.env, NODE_OPTIONS: '' },
		},
	);
	let out = '';
	const info = new Promise((resolve, reject) => {
		child.stdout.on('data', (d) => {
			out += d.toString();
			const nl = out.indexOf('\n');
			if (nl >= 0) resolve(JSON.parse(out.slice(0, nl)));
		});
		child.on('exit', (code) => reject(new Error(`sim-server exited with ${code}`)));
	});
	return { child, info };
}

function rssOf(pid) {
	try {
		const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
		return m ? Number(m[1]) * 1024 : 0;
	} catch {
		return 0;
	}
}

const node = (name, type, typeVersion, position, parameters, extra = {}) => ({
	id: randomUUID(),
	name,
	type,
	typeVersion,
	position,
	parameters,
	...extra,
});

/** Connections that run `nodes` one after the other, in the order given. */
function chain(nodes) {
	return Object.fromEntries(
		nodes
			.slice(0, -1)
			.map((from, i) => [
				from.name,
				{ main: [[{ node: nodes[i + 1].name, type: 'main', index: 0 }]] },
			]),
	);
}

/** A workflow whose nodes run one after the other. */
const linearWorkflow = (name, nodes) => ({ name, nodes, connections: chain(nodes) });

function webhookStart(hookPath) {
	return node(
		'Start',
		'n8n-nodes-base.webhook',
		2,
		[0, 0],
		{
			httpMethod: 'POST',
			path: hookPath,
			responseMode: 'lastNode',
			responseData: 'firstEntryJson',
			options: {},
		},
		{ webhookId: randomUUID() },
	);
}

/** Counts the items that reached it (the answer of the workflow), the same last step for both candidates. */
function counter(position) {
	return node('Count', 'n8n-nodes-base.summarize', 1.1, position, {
		fieldsToSummarize: { values: [{ aggregation: 'count', field: 'id' }] },
		options: {},
	});
}

const RANGE = { start: '2026-01-01', end: '2026-12-31' };

export async function benchN8nGetMany({ quick, benchDir, tarball }) {
	const records = quick ? 20_000 : 100_000;
	const rounds = quick ? 1 : 5; // speeds of the two workflows differ by less than the round-to-round spread: five rounds for a stable median
	const runDir = path.join(benchDir, `n8n-getmany-${Date.now()}`);
	fs.mkdirSync(runDir, { recursive: true });
	const sim = startSimServer(records);
	let probe;
	try {
		const info = await sim.info;
		const install = await ensureInstalled();
		const userFolder = path.join(runDir, 'n8n-home');
		installIntoUserFolder(tarball, userFolder);
		// The inspector on the main n8n process only: n8n starts its JS task runner with an environment of its own
		// (task-runner-process-js.js getProcessEnvVars: NODE_OPTIONS is not passed on), so the runner does not try to
		// open the same port; the probe also checks the pid it is attached to.
		const inspectPort = await freePort();
		// BENCH_N8N_NODE_OPTIONS adds options for n8n's process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it.
		const nodeOptions = [
			n8nEnv(install, { userFolder, port: 0, brokerPort: 0 }).NODE_OPTIONS,
			`--inspect=127.0.0.1:${inspectPort}`,
			process.env.BENCH_N8N_NODE_OPTIONS,
		]
			.filter(Boolean)
			.join(' ');
		const n8n = await startN8n(install, {
			runDir,
			userFolder,
			filesDir: path.join(runDir, 'files'),
			name: 'n8n-bench-getmany',
			extra: {
				N8N_LOG_LEVEL: 'warn',
				EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'none',
				N8N_PAYLOAD_SIZE_MAX: '256',
				NODE_OPTIONS: nodeOptions,
			},
		});
		const pid = n8n.proc.pid;
		probe = startHeapProbe({ nodeBin: install.nodeBin, port: inspectPort });
		const probed = await probe.pidOfTarget();
		if (probed !== pid)
			throw new Error(
				`inspector on port ${inspectPort} belongs to pid ${probed}, not n8n (${pid})`,
			);
		const client = new N8nClient(n8n.baseUrl, install);
		await client.setupOwner();
		const credential = await client.createCredential('Protime (bench)', CREDENTIAL_TYPE, {
			environment: 'custom',
			baseUrl: info.origin,
			tenant: info.tenant,
			authentication: 'clientCredentials',
			clientId: info.clientId,
			clientSecret: info.clientSecret,
			company: 'bench',
		});

		// A token for the HTTP Request node (valid 30 minutes, longer than the bench).
		const { DEFAULT_SCOPES } = await import('../../nodes/shared/catalogue.ts');
		const tokenRes = await fetch(`${info.origin}/tenants/${info.tenant}/connect/token`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
			body: new URLSearchParams({
				grant_type: 'client_credentials',
				client_id: info.clientId,
				client_secret: info.clientSecret,
				scope: DEFAULT_SCOPES.join(' '),
			}),
		});
		const token = (await tokenRes.json()).access_token;

		const protimePath = `gm-protime-${randomUUID().slice(0, 8)}`;
		const wfProtime = await client.createWorkflow(
			linearWorkflow('bench: Protime Get Many', [
				webhookStart(protimePath),
				node(
					'Get Many',
					ACTION_TYPE,
					1,
					[260, 0],
					{
						resource: 'workInterruption',
						operation: 'getAll',
						returnAll: true,
						simplify: false,
						startDate: RANGE.start,
						endDate: RANGE.end,
					},
					{
						credentials: { [CREDENTIAL_TYPE]: { id: credential.id, name: credential.name } },
					},
				),
				counter([520, 0]),
			]),
		);
		await client.activate(wfProtime.id);

		const httpPath = `gm-http-${randomUUID().slice(0, 8)}`;
		const filter = encodeURIComponent(`date ge '${RANGE.start}' and date le '${RANGE.end}'`);
		const wfHttp = await client.createWorkflow(
			linearWorkflow('bench: HTTP Request with pagination', [
				webhookStart(httpPath),
				node('HTTP Request', 'n8n-nodes-base.httpRequest', 4.2, [260, 0], {
					method: 'GET',
					url: `${info.origin}/connector/protimeapi/api/v1/work-interruptions?filter=${filter}`,
					sendHeaders: true,
					headerParameters: {
						parameters: [
							{ name: 'Authorization', value: `Bearer ${token}` },
							{ name: 'User-Agent', value: 'bench-http-request/1.0 (bench)' },
						],
					},
					options: {
						pagination: {
							pagination: {
								paginationMode: 'responseContainsNextURL',
								nextURL: `={{ '${info.origin}' + $response.body.nextLink }}`,
								paginationCompleteWhen: 'other',
								completeExpression: '={{ !$response.body.nextLink }}',
							},
						},
					},
				}),
				node('Split Out', 'n8n-nodes-base.splitOut', 1, [520, 0], {
					fieldToSplitOut: 'value',
					include: 'noOtherFields',
					options: {},
				}),
				counter([780, 0]),
			]),
		);
		await client.activate(wfHttp.id);

		// A tiny workflow with one expression, run before each measurement. n8n 2.41 evaluates expressions in an
		// isolated-vm isolate; the host callbacks each evaluation hands to it (isolated-vm-bridge.js, one set per
		// evaluation, holding the evaluation's data) are global handles that outlive the execution: 10 s of idling
		// does not release them, the next execution does. After an HTTP Request run they keep every page's response
		// (all records, ~44 MB at 100,000) alive; without this step the run after an HTTP Request run would start
		// from a baseline that includes that leftover and then gain its release.
		const flushPath = `gm-flush-${randomUUID().slice(0, 8)}`;
		const wfFlush = await client.createWorkflow(
			linearWorkflow('bench: release expression leftovers', [
				webhookStart(flushPath),
				node('Set', 'n8n-nodes-base.set', 3.4, [260, 0], {
					mode: 'manual',
					assignments: {
						assignments: [{ id: randomUUID(), name: 'ok', value: '={{ 1 + 1 }}', type: 'number' }],
					},
					options: {},
				}),
			]),
		);
		await client.activate(wfFlush.id);
		const flush = async () => {
			const res = await fetch(`${n8n.baseUrl}/webhook/${flushPath}`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: '{}',
			});
			const text = await res.text();
			if (res.status !== 200 || JSON.parse(text).ok !== 2)
				throw new Error(`flush workflow answered ${res.status}: ${text.slice(0, 300)}`);
		};

		const profileDir = process.env.BENCH_HEAP_PROFILE;
		const snapshotDir = process.env.BENCH_HEAP_SNAPSHOT;
		for (const dir of [profileDir, snapshotDir]) if (dir) fs.mkdirSync(dir, { recursive: true });
		const runOnce = async (hookPath, label) => {
			const beforeFlush = await probe.gc();
			await flush();
			await sleep(200);
			const base = await probe.gc();
			const released = beforeFlush.usedSize - base.usedSize;
			if (label && profileDir) await probe.profileStart();
			const rssBefore = rssOf(pid);
			let rssPeak = rssBefore;
			const timer = setInterval(() => {
				rssPeak = Math.max(rssPeak, rssOf(pid));
			}, 25);
			await probe.start(10);
			const t = performance.now();
			const res = await fetch(`${n8n.baseUrl}/webhook/${hookPath}`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: '{}',
			});
			const text = await res.text();
			const ms = performance.now() - t;
			const heap = await probe.stop();
			clearInterval(timer);
			rssPeak = Math.max(rssPeak, rssOf(pid));
			if (label && profileDir)
				await probe.profileStop(path.join(profileDir, `${label}.heapprofile`));
			if (res.status !== 200)
				throw new Error(`workflow ${hookPath} answered ${res.status}: ${text.slice(0, 300)}`);
			const count = Number(JSON.parse(text).count_id);
			if (count !== records)
				throw new Error(
					`workflow ${hookPath} produced ${count} items, expected ${records}: ${text.slice(0, 300)}`,
				);
			// the webhook answers from the last node; give n8n a moment to finish the execution's bookkeeping
			await sleep(500);
			const after = await probe.gc();
			if (label && snapshotDir)
				await probe.snapshot(path.join(snapshotDir, `${label}.heapsnapshot`));
			return {
				ms,
				recordsPerSecond: (records / ms) * 1000,
				heapGrowth: heap.peakUsedSize - base.usedSize,
				retainedGrowth: after.usedSize - base.usedSize,
				samples: heap.samples,
				released,
				rssGrowth: rssPeak - rssBefore,
			};
		};
		// Warm-up (JIT, module loading) with one run each, then interleaved rounds.
		await runOnce(protimePath);
		await runOnce(httpPath);
		const runs = { protime: [], http: [] };
		for (let r = 0; r < rounds; r++) {
			const order = r % 2 === 0 ? ['protime', 'http'] : ['http', 'protime'];
			for (const which of order) {
				const res = await runOnce(
					which === 'protime' ? protimePath : httpPath,
					`${which}-round${r + 1}`,
				);
				runs[which].push(res);
				const mb = (b) => (b / 1048576).toFixed(1);
				log(
					`bench: n8n get many round ${r + 1}/${rounds} ${which}: ${res.recordsPerSecond.toFixed(0)} records/s, ` +
						`peak heap +${mb(res.heapGrowth)} MB (${res.samples} samples), retained +${mb(res.retainedGrowth)} MB, RSS +${mb(res.rssGrowth)} MB; ` +
						`the flush run before it released ${mb(res.released)} MB`,
				);
			}
		}
		const summary = (list) => ({
			...fieldMedians(list, ['recordsPerSecond', 'heapGrowth', 'retainedGrowth', 'rssGrowth']),
			runs: list,
		});
		const protime = summary(runs.protime);
		const http = summary(runs.http);
		return {
			records,
			rounds,
			protime,
			http,
			speedRatio: protime.recordsPerSecond / http.recordsPerSecond,
			heapRatio: protime.heapGrowth / http.heapGrowth,
			rssRatio: protime.rssGrowth / http.rssGrowth,
		};
	} finally {
		probe?.close();
		sim.child.kill('SIGTERM');
	}
}
