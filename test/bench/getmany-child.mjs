// One Get Many over the simulator in a fresh process, so its peak memory is its own.
//   --candidate protime   the Protime node (Get Many, Return All, simplify off) executed through the n8n
//                         test bed (real credential, transport and paging code)
//   --candidate axios     the baseline: a plain paginated axios loop (token, then GET + follow nextLink),
//                         output collected as n8n items like the HTTP Request node with pagination does:
//                         one {json, pairedItem} item per record, all sharing one pairedItem object, which
//                         is what n8n-core's constructExecutionMetaData gives every node that uses it
//   --candidate helpers   info only: the same loop, but each GET goes through the test bed's emulation of
//                         n8n-core's httpRequestWithAuthentication with the Protime credential, as the HTTP
//                         Request node's requests do in n8n; separates the node's own cost from the helpers'
// All load the same modules before the baseline is taken, and both start from a collected heap (the
// parent passes --expose-gc), so garbage left by module loading is not counted against either. Prints one
// JSON line on stdout; `retained` is the heap after a full collection with the output items still alive.
import { parseArgs } from 'node:util';
import axios from 'axios';
import { Protime } from '../../nodes/Protime/Protime.node.ts';
import { DEFAULT_SCOPES } from '../../nodes/shared/catalogue.ts';
import { ProtimeTestbed } from '../support/context.ts';

const { values } = parseArgs({
	options: {
		candidate: { type: 'string' },
		origin: { type: 'string' },
		tenant: { type: 'string', default: 'acme' },
		'client-id': { type: 'string' },
		'client-secret': { type: 'string' },
	},
});
// The one pairedItem of the single input item (n8n-core shares it between all output items).
const PAIRED_ITEM = { item: 0 };
const RANGE = { start: '2026-01-01', end: '2026-12-31' };

let peakHeap = 0;
let peakRss = 0;
const sample = () => {
	const m = process.memoryUsage();
	if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
	if (m.rss > peakRss) peakRss = m.rss;
};

async function protime() {
	const bed = new ProtimeTestbed({
		simulatorOrigin: values.origin,
		tenant: values.tenant,
		clientId: values['client-id'],
		clientSecret: values['client-secret'],
	});
	const ctx = bed.executeFunctions({
		parameters: {
			resource: 'workInterruption',
			operation: 'getAll',
			returnAll: true,
			simplify: false,
			startDate: RANGE.start,
			endDate: RANGE.end,
		},
	});
	const [items] = await new Protime().execute.call(ctx);
	return items;
}

async function baseline() {
	const form = new URLSearchParams({
		grant_type: 'client_credentials',
		client_id: values['client-id'],
		client_secret: values['client-secret'],
		scope: DEFAULT_SCOPES.join(' '),
	});
	const t = await axios.post(
		`${values.origin}/tenants/${values.tenant}/connect/token`,
		form.toString(),
		{
			headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			proxy: false,
		},
	);
	const headers = {
		Authorization: `Bearer ${t.data.access_token}`,
		'User-Agent': 'bench-baseline/1.0 (bench)',
		Accept: 'application/json',
	};
	const items = [];
	let url = `${values.origin}/connector/protimeapi/api/v1/work-interruptions`;
	let params = { filter: `date ge '${RANGE.start}' and date le '${RANGE.end}'` };
	for (;;) {
		const res = await axios.get(url, { headers, params, proxy: false });
		for (const record of res.data.value ?? [])
			items.push({ json: record, pairedItem: PAIRED_ITEM });
		if (!res.data.nextLink) break;
		url = new URL(res.data.nextLink, values.origin).toString();
		params = undefined;
	}
	return items;
}

const collect = () => globalThis.gc?.();
collect();
async function helpersLoop() {
	const bed = new ProtimeTestbed({
		simulatorOrigin: values.origin,
		tenant: values.tenant,
		clientId: values['client-id'],
		clientSecret: values['client-secret'],
	});
	const ctx = bed.executeFunctions({ parameters: {} });
	const items = [];
	let url = `${values.origin}/connector/protimeapi/api/v1/work-interruptions`;
	let qs = { filter: `date ge '${RANGE.start}' and date le '${RANGE.end}'` };
	for (;;) {
		const body = await ctx.helpers.httpRequestWithAuthentication.call(ctx, 'protimeApi', {
			method: 'GET',
			url,
			qs,
			json: true,
		});
		for (const record of body.value ?? []) items.push({ json: record, pairedItem: PAIRED_ITEM });
		if (!body.nextLink) break;
		url = new URL(body.nextLink, values.origin).toString();
		qs = undefined;
	}
	return items;
}

const candidates = { protime, axios: baseline, helpers: helpersLoop };
sample();
const rssBefore = process.memoryUsage().rss;
const heapBefore = process.memoryUsage().heapUsed;
const timer = setInterval(sample, 20);
const t0 = performance.now();
const items = await candidates[values.candidate]();
const ms = performance.now() - t0;
clearInterval(timer);
sample();
collect();
const retained = process.memoryUsage().heapUsed;
const ids = new Set(items.map((i) => i.json.id));
process.stdout.write(
	`${JSON.stringify({
		candidate: values.candidate,
		records: items.length,
		distinct: ids.size,
		ms,
		recordsPerSecond: (items.length / ms) * 1000,
		rssBefore,
		peakRss,
		maxRss: process.resourceUsage().maxRSS * 1024,
		heapBefore,
		peakHeap,
		retained,
	})}\n`,
);
process.exit(0);
