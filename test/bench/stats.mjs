// Small statistics and formatting helpers for the bench.
export function median(values) {
	const s = [...values].sort((a, b) => a - b);
	if (s.length === 0) return NaN;
	const m = s.length >> 1;
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** `{ name: median over runs of measure(run) }` for each named measure. */
export function medians(runs, measures) {
	return Object.fromEntries(
		Object.entries(measures).map(([name, measure]) => [name, median(runs.map(measure))]),
	);
}

/** {@link medians} of fields the runs hold as they are. */
export function fieldMedians(runs, names) {
	return medians(runs, Object.fromEntries(names.map((name) => [name, (run) => run[name]])));
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(values, p) {
	const s = [...values].sort((a, b) => a - b);
	if (s.length === 0) return NaN;
	const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
	return s[rank];
}

export function fmt(n, digits = 0) {
	if (!Number.isFinite(n)) return String(n);
	return n.toLocaleString('en-US', {
		minimumFractionDigits: digits,
		maximumFractionDigits: digits,
	});
}

export const MB = 1024 * 1024;

/** A plain-text table (also valid Markdown). */
export function table(headers, rows) {
	const all = [headers, ...rows].map((r) => r.map((c) => String(c)));
	const widths = headers.map((_, i) => Math.max(...all.map((r) => r[i].length)));
	const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
	return [
		line(all[0]),
		`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`,
		...all.slice(1).map(line),
	].join('\n');
}
