/**
 * Which OAuth scopes the credential asks for, and what to tell a user whose token lacks one. By default the
 * credential asks for none, so Protime grants the API client's own scopes (docs/protime-reference.md §1.4, §9.2);
 * typed scopes are sent exactly. Shared by the credential (token request) and the transport (messages).
 */
import { COLLECTIONS, WEBHOOK_READ_SCOPE, WEBHOOK_WRITE_SCOPE } from './catalogue';

/**
 * The Scopes default of versions up to 0.1.0. It named `connector-protimeapi-paid-presences.read`, which does not
 * exist, so no token endpoint could ever grant it: a credential still holding it is treated as empty.
 */
export const LEGACY_DEFAULT_SCOPES = [
	WEBHOOK_READ_SCOPE,
	WEBHOOK_WRITE_SCOPE,
	...COLLECTIONS.map((c) => `connector-protimeapi-${c.name}.read`),
].join(' ');

/** The scopes of a Scopes field value, in order, each once (spaces or commas between them). */
export function parseScopes(value: unknown): string[] {
	const list = (typeof value === 'string' ? value : '').split(/[\s,]+/).filter(Boolean);
	return [...new Set(list)];
}

/** What the credential sends as `scope`: the typed scopes, or none (empty field or the legacy default). */
export function requestedScopes(value: unknown): string[] {
	const list = parseScopes(value);
	return list.join(' ') === LEGACY_DEFAULT_SCOPES ? [] : list;
}

/** The webhook scopes missing from a granted `scope` string (the token response's `scope`). */
export function missingWebhookScopes(granted: string): string[] {
	const have = new Set(parseScopes(granted));
	return [WEBHOOK_READ_SCOPE, WEBHOOK_WRITE_SCOPE].filter((s) => !have.has(s));
}

/** How to obtain `scope`: where to add it when scopes were typed, whom to ask in every case. */
export function scopeRemedy(scope: string, typed: boolean, clientId: string): string {
	const client = clientId ? `client ID "${clientId}"` : 'your API client';
	if (typed) {
		return `Add ${scope} to the Scopes field of the Protime credential (it requests exactly the scopes typed there, or every granted scope when the field is empty), and ask Protime to grant it to ${client} if it is not granted yet.`;
	}
	return `Ask Protime to grant ${scope} to ${client}. The Scopes field is empty, so the credential receives every scope granted to the client: nothing needs changing in n8n, and the next token carries the new scope.`;
}
