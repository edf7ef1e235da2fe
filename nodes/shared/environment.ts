/**
 * Where a Protime credential points: API origin, token URL, User-Agent, and the validation of the
 * user-typed parts (tenant, custom base URL). Pure functions, shared by the credential, the transport
 * and the tests, so a URL is derived in exactly one place (docs/protime-reference.md §1.1, §1.5).
 */

/** The package version sent in the User-Agent. Kept equal to package.json by a unit test. */
export const PACKAGE_VERSION = '0.1.0';
export const PACKAGE_NAME = 'n8n-nodes-protime';

/** Every API path starts with this (docs/protime-reference.md §6.1). */
export const API_PATH = '/connector/protimeapi/api/v1';

export type ProtimeEnvironment = 'production' | 'sandbox' | 'custom';

export const ENVIRONMENT_DOMAINS: Readonly<Record<Exclude<ProtimeEnvironment, 'custom'>, string>> =
	{
		production: 'myprotime.eu',
		sandbox: 'myprotimesandbox.eu',
	};

/** The credential fields these functions read (a subset of the `protimeApi` credential data). */
export interface ProtimeEnvironmentFields {
	environment?: string;
	baseUrl?: string;
	tenant?: string;
	company?: string;
}

const TENANT_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const TENANT_EXAMPLE = "the subdomain only: 'acme' from https://acme.myprotime.eu";

/** Error message for a tenant that is not a bare subdomain, or undefined when it is fine. */
export function validateTenant(value: unknown): string | undefined {
	const tenant = typeof value === 'string' ? value.trim() : '';
	if (tenant === '') return `The tenant is empty. Enter ${TENANT_EXAMPLE}.`;
	if (/^[a-z][a-z0-9+.-]*:/i.test(tenant) || tenant.includes('/')) {
		return `The tenant "${tenant}" looks like a URL. Enter ${TENANT_EXAMPLE}.`;
	}
	if (/\s/.test(tenant)) return `The tenant "${tenant}" contains spaces. Enter ${TENANT_EXAMPLE}.`;
	if (tenant.includes('.')) {
		return `The tenant "${tenant}" contains a dot, so it looks like a host name. Enter ${TENANT_EXAMPLE}.`;
	}
	if (!TENANT_PATTERN.test(tenant)) {
		return `The tenant "${tenant}" may only contain letters, digits and inner hyphens. Enter ${TENANT_EXAMPLE}.`;
	}
	return undefined;
}

/**
 * Names the first character of `text` that `new URL()` would silently drop or re-encode, so that the parsed
 * URL differs from what the user typed: any whitespace (space, tab, CR, LF, no-break space, line separator),
 * a C0/C1 control character or an invisible formatting character (zero-width space, bidi marks). WHATWG URL
 * parsing removes tab, CR and LF anywhere and ignores some of these in host names, so a check of the parsed
 * URL alone lets them pass while the original text, line break included, travels on.
 * Returns e.g. `a line break (U+000A)`, or undefined when there is none.
 */
