/**
 * Protime's filter grammar (docs/protime-reference.md §5.5), parsed exactly as documented:
 *
 *   expression = term { "or" term }.        term = condition { "and" condition }.
 *   condition = simple-condition | "(" expression ")".   simple-condition = identifier rel-op factor.
 *   rel-op = "eq" | "ge" | "le" | "in".      factor = constant | list.
 *   constant = integer | string | bool.      list = [identifier] "(" constant { "," constant } ")".
 *
 * Meaning (which fields exist, which operators fit them) is checked separately, against the model (model.ts).
 */

export type Constant =
	| { type: 'string'; value: string }
	| { type: 'int'; value: number }
	| { type: 'bool'; value: boolean };

export type Factor =
	| { kind: 'constant'; constant: Constant }
	| { kind: 'list'; name?: string; items: Constant[] };

export type RelOp = 'eq' | 'ge' | 'le' | 'in';

export type FilterExpr =
	| { type: 'or'; operands: FilterExpr[] }
	| { type: 'and'; operands: FilterExpr[] }
	| { type: 'condition'; field: string; op: RelOp; factor: Factor };

export class FilterSyntaxError extends Error {}

type Token =
	| { t: 'ident'; v: string; at: number }
	| { t: 'string'; v: string; at: number }
	| { t: 'int'; v: number; at: number }
	| { t: '(' | ')' | ','; at: number };

function tokenize(input: string): Token[] {
	const tokens: Token[] = [];
	let i = 0;
	while (i < input.length) {
		const ch = input[i];
		if (/\s/.test(ch)) {
			i++;
		} else if (ch === '(' || ch === ')' || ch === ',') {
			tokens.push({ t: ch, at: i });
			i++;
		} else if (ch === "'") {
			// Strings and dates are single-quoted; a doubled quote stands for one quote.
			let value = '';
			let j = i + 1;
			for (;;) {
				if (j >= input.length)
					throw new FilterSyntaxError(`Unterminated string starting at position ${i + 1}`);
				if (input[j] === "'") {
					if (input[j + 1] === "'") {
						value += "'";
						j += 2;
						continue;
					}
					break;
				}
				value += input[j++];
			}
			tokens.push({ t: 'string', v: value, at: i });
			i = j + 1;
		} else {
			const m = /^(-?\d+)(?![\w-])|^([A-Za-z_][A-Za-z0-9_.-]*)/.exec(input.slice(i));
			if (!m) throw new FilterSyntaxError(`Unexpected character '${ch}' at position ${i + 1}`);
			if (m[1] !== undefined) tokens.push({ t: 'int', v: Number(m[1]), at: i });
			else tokens.push({ t: 'ident', v: m[2], at: i });
			i += m[0].length;
		}
	}
	return tokens;
}

const REL_OPS = new Set(['eq', 'ge', 'le', 'in']);

class Parser {
	private pos = 0;

	constructor(private readonly tokens: Token[]) {}

	parse(): FilterExpr {
		if (this.tokens.length === 0) throw new FilterSyntaxError('The filter is empty');
		const expr = this.expression();
		const extra = this.tokens[this.pos];
		if (extra)
			throw new FilterSyntaxError(`Unexpected '${describe(extra)}' at position ${extra.at + 1}`);
		return expr;
	}

	private expression(): FilterExpr {
		const operands = [this.term()];
		while (this.keyword('or')) operands.push(this.term());
		return operands.length === 1 ? operands[0] : { type: 'or', operands };
	}

	private term(): FilterExpr {
		const operands = [this.condition()];
		while (this.keyword('and')) operands.push(this.condition());
		return operands.length === 1 ? operands[0] : { type: 'and', operands };
	}

	private condition(): FilterExpr {
		const tok = this.peek();
		if (tok?.t === '(') {
			this.pos++;
			const inner = this.expression();
			this.expect(')');
			return inner;
		}
		if (tok?.t !== 'ident' || REL_OPS.has(tok.v.toLowerCase())) {
			throw new FilterSyntaxError(`Expected a field name ${where(tok)}`);
		}
		this.pos++;
		const opTok = this.peek();
		if (opTok?.t !== 'ident' || !REL_OPS.has(opTok.v.toLowerCase())) {
			throw new FilterSyntaxError(`Expected eq, ge, le or in after '${tok.v}' ${where(opTok)}`);
		}
		this.pos++;
		return {
			type: 'condition',
			field: tok.v,
			op: opTok.v.toLowerCase() as RelOp,
			factor: this.factor(),
		};
	}

	private factor(): Factor {
		const tok = this.peek();
		let name: string | undefined;
		if (tok?.t === 'ident' && this.tokens[this.pos + 1]?.t === '(') {
			name = tok.v;
			this.pos++;
		}
		if (this.peek()?.t === '(') {
			this.pos++;
			const items = [this.constant()];
			while (this.peek()?.t === ',') {
				this.pos++;
				items.push(this.constant());
			}
			this.expect(')');
			return { kind: 'list', name, items };
		}
		return { kind: 'constant', constant: this.constant() };
	}

	private constant(): Constant {
		const tok = this.peek();
		this.pos++;
		if (tok?.t === 'string') return { type: 'string', value: tok.v };
		if (tok?.t === 'int') return { type: 'int', value: tok.v };
		if (tok?.t === 'ident' && (tok.v === 'true' || tok.v === 'false'))
			return { type: 'bool', value: tok.v === 'true' };
		this.pos--;
		throw new FilterSyntaxError(
			`Expected a value (a quoted string or date, an integer, true or false) ${where(tok)}`,
		);
	}

	private keyword(word: string): boolean {
		const tok = this.peek();
		if (tok?.t === 'ident' && tok.v.toLowerCase() === word) {
			this.pos++;
			return true;
		}
		return false;
	}

	private expect(t: ')' | '('): void {
		const tok = this.peek();
		if (tok?.t !== t) throw new FilterSyntaxError(`Expected '${t}' ${where(tok)}`);
		this.pos++;
	}

	private peek(): Token | undefined {
		return this.tokens[this.pos];
	}
}

function describe(tok: Token): string {
	return 'v' in tok ? String(tok.v) : tok.t;
}

function where(tok: Token | undefined): string {
	return tok ? `at position ${tok.at + 1} (found '${describe(tok)}')` : 'at the end of the filter';
}

/** Parses a filter expression; throws FilterSyntaxError with a message fit for `reasons`. */
export function parseFilter(input: string): FilterExpr {
	return new Parser(tokenize(input)).parse();
}

/** Like parseFilter, but returns the syntax error message instead of throwing. */
export function tryParseFilter(input: string): { expr: FilterExpr } | { error: string } {
	try {
		return { expr: parseFilter(input) };
	} catch (error) {
		return { error: (error as Error).message };
	}
}

/** Every simple condition in the expression, with whether it sits below an `or`. */
export function conditionsOf(
	expr: FilterExpr,
	underOr = false,
): Array<{ cond: Extract<FilterExpr, { type: 'condition' }>; underOr: boolean }> {
	if (expr.type === 'condition') return [{ cond: expr, underOr }];
	return expr.operands.flatMap((e) => conditionsOf(e, underOr || expr.type === 'or'));
}
