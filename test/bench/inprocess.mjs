// In-process benchmarks (loaded through tsx): the webhook handling path against its floor, and token
// requests per 1,000 API calls. Rounds of baseline and candidate are interleaved; medians are reported.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ProtimeTrigger } from '../../nodes/ProtimeTrigger/ProtimeTrigger.node.ts';
import { changeItem } from '../../nodes/ProtimeTrigger/items.ts';
import { acceptedKeys } from '../../nodes/ProtimeTrigger/record.ts';
import {
	dropStaleChanges,
	loadVersionStore,
	parseDelivery,
	sortByChangeVersion,
	wantedChanges,
} from '../../nodes/shared/changes.ts';
import { verifySignature } from '../../nodes/shared/signature.ts';
import { protimeRequest } from '../../nodes/shared/transport.ts';
import { ProtimeSimulator } from '../simulator/index.ts';
import { ProtimeTestbed } from '../support/context.ts';
import { median } from './stats.mjs';

const SETTINGS = {
	collectionName: 'work-interruptions',
	events: ['insertOrUpdate', 'delete'],
	references: [],
	referencesText: '',
	simplify: true,
	dropStale: true,
	includeSubscriptionInfo: false,
	checkIntervalMinutes: 60,
	renewalMarginMs: 3600_000,
};

let version = 0x10000;
const cv = () => (version++).toString(16).toUpperCase().padStart(20, '0');

function change(id) {
	return {
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
	};
}

/** Signed deliveries of `size` changes each; ids from `idSpace` records (or never repeating when 0). */
function deliveries(count, size, key, idSpace) {
	let next = 1;
	const out = [];
	for (let d = 0; d < count; d++) {
		const changes = Array.from({ length: size }, () =>
			change(idSpace ? 1 + Math.floor(Math.random() * idSpace) : next++),
		);
		const raw = Buffer.from(JSON.stringify(size === 1 ? changes[0] : changes));
		out.push({
			raw,
			headers: {
				'content-type': 'application/json',
				'x-protime-signature': createHmac('sha256', key).update(raw).digest('base64'),
			},
		});
	}
	return out;
}

/** The floor: HMAC-SHA256 over the raw body and JSON.parse, nothing else. */
function floor(d, key) {
	const expected = createHmac('sha256', key).update(d.raw).digest();
	const given = Buffer.from(d.headers['x-protime-signature'], 'base64');
	if (given.length !== expected.length || !timingSafeEqual(given, expected))
		throw new Error('floor: bad signature');
	return JSON.parse(d.raw.toString('utf8'));
}

/**
 * Our path, from the trigger's exported functions in the order `webhookHandler.ts` calls them: tolerant
 * signature verification, JSON parse (n8n's body parser does this before webhook() runs), delivery
 * parsing, ordering by changeVersion, the stale/duplicate filter, the event filter and item building
 * (record simplification included, as by default).
 */
function ours(d, state, settings = SETTINGS) {
	const check = verifySignature(d.raw, d.headers, acceptedKeys(state.subscription, Date.now()));
	if (!check.valid) throw new Error('ours: bad signature');
	const parsed = parseDelivery(JSON.parse(d.raw.toString('utf8')));
	if (!parsed.ok) throw new Error(parsed.message);
	const ordered = sortByChangeVersion(parsed.changes);
	const store = loadVersionStore(state.versions, SETTINGS.collectionName);
	const { fresh } = dropStaleChanges(ordered, store);
	state.versions = store;
	const items = [];
	for (const change of wantedChanges(fresh, settings.events))
		items.push(changeItem(change, settings, state));
	return items;
}

const trigger = new ProtimeTrigger();
const NODE = {
	name: 'Protime Trigger',
	type: 'n8n-nodes-protime.protimeTrigger',
	webhookId: 'wh-bench',
};
// Acknowledgement on receipt: the node's own work per delivery, without the (simulated) execution wait.
const PARAMS = {
	collectionName: 'work-interruptions',
	events: ['insertOrUpdate', 'delete'],
	externalReferences: {},
	options: { acknowledge: 'onReceipt' },
};

function bedWithKey(key) {
	const bed = new ProtimeTestbed({ node: NODE });
	bed.db.staticData[`node:${NODE.name}`] = {
		subscription: {
			id: 'wh-bench',
			key,
			validUntil: new Date(Date.now() + 7 * 86_400_000).toISOString(),
			createdAt: Date.now(),
			destination: 'http://localhost:5678/webhook/wh-bench/webhook',
			collection: 'work-interruptions',
			references: '',
		},
	};
	return bed;
}

/** The whole webhook() of the node through the n8n test bed (its static-data copies and body parse included). */
async function throughWebhook(bed, d) {
	const { response } = await bed.runWebhook(trigger.webhook, {
		parameters: PARAMS,
		node: NODE,
		mode: 'webhook',
		webhookUrl: 'http://localhost:5678/webhook/wh-bench/webhook',
		request: { headers: d.headers, rawBody: d.raw },
	});
	if (response.statusCode !== 200) throw new Error(`webhook() answered ${response.statusCode}`);
}

