/** Collection endpoints (docs/protime-reference.md §5.5, §4.1, §6): filters, paging, external references, get. */
import type { AxiosInstance } from 'axios';

import { COLLECTIONS } from './model';
import { seedDemoTenant } from './demoTenant';
import { isoDate } from './generate';
import type { ProtimeSimulator } from './index';
import { apiClient, originClient, startSim } from './testkit';

let sim: ProtimeSimulator;
let api: AxiosInstance;
beforeEach(async () => {
	sim = await startSim({ assumptions: { pageSize: 5 } });
	seedDemoTenant(sim);
	api = await apiClient(sim);
});
afterEach(async () => await sim.stop());

const DAY = 86_400_000;
const today = () => isoDate(sim.now());
const daysAgo = (n: number) => isoDate(sim.now() - n * DAY);
const week = () => `date ge '${daysAgo(7)}' and date le '${today()}'`;

/** Follows nextLink until it is absent; returns all pages. */
async function allPages(
	path: string,
	params: Record<string, string>,
): Promise<Array<{ value: unknown[]; nextLink?: string }>> {
	const pages = [];
	let res = await api.get(path, { params });
	expect(res.status).toBe(200);
	pages.push(res.data);
	const origin = originClient(api, sim);
	while (res.data.nextLink) {
		expect(res.data.nextLink.startsWith('/connector/protimeapi/api/v1/')).toBe(true);
		res = await origin.get(res.data.nextLink);
		expect(res.status).toBe(200);
		pages.push(res.data);
	}
	return pages;
}

