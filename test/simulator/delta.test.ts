/**
 * Delta (docs/protime-reference.md §5.5; Protime's reference/delta, how-to/track-changes-with-delta,
 * concepts/delta-synchronization): the `?delta` snapshot, `GET /delta/{collection}?deltaToken=…`, 72 h expiry,
 * one delta per collection, and every delta assumption in assumptions.ts.
 */
import type { AxiosInstance, AxiosResponse } from 'axios';

import { decodeDeltaToken, type DeltaItem } from './delta';
import { isoDate } from './generate';
import type { ProtimeSimulator } from './index';
import type { AssumptionsPatch } from './assumptions';
import { apiClient, originClient, startSim, UA } from './testkit';
import axios from 'axios';

const DAY = 86_400_000;
const HOUR_S = 3600;
const WI = 'work-interruptions';
const WI_READ = 'connector-protimeapi-work-interruptions.read';

let sim: ProtimeSimulator;
let api: AxiosInstance;
let origin: AxiosInstance;

async function setUp(assumptions: AssumptionsPatch = {}): Promise<void> {
	// Tokens outlive the clock jumps below (72 h), so a jump tests the delta, not the access token.
	sim = await startSim({
		assumptions: { pageSize: 3, tokenLifetimeSeconds: 30 * 24 * HOUR_S, ...assumptions },
	});
	api = await apiClient(sim);
	origin = originClient(api, sim);
}
afterEach(async () => await sim?.stop());

const daysAgo = (n: number) => isoDate(sim.now() - n * DAY);
const window = () => `date ge '${daysAgo(30)}'`;

/** Seeds `n` work interruptions dated within the window. */
function seedWindow(n: number) {
	return sim.seed(
		WI,
		Array.from({ length: n }, (_, i) => ({ date: daysAgo(i % 5) })),
	);
}

/** Walks a `?delta` snapshot from its first page to its deltaLink. */
async function snapshot(
	client: AxiosInstance = api,
	params: Record<string, string> = { filter: window() },
	collection = WI,
) {
	const pages: Array<{
		value: Array<{ id: number; changeVersion: string }>;
		nextLink?: string;
		deltaLink?: string;
	}> = [];
	let res: AxiosResponse = await client.get(`/${collection}`, { params: { ...params, delta: '' } });
	for (;;) {
		expect(res.status).toBe(200);
		pages.push(res.data);
		if (!res.data.nextLink) break;
		res = await origin.get(res.data.nextLink, {
			headers: { Authorization: client.defaults.headers.Authorization as string },
		});
	}
	const last = pages[pages.length - 1];
	return {
		pages,
		deltaLink: last.deltaLink as string,
		ids: pages.flatMap((p) => p.value.map((r) => r.id)),
	};
}

async function read(
	link: string,
	client: AxiosInstance = api,
): Promise<AxiosResponse<{ value: DeltaItem[]; deltaLink: string }>> {
	return await origin.get(link, {
		headers: { Authorization: client.defaults.headers.Authorization as string },
	});
}

/** Reads a delta link and expects 200; returns the items and the next link. */
async function changes(
	link: string,
	client: AxiosInstance = api,
): Promise<{ items: DeltaItem[]; next: string }> {
	const res = await read(link, client);
	expect(res.status).toBe(200);
	expect(res.data.deltaLink).toMatch(
		new RegExp(`^/connector/protimeapi/api/v1/delta/[a-z-]+\\?deltaToken=`),
	);
	return { items: res.data.value, next: res.data.deltaLink };
}

const summary = (items: DeltaItem[]) => items.map((i) => `${i.changeType}:${String(i.data.id)}`);

