/** Get Many with an ID list too long for one Protime URL (4,096 characters, 414 beyond): split, merged, or refused. */
import { ActionHarness } from './action-helpers';

let h: ActionHarness;
// 2,000 six-digit person ids: about 18,000 characters once encoded, four times what one URL may hold.
const PEOPLE = Array.from({ length: 2000 }, (_, n) => 300000 + n * 7);

beforeAll(async () => {
	h = await ActionHarness.start();
	h.sim.seed(
		'people',
		PEOPLE.map((id) => ({ id })),
	);
	// One interruption for every third listed person, plus some of people not in the list.
	h.sim.seed('work-interruptions', [
		...PEOPLE.filter((_, n) => n % 3 === 0).map((id, n) => ({
			id: 50000 + n,
			person: { id },
			date: '2026-01-10',
		})),
		...Array.from({ length: 40 }, (_, n) => ({
			id: 59000 + n,
			person: { id: 300001 + n * 7 },
			date: '2026-01-10',
		})),
	]);
});
afterAll(async () => await h.stop());
beforeEach(() => {
	h.sim.assumptions.pageSize = 100;
	h.sim.assumptions.maxUriLength = 4096;
	h.sim.resetStats();
});

const longList = (extra: Record<string, unknown> = {}) => ({
	resource: 'workInterruption',
	operation: 'getAll',
	returnAll: true,
	simplify: false,
	startDate: '2026-01-01T00:00:00',
	endDate: '2026-01-31T00:00:00',
	filters: { person: PEOPLE.join(',') },
	...extra,
});

describe('a person filter of 2,000 ids', () => {
	it('returns every matching record once, over several requests that each fit, pages included', async () => {
		const expected = PEOPLE.filter((_, n) => n % 3 === 0).length;
		const items = await h.run(longList());
		const ids = items.map((i) => i.json.id as number);
		expect(ids).toHaveLength(expected);
		expect(new Set(ids).size).toBe(expected);
		expect(ids.every((id) => id >= 50000 && id < 59000)).toBe(true);
		const log = h.sim.stats.requestLog.filter((r) => !r.token);
		const firsts = log.filter((r) => !r.path.includes('continuationToken'));
		expect(firsts.length).toBeGreaterThan(1);
		expect(log.some((r) => r.path.includes('continuationToken'))).toBe(true);
		expect(log.every((r) => r.status === 200 && r.path.length <= 4096)).toBe(true);
	});

	it('stops at the limit across slices', async () => {
		const items = await h.run(longList({ returnAll: false, limit: 450 }));
		expect(new Set(items.map((i) => i.json.id)).size).toBe(450);
	});

	it('reports a 414 from Protime clearly (here: a stricter limit than documented)', async () => {
		h.sim.assumptions.maxUriLength = 1000;
		const error = await h.fail(longList());
		expect(error.httpCode).toBe('414');
		expect(error.message).toBe('The request URL is too long for Protime (414 URI Too Long)');
		expect(String(error.description)).toMatch(/at most 4,096 characters.*Use fewer IDs/);
	});

	it('refuses before sending when even one id per request would not fit', async () => {
		// Spaces count three times once encoded: a 1,900-character raw filter alone leaves no room.
		const raw = `date ge '2026-01-01'${' '.repeat(1900)}and person in (300000)`;
		const error = await h.fail(longList({ filters: { person: '300000,300007', rawFilter: raw } }));
		expect(error.message).toMatch(/^The filter is too long for one Protime request/);
		expect(h.sim.stats.requestLog.filter((r) => !r.token)).toHaveLength(0);
	});
});
