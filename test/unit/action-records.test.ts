/** Protime node, collection resources (Get, Get Many), against the simulator. */
import { getMany } from '../../nodes/Protime/actions/record/getMany';
import { recordResource } from '../../nodes/Protime/resources';
import { ActionHarness, jsonOf } from './action-helpers';

let h: ActionHarness;
const PEOPLE = [1001, 1002, 1003];

beforeAll(async () => {
	h = await ActionHarness.start();
	h.sim.seed(
		'people',
		PEOPLE.map((id) => ({ id })),
	);
	h.sim.setExternalReferences('people', 1001, { '@employee-number': 'E-1001' });
	// 250 interruptions in January 2026, spread over the three people, plus a few outside the range.
	h.sim.seed(
		'work-interruptions',
		Array.from({ length: 250 }, (_, n) => ({
			id: 20000 + n,
			person: { id: PEOPLE[n % 3] },
			date: `2026-01-${String((n % 28) + 1).padStart(2, '0')}`,
		})),
	);
	h.sim.seed('work-interruptions', [
		{ id: 29001, date: '2025-12-31', person: { id: 1001 } },
		{ id: 29002, date: '2026-02-01', person: { id: 1001 } },
	]);
	h.sim.seed('counter-definitions', [
		{ id: 766, code: 'OT150', isEnabled: true, counterGroup: { id: 3 } },
		{ id: 767, code: 'OT200', isEnabled: false, counterGroup: { id: 3 } },
		{ id: 768, code: 'NIGHT', isEnabled: true, counterGroup: { id: 4 } },
	]);
});
afterAll(async () => await h.stop());
beforeEach(() => {
	h.sim.assumptions.pageSize = 20;
	h.sim.assumptions.emptyPagesBetween = 0;
	h.sim.resetStats();
});

const january = { startDate: '2026-01-01T00:00:00', endDate: '2026-01-31T00:00:00' };
const interruptions = (extra: Record<string, unknown> = {}) => ({
	resource: 'workInterruption',
	operation: 'getAll',
	returnAll: true,
	simplify: false,
	...january,
	...extra,
});

describe('Get Many paging', () => {
	it('Return All follows nextLink across many pages, empty pages included', async () => {
		h.sim.assumptions.emptyPagesBetween = 1;
		const items = await h.run(interruptions());
		expect(items).toHaveLength(250);
		expect(new Set(items.map((i) => i.json.id)).size).toBe(250);
		expect(items.every((i) => (i.pairedItem as { item: number }).item === 0)).toBe(true);
		// 13 pages of records plus the 12 empty pages between them.
		expect(h.apiRequests()).toHaveLength(25);
		expect(decodeURIComponent(h.apiRequests()[0].replace(/\+/g, ' '))).toContain(
			"filter=date ge '2026-01-01' and date le '2026-01-31'",
		);
	});

	it('Limit stops fetching as soon as it is reached', async () => {
		const items = await h.run(interruptions({ returnAll: false, limit: 45 }));
		expect(items).toHaveLength(45);
		expect(h.apiRequests()).toHaveLength(3);

		h.sim.resetStats();
		expect(await h.run(interruptions({ returnAll: false, limit: 20 }))).toHaveLength(20);
		expect(h.apiRequests()).toHaveLength(1);
	});

	it('streams: each page is turned into items before the next page is requested', async () => {
		const ctx = h.testbed.executeFunctions({ parameters: interruptions() });
		const requestsAtEmit: number[] = [];
		await getMany.call(ctx, 0, recordResource('workInterruption')!, () => {
			requestsAtEmit.push(h.sim.stats.apiRequests);
		});
		expect(requestsAtEmit).toHaveLength(250);
		// Record k (0-based) is emitted while only its own page, number floor(k / 20) + 1, has been fetched.
		expect(requestsAtEmit.every((requests, k) => requests === Math.floor(k / 20) + 1)).toBe(true);
	});

	it('runs once per input item, each with its own filter and pairedItem', async () => {
		const items = await h.run(
			interruptions({ filters: (i: number) => ({ person: String(PEOPLE[i]) }) }),
			{
				items: [{ json: {} }, { json: {} }],
			},
		);
		const byItem = (n: number) =>
			items.filter((i) => (i.pairedItem as { item: number }).item === n);
		expect(byItem(0).every((i) => (i.json.person as { id: number }).id === 1001)).toBe(true);
		expect(byItem(1).every((i) => (i.json.person as { id: number }).id === 1002)).toBe(true);
		expect(byItem(0).length + byItem(1).length).toBe(items.length);
		expect(byItem(0).length).toBe(84);
	});
});

