/** Validation of a webhook destination URL before it is sent to Protime. */
import { invisibleUrlCharacter } from '../../../shared/environment';
import type { Problem } from '../errors';

/** n8n's own webhook paths (production, test, waiting), also behind a path prefix such as /n8n/. */
const N8N_WEBHOOK_PATH = /(^|\/)(webhook|webhook-test|webhook-waiting)\/./;

export interface DestinationRules {
	/** http:// is accepted only for the custom environment (simulator, local test servers). */
	allowHttp: boolean;
	allowN8nWebhookUrl: boolean;
}

/** The outcome of checking a destination: the URL to send (normalised by the URL parser), or the problem. */
export type DestinationCheck =
	| { href: string; problem?: undefined }
	| { href?: undefined; problem: Problem };

/**
 * Checks a destination URL and returns what to send to Protime: `url.href` of the very URL that passed the
 * checks, never the typed text (leading and trailing whitespace is trimmed, as a paste artefact). Whitespace
 * or control characters inside are refused rather than repaired: `new URL()` drops CR, LF and TAB, so the
 * parsed URL would pass while the text still carried a line break (header or log injection).
 */
export function checkDestination(value: unknown, rules: DestinationRules): DestinationCheck {
	const text = typeof value === 'string' ? value.trim() : '';
	const example = 'e.g. https://example.com/protime/clockings';
	const invisible = invisibleUrlCharacter(text);
	if (invisible) {
		return {
			problem: {
				// The URL is not quoted back: the character would garble the message and split log lines.
				message: `The destination URL contains ${invisible}`,
				description: `A URL cannot contain spaces, line breaks, tabs or control characters. Retype or re-paste the address on one line without them (write a space in a path or query as %20), ${example}.`,
			},
		};
	}
	const outcome = parseDestination(text, rules, example);
	if (typeof outcome === 'string') return { href: outcome };
	return { problem: outcome };
}

/** The problem with a destination URL, or undefined when `checkDestination` accepts it. */
export function destinationProblem(value: unknown, rules: DestinationRules): Problem | undefined {
	return checkDestination(value, rules).problem;
}

/** The problem with `text` as a destination, or the normalised URL (`href`) when there is none. */
function parseDestination(
	text: string,
	rules: DestinationRules,
	example: string,
): Problem | string {
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		return {
			message: text
				? `The destination URL '${text}' is not an absolute URL`
				: 'The destination URL is empty',
			description: `Enter the full address Protime should post changes to, ${example}.`,
		};
	}
	if (url.protocol !== 'https:' && !(rules.allowHttp && url.protocol === 'http:')) {
		return {
			message: `The destination URL must use https, not ${url.protocol.replace(':', '')}`,
			description: `Protime delivers only to HTTPS endpoints. Use an https:// address, ${example} (plain http is accepted only with a credential set to the Custom environment).`,
		};
	}
	if (url.username || url.password) {
		return {
			message: 'The destination URL contains a user name or password',
			description:
				'Remove them: they would be stored at Protime and in execution logs. Authenticate deliveries with the webhook key instead.',
		};
	}
	if (url.hash) {
		return {
			message: 'The destination URL contains a #fragment',
			description:
				'Remove the part after #: it is never sent to the server, so Protime would post to a different address than the one shown.',
		};
	}
	if (!rules.allowN8nWebhookUrl && N8N_WEBHOOK_PATH.test(url.pathname)) {
		return {
			message: 'The destination URL points at an n8n webhook path (/webhook/…)',
			description:
				"To receive Protime changes in n8n, use the Protime Trigger node: it creates its own subscription, verifies each delivery with the key and renews it before it expires. A subscription made here would reach a trigger with a key it does not know. If you really mean a plain Webhook node, turn on 'Allow N8n Webhook URL' under Options.",
		};
	}
	return url.href;
}
