// `npm run bench [-- --quick] [-- --skip-n8n] [-- --only webhook,getmany,tokens,n8n,n8n-getmany,n8n-ack]`
// Measures every ratio of issue 6 side by side in one run (baseline and candidate interleaved, medians),
// prints each with its target and PASS/FAIL, and writes BENCHMARKS.md. Not part of CI: the numbers depend
// on the machine and its load.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../e2e/lib/package.mjs';
import { stopAll } from '../e2e/lib/procs.mjs';
import { benchGetMany } from './getmany.mjs';
import { benchTokens, benchWebhook } from './inprocess.mjs';
import { fmt, MB, table } from './stats.mjs';

const { values } = parseArgs({
	options: {
		quick: { type: 'boolean', default: false },
		'skip-n8n': { type: 'boolean', default: false },
		only: { type: 'string' },
		out: { type: 'string', default: path.join(repoRoot, 'BENCHMARKS.md') },
		// Extra environment for the real-n8n trigger bench, e.g. `N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true` (comma-separated).
		'n8n-env': { type: 'string' },
	},
});
const quick = values.quick;
const n8nEnv = Object.fromEntries(
	(values['n8n-env'] ?? '')
		.split(',')
		.filter(Boolean)
		.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
const n8nEnvText = Object.keys(n8nEnv).length
	? ` with ${Object.entries(n8nEnv)
			.map(([k, v]) => `${k}=${v}`)
			.join(' ')}`
	: '';
const only = values.only
	? values.only.split(',').map((s) => s.trim())
	: ['webhook', 'getmany', 'tokens', 'n8n', 'n8n-getmany', 'n8n-ack', 'n8n-batch'];
const want = (s) => only.includes(s) && !(s.startsWith('n8n') && values['skip-n8n']);
const benchDir = path.join(repoRoot, '.bench');
fs.mkdirSync(benchDir, { recursive: true });
// Run directories of earlier real-n8n runs (n8n user folders, logs) are kept only until the next run.
for (const entry of fs.readdirSync(benchDir)) {
	if (entry.startsWith('n8n-'))
		fs.rmSync(path.join(benchDir, entry), { recursive: true, force: true });
}

const KEEP_MARKER =
	'<!-- Everything below this line is kept when `npm run bench` rewrites the file. -->';
const rows = []; // [measure, baseline, candidate, ratio, target, verdict]
const notes = [];
const pass = (ok) => (ok ? 'PASS' : 'FAIL');
/** A row for information only: no target, no verdict. */
const info = (measure, baseline, candidate, shownRatio) =>
	rows.push([measure, baseline, candidate, shownRatio, 'info', '—']);
const ratio = (r) => fmt(r, r < 0.1 ? 3 : 2);

function machine() {
	let commit = '';
	try {
		commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
			cwd: repoRoot,
			encoding: 'utf8',
		}).trim();
	} catch {
		commit = 'unknown';
	}
	const load = os
		.loadavg()
		.map((l) => l.toFixed(2))
		.join(' ');
	return {
		date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
		nproc: os.availableParallelism?.() ?? os.cpus().length,
		cpu: os.cpus()[0]?.model ?? 'unknown',
		memory: `${fmt(os.totalmem() / 1024 ** 3, 1)} GiB`,
		node: process.version,
		os: `${os.type()} ${os.release()}`,
		commit,
		load,
	};
}