export function invisibleUrlCharacter(text: string): string | undefined {
	// Called for the base URL on every API request: printable ASCII is checked without allocating.
	for (let k = 0; k < text.length; k++) {
		const unit = text.charCodeAt(k);
		if (unit > 0x20 && unit < 0x7f) continue;
		if (unit === 0x20) return 'a space';
		const code = text.codePointAt(k) ?? unit;
		if (code > 0xffff) k++;
		const kind = invisibleKind(code);
		if (kind) return `${kind} (U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
	}
	return undefined;
}

const SPACE = /^\s$/u;
const FORMAT = /^\p{Cf}$/u;

function invisibleKind(code: number): string | undefined {
	if (code === 0x0d || code === 0x0a || code === 0x2028 || code === 0x2029 || code === 0x85)
		return 'a line break';
	if (code === 0x09) return 'a tab';
	const ch = String.fromCodePoint(code);
	if (SPACE.test(ch)) return 'a space character';
	if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return 'a control character';
	if (FORMAT.test(ch)) return 'an invisible formatting character';
	return undefined;
}

/** Error message for a custom base URL that is not a bare http(s) origin, or undefined when it is fine. */
export function validateBaseUrl(value: unknown): string | undefined {
	const raw = typeof value === 'string' ? value.trim() : '';
	const example =
		'for example https://protime.example.com or http://127.0.0.1:4010 for the simulator';
	if (raw === '')
		return `The base URL is empty. Enter the origin that serves the Protime API, ${example}.`;
	if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
		return `The base URL "${raw}" must start with http:// or https://. Enter an origin, ${example}.`;
	}
	const invisible = invisibleUrlCharacter(raw);
	if (invisible) {
		// Not quoted back: the character would garble the message (and a line break would split a log line).
		return `The base URL contains ${invisible}, which a URL cannot contain. Retype the origin without spaces or line breaks, ${example}.`;
	}
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		return `The base URL "${raw}" is not an absolute URL. Enter an origin, ${example}.`;
	}
	if (url.protocol !== 'http:' && url.protocol !== 'https:') {
		return `The base URL must start with http:// or https://, not ${url.protocol}. Enter an origin, ${example}.`;
	}
	if (url.username || url.password) {
		return 'The base URL must not contain a user name or password. Remove them; the credential sends its own token.';
	}
	if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
		return `The base URL must be an origin only, without path, query or fragment (the credential adds ${API_PATH} and /tenants/<tenant>/connect/token itself). Use ${url.origin}.`;
	}
	return undefined;
}

export function isCustomEnvironment(creds: ProtimeEnvironmentFields): boolean {
	return creds.environment === 'custom';
}

/** The first problem with the credential's location fields, or undefined when they are usable. */
export function environmentProblem(creds: ProtimeEnvironmentFields): string | undefined {
	const env = creds.environment ?? 'production';
	if (env !== 'custom' && !(env in ENVIRONMENT_DOMAINS)) {
		return `Unknown environment "${env}". Choose Production, Sandbox or Custom in the Protime credential.`;
	}
	const tenantProblem = validateTenant(creds.tenant);
	if (tenantProblem) return tenantProblem;
	return env === 'custom' ? validateBaseUrl(creds.baseUrl) : undefined;
}

function domainOf(creds: ProtimeEnvironmentFields): string {
	return ENVIRONMENT_DOMAINS[creds.environment === 'sandbox' ? 'sandbox' : 'production'];
}

function customOrigin(creds: ProtimeEnvironmentFields): string {
	return new URL((creds.baseUrl ?? '').trim()).origin;
}

/** Origin of the API host, e.g. `https://acme.myprotime.eu` (no trailing slash). */
export function apiOrigin(creds: ProtimeEnvironmentFields): string {
	if (isCustomEnvironment(creds)) return customOrigin(creds);
	return `https://${(creds.tenant ?? '').trim().toLowerCase()}.${domainOf(creds)}`;
}

/** The OAuth2 token endpoint of the tenant (docs/protime-reference.md §1.1). */
export function tokenUrl(creds: ProtimeEnvironmentFields): string {
	const tenant = encodeURIComponent((creds.tenant ?? '').trim().toLowerCase());
	const origin = isCustomEnvironment(creds)
		? customOrigin(creds)
		: `https://authentication.${domainOf(creds)}`;
	return `${origin}/tenants/${tenant}/connect/token`;
}

/** `n8n-nodes-protime/<version> (<company>)`, the format Protime asks for (docs/protime-reference.md §1.5). */
export function userAgent(creds: Pick<ProtimeEnvironmentFields, 'company'>): string {
	// Parentheses and control characters would break the product/comment syntax of the header.
	const company = Array.from(creds.company ?? '', (ch) =>
		ch < ' ' || ch === '\u007f' || '()\\'.includes(ch) ? ' ' : ch,
	)
		.join('')
		.replace(/\s+/g, ' ')
		.trim();
	return `${PACKAGE_NAME}/${PACKAGE_VERSION} (${company || 'n8n'})`;
}