describe('delta: the snapshot (GET /{collection}?delta)', () => {
	it('pages like a list (nextLink with continuationToken and deltaToken); the last page has a deltaLink instead of a nextLink', async () => {
		await setUp();
		const seeded = seedWindow(8);
		const { pages, deltaLink, ids } = await snapshot();
		expect(pages.length).toBe(3);
		for (const page of pages.slice(0, -1)) {
			expect(page.nextLink).toMatch(
				/^\/connector\/protimeapi\/api\/v1\/work-interruptions\?filter=.*&continuationToken=[^&]+&deltaToken=[^&]+$/,
			);
			expect(page.deltaLink).toBeUndefined();
		}
		expect(pages[2].nextLink).toBeUndefined();
		expect(deltaLink).toMatch(
			/^\/connector\/protimeapi\/api\/v1\/delta\/work-interruptions\?deltaToken=[^&]+$/,
		);
		expect(ids.sort()).toEqual(seeded.map((r) => r.id).sort());
		// The token is the documented Base64 JSON {DeltaId, StartingCursor, TimeStamp}.
		const token = decodeURIComponent(deltaLink.split('deltaToken=')[1]);
		expect(decodeDeltaToken(token)).toEqual({
			DeltaId: expect.any(Number),
			StartingCursor: expect.any(Number),
			TimeStamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
		});
		expect(sim.deltas()).toEqual([
			expect.objectContaining({
				collection: WI,
				status: 'active',
				clientId: sim.defaultClient.clientId,
			}),
		]);
	});

	it('an empty collection answers one page with a deltaLink', async () => {
		await setUp();
		const { pages, deltaLink } = await snapshot();
		expect(pages).toEqual([{ value: [], deltaLink: expect.any(String) }]);
		expect(deltaLink).toContain('/delta/work-interruptions?deltaToken=');
	});

	it('applies the list rules (required date filter → 400) and, documented for work interruptions, no person and no start before 1 January of last year', async () => {
		await setUp();
		expect((await api.get(`/${WI}`, { params: { delta: '' } })).status).toBe(400);
		const person = await api.get(`/${WI}`, {
			params: { filter: `${window()} and person in (1001)`, delta: '' },
		});
		expect(person.status).toBe(400);
		expect(person.data.error).toEqual({
			code: 'BadRequest',
			message: 'The request was invalid',
			reasons: ["The filter 'person' cannot be used with delta"],
		});
		const year = new Date(sim.now()).getUTCFullYear();
		const old = await api.get(`/${WI}`, {
			params: { filter: `date ge '${year - 2}-12-31' and date le '${year - 1}-06-01'`, delta: '' },
		});
		expect(old.status).toBe(400);
		expect(old.data.error.reasons[0]).toMatch(/on or after \d{4}-01-01/);
		// The same filter without delta is a valid list.
		expect(
			(await api.get(`/${WI}`, { params: { filter: `${window()} and person in (1001)` } })).status,
		).toBe(200);
	});

	it('deltaFilterRules: dated applies them to other dated collections, documented only to work interruptions, none to neither', async () => {
		await setUp();
		const clockings = () =>
			api.get('/clockings', { params: { filter: `${window()} and person in (1001)`, delta: '' } });
		const wi = () =>
			api.get(`/${WI}`, { params: { filter: `${window()} and person in (1001)`, delta: '' } });
		expect([(await clockings()).status, (await wi()).status]).toEqual([400, 400]);
		sim.assumptions.deltaFilterRules = 'documented';
		expect([(await clockings()).status, (await wi()).status]).toEqual([200, 400]);
		sim.assumptions.deltaFilterRules = 'none';
		expect([(await clockings()).status, (await wi()).status]).toEqual([200, 200]);
	});

	it('collections without a date filter take delta without one (counter definitions)', async () => {
		await setUp();
		sim.seed('counter-definitions', [{}, {}]);
		const { ids, deltaLink } = await snapshot(api, {}, 'counter-definitions');
		expect(ids.length).toBe(2);
		expect(deltaLink).toContain('/delta/counter-definitions?deltaToken=');
	});
});

