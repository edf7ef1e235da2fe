/** Validation of user values that become one segment of a request path (an ID or reference value). */
import type { Problem } from './errors';

const MAX_SEGMENT_LENGTH = 256;

/**
 * The value URL-encoded as exactly one path segment, or the problem with it. `/`, `\` and dot segments
 * are refused outright rather than encoded: some proxies decode `%2F` and `..` would climb the path.
 */
export function pathSegment(
	value: unknown,
	label: string,
): { segment: string } | { problem: Problem } {
	const text =
		typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
	const fix = `Enter the ${label} as it appears in Protime, e.g. 12345, without slashes.`;
	if (text === '') return { problem: { message: `The ${label} is empty`, description: fix } };
	if (/[/\\]/.test(text) || text === '.' || text.includes('..')) {
		return {
			problem: { message: `The ${label} '${text}' contains '/', '\\' or '..'`, description: fix },
		};
	}
	if ([...text].some((c) => c.charCodeAt(0) < 0x20 || c === '\x7f')) {
		return {
			problem: {
				message: `The ${label} contains a control character or line break`,
				description: fix,
			},
		};
	}
	if (text.length > MAX_SEGMENT_LENGTH) {
		return {
			problem: {
				message: `The ${label} is ${text.length} characters long (at most ${MAX_SEGMENT_LENGTH})`,
				description: fix,
			},
		};
	}
	return { segment: encodeURIComponent(text) };
}
