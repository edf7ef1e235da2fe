/** Validation of a webhook destination URL before it is sent to Protime. */
import type { Problem } from '../errors';

/** n8n's own webhook paths (production, test, waiting), also behind a path prefix such as /n8n/. */
const N8N_WEBHOOK_PATH = /(^|\/)(webhook|webhook-test|webhook-waiting)\/./;

export interface DestinationRules {
	/** http:// is accepted only for the custom environment (simulator, local test servers). */
	allowHttp: boolean;
	allowN8nWebhookUrl: boolean;
}

export function destinationProblem(value: unknown, rules: DestinationRules): Problem | undefined {
	const text = typeof value === 'string' ? value.trim() : '';
	const example = 'e.g. https://example.com/protime/clockings';
	let url: URL;
	try {
		url = new URL(text);
	} catch {
		return {
			message: text ? `The destination URL '${text}' is not an absolute URL` : 'The destination URL is empty',
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
			description: 'Remove them: they would be stored at Protime and in execution logs. Authenticate deliveries with the webhook key instead.',
		};
	}
	if (url.hash) {
		return {
			message: 'The destination URL contains a #fragment',
			description: 'Remove the part after #: it is never sent to the server, so Protime would post to a different address than the one shown.',
		};
	}
	if (!rules.allowN8nWebhookUrl && N8N_WEBHOOK_PATH.test(url.pathname)) {
		return {
			message: 'The destination URL points at an n8n webhook path (/webhook/…)',
			description:
				"To receive Protime changes in n8n, use the Protime Trigger node: it creates its own subscription, verifies each delivery with the key and renews it before it expires. A subscription made here would reach a trigger with a key it does not know. If you really mean a plain Webhook node, turn on 'Allow N8n Webhook URL' under Options.",
		};
	}
	return undefined;
}