describe('delta: reading changes (GET /delta/{collection}?deltaToken=…)', () => {
	it('a change after the snapshot appears in the next delta read exactly once, in changeVersion order; an empty read still gives a fresh deltaLink', async () => {
		await setUp();
		const [a, b] = seedWindow(4);
		const { deltaLink } = await snapshot();
		const inserted = sim.insert(WI, { date: daysAgo(1) });
		sim.update(WI, a.id, { durationInMinutes: 7 });
		sim.remove(WI, b.id);
		const first = await changes(deltaLink);
		expect(summary(first.items)).toEqual([
			`InsertOrUpdate:${inserted.id}`,
			`InsertOrUpdate:${a.id}`,
			`Delete:${b.id}`,
		]);
		const versions = first.items.map((i) => String(i.data.changeVersion));
		expect([...versions].sort()).toEqual(versions);
		expect(first.items[1].data).toEqual({ ...sim.records(WI).find((r) => r.id === a.id) });
		expect(first.items[2].data).toEqual({
			changeVersion: expect.stringMatching(/^[0-9A-F]{20}$/),
			id: b.id,
		});
		const second = await changes(first.next);
		expect(second.items).toEqual([]);
		expect(second.next).not.toBe(first.next);
		sim.update(WI, a.id, { durationInMinutes: 8 });
		expect(summary((await changes(second.next)).items)).toEqual([`InsertOrUpdate:${a.id}`]);
	});

	it('lists only records matching the delta filter, with the external references the ?delta request named', async () => {
		await setUp();
		sim.seed('people', [{ id: 1001 }]);
		sim.setExternalReferences('people', 1001, { '@employee-number': 'E-1001' });
		const { deltaLink } = await snapshot(api, {
			filter: window(),
			externalReferences: '(people,@employee-number)',
		});
		const inside = sim.insert(WI, { date: daysAgo(2), person: { id: 1001 } });
		sim.insert(WI, { date: daysAgo(90), person: { id: 1001 } });
		const { items } = await changes(deltaLink);
		expect(summary(items)).toEqual([`InsertOrUpdate:${inside.id}`]);
		expect(items[0].data.person).toEqual({
			id: 1001,
			externalReferences: { '@employee-number': 'E-1001' },
		});
	});

	it('checks the bearer token and the collection read scope like every read (401, 403), and honours injected 429s', async () => {
		await setUp();
		const { deltaLink } = await snapshot();
		const bare = axios.create({
			baseURL: sim.origin,
			headers: { 'User-Agent': UA },
			validateStatus: () => true,
			proxy: false,
		});
		expect((await bare.get(deltaLink)).status).toBe(401);
		const other = await apiClient(sim, ['connector-protimeapi-clockings.read']);
		const forbidden = await read(deltaLink, other);
		expect(forbidden.status).toBe(403);
		expect(forbidden.data).toEqual({ error: { code: 'Forbidden', message: expect.any(String) } });
		expect((await other.get(`/${WI}`, { params: { filter: window(), delta: '' } })).status).toBe(
			403,
		);
		const reader = await apiClient(sim, [WI_READ]);
		expect((await read(deltaLink, reader)).status).toBe(200);
		sim.injectFault({ status: 429, retryAfterSeconds: 7, path: '/delta/' });
		const limited = await read(deltaLink);
		expect(limited.status).toBe(429);
		expect(limited.headers['retry-after']).toBe('7');
		expect((await read(deltaLink)).status).toBe(200);
	});

	it('answers 400 for a missing or malformed token or one of another collection, 410 for an unknown delta', async () => {
		await setUp();
		const { deltaLink } = await snapshot();
		expect((await api.get(`/delta/${WI}`)).status).toBe(400);
		expect((await api.get(`/delta/${WI}`, { params: { deltaToken: 'not-a-token' } })).status).toBe(
			400,
		);
		const token = decodeURIComponent(deltaLink.split('deltaToken=')[1]);
		expect((await api.get('/delta/clockings', { params: { deltaToken: token } })).status).toBe(400);
		const unknown = Buffer.from(
			JSON.stringify({ DeltaId: 1, StartingCursor: 0, TimeStamp: '2025-01-10T13:31:14.1669768Z' }),
		).toString('base64');
		const gone = await api.get(`/delta/${WI}`, { params: { deltaToken: unknown } });
		expect(gone.status).toBe(410);
		expect(gone.data).toEqual({ error: { code: 'Gone', message: expect.any(String) } });
		expect(
			(await api.get('/delta/no-such-collection', { params: { deltaToken: token } })).status,
		).toBe(404);
	});

	it('takes a raw deltaLink too (nextLinkEncoding raw: the token unencoded, as in the docs)', async () => {
		await setUp({ nextLinkEncoding: 'raw' });
		seedWindow(4);
		const { deltaLink } = await snapshot();
		sim.insert(WI, { date: daysAgo(1) });
		expect((await changes(deltaLink)).items.length).toBe(1);
	});
});

