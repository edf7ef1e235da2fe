// A tiny check runner: named checks, each passes or fails with a message; a summary line at the end
// in the plain form CI reads: `e2e: N passed, N failed`.
import { log } from './procs.mjs';

export class Checks {
	constructor() {
		this.results = [];
	}

	/** Runs fn; a thrown error fails the check. Returns fn's value or undefined. */
	async check(name, fn) {
		const t0 = Date.now();
		try {
			const v = await fn();
			this.results.push({ name, ok: true, ms: Date.now() - t0 });
			log(`PASS ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
			return v;
		} catch (err) {
			this.results.push({ name, ok: false, ms: Date.now() - t0, error: err });
			log(`FAIL ${name}: ${err.stack || err.message}`);
			return undefined;
		}
	}

	/** Records a failure without running anything (e.g. a scenario that could not start). */
	fail(name, err) {
		this.results.push({ name, ok: false, ms: 0, error: err });
		log(`FAIL ${name}: ${err?.stack || err}`);
	}

	/** The same runner with every check name prefixed (e.g. by the n8n version a parallel run checks). */
	scoped(prefix) {
		return {
			check: (name, fn) => this.check(`${prefix}${name}`, fn),
			fail: (name, err) => this.fail(`${prefix}${name}`, err),
		};
	}

	get passed() {
		return this.results.filter((r) => r.ok).length;
	}
	get failed() {
		return this.results.filter((r) => !r.ok).length;
	}

	summary() {
		const lines = this.results.map(
			(r) =>
				`  ${r.ok ? 'ok  ' : 'FAIL'} ${r.name}${r.ok ? '' : ` — ${String(r.error?.message ?? r.error).split('\n')[0]}`}`,
		);
		return `${lines.join('\n')}\n`;
	}
}

export function assert(cond, message) {
	if (!cond) throw new Error(message);
}

export function assertEqual(actual, expected, what) {
	const a = JSON.stringify(actual);
	const e = JSON.stringify(expected);
	if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}