/**
 * One row: `rounds` rounds, each timing `perRound` deliveries of the floor and of the candidate (order
 * alternating), after `warmup` rounds. Returns medians of the per-round throughputs and ratios.
 */
async function compare({
	label,
	size,
	perRound,
	rounds,
	warmup,
	idSpace,
	candidate,
	simplify = true,
}) {
	const settings = { ...SETTINGS, simplify };
	const key = randomBytes(32).toString('base64');
	const state = { subscription: { key, id: 'wh-bench' } };
	const bed = bedWithKey(key);
	const total = rounds + warmup;
	const sets = Array.from({ length: total }, () => ({
		floor: deliveries(perRound, size, key, idSpace),
		ours: deliveries(perRound, size, key, idSpace),
	}));
	const floorRates = [];
	const oursRates = [];
	const ratios = [];
	for (let r = 0; r < total; r++) {
		const runFloor = () => {
			const t = performance.now();
			for (const d of sets[r].floor) floor(d, key);
			return perRound / ((performance.now() - t) / 1000);
		};
		const runOurs = async () => {
			const t = performance.now();
			if (candidate === 'webhook') for (const d of sets[r].ours) await throughWebhook(bed, d);
			else for (const d of sets[r].ours) ours(d, state, settings);
			return perRound / ((performance.now() - t) / 1000);
		};
		let f;
		let o;
		if (r % 2 === 0) {
			f = runFloor();
			o = await runOurs();
		} else {
			o = await runOurs();
			f = runFloor();
		}
		sets[r] = undefined;
		if (r < warmup) continue;
		floorRates.push(f);
		oursRates.push(o);
		ratios.push(o / f);
	}
	return {
		label,
		size,
		perRound,
		rounds,
		floor: median(floorRates),
		ours: median(oursRates),
		ratio: median(ratios),
		candidate,
		simplify,
		target: candidate === 'functions' && simplify && idSpace !== 0,
	};
}

export async function benchWebhook({ quick }) {
	const rounds = quick ? 5 : 11;
	const warmup = quick ? 2 : 3;
	const rows = [];
	// Warm up both code paths once (JIT) before any row is measured.
	await compare({
		label: 'warm-up',
		size: 10,
		perRound: 300,
		rounds: 1,
		warmup: 2,
		idSpace: 2000,
		candidate: 'functions',
	});
	const plan = [
		{
			label: '1 change',
			size: 1,
			perRound: quick ? 500 : 2000,
			idSpace: 2000,
			candidate: 'functions',
		},
		{
			label: '100 changes',
			size: 100,
			perRound: quick ? 30 : 100,
			idSpace: 2000,
			candidate: 'functions',
		},
		{
			label: '10,000 changes',
			size: 10_000,
			perRound: quick ? 1 : 2,
			idSpace: 2000,
			candidate: 'functions',
		},
		{
			label: '1 change, simplify off',
			size: 1,
			perRound: quick ? 500 : 2000,
			idSpace: 2000,
			candidate: 'functions',
			simplify: false,
		},
		{
			label: '100 changes, simplify off',
			size: 100,
			perRound: quick ? 30 : 100,
			idSpace: 2000,
			candidate: 'functions',
			simplify: false,
		},
		{
			label: '10,000 changes, simplify off',
			size: 10_000,
			perRound: quick ? 1 : 2,
			idSpace: 2000,
			candidate: 'functions',
			simplify: false,
		},
		{
			label: '1 change, filter full (new id every change)',
			size: 1,
			perRound: quick ? 300 : 1000,
			idSpace: 0,
			candidate: 'functions',
		},
		{
			label: '1 change, whole webhook() via test bed',
			size: 1,
			perRound: quick ? 200 : 1000,
			idSpace: 2000,
			candidate: 'webhook',
		},
		{
			label: '100 changes, whole webhook() via test bed',
			size: 100,
			perRound: quick ? 20 : 60,
			idSpace: 2000,
			candidate: 'webhook',
		},
	];
	for (const p of plan) {
		process.stderr.write(`[bench] webhook handling: ${p.label} ...\n`);
		rows.push(await compare({ ...p, rounds, warmup }));
	}
	return rows;
}

/** Token requests per 1,000 API calls within one token lifetime, each call in its own execution context. */
export async function benchTokens({ quick }) {
	const calls = quick ? 1000 : 1000;
	const sim = await ProtimeSimulator.start();
	try {
		sim.seed('absence-definitions', [{ id: 1 }, { id: 2 }]);
		const bed = new ProtimeTestbed({
			simulatorOrigin: sim.origin,
			tenant: sim.tenant,
			clientId: sim.defaultClient.clientId,
			clientSecret: sim.defaultClient.clientSecret,
		});
		sim.resetStats();
		for (let i = 0; i < calls; i++) {
			const ctx = bed.executeFunctions({ parameters: {} });
			await protimeRequest.call(ctx, { method: 'GET', path: '/absence-definitions' });
		}
		const { tokenRequests, apiRequests } = sim.stats;
		return {
			calls,
			tokenRequests,
			apiRequests,
			perThousand: (tokenRequests / apiRequests) * 1000,
			lifetimeSeconds: sim.assumptions.tokenLifetimeSeconds,
		};
	} finally {
		await sim.stop();
	}
}