describe('delta: expiry (72 h after the last request → 410 Gone)', () => {
	it('a delta read within 72 h keeps it alive; 72 h without a request ends it with 410', async () => {
		await setUp();
		const { deltaLink } = await snapshot();
		sim.advanceClock(71 * HOUR_S);
		const kept = await changes(deltaLink);
		sim.advanceClock(71 * HOUR_S);
		const again = await changes(kept.next);
		sim.advanceClock(72 * HOUR_S);
		const res = await read(again.next);
		expect(res.status).toBe(410);
		expect(res.data).toEqual({
			error: { code: 'Gone', message: expect.stringContaining('start a new delta') },
		});
		expect(sim.deltas()[0].status).toBe('expired');
		// A new snapshot starts a new delta.
		expect((await snapshot()).deltaLink).toContain('deltaToken=');
	});

	it('a snapshot abandoned for 72 h: its next page answers 410', async () => {
		await setUp();
		seedWindow(5);
		const first = await api.get(`/${WI}`, { params: { filter: window(), delta: '' } });
		sim.advanceClock(72 * HOUR_S);
		expect((await origin.get(first.data.nextLink)).status).toBe(410);
	});

	it('deltaExpirySeconds shortens it; the control API expires a delta on demand', async () => {
		await setUp({ deltaExpirySeconds: 60 });
		const { deltaLink } = await snapshot();
		sim.advanceClock(61);
		expect((await read(deltaLink)).status).toBe(410);
		const fresh = await snapshot();
		const control = axios.create({
			baseURL: `${sim.origin}/_sim`,
			validateStatus: () => true,
			proxy: false,
		});
		const listed = (await control.get('/deltas')).data.value as Array<{
			deltaId: number;
			status: string;
		}>;
		expect(listed.map((d) => d.status)).toEqual(['expired', 'active']);
		expect((await control.post('/deltas/expire', { deltaId: listed[1].deltaId })).status).toBe(204);
		expect((await read(fresh.deltaLink)).status).toBe(410);
	});

	it('a delta whose changes fell out of the bounded change log answers 410', async () => {
		await setUp({ changeLogLimit: 5 });
		const [a] = seedWindow(1);
		const { deltaLink } = await snapshot();
		for (let i = 0; i < 7; i++) sim.update(WI, a.id, { durationInMinutes: 10 + i });
		expect((await read(deltaLink)).status).toBe(410);
		const { deltaLink: fresh } = await snapshot();
		sim.update(WI, a.id, { durationInMinutes: 99 });
		expect((await changes(fresh)).items.length).toBe(1);
	});
});

describe('delta: one delta per collection (409 concurrency conflict)', () => {
	it('a second delta of the same client supersedes the first: the first answers 409 (supersededDeltaStatus default)', async () => {
		await setUp();
		const first = await snapshot();
		const second = await snapshot();
		const res = await read(first.deltaLink);
		expect(res.status).toBe(409);
		expect(res.data).toEqual({
			error: { code: 'Conflict', message: expect.stringContaining('only one delta') },
		});
		expect((await read(second.deltaLink)).status).toBe(200);
		expect(sim.deltas().map((d) => d.status)).toEqual(['superseded', 'active']);
		// Another collection is another delta.
		await snapshot(api, {}, 'counter-definitions');
		expect((await read(second.deltaLink)).status).toBe(200);
	});

	it('a delta superseded during its snapshot: its next page answers 409', async () => {
		await setUp();
		seedWindow(5);
		const first = await api.get(`/${WI}`, { params: { filter: window(), delta: '' } });
		await snapshot();
		expect((await origin.get(first.data.nextLink)).status).toBe(409);
	});

	it('supersededDeltaStatus 410: the superseded delta answers 410', async () => {
		await setUp({ supersededDeltaStatus: 410 });
		const first = await snapshot();
		await snapshot();
		expect((await read(first.deltaLink)).status).toBe(410);
	});

	it('deltaScope client (default): another API client has its own delta; tenant: it takes the delta away', async () => {
		await setUp();
		sim.addClient({ clientId: 'second', clientSecret: 's', scopes: [WI_READ] });
		const otherClient = async () => {
			const token = await axios.post(
				sim.tokenUrl,
				new URLSearchParams({
					grant_type: 'client_credentials',
					client_id: 'second',
					client_secret: 's',
				}).toString(),
				{
					headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
					proxy: false,
				},
			);
			return axios.create({
				baseURL: sim.apiBase,
				headers: { Authorization: `Bearer ${token.data.access_token}`, 'User-Agent': UA },
				validateStatus: () => true,
				proxy: false,
			});
		};
		const other = await otherClient();
		const mine = await snapshot();
		const theirs = await snapshot(other);
		expect((await read(mine.deltaLink)).status).toBe(200);
		expect((await read(theirs.deltaLink, other)).status).toBe(200);

		sim.assumptions.deltaScope = 'tenant';
		const mineAgain = await snapshot();
		await snapshot(other);
		expect((await read(mineAgain.deltaLink)).status).toBe(409);
	});

	it('deltaStartWhileActive reject: a second start answers 409 until the active delta expires', async () => {
		await setUp({ deltaStartWhileActive: 'reject' });
		const first = await snapshot();
		const refused = await api.get(`/${WI}`, { params: { filter: window(), delta: '' } });
		expect(refused.status).toBe(409);
		expect(refused.data.error.code).toBe('Conflict');
		expect((await read(first.deltaLink)).status).toBe(200);
		sim.advanceClock(72 * HOUR_S);
		expect((await api.get(`/${WI}`, { params: { filter: window(), delta: '' } })).status).toBe(200);
	});
});