describe('Get Many filters', () => {
	it('sends the date range and person ids as one filter', async () => {
		const items = await h.run(interruptions({ filters: { person: '1001, 1003' } }));
		expect(new Set(items.map((i) => (i.json.person as { id: number }).id))).toEqual(
			new Set([1001, 1003]),
		);
		expect(items.some((i) => i.json.id === 29001 || i.json.id === 29002)).toBe(false);
	});

	it('filters counter instances by counter definition, spelled counter-definition as the new reference does', async () => {
		h.sim.seed(
			'counters',
			[766, 767, 766, 768].map((id, n) => ({
				id: 88100 + n,
				counterDefinition: { id },
				date: '2026-01-05',
			})),
		);
		const items = await h.run({
			...interruptions(),
			resource: 'counter',
			filters: { counterDefinitions: '766, 768' },
		});
		expect(jsonOf(items).map((r) => r.id)).toEqual([88100, 88102, 88103]);
		expect(decodeURIComponent(h.apiRequests()[0].replace(/\+/g, ' '))).toContain(
			'and counter-definition in (766,768)',
		);
	});

	it('filters counter definitions by group and enabled, with no date', async () => {
		const enabledInGroup3 = await h.run({
			resource: 'counterDefinition',
			operation: 'getAll',
			returnAll: true,
			simplify: false,
			filters: { counterGroup: '3', enabled: true },
		});
		expect(jsonOf(enabledInGroup3).map((r) => r.id)).toEqual([766]);
		const all = await h.run({
			resource: 'counterDefinition',
			operation: 'getAll',
			returnAll: true,
		});
		expect(all).toHaveLength(3);
	});

	it('adds a raw filter expression to the fields', async () => {
		const items = await h.run(interruptions({ filters: { rawFilter: 'person eq 1002' } }));
		expect(items.length).toBeGreaterThan(0);
		expect(items.every((i) => (i.json.person as { id: number }).id === 1002)).toBe(true);
	});

	it.each([
		[
			'a missing date range',
			{ startDate: '', endDate: '' },
			/^Start Date and End Date are required to list work interruptions$/,
		],
		[
			'a range over one year',
			{ startDate: '2025-01-01', endDate: '2026-01-31' },
			/spans 395 days; Protime accepts at most 366/,
		],
		['an end before the start', { startDate: '2026-02-01', endDate: '2026-01-01' }, /is before/],
		[
			'a limit below 1',
			{ returnAll: false, limit: 0 },
			/Limit must be a whole number of at least 1/,
		],
		['bad person ids', { filters: { person: '1001, abc' } }, /Person IDs contains 'abc'/],
		[
			'a raw filter with &',
			{ filters: { rawFilter: "person eq 1&date ge '2020-01-01'" } },
			/contains '&'/,
		],
		['a raw filter with a newline', { filters: { rawFilter: 'person eq 1\nx' } }, /a line break/],
	])('refuses %s before any call, with the item index', async (_label, extra, message) => {
		const error = await h.fail(interruptions(extra));
		expect(error.message).toMatch(message);
		expect(error.description).toBeTruthy();
		expect((error as unknown as { context: { itemIndex: number } }).context.itemIndex).toBe(0);
		expect(h.apiRequests()).toEqual([]);
	});

	it('passes on a 400 from Protime with its reasons', async () => {
		const error = await h.fail(interruptions({ filters: { rawFilter: 'colour eq 1' } }));
		expect(error.httpCode).toBe('400');
		expect(`${error.message} ${String(error.description)}`).toMatch(/colour/);
	});
});

