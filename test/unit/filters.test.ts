import {
	buildListFilter,
	buildListFilters,
	daysBetween,
	encodedLength,
	parseDate,
	parseIdList,
	URI_LIMITS,
	validateRawFilter,
} from '../../nodes/shared/filters';

const built = (...args: Parameters<typeof buildListFilter>) => {
	const result = buildListFilter(...args);
	if (!result.ok) throw new Error(`unexpected problem: ${result.problem.message}`);
	return result.value;
};
const problem = (...args: Parameters<typeof buildListFilter>) => {
	const result = buildListFilter(...args);
	if (result.ok) throw new Error(`expected a problem, got filter ${String(result.value)}`);
	return result.problem;
};

describe('buildListFilter', () => {
	it('builds a date range and person list for work interruptions', () => {
		expect(
			built('work-interruptions', {
				date: { start: '2026-01-01T00:00:00', end: '2026-01-31' },
				person: '115, 256 256',
			}),
		).toBe("date ge '2026-01-01' and date le '2026-01-31' and person in (115,256)");
	});

	it('builds the optional counter-definition filters and nothing when none is set', () => {
		expect(built('counter-definitions', { 'counter-group': [3, 4], enabled: false })).toBe(
			'counter-group in (3,4) and enabled eq false',
		);
		expect(built('counter-definitions', {})).toBeUndefined();
		expect(built('break-definitions', {})).toBeUndefined();
	});

	it('builds an options filter and refuses a value outside the catalogue', () => {
		const date = { start: '2026-03-01', end: '2026-03-31' };
		expect(built('counters', { date, status: 'Manual' })).toBe(
			"date ge '2026-03-01' and date le '2026-03-31' and status eq 'Manual'",
		);
		expect(problem('counters', { date, status: "Manual' or 1 eq 1" }).message).toMatch(
			/not one of Protime's values/,
		);
	});

	it('requires the date range of a date collection, naming the fields', () => {
		const p = problem('work-interruptions', {});
		expect(p.message).toBe('Start Date and End Date are required to list work interruptions');
		expect(p.description).toMatch(/one year/);
		expect(problem('clockings', { date: { start: '2026-01-01' } }).message).toBe(
			'End Date is empty',
		);
	});

	it('accepts a missing date range when the raw filter constrains the date', () => {
		expect(built('work-interruptions', {}, "date ge '2026-01-01' and date le '2026-01-02'")).toBe(
			"date ge '2026-01-01' and date le '2026-01-02'",
		);
	});

	it('checks the one-year limit before any call', () => {
		expect(built('breaks', { date: { start: '2024-01-01', end: '2025-01-01' } })).toContain(
			"le '2025-01-01'",
		);
		const p = problem('breaks', { date: { start: '2024-01-01', end: '2025-01-02' } });
		expect(p.message).toBe(
			'The range 2024-01-01 to 2025-01-02 spans 367 days; Protime accepts at most 366 (one year)',
		);
		expect(p.description).toMatch(/Split the period/);
		expect(problem('breaks', { date: { start: '2026-02-01', end: '2026-01-01' } }).message).toMatch(
			/is before/,
		);
	});

	it('rejects invalid dates', () => {
		expect(problem('breaks', { date: { start: '2026-02-30', end: '2026-03-01' } }).message).toBe(
			"Start Date '2026-02-30' is not a valid date",
		);
		expect(
			problem('breaks', { date: { start: '01/02/2026', end: '2026-03-01' } }).description,
		).toMatch(/YYYY-MM-DD/);
	});

	it('rejects bad ids', () => {
		const date = { start: '2026-01-01', end: '2026-01-02' };
		for (const bad of ['12a', '-1', '0', '1.5', '1) or (1']) {
			expect(problem('work-interruptions', { date, person: `5, ${bad}` }).message).toMatch(
				/^Person IDs contains '.+', which is not a Protime ID$/,
			);
		}
	});

	it('appends a raw filter and brackets one containing or', () => {
		const date = { start: '2026-01-01', end: '2026-01-02' };
		expect(built('work-interruptions', { date }, 'person in circle(7)')).toBe(
			"date ge '2026-01-01' and date le '2026-01-02' and person in circle(7)",
		);
		expect(built('work-interruptions', { date }, 'person eq 1 or person eq 2')).toBe(
			"date ge '2026-01-01' and date le '2026-01-02' and (person eq 1 or person eq 2)",
		);
	});

	it.each([
		['an ampersand', "date ge '2026-01-01'&x=1", /'&'/],
		['a hash', "date ge '2026-01-01'#x", /'#'/],
		['a newline', "date ge '2026-01-01'\nx", /a line break/],
		['a carriage return', "date ge '2026-01-01'\rx", /a line break/],
		['a control character', "date ge '2026-01-01'\u0000", /Protime filters never use/],
	])('rejects a raw filter with %s', (_label, raw, pattern) => {
		expect(problem('counter-definitions', {}, raw).message).toMatch(pattern);
	});

	it('refuses a filter too long for a Protime URL', () => {
		const person = Array.from({ length: 800 }, (_, i) => 100000 + i).join(',');
		expect(
			problem('work-interruptions', { date: { start: '2026-01-01', end: '2026-01-02' }, person })
				.message,
		).toMatch(/rejects request URLs over 4,096 characters/);
	});

	it('refuses an unknown collection', () => {
		expect(problem('departments', {}).message).toBe("'departments' is not a Protime collection");
	});
});