describe('delta: older tokens of one delta (olderDeltaToken)', () => {
	async function twoReads() {
		const [a] = seedWindow(1);
		const { deltaLink } = await snapshot();
		sim.update(WI, a.id, { durationInMinutes: 5 });
		const first = await changes(deltaLink);
		sim.update(WI, a.id, { durationInMinutes: 6 });
		return { a, deltaLink, first };
	}

	it('works (default): an older token reads the changes since it again (a failed execution can re-read)', async () => {
		await setUp();
		const { a, deltaLink, first } = await twoReads();
		const replay = await changes(deltaLink);
		expect(summary(replay.items)).toEqual([`InsertOrUpdate:${a.id}`]);
		expect(replay.items[0].data.durationInMinutes).toBe(6);
		expect((await changes(first.next)).items.length).toBe(1);
	});

	it.each([409, 410] as const)(
		'olderDeltaToken %s: an older token answers that status; the newest still works',
		async (status) => {
			await setUp({ olderDeltaToken: status });
			const { deltaLink, first } = await twoReads();
			expect((await read(deltaLink)).status).toBe(status);
			expect((await changes(first.next)).items.length).toBe(1);
		},
	);
});

describe('delta: which changes a read lists', () => {
	it('deltaDeletes all (default) lists every delete; matching only those of records in the filter; none no delete', async () => {
		await setUp();
		const [inside] = sim.seed(WI, [{ date: daysAgo(1) }]);
		const [outside] = sim.seed(WI, [{ date: daysAgo(90) }]);
		const { deltaLink } = await snapshot();
		sim.remove(WI, inside.id);
		sim.remove(WI, outside.id);
		const all = await changes(deltaLink);
		expect(summary(all.items)).toEqual([`Delete:${inside.id}`, `Delete:${outside.id}`]);
		sim.assumptions.deltaDeletes = 'matching';
		expect(summary((await changes(deltaLink)).items)).toEqual([`Delete:${inside.id}`]);
		sim.assumptions.deltaDeletes = 'none';
		expect((await changes(deltaLink)).items).toEqual([]);
	});

	it('deltaVersions latest (default) lists a record once, at its newest version; every lists each version in order', async () => {
		await setUp();
		const [a] = seedWindow(1);
		const { deltaLink } = await snapshot();
		const versions = [1, 2, 3].map(
			(n) => sim.update(WI, a.id, { durationInMinutes: n }).changeVersion,
		);
		const latest = await changes(deltaLink);
		expect(latest.items.map((i) => i.data.changeVersion)).toEqual([versions[2]]);
		sim.assumptions.deltaVersions = 'every';
		const every = await changes(deltaLink);
		expect(every.items.map((i) => i.data.changeVersion)).toEqual(versions);
		expect(every.items.map((i) => i.data.durationInMinutes)).toEqual([1, 2, 3]);
		// latest: a record inserted and deleted since the cursor is one Delete.
		sim.assumptions.deltaVersions = 'latest';
		const b = sim.insert(WI, { date: daysAgo(1) });
		sim.remove(WI, b.id);
		expect(summary((await changes(every.next)).items)).toEqual([`Delete:${b.id}`]);
	});

	it('deltaCursorStart snapshotStart (default): a change made while the pages are read comes in the first delta read; lastPage: it does not', async () => {
		for (const mode of ['snapshotStart', 'lastPage'] as const) {
			await setUp({ deltaCursorStart: mode });
			const [a] = seedWindow(6);
			const first = await api.get(`/${WI}`, { params: { filter: window(), delta: '' } });
			expect(first.data.value.map((r: { id: number }) => r.id)).toContain(a.id);
			sim.update(WI, a.id, { durationInMinutes: 1 }); // a record already read
			let res = await origin.get(first.data.nextLink);
			while (res.data.nextLink) res = await origin.get(res.data.nextLink);
			const { items } = await changes(res.data.deltaLink);
			expect(summary(items)).toEqual(mode === 'snapshotStart' ? [`InsertOrUpdate:${a.id}`] : []);
			if (mode === 'snapshotStart') await sim.stop(); // afterEach stops the last one
		}
	});
});