async function main() {
	const started = machine();
	const t0 = Date.now();
	if (want('webhook')) {
		for (const r of await benchWebhook({ quick })) {
			const measured = r.target;
			rows.push([
				`Webhook handling, ${r.label} (deliveries/s)`,
				`floor ${fmt(r.floor)}`,
				`ours ${fmt(r.ours)}`,
				ratio(r.ratio),
				measured ? '≥ 0.70' : 'info',
				measured ? pass(r.ratio >= 0.7) : '—',
			]);
		}
	}
	if (want('webhook')) {
		notes.push(
			'Webhook handling: "ours" is the trigger\'s exported functions in the order webhookHandler.ts calls them ' +
				"(verifySignature with the stored key, JSON.parse as n8n's body parser does, parseDelivery, sortByChangeVersion, " +
				'loadVersionStore + dropStaleChanges, wantedChanges, changeItem with simplification on, as by default); ' +
				'"floor" is createHmac + timingSafeEqual + JSON.parse. Change ids come from 2,000 records unless noted. ' +
				'The "whole webhook() via test bed" rows run the node\'s real webhook() through test/support/context.ts, whose ' +
				"per-request copy of static data, wrapped in n8n's observable like n8n does on every request and serialised back " +
				"when written (standing in for n8n's database), dominates; they are not a measure " +
				'of n8n (see the real-n8n rows).',
		);
	}
	if (want('tokens')) {
		process.stderr.write('[bench] token requests ...\n');
		const t = await benchTokens({ quick });
		rows.push([
			`Token requests per 1,000 API calls (one ${t.lifetimeSeconds} s token lifetime, ${t.calls} calls in separate executions)`,
			'—',
			`${t.tokenRequests} token / ${t.apiRequests} API`,
			fmt(t.perThousand, 2),
			'= 1',
			pass(t.perThousand === 1),
		]);
	}
	if (want('getmany')) {
		const g = await benchGetMany({ quick });
		// The issue's baseline is n8n's HTTP Request node (the real-n8n rows carry the targets); a bare axios
		// loop, which skips n8n-core's request path, is a stricter reference and is reported for information.
		info(
			`In-process Get Many ${fmt(g.records)} records, speed (records/s), against a bare axios loop`,
			`axios loop ${fmt(g.axios.recordsPerSecond)}`,
			`Protime node ${fmt(g.protime.recordsPerSecond)}`,
			ratio(g.speedRatio),
		);
		info(
			`In-process Get Many ${fmt(g.records)} records, peak RSS growth (MB), against a bare axios loop`,
			`axios loop ${fmt(g.axios.rssGrowth / MB, 1)}`,
			`Protime node ${fmt(g.protime.rssGrowth / MB, 1)}`,
			ratio(g.memoryRatio),
		);
		info(
			`Get Many ${fmt(g.records)} records, peak RSS growth, loop through the n8n-core helpers (MB)`,
			`helpers loop ${fmt(g.helpers.rssGrowth / MB, 1)}`,
			`Protime node ${fmt(g.protime.rssGrowth / MB, 1)}`,
			ratio(g.helpersMemoryRatio),
		);
		notes.push(
			`Get Many: baseline is a plain paginated axios loop (token request, GET with the same filter, follow nextLink, collect ` +
				`{json, pairedItem} items sharing one pairedItem object, as n8n-core's constructExecutionMetaData does), run in-process next to the Protime node executed through the n8n test bed (the real-n8n comparison with the HTTP Request node is in the rows below). Each run is a fresh ` +
				`child process that loads the same modules and collects garbage (--expose-gc) before measuring; the simulator runs in a third process. ` +
				`Heap held after the run (full GC, output items alive): axios ${fmt(g.axios.retainedGrowth / MB, 1)} MB, Protime ${fmt(g.protime.retainedGrowth / MB, 1)} MB; ` +
				`peak heap growth: axios ${fmt(g.axios.heapGrowth / MB, 1)} MB, Protime ${fmt(g.protime.heapGrowth / MB, 1)} MB; ` +
				`process maxRSS: axios ${fmt(g.axios.maxRss / MB, 0)} MB, Protime ${fmt(g.protime.maxRss / MB, 0)} MB. ` +
				`The "helpers loop" row is the same loop sending each GET through the test bed's emulation of n8n-core's httpRequestWithAuthentication ` +
				`(credential read, preAuthentication check, authenticate, n8n's axios option mapping), as the HTTP Request node's requests go in n8n: ` +
				`held ${fmt(g.helpers.retainedGrowth / MB, 1)} MB, peak heap growth ${fmt(g.helpers.heapGrowth / MB, 1)} MB. Medians of ${g.rounds} rounds.`,
		);
	}
	let packed;
	if (want('n8n') || want('n8n-getmany') || want('n8n-ack') || want('n8n-batch')) {
		const { packFromHead } = await import('./n8n.mjs');
		packed = packFromHead(benchDir);
	}
	if (want('n8n-getmany')) {
		const { benchN8nGetMany } = await import('./n8n-getmany.mjs');
		try {
			const g = await benchN8nGetMany({ quick, benchDir, tarball: packed.tarball });
			rows.push([
				`Real n8n: Get Many ${fmt(g.records)} records, speed (records/s)`,
				`HTTP Request + Split Out ${fmt(g.http.recordsPerSecond)}`,
				`Protime node ${fmt(g.protime.recordsPerSecond)}`,
				ratio(g.speedRatio),
				'≥ 1.00',
				pass(g.speedRatio >= 1),
			]);
			rows.push([
				`Real n8n: Get Many ${fmt(g.records)} records, peak JS heap growth (MB)`,
				`HTTP Request + Split Out ${fmt(g.http.heapGrowth / MB, 1)}`,
				`Protime node ${fmt(g.protime.heapGrowth / MB, 1)}`,
				ratio(g.heapRatio),
				'≤ 1.00',
				pass(g.heapRatio <= 1),
			]);
			info(
				`Real n8n: Get Many ${fmt(g.records)} records, n8n RSS growth (MB)`,
				`HTTP Request + Split Out ${fmt(g.http.rssGrowth / MB, 1)}`,
				`Protime node ${fmt(g.protime.rssGrowth / MB, 1)}`,
				ratio(g.rssRatio),
			);
			const perRound = (list, key) => list.runs.map((x) => fmt(x[key] / MB, 1)).join(' / ');
			notes.push(
				`Real n8n Get Many: Webhook → Protime node (Return All, simplify off) → Summarize (count) against Webhook → HTTP Request ` +
					`4.2 (pagination "Response Contains Next URL", bearer token header) → Split Out (value) → Summarize (count), same instance ` +
					`(execution saving off), same simulator process; each run checked to yield exactly ${fmt(g.records)} items. Memory is n8n's ` +
					`V8 heap read through its inspector (test/bench/heap-probe.mjs): before each run a one-expression workflow, then two full ` +
					`garbage collections (HeapProfiler.collectGarbage) and the used heap as baseline; the used heap sampled every 10 ms during ` +
					`the run, peak minus baseline; after the run another full collection gives the retained growth (HTTP Request ` +
					`${fmt(g.http.retainedGrowth / MB, 1)} MB, Protime ${fmt(g.protime.retainedGrowth / MB, 1)} MB). The one-expression run ` +
					`matters: n8n's isolated-vm expression engine keeps each evaluation's data (for the HTTP Request node every page's ` +
					`response, via its pagination expressions) reachable from global handles after the execution has ended (idling does not ` +
					`free it, the next execution does); without it a run following an HTTP Request run started from a baseline about ` +
					`${fmt(g.http.retainedGrowth / MB, 0)} MB too high. The peak includes garbage ` +
					`not yet collected, so it also depends on when V8 chooses to collect. Peak heap growth per round (MB): HTTP Request ` +
					`${perRound(g.http, 'heapGrowth')}, Protime ${perRound(g.protime, 'heapGrowth')}. RSS growth (info) is n8n's RSS sampled ` +
					`from /proc every 25 ms, peak minus the value before the run; it is not a fair measure in a long-lived V8 process, which ` +
					`keeps freed memory reserved (per round: HTTP Request ${perRound(g.http, 'rssGrowth')}, Protime ${perRound(g.protime, 'rssGrowth')}). ` +
					`Medians of ${g.rounds} round(s), order alternating, after a warm-up run each.`,
			);
		} finally {
			await stopAll();
		}
	}
	if (want('n8n')) {
		const { benchN8n } = await import('./n8n.mjs');
		try {
			const n = await benchN8n({ quick, benchDir, packed, env: n8nEnv });
			rows.push([
				`Real n8n ${n.n8nVersion}${n8nEnvText}: deliveries/s, executions finished (concurrency ${n.concurrency})`,
				`Webhook node ${fmt(n.builtin.rate, 1)}`,
				`Protime Trigger ${fmt(n.protime.rate, 1)}`,
				ratio(n.ratio),
				'≥ 0.90',
				pass(n.ratio >= 0.9 && n.protime.failures.length === 0),
			]);
			info(
				"Real n8n: deliveries/s finished, Protime Trigger against n8n's Webhook node with one expression parameter (control: takes the webhook-phase isolate too)",
				`Webhook node, expression ${fmt(n.builtinExpr.rate, 1)}`,
				`Protime Trigger ${fmt(n.protime.rate, 1)}`,
				ratio(n.ratioVsExpr),
			);
			info(
				"Real n8n: deliveries/s finished, n8n's Webhook node with one expression parameter against the same node static (n8n's own cost of the isolate)",
				`Webhook node ${fmt(n.builtin.rate, 1)}`,
				`Webhook node, expression ${fmt(n.builtinExpr.rate, 1)}`,
				ratio(n.builtinExpr.rate / n.builtin.rate),
			);
			info(
				'Real n8n: deliveries/s finished, Protime Trigger with Drop Stale Changes off',
				`Webhook node ${fmt(n.builtin.rate, 1)}`,
				`Protime Trigger ${fmt(n.protimeNoFilter.rate, 1)}`,
				ratio(n.protimeNoFilter.rate / n.builtin.rate),
			);
			info(
				'Real n8n: deliveries/s, requests answered',
				`Webhook node ${fmt(n.builtin.answered, 1)}`,
				`Protime Trigger ${fmt(n.protime.answered, 1)}`,
				ratio(n.protime.answered / n.builtin.answered),
			);
			info(
				'Real n8n: latency p50 / p99 (ms)',
				`Webhook node ${fmt(n.builtin.p50, 1)} / ${fmt(n.builtin.p99, 1)}`,
				`Protime Trigger ${fmt(n.protime.p50, 1)} / ${fmt(n.protime.p99, 1)}`,
				'—',
			);
			notes.push(
				`Real n8n: package built from commit ${n.head} in .bench/tree, installed as a community package; Protime Trigger nodes at typeVersion 2; ${n.rounds} rounds of ` +
					`${n.perRound} deliveries per endpoint (order rotating), same signed single-change payloads to all; a round ends when all its ` +
					`executions have finished (n8n's execution list), so an endpoint that answers before its execution runs gains nothing; every ` +
					`Protime answer checked for "emitted": 1. The control is n8n's Webhook node (v2) with one expression in its parameters ` +
					`(a response header, checked in every answer): n8n 2.41 lets only its own Webhook node with static parameters skip the ` +
					`expression isolate in the webhook phase, so the control pays what every other trigger node pays. ` +
					`Failures: Protime ${n.protime.failures.length}, Webhook node ${n.builtin.failures.length}, control ${n.builtinExpr.failures.length}` +
					`${n.protime.failures.length ? ` (${n.protime.failures.slice(0, 2).join('; ')})` : ''}.`,
			);
		} finally {
			await stopAll();
		}
	}
	if (want('n8n-ack')) {
		const { benchN8nAcknowledge } = await import('./n8n-acknowledge.mjs');
		try {
			const a = await benchN8nAcknowledge({ quick, benchDir, packed });
			for (const concurrency of [1, 8]) {
				const r = a.result[concurrency];
				const sender = concurrency === 1 ? 'one at a time' : `${concurrency} in flight`;
				const after = r.afterExecution;
				info(
					`Real n8n ${a.n8nVersion}: changes/s to finished executions, ${sender}, Protime Trigger acknowledge afterExecution against onReceipt`,
					`onReceipt ${fmt(r.onReceipt.rate, 1)}`,
					after ? `afterExecution ${fmt(after.rate, 1)}` : 'afterExecution: not in this build',
					after ? ratio(after.rate / r.onReceipt.rate) : '—',
				);
				info(
					`Real n8n ${a.n8nVersion}: changes/s to finished executions, ${sender}, n8n's Webhook node answering when the last node finishes against on receipt (reference)`,
					`onReceived ${fmt(r.webhookOnReceived.rate, 1)}`,
					`lastNode ${fmt(r.webhookLastNode.rate, 1)}`,
					ratio(r.webhookLastNode.rate / r.webhookOnReceived.rate),
				);
				info(
					`Real n8n: answer latency p50 / p99 (ms), ${sender}, Protime Trigger onReceipt / afterExecution`,
					`onReceipt ${fmt(r.onReceipt.p50, 1)} / ${fmt(r.onReceipt.p99, 1)}`,
					after
						? `afterExecution ${fmt(after.p50, 1)} / ${fmt(after.p99, 1)}`
						: 'afterExecution: not in this build',
					'—',
				);
			}
			const failures = Object.entries(a.result).flatMap(([c, r]) =>
				Object.entries(r)
					.filter(([, x]) => x.failures.length)
					.map(([n, x]) => `${n} at ${c} in flight: ${x.failures.length} (${x.failures[0]})`),
			);
			notes.push(
				`Acknowledge (issue 14): package from commit ${a.head}; each workflow is its trigger → No Operation, all in one n8n instance; ` +
					`${a.rounds} rounds of ${a.perRound} signed single changes per endpoint and sender (order rotating); a round ends when all its executions ` +
					`have finished, so answering early gains nothing. "One at a time" waits for each answer, as Protime does per webhook; "8 in flight" ` +
					`keeps 8 requests open. The Webhook node pair is n8n's own price of answering when the last node finishes. ` +
					`${a.supported ? '' : 'The Protime Trigger of this build has no acknowledge option, so only onReceipt (its only behaviour) was measured. '}` +
					`Failures: ${failures.length ? failures.join('; ') : 'none'}.`,
			);
		} finally {
			await stopAll();
		}
	}
	if (want('n8n-batch')) {
		const { benchN8nBatch } = await import('./n8n-batch.mjs');
		try {
			const b = await benchN8nBatch({ quick, benchDir, packed, env: n8nEnv });
			const perThousand = (x) => (x.executions * 1000) / b.changes;
			const windowMs = b.windowSeconds * 1000;
			for (const concurrency of [1, 8]) {
				const r = b.result[concurrency];
				const sender = concurrency === 1 ? 'one at a time' : `${concurrency} in flight`;
				rows.push([
					`Real n8n ${b.n8nVersion}${n8nEnvText}: executions per 1,000 changes, ${sender}, Protime Trigger without and with Batch Changes`,
					`without ${fmt(perThousand(r.single), 0)}`,
					`with ${fmt(perThousand(r.batched), 0)}`,
					ratio(r.batched.executions / r.single.executions),
					'with ≤ 50',
					pass(perThousand(r.batched) <= 50),
				]);
				rows.push([
					`Real n8n ${b.n8nVersion}${n8nEnvText}: changes/s to finished executions, ${sender}, Protime Trigger without and with Batch Changes`,
					`without ${fmt(r.single.rate, 1)}`,
					`with ${fmt(r.batched.rate, 1)}`,
					ratio(r.batched.rate / r.single.rate),
					'≥ 1.00',
					pass(r.batched.rate >= r.single.rate),
				]);
				const webhookTarget = concurrency === 8;
				rows.push([
					`Real n8n ${b.n8nVersion}${n8nEnvText}: changes/s to finished executions, ${sender}, n8n's Webhook node (on received) against the Protime Trigger with Batch Changes`,
					`Webhook node ${fmt(r.webhook.rate, 1)}`,
					`with batching ${fmt(r.batched.rate, 1)}`,
					ratio(r.batched.rate / r.webhook.rate),
					webhookTarget ? '≥ 3.00' : 'info',
					webhookTarget ? pass(r.batched.rate >= 3 * r.webhook.rate) : '—',
				]);
				rows.push([
					`Real n8n ${b.n8nVersion}${n8nEnvText}: delay from sending a change to the start of its execution, p50 / p99 (ms), ${sender}, window ${b.windowSeconds} s`,
					`without ${fmt(r.single.p50, 0)} / ${fmt(r.single.p99, 0)}; Webhook node ${fmt(r.webhook.p50, 0)} / ${fmt(r.webhook.p99, 0)}`,
					`with ${fmt(r.batched.p50, 0)} / ${fmt(r.batched.p99, 0)}`,
					ratio(r.batched.p99 / (windowMs + 1000)),
					`p99 ≤ ${fmt(windowMs + 1000, 0)}`,
					pass(r.batched.p99 <= windowMs + 1000),
				]);
			}
			const failures = Object.entries(b.result).flatMap(([c, r]) =>
				Object.entries(r)
					.filter(([, x]) => x.failures.length)
					.map(([n, x]) => `${n} at ${c} in flight: ${x.failures.length} (${x.failures[0]})`),
			);
			notes.push(
				`Batch Changes (issue 16): package from commit ${b.head}; each workflow is its trigger → No Operation, all in one n8n instance. ` +
					`Per sender a burst of ${fmt(b.changes)} signed single-change deliveries to each endpoint in turn: "one at a time" sends the next after the answer ` +
					`to the previous (as Protime may per webhook), "8 in flight" keeps 8 open. With Batch Changes: window ${b.windowSeconds} s, at most ` +
					`${b.maxChanges} changes per execution; without: the default (answered after the execution); the Webhook node answers on receipt. ` +
					`Changes/s: from the first send until every change is in a finished execution (read from n8n's executions). Delay: from sending a change ` +
					`to the start (n8n's startedAt) of the execution that carried it. Failures: ${failures.length ? failures.join('; ') : 'none'}.`,
			);
		} finally {
			await stopAll();
		}
	}
	const seconds = Math.round((Date.now() - t0) / 1000);
	const headers = ['Measure', 'Baseline', 'Candidate', 'Ratio', 'Target', 'Result'];
	const text = table(headers, rows);
	process.stdout.write(`\n${text}\n\n`);
	for (const n of notes) process.stdout.write(`- ${n}\n`);
	const command = `npm run bench${quick ? ' -- --quick' : ''}${values['skip-n8n'] ? ' -- --skip-n8n' : ''}${values.only ? ` -- --only ${values.only}` : ''}`;
	const md = [
		'# Benchmarks',
		'',
		'Produced by `test/bench/run.mjs`; rerun to refresh. Not part of CI (timings depend on the machine and its load).',
		'',
		`- Command: \`${command}\` (${seconds} s)`,
		`- Date: ${started.date}, commit ${started.commit}`,
		`- Machine: ${started.nproc} CPU (${started.cpu}), ${started.memory} memory, ${started.os}, Node ${started.node}; load average at start ${started.load} (the machine was shared)`,
		'',
		text,
		'',
		...notes.map((n) => `- ${n}`),
		'',
	].join('\n');
	// Hand-written analysis below the marker survives a rerun.
	const previous = fs.existsSync(values.out) ? fs.readFileSync(values.out, 'utf8') : '';
	const at = previous.indexOf(KEEP_MARKER);
	fs.writeFileSync(values.out, `${md}\n${at >= 0 ? previous.slice(at) : `${KEEP_MARKER}\n`}`);
	process.stderr.write(`[bench] wrote ${values.out}\n`);
}

main().catch(async (error) => {
	process.stderr.write(`bench failed: ${error.stack ?? error}\n`);
	await stopAll();
	process.exitCode = 1;
});