describe('collections', () => {
	it.each(COLLECTIONS.map((c) => [c.name, c]))(
		'list: %s answers {value} with its required filters',
		async (name, def) => {
			const required = def.filters.filter((f) => f.required).map((f) => f.name);
			const params = required.includes('date') ? { filter: week() } : {};
			const res = await api.get(`/${name}`, { params });
			expect(res.status).toBe(200);
			expect(res.data.value.length).toBeGreaterThan(0);
			for (const record of res.data.value) {
				expect(record.changeVersion).toMatch(/^[0-9A-F]{20}$/);
				for (const key of Object.keys(def.sample)) expect(record).toHaveProperty(key);
			}
		},
	);

	it('filter: a missing required filter → 400 with reasons', async () => {
		const res = await api.get('/work-interruptions');
		expect(res.status).toBe(400);
		expect(res.data.error).toEqual({
			code: 'BadRequest',
			message: 'The request was invalid',
			reasons: [expect.stringContaining("'date' is required")],
		});
	});

	it('filter: date range over one year → 400 with reasons', async () => {
		const res = await api.get('/work-interruptions', {
			params: { filter: "date ge '2024-01-01' and date le '2025-06-01'" },
		});
		expect(res.status).toBe(400);
		expect(res.data.error.reasons).toEqual(['The provided date range is invalid']);
		const inverted = await api.get('/work-interruptions', {
			params: { filter: `date ge '${today()}' and date le '${daysAgo(3)}'` },
		});
		expect(inverted.data.error.reasons).toEqual(['The provided date range is invalid']);
	});

	it("filter: a date start alone is measured to today (the tutorial's date ge …)", async () => {
		expect(
			(await api.get('/clockings', { params: { filter: `date ge '${daysAgo(30)}'` } })).status,
		).toBe(200);
		expect(
			(await api.get('/clockings', { params: { filter: `date ge '${daysAgo(400)}'` } })).status,
		).toBe(400);
	});

	it('filter: unknown filter field → 400', async () => {
		const res = await api.get('/work-interruptions', {
			params: { filter: `${week()} and colour eq 'red'` },
		});
		expect(res.status).toBe(400);
		expect(res.data.error.reasons[0]).toMatch(/Unknown filter field 'colour'/);
		expect(
			(await api.get('/break-definitions', { params: { filter: 'enabled eq true' } })).status,
		).toBe(400);
	});

	it('filter: malformed syntax → 400 with the position', async () => {
		const res = await api.get('/work-interruptions', { params: { filter: "date ge '2026-01-01" } });
		expect(res.status).toBe(400);
		expect(res.data.error.reasons[0]).toMatch(/invalid/);
	});

	it('filter: or only on multi-valued fields (person), not on date', async () => {
		const ok = await api.get('/work-interruptions', {
			params: { filter: `${week()} and (person eq 1001 or person eq 1002)` },
		});
		expect(ok.status).toBe(200);
		const bad = await api.get('/work-interruptions', {
			params: { filter: `date eq '${today()}' or date eq '${daysAgo(1)}'` },
		});
		expect(bad.status).toBe(400);
	});

	it('filter: values must fit the field (dates quoted, ids bare, bools, options)', async () => {
		for (const filter of [
			'date ge 2026-01-01',
			`${week()} and person in ('1001')`,
			`${week()} and person ge 3`,
		]) {
			expect((await api.get('/work-interruptions', { params: { filter } })).status).toBe(400);
		}
		expect(
			(await api.get('/counter-definitions', { params: { filter: "enabled eq 'yes'" } })).status,
		).toBe(400);
		expect(
			(await api.get('/counters', { params: { filter: `${week()} and status eq 'Sleeping'` } }))
				.status,
		).toBe(400);
		expect(
			(await api.get('/counters', { params: { filter: `${week()} and status eq 'Auto'` } })).status,
		).toBe(200);
	});

	it('filter: person in (…) and date range select the matching records', async () => {
		sim.seed('work-interruptions', [
			{ id: 1, person: { id: 1001 }, date: daysAgo(1) },
			{ id: 2, person: { id: 1002 }, date: daysAgo(1) },
			{ id: 3, person: { id: 1001 }, date: daysAgo(20) },
		]);
		const pages = await allPages('/work-interruptions', {
			filter: `date ge '${daysAgo(2)}' and date le '${today()}' and person in (1001)`,
		});
		const records = pages.flatMap((p) => p.value) as Array<{
			id: number;
			person: { id: number };
			date: string;
		}>;
		expect(records.map((r) => r.id)).toContain(1);
		expect(records.map((r) => r.id)).not.toContain(2);
		expect(records.map((r) => r.id)).not.toContain(3);
		expect(records.every((r) => r.person.id === 1001 && r.date >= daysAgo(2))).toBe(true);
	});

	it('filter: counter-definitions take counter-group in (…) and enabled eq true|false', async () => {
		sim.update('counter-definitions', 767, { isEnabled: false });
		const disabled = await api.get('/counter-definitions', {
			params: { filter: 'enabled eq false' },
		});
		expect(disabled.data.value.map((c: { id: number }) => c.id)).toEqual([767]);
		const group = await api.get('/counter-definitions', {
			params: { filter: 'counter-group in (4,5)' },
		});
		expect(
			group.data.value.every((c: { counterGroup: { id: number } }) =>
				[4, 5].includes(c.counterGroup.id),
			),
		).toBe(true);
	});

	it('list: nextLink until absent; empty page is not the end', async () => {
		sim.assumptions.emptyPagesBetween = 1;
		const total = sim.records('work-interruptions').length;
		const pages = await allPages('/work-interruptions', { filter: week() });
		expect(pages.some((p, i) => p.value.length === 0 && i < pages.length - 1)).toBe(true);
		expect(pages.at(-1)!.nextLink).toBeUndefined();
		expect(pages.flatMap((p) => p.value)).toHaveLength(total);
		expect(Math.max(...pages.map((p) => p.value.length))).toBe(5);
	});

	it('list: nextLink is server-relative, keeps filter and references, and carries a continuationToken', async () => {
		const res = await api.get('/work-interruptions', {
			params: { filter: week(), externalReferences: '(people,@employee-number)' },
		});
		const link = new URL(res.data.nextLink, sim.origin);
		expect(link.pathname).toBe('/connector/protimeapi/api/v1/work-interruptions');
		expect(link.searchParams.get('filter')).toBe(week());
		expect(link.searchParams.get('externalReferences')).toBe('(people,@employee-number)');
		expect(link.searchParams.get('continuationToken')).toEqual(expect.any(String));
	});

	it('list: the same nextLink can be fetched again (retries are safe)', async () => {
		const first = await api.get('/work-interruptions', { params: { filter: week() } });
		const origin = originClient(api, sim);
		const a = await origin.get(first.data.nextLink);
		const b = await origin.get(first.data.nextLink);
		expect(b.data.value).toEqual(a.data.value);
	});

	it('list: an unknown or expired continuation token → 409', async () => {
		const first = await api.get('/work-interruptions', { params: { filter: week() } });
		const unknown = Buffer.from('{"nope":true}').toString('base64url');
		const bogus = await api.get('/work-interruptions', {
			params: { filter: week(), continuationToken: unknown },
		});
		expect(bogus.status).toBe(409);
		expect(bogus.data.error.code).toBe('Conflict');
		sim.advanceClock(sim.assumptions.continuationTokenTtlSeconds);
		const api2 = await apiClient(sim);
		expect((await originClient(api2, sim).get(first.data.nextLink)).status).toBe(409);
		const second = await api2.get('/work-interruptions', { params: { filter: week() } });
		sim.expireContinuationTokens();
		expect((await originClient(api2, sim).get(second.data.nextLink)).status).toBe(409);
	});

	it('list: page size is configurable', async () => {
		sim.assumptions.pageSize = 2;
		const res = await api.get('/people');
		expect(res.data.value).toHaveLength(2);
		expect(res.data.nextLink).toEqual(expect.any(String));
	});

	it('list: externalReferences are applied to each record (§4.1)', async () => {
		const res = await api.get('/work-interruptions', {
			params: { filter: week(), externalReferences: '(people,@employee-number)(people,HRMID)' },
		});
		for (const wi of res.data.value) {
			expect(wi.person.externalReferences).toEqual({
				'@employee-number': expect.stringMatching(/^E-/),
				HRMID: expect.stringMatching(/^HRM-/),
			});
		}
		const bad = await api.get('/work-interruptions', {
			params: { filter: week(), externalReferences: '(terminals,@external-code)' },
		});
		expect(bad.status).toBe(400);
	});

	it('get: by id, 404 standard body for an unknown id', async () => {
		const wi = sim.records('work-interruptions')[0];
		expect((await api.get(`/work-interruptions/${wi.id}`)).data).toEqual(wi);
		const missing = await api.get('/work-interruptions/999999');
		expect(missing.status).toBe(404);
		expect(missing.data).toEqual({
			error: { code: 'NotFound', message: 'Work interruption with the given ID does not exist' },
		});
	});

	it("get: by external reference, resolved through the collection's own reference named in ?externalReferences", async () => {
		const res = await api.get('/counter-definitions/OT150', {
			params: { externalReferences: '(counter-definitions,@counter-code)' },
		});
		expect(res.status).toBe(200);
		expect(res.data).toMatchObject({
			id: 766,
			code: 'OT150',
			externalReferences: { '@counter-code': 'OT150' },
		});
		const custom = await api.get('/counter-definitions/PAY-OT200', {
			params: { externalReferences: '(counter-definitions,customCounterCode)' },
		});
		expect(custom.data.id).toBe(767);
		const person = await api.get('/people/E-4821', {
			params: { externalReferences: '(people,@employee-number)' },
		});
		expect(person.data.id).toBe(1001);
	});

	it('get: a reference value without the reference named is 404 unless configured to try predefined references', async () => {
		expect((await api.get('/counter-definitions/OT150')).status).toBe(404);
		sim.assumptions.getByReference = 'queryOrPredefined';
		expect((await api.get('/counter-definitions/OT150')).data.id).toBe(766);
	});

	it('list: an unknown collection path is 404', async () => {
		expect((await api.get('/badges')).status).toBe(404);
	});
});
