/**
 * This node's addresses: whether Protime can reach the URL n8n gives it (Protime requires HTTPS,
 * docs/protime-reference.md, and a loopback or private host can never be reached from Protime's cloud), and
 * the one n8n itself may use instead (built from the instance base URL).
 */
import { NodeHelpers, type ITriggerFunctions } from 'n8n-workflow';

import { invisibleUrlCharacter } from '../shared/environment';

/** The `path` of the node's webhook description (`ProtimeTrigger.node.ts`). */
const WEBHOOK_PATH = 'webhook';

export function isHttpUrl(value: unknown): value is string {
	if (typeof value !== 'string') return false;
	try {
		return ['http:', 'https:'].includes(new URL(value).protocol);
	} catch {
		return false;
	}
}

/**
 * n8n's production URL of this node, built from the instance base URL (`N8N_EDITOR_BASE_URL`, else the webhook
 * base): where n8n reaches itself when the public address does not loop back (docs/trigger-design.md).
 */
export function derivedWebhookUrl(
	ctx: Pick<ITriggerFunctions, 'getInstanceBaseUrl' | 'getWorkflow' | 'getNode'>,
): string | undefined {
	const base = ctx.getInstanceBaseUrl().replace(/\/+$/, '');
	const url = `${base}/webhook/${NodeHelpers.getNodeWebhookPath(String(ctx.getWorkflow().id ?? ''), ctx.getNode(), WEBHOOK_PATH)}`;
	return isHttpUrl(url) ? url : undefined;
}

const LOCAL_HOST =
	/^(localhost|.*\.localhost|127(?:\.\d{1,3}){3}|0\.0\.0\.0|\[::1?\]|::1?|10(?:\.\d{1,3}){3}|192\.168(?:\.\d{1,3}){2}|172\.(?:1[6-9]|2\d|3[01])(?:\.\d{1,3}){2}|.*\.local|.*\.internal)$/i;

const FIX =
	'Ask your n8n administrator to set the N8N_WEBHOOK_URL environment variable of n8n (WEBHOOK_URL on n8n 1.x; deprecated since 2.x) to the public HTTPS address under which Protime reaches this n8n, e.g. https://n8n.example.com/, and to restart n8n; a reverse proxy or tunnel that terminates TLS works.';

/** An error message when Protime cannot deliver to `url`, or undefined when it is usable. */
export function destinationProblem(
	url: string | undefined,
	allowLocal: boolean,
): string | undefined {
	if (!url) return `n8n did not provide a webhook URL for this node. ${FIX}`;
	// new URL() silently drops tabs and line breaks, so the parsed URL would pass while the raw text travels on.
	const invisible = invisibleUrlCharacter(url);
	if (invisible) return `This node's webhook URL contains ${invisible}. ${FIX}`;
	let parsed: URL;
	try {
		parsed = new URL(url);
	} catch {
		return `The webhook URL "${url}" is not an absolute URL. ${FIX}`;
	}
	if (allowLocal) return undefined;
	if (parsed.protocol !== 'https:') {
		return `Protime only delivers to HTTPS addresses, but this node's webhook URL is ${url}. ${FIX}`;
	}
	if (LOCAL_HOST.test(parsed.hostname)) {
		return `Protime cannot reach ${parsed.hostname} (a local or private address), which is where this node's webhook URL ${url} points. ${FIX}`;
	}
	return undefined;
}
