/**
 * Checks a parsed filter against the model's filter definitions (model.ts) of a collection, the way Protime's
 * controller validation answers (400 with `reasons`, docs/protime-reference.md §5.5/§6.3), and turns it into a predicate.
 */
import type {
	ModelCollection as CollectionDefinition,
	ModelFilter as CollectionFilter,
} from './model';
import type { SimulatorAssumptions } from './assumptions';
import { conditionsOf, tryParseFilter, type Constant, type FilterExpr } from './filterParser';
import { isoDate } from './generate';
import type { SimRecord } from './store';

type Condition = Extract<FilterExpr, { type: 'condition' }>;

export const DATE_RANGE_INVALID = 'The provided date range is invalid';

/** Where each filter reads its value in a record (the model names it per filter). */
function recordPath(def: CollectionDefinition, filter: string): string {
	return def.filters.find((f) => f.name === filter)?.field ?? filter;
}

function valueAt(record: Record<string, unknown>, path: string): unknown {
	let value: unknown = record;
	for (const part of path.split('.'))
		value = (value as Record<string, unknown> | undefined)?.[part];
	return value;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const isDate = (s: string) =>
	DATE.test(s) &&
	!Number.isNaN(Date.parse(`${s}T00:00:00Z`)) &&
	isoDate(Date.parse(`${s}T00:00:00Z`)) === s;

/** Reasons why one condition does not fit its filter definition. */
function checkCondition(cond: Condition, filter: CollectionFilter): string[] {
	const { op, factor } = cond;
	const items: Constant[] = factor.kind === 'list' ? factor.items : [factor.constant];
	const bad = (what: string) => [`The filter '${cond.field}' ${what}`];
	switch (filter.kind) {
		case 'dateRange':
			if (op === 'in' || factor.kind === 'list')
				return bad("takes eq, ge or le with a quoted date, e.g. date ge '2024-01-01'");
			if (items[0].type !== 'string' || !isDate(items[0].value))
				return bad("needs a date in quotes as 'YYYY-MM-DD'");
			return [];
		case 'idList':
			if (op === 'ge' || op === 'le')
				return bad('takes eq with one id or in with a list of ids, e.g. person in (1,2)');
			if (op === 'in' && factor.kind !== 'list') return bad('takes a list after in, e.g. (1,2)');
			if (op === 'eq' && factor.kind === 'list') return bad('takes one id after eq');
			if (factor.kind === 'list' && factor.name !== undefined) {
				if (!['circle', 'org-group', 'org-tree'].includes(factor.name))
					return bad(`does not know the list '${factor.name}'`);
				return [];
			}
			if (items.some((c) => c.type !== 'int')) return bad('takes integer ids without quotes');
			return [];
		case 'boolean':
			if (op !== 'eq' || items.length !== 1 || items[0].type !== 'bool')
				return bad('takes eq true or eq false');
			return [];
		case 'options': {
			if (op === 'ge' || op === 'le') return bad('takes eq or in');
			const allowed = filter.options ?? [];
			if (items.some((c) => c.type !== 'string' || !allowed.includes(c.value))) {
				return bad(`takes one of ${allowed.map((o) => `'${o}'`).join(', ')}`);
			}
			return [];
		}
	}
	return [];
}

const DAY_MS = 86_400_000;

/** The [start, end] the top-level date conditions select, when any. */
function dateRange(
	conds: Condition[],
	today: string,
	openEndsToday: boolean,
): { start?: string; end?: string } {
	let start: string | undefined;
	let end: string | undefined;
	for (const c of conds) {
		const v = c.factor.kind === 'constant' ? String(c.factor.constant.value) : undefined;
		if (v === undefined) continue;
		if (c.op === 'ge' || c.op === 'eq') start = start === undefined || v > start ? v : start;
		if (c.op === 'le' || c.op === 'eq') end = end === undefined || v < end ? v : end;
	}
	if (start !== undefined && end === undefined && openEndsToday) end = today;
	return { start, end };
}

export type FilterCheck =
	| { ok: true; predicate: (r: SimRecord) => boolean }
	| { ok: false; reasons: string[] };

/** Validates `raw` (the `filter` query value) for a collection and builds the matching predicate. */
export function compileCollectionFilter(
	def: CollectionDefinition,
	raw: string | undefined,
	assumptions: SimulatorAssumptions,
	now: number,
): FilterCheck {
	let expr: FilterExpr | undefined;
	if (raw !== undefined && raw.trim() !== '') {
		const parsed = tryParseFilter(raw);
		if ('error' in parsed)
			return { ok: false, reasons: [`The filter is invalid: ${parsed.error}`] };
		expr = parsed.expr;
	}
	const conds = expr ? conditionsOf(expr) : [];
	const reasons: string[] = [];
	const byName = new Map(def.filters.map((f) => [f.name, f]));

	for (const { cond } of conds) {
		const filter = byName.get(cond.field);
		if (!filter) {
			const known = def.filters.map((f) => f.name).join(', ');
			reasons.push(
				`Unknown filter field '${cond.field}' for ${def.name}${known ? ` (known: ${known})` : ' (it takes no filter)'}`,
			);
		} else reasons.push(...checkCondition(cond, filter));
	}
	// `or` only on fields whose constraint category is "Multiple" (id lists), and only within one field.
	const orFields = new Set(conds.filter((c) => c.underOr).map((c) => c.cond.field));
	for (const field of orFields) {
		if (byName.get(field)?.kind !== 'idList')
			reasons.push(
				`'or' is not allowed on the filter '${field}'; it takes a single value or range`,
			);
	}
	if (expr) checkOrGroups(expr, reasons);

	const topLevel = conds.filter((c) => !c.underOr).map((c) => c.cond);
	for (const filter of def.filters) {
		if (!filter.required) continue;
		const present = topLevel.some(
			(c) =>
				c.field === filter.name && (filter.kind !== 'dateRange' || c.op === 'ge' || c.op === 'eq'),
		);
		if (!present) {
			reasons.push(
				filter.kind === 'dateRange'
					? `The filter '${filter.name}' is required, e.g. ${filter.name} ge '${isoDate(now - 7 * DAY_MS)}' and ${filter.name} le '${isoDate(now)}'`
					: `The filter '${filter.name}' is required`,
			);
		}
	}
	if (reasons.length > 0) return { ok: false, reasons };

	for (const filter of def.filters.filter((f) => f.kind === 'dateRange')) {
		const { start, end } = dateRange(
			topLevel.filter((c) => c.field === filter.name),
			isoDate(now),
			assumptions.openDateRangeEndsToday,
		);
		if (start === undefined || end === undefined) continue;
		const days = (Date.parse(end) - Date.parse(start)) / DAY_MS;
		if (days < 0 || days > (filter.maxRangeDays ?? Infinity))
			return { ok: false, reasons: [DATE_RANGE_INVALID] };
	}
	const predicate = (r: SimRecord) => (expr ? evaluate(expr, def, r, assumptions) : true);
	return { ok: true, predicate };
}

/** Within one `or`, all operands must constrain the same field (e.g. person eq 1 or person eq 2). */
function checkOrGroups(expr: FilterExpr, reasons: string[]): void {
	if (expr.type === 'condition') return;
	if (expr.type === 'or') {
		const fields = new Set(conditionsOf(expr).map((c) => c.cond.field));
		if (fields.size > 1)
			reasons.push(
				`'or' may only combine conditions on one field (found ${[...fields].join(', ')})`,
			);
	}
	expr.operands.forEach((e) => checkOrGroups(e, reasons));
}

function evaluate(
	expr: FilterExpr,
	def: CollectionDefinition,
	record: SimRecord,
	a: SimulatorAssumptions,
): boolean {
	if (expr.type === 'and') return expr.operands.every((e) => evaluate(e, def, record, a));
	if (expr.type === 'or') return expr.operands.some((e) => evaluate(e, def, record, a));
	const actual = valueAt(record, recordPath(def, expr.field));
	const { op, factor } = expr;
	if (factor.kind === 'list') {
		if (factor.name !== undefined) return a.namedListsMatchAll;
		return factor.items.some((c) => c.value === actual);
	}
	const expected = factor.constant.value;
	if (op === 'eq' || op === 'in') return actual === expected;
	if (typeof actual !== typeof expected || actual === undefined) return false;
	return op === 'ge'
		? (actual as string) >= (expected as string)
		: (actual as string) <= (expected as string);
}