describe('Simplify and external references', () => {
	it('simplifies like the trigger and adds the requested reference', async () => {
		const [item] = await h.run({
			resource: 'workInterruption',
			operation: 'get',
			recordId: '20000',
			externalReferences: { reference: [{ reference: 'people|@employee-number' }] },
		});
		expect(item.json).toMatchObject({ id: 20000, personId: 1001, personEmployeeNumber: 'E-1001' });
		expect(typeof item.json.durationHours).toBe('number');
	});

	it("Get's Record locator ('By ID') and a plain ID from a workflow saved before give the same record", async () => {
		const byLocator = await h.run({
			resource: 'workInterruption',
			operation: 'get',
			recordId: { __rl: true, mode: 'id', value: '20000' },
			simplify: false,
		});
		const byString = await h.run({
			resource: 'workInterruption',
			operation: 'get',
			recordId: '20000',
			simplify: false,
		});
		expect(byLocator[0].json).toEqual(byString[0].json);
		expect(byLocator[0].json.id).toBe(20000);
	});

	it('returns the raw record with Simplify off', async () => {
		const [item] = await h.run({
			resource: 'workInterruption',
			operation: 'get',
			recordId: '20000',
			simplify: false,
			externalReferences: { reference: [{ reference: 'people|@employee-number' }] },
		});
		expect(item.json.person).toEqual({
			id: 1001,
			externalReferences: { '@employee-number': 'E-1001' },
		});
		expect(item.json).not.toHaveProperty('personId');
	});
});

describe('Get', () => {
	it('gets a record by ID', async () => {
		const [item] = await h.run({
			resource: 'counterDefinition',
			operation: 'get',
			recordId: 766,
			simplify: false,
		});
		expect(item.json).toMatchObject({ id: 766, code: 'OT150' });
		expect(h.apiRequests()).toEqual(['GET /connector/protimeapi/api/v1/counter-definitions/766']);
	});

	it('gets a record by its own external reference, URL-encoded as one segment', async () => {
		const [item] = await h.run({
			resource: 'counterDefinition',
			operation: 'get',
			lookUpBy: 'externalReference',
			referenceName: '@counter-code',
			referenceValue: 'OT150',
			simplify: false,
		});
		expect(item.json.id).toBe(766);
		expect(h.apiRequests()[0]).toMatch(
			/^GET \/connector\/protimeapi\/api\/v1\/counter-definitions\/OT150\?externalReferences=/,
		);
		h.sim.resetStats();
		await h.fail({
			resource: 'counterDefinition',
			operation: 'get',
			lookUpBy: 'externalReference',
			referenceName: '@counter-code',
			referenceValue: 'A B?',
		});
		expect(h.apiRequests()[0]).toContain('/counter-definitions/A%20B%3F?');
	});

	it('turns a 404 into a clear not-found', async () => {
		const error = await h.fail({ resource: 'workInterruption', operation: 'get', recordId: '999' });
		expect(error.message).toBe("No work interruption with ID '999' exists in Protime");
		expect(error.description).toMatch(/not an employee or badge number/);
	});

	it.each(['../people/1001', 'a/b', '..', 'x\\y'])(
		'refuses the ID %j before any call',
		async (recordId) => {
			const error = await h.fail({ resource: 'workInterruption', operation: 'get', recordId });
			expect(error.message).toMatch(/contains/);
			expect(h.apiRequests()).toEqual([]);
		},
	);
});

describe('external reference rows', () => {
	it('reads a custom reference name and refuses an incomplete row before any call', async () => {
		h.sim.setExternalReferences('people', 1002, { HRMID: 'H-2' });
		const [item] = await h.run({
			resource: 'workInterruption',
			operation: 'get',
			recordId: '20001',
			externalReferences: { reference: [{ reference: 'people|', customName: 'HRMID' }] },
		});
		expect(item.json).toMatchObject({ personId: 1002, personHRMID: 'H-2' });

		h.sim.resetStats();
		const error = await h.fail({
			resource: 'workInterruption',
			operation: 'get',
			recordId: '20001',
			externalReferences: { reference: [{ reference: 'people|' }] },
		});
		expect(error.message).toBe('External reference 1 is incomplete');
		expect(h.apiRequests()).toEqual([]);
	});

	it('uses the same Simplify options as the trigger (time zone offset only when set)', async () => {
		const params = { resource: 'workInterruption', operation: 'get', recordId: '20000' };
		const [plain] = await h.run(params);
		expect(plain.json.startDateTime).toMatch(/^2026-01-01T\d\d:\d\d$/);
		const [zoned] = await h.run({ ...params, options: { timeZone: 'Europe/Brussels' } });
		expect(zoned.json.startDateTime).toMatch(/^2026-01-01T\d\d:\d\d:00\+01:00$/);
	});
});
