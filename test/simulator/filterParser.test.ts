/** The filter grammar of docs/protime-reference.md §5.5, rule by rule. */
import { parseFilter } from './filterParser';

describe('filter grammar', () => {
	it('grammar: simple-condition = identifier rel-op factor, with eq/ge/le/in', () => {
		expect(parseFilter("date ge '2024-01-01'")).toEqual({
			type: 'condition',
			field: 'date',
			op: 'ge',
			factor: { kind: 'constant', constant: { type: 'string', value: '2024-01-01' } },
		});
		for (const op of ['eq', 'ge', 'le', 'in'])
			expect(parseFilter(`person ${op} 5`)).toMatchObject({ op });
	});

	it('grammar: term = condition { and condition }; expression = term { or term }', () => {
		const expr = parseFilter("person eq 1 or person eq 2 and date ge '2024-01-01'");
		expect(expr).toMatchObject({
			type: 'or',
			operands: [{ type: 'condition' }, { type: 'and', operands: [{}, {}] }],
		});
	});

	it('grammar: parentheses group an expression', () => {
		const expr = parseFilter("(person eq 1 or person eq 2) and date ge '2024-01-01'");
		expect(expr).toMatchObject({
			type: 'and',
			operands: [{ type: 'or' }, { type: 'condition', field: 'date' }],
		});
	});

	it('grammar: constants are quoted strings and dates, bare integers, true/false', () => {
		const consts = (s: string) =>
			(parseFilter(s) as { factor: { constant: unknown } }).factor.constant;
		expect(consts("name eq 'O''Brien'")).toEqual({ type: 'string', value: "O'Brien" });
		expect(consts('person eq -12')).toEqual({ type: 'int', value: -12 });
		expect(consts('enabled eq true')).toEqual({ type: 'bool', value: true });
		expect(consts('enabled eq false')).toEqual({ type: 'bool', value: false });
	});

	it('grammar: list = [identifier] ( constant {, constant} ), e.g. in (1,2,3) and in circle(4)', () => {
		expect(parseFilter('person in (1,2,3)')).toMatchObject({
			factor: { kind: 'list', items: [{ value: 1 }, { value: 2 }, { value: 3 }] },
		});
		expect(parseFilter('person in circle(4)')).toMatchObject({
			factor: { kind: 'list', name: 'circle', items: [{ value: 4 }] },
		});
		expect(parseFilter('person in org-group(7)')).toMatchObject({
			factor: { kind: 'list', name: 'org-group' },
		});
	});

	it('grammar: field names may contain hyphens (counter-group, collection-name)', () => {
		expect(parseFilter('counter-group in (3)')).toMatchObject({ field: 'counter-group' });
		expect(parseFilter("collection-name eq 'clockings'")).toMatchObject({
			field: 'collection-name',
		});
	});

	it.each([
		['', /empty/],
		["date ge '2024-01-01", /Unterminated/],
		['person in (1,2', /Expected '\)'/],
		['person 5', /Expected eq, ge, le or in/],
		['person eq', /Expected a value/],
		['person eq 1 and', /Expected a field name/],
		['person eq 1 person eq 2', /Unexpected/],
		['person ne 1', /Expected eq, ge, le or in/],
		['person eq 1 & date eq 2', /Unexpected character/],
	])('grammar: %j is a syntax error', (input, message) => {
		expect(() => parseFilter(input)).toThrow(message);
	});
});