describe('filter helpers', () => {
	it('parses dates from strings, Date and Luxon-like objects', () => {
		expect(parseDate('2026-03-02', 'x')).toEqual({ ok: true, value: '2026-03-02' });
		expect(parseDate(new Date('2026-03-02T10:00:00Z'), 'x')).toEqual({
			ok: true,
			value: '2026-03-02',
		});
		expect(parseDate({ toISODate: () => '2026-03-02' }, 'x')).toEqual({
			ok: true,
			value: '2026-03-02',
		});
		expect(parseDate('2026-3-2', 'x').ok).toBe(false);
	});

	it('counts days and ids', () => {
		expect(daysBetween('2024-02-28', '2024-03-01')).toBe(2);
		expect(parseIdList([1, '2', 2], 'x')).toEqual({ ok: true, value: [1, 2] });
		expect(parseIdList('', 'x')).toEqual({ ok: true, value: [] });
	});

	it('accepts an ordinary raw filter', () => {
		expect(validateRawFilter("person in (1,2) and date ge '2026-01-01'")).toBeUndefined();
	});
});

describe('buildListFilters (one Get Many over several URLs)', () => {
	const range = { date: { start: '2026-01-01', end: '2026-01-31' } };
	const idsOf = (filter: string | undefined) =>
		(/person in \(([^)]*)\)/.exec(filter ?? '')?.[1] ?? '').split(',').filter(Boolean).map(Number);

	it('keeps a short filter whole', () => {
		const result = buildListFilters(
			'work-interruptions',
			{ ...range, person: '1,2' },
			undefined,
			200,
		);
		expect(result).toEqual({
			ok: true,
			value: ["date ge '2026-01-01' and date le '2026-01-31' and person in (1,2)"],
		});
	});

	it('slices a long id list: each slice fits with room for a continuation token, together each id once', () => {
		const ids = Array.from({ length: 2000 }, (_, n) => 100000 + n * 13);
		const fixed = 250;
		const result = buildListFilters(
			'work-interruptions',
			{ ...range, person: ids.join(',') },
			'person in circle(4)',
			fixed,
		);
		if (!result.ok) throw new Error(result.problem.message);
		expect(result.value.length).toBeGreaterThan(4);
		const budget = URI_LIMITS.maxUriLength - URI_LIMITS.continuationRoom - fixed;
		for (const f of result.value) {
			expect(encodedLength(f ?? '') + '&filter='.length).toBeLessThanOrEqual(budget);
			expect(f).toMatch(
				/^date ge '2026-01-01' and date le '2026-01-31' and person in \([\d,]+\) and person in circle\(4\)$/,
			);
		}
		expect(result.value.flatMap(idsOf)).toEqual(ids);
	});

	it('refuses when the slices would be too many', () => {
		const ids = Array.from({ length: 40000 }, (_, n) => 100000 + n);
		const result = buildListFilters(
			'work-interruptions',
			{ ...range, person: ids.join(',') },
			undefined,
			200,
		);
		expect(result.ok).toBe(false);
		if (!result.ok)
			expect(result.problem.description).toMatch(/would need \d+ requests \(at most 100\)/);
	});
});
