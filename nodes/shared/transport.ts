/**
 * The one way to call Protime: every request goes through `httpRequestWithAuthentication` (so n8n caches
 * and renews the token through the credential), to the API origin of the credential, with JSON in and out.
 * Failures become `NodeApiError`s that say what happened and how to fix it; 429/503 are retried with
 * backoff honouring `Retry-After`; list endpoints are paged through relative `nextLink`s.
 */
import type {
	IDataObject,
	IExecuteFunctions,
	IHookFunctions,
	IHttpRequestMethods,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	INode,
	ITriggerFunctions,
	IWebhookFunctions,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleep } from 'n8n-workflow';

import type { ProtimeCredentialData } from '../../credentials/ProtimeApi.credentials';
import { getCollection, WEBHOOK_READ_SCOPE, WEBHOOK_WRITE_SCOPE } from './catalogue';
import { API_PATH, apiOrigin, environmentProblem } from './environment';
import { requestedScopes, scopeRemedy } from './scopes';
import type { ProtimePage } from './types';
import { nodeLog } from './log';

export type ProtimeFunctions =
	| IExecuteFunctions
	| IHookFunctions
	| IWebhookFunctions
	| ILoadOptionsFunctions
	| ITriggerFunctions;

export const CREDENTIAL_NAME = 'protimeApi';

export interface ProtimeRequest {
	method: IHttpRequestMethods;
	/** Relative to API_PATH (`/webhooks`), or a server-relative path that starts with API_PATH (a nextLink or Location). */
	path: string;
	qs?: IDataObject;
	body?: IDataObject;
	itemIndex?: number;
}

export interface ProtimeResponse<T> {
	statusCode: number;
	headers: Record<string, string | string[] | undefined>;
	body: T;
}

/**
 * Retry policy for 429 and 503. Retry-After is honoured up to `maxRetryAfterMs`; a longer wait is not
 * slept through inside a workflow run but reported, so the user can reschedule.
 */
export const RETRY_POLICY = {
	maxAttempts: 4,
	baseDelayMs: 1000,
	maxDelayMs: 30_000,
	maxRetryAfterMs: 120_000,
};

/** How long one Protime call may take before it is reported (not retried: a POST may have been applied). */
export const REQUEST_LIMITS = { timeoutMs: 60_000 };

const RETRYABLE = new Set([429, 503]);

/** What a failed call looked like, read from n8n's wrapped error (its `cause` is the HTTP client error). */
interface Failure {
	status?: number;
	headers: Record<string, unknown>;
	body?: unknown;
	networkCode?: string;
	/** Message and description of a non-HTTP failure, e.g. a token error thrown by the credential. */
	message?: string;
	description?: string;
}

function readFailure(error: unknown): Failure {
	type Resp = { status?: number; headers?: Record<string, unknown>; data?: unknown };
	const e = (error ?? {}) as {
		cause?: { response?: Resp; code?: unknown; message?: unknown; description?: unknown };
		response?: Resp;
		httpCode?: unknown;
		context?: { data?: unknown };
		message?: unknown;
		description?: unknown;
	};
	const cause = e.cause ?? {};
	const response = cause.response ?? e.response;
	const httpCode = Number(e.httpCode);
	const status =
		response?.status ?? (Number.isInteger(httpCode) && httpCode >= 100 ? httpCode : undefined);
	const code = typeof cause.code === 'string' ? cause.code : undefined;
	const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
	return {
		status,
		headers: response?.headers ?? {},
		body: response?.data ?? e.context?.data,
		networkCode: status === undefined ? code : undefined,
		message: text(cause.message) ?? text(e.message),
		description: text(cause.description) ?? text(e.description),
	};
}

function header(headers: Record<string, unknown>, name: string): string | undefined {
	const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
	const value = key === undefined ? undefined : headers[key];
	return Array.isArray(value)
		? String(value[0])
		: value === undefined || value === null
			? undefined
			: String(value);
}

/** Milliseconds to wait before attempt `attempt + 1`: Retry-After (seconds or HTTP date) or exponential backoff. */
export function retryDelayMs(
	retryAfter: string | undefined,
	attempt: number,
	now = Date.now(),
): number {
	if (retryAfter !== undefined && retryAfter.trim() !== '') {
		const value = retryAfter.trim();
		if (/^\d+$/.test(value)) return Number(value) * 1000;
		const date = Date.parse(value);
		if (!Number.isNaN(date)) return Math.max(0, date - now);
	}
	return Math.min(RETRY_POLICY.maxDelayMs, RETRY_POLICY.baseDelayMs * 2 ** (attempt - 1));
}

/** The scope a request needs, from its path (webhooks vs a collection's read scope). */
export function scopeFor(method: string, path: string): string {
	const rest = path.startsWith(API_PATH) ? path.slice(API_PATH.length) : path;
	const segment = rest.replace(/^\/+/, '').split(/[/?]/)[0] ?? '';
	const collection =
		segment === 'delta' ? (rest.replace(/^\/+/, '').split(/[/?]/)[1] ?? '') : segment;
	const write = method.toUpperCase() !== 'GET' && method.toUpperCase() !== 'HEAD';
	if (collection === 'webhooks') return write ? WEBHOOK_WRITE_SCOPE : WEBHOOK_READ_SCOPE;
	const known = getCollection(collection);
	if (known && !write) return known.readScope;
	return `connector-protimeapi-${collection}.${write ? 'write' : 'read'}`;
}

/** Protime's `{"error":{"code","message","reasons"}}` (or a bare validation body), as text. */
function protimeErrorText(body: unknown): { text?: string; reasons: string[] } {
	let b = body;
	if (typeof b === 'string') {
		const raw = b;
		try {
			b = JSON.parse(raw);
		} catch {
			return { text: raw.trim().slice(0, 300) || undefined, reasons: [] };
		}
	}
	if (!b || typeof b !== 'object') return { reasons: [] };
	const err = ((b as { error?: unknown }).error ?? b) as {
		code?: unknown;
		message?: unknown;
		reasons?: unknown;
		validationErrors?: unknown;
	};
	const reasons = [err.reasons, err.validationErrors]
		.filter(Array.isArray)
		.flat()
		.map((r) => (typeof r === 'string' ? r : JSON.stringify(r)));
	const message = typeof err.message === 'string' ? err.message : undefined;
	const code = typeof err.code === 'string' ? err.code : undefined;
	return { text: message ?? code, reasons };
}

interface ErrorContext {
	node: INode;
	method: string;
	path: string;
	origin: string;
	pastedToken: boolean;
	/** Whether the credential requests typed scopes (else every scope granted to the client). */
	typedScopes: boolean;
	clientId: string;
	continuation: boolean;
	attempts: number;
	itemIndex?: number;
}

function apiError(
	ctx: ErrorContext,
	status: number | undefined,
	message: string,
	description: string,
): NodeApiError {
	return new NodeApiError(ctx.node, { message, description } as JsonObject, {
		message,
		description,
		httpCode: status === undefined ? undefined : String(status),
		itemIndex: ctx.itemIndex,
	});
}

/** Turns a failure into a NodeApiError that says what happened and how to fix it. Never includes tokens or secrets. */
/** What an HTTP error's message and description are built from. */
interface ErrorFacts {
	ctx: ErrorContext;
	f: Failure;
	call: string;
	said: string;
	reasonList: string;
	scope: string;
	remedy: string;
	waitHint: string;
}

interface ErrorRule {
	when: (status: number, x: ErrorFacts) => boolean;
	message: (x: ErrorFacts) => string;
	description: (x: ErrorFacts) => string;
}

const lacksScope = (x: ErrorFacts) => `The Protime credential lacks the scope ${x.scope}`;
const needsScope = (x: ErrorFacts) => `${x.call} needs ${x.scope}. ${x.remedy}`;

/** HTTP error answers, first match wins: what happened, and how to fix it. */
const ERROR_RULES: ErrorRule[] = [
	{
		when: (s) => s === 400,
		message: (x) => `Protime rejected the request as invalid${x.said}`,
		description: (x) =>
			`${x.call} answered 400.${x.reasonList} Check the node's parameters (filters, dates, destination URL, collection) against the hint above.`,
	},
	{
		when: (s, x) =>
			s === 401 && /insufficient_scope/i.test(header(x.f.headers, 'www-authenticate') ?? ''),
		message: lacksScope,
		description: needsScope,
	},
	{
		when: (s, x) => s === 401 && x.ctx.pastedToken,
		message: () => 'Protime rejected the pasted access token',
		description: () =>
			'It has probably expired (Protime tokens live a fixed time, 30 minutes in the documented examples) or belongs to another tenant. Paste a new token into the Protime credential, or switch Authentication to Client Credentials so n8n renews tokens itself.',
	},
	{
		when: (s) => s === 401,
		message: () => 'Protime rejected the access token even after renewing it',
		description: (x) =>
			`${x.call} answered 401 twice. Check that the tenant and environment of the Protime credential belong to the API client; if they do, the client may lack the scope ${x.scope}. ${x.remedy}`,
	},
	{ when: (s) => s === 403, message: lacksScope, description: needsScope },
	{
		when: (s) => s === 404,
		message: (x) => `Protime found nothing at ${x.ctx.path.split('?')[0]}${x.said}`,
		description: () => 'The id or reference may be wrong, or the item was deleted.',
	},
	{
		when: (s, x) => s === 409 && x.ctx.continuation,
		message: () => 'The paging token expired before all pages were read',
		description: () =>
			'Protime refused the continuation token of the next page (409). Re-run the node to start the listing again; if it keeps happening, narrow the filter so fewer pages are needed.',
	},
	{
		when: (s) => s === 409,
		message: (x) => `Protime reported a conflict${x.said}`,
		description: (x) => `${x.call} answered 409. Re-read the item and try again.`,
	},
	{
		when: (s) => s === 410,
		message: (x) => `The Protime link has expired${x.said}`,
		description: () => 'Start again from a full listing.',
	},
	{
		when: (s) => s === 414,
		message: () => 'The request URL is too long for Protime (414 URI Too Long)',
		description: (x) =>
			`${x.call} was refused: Protime accepts URLs of at most 4,096 characters${x.ctx.continuation ? ", and the next-page link (the filter plus Protime's continuation token) passed that" : ''}. Use fewer IDs or external references per call, e.g. split the ID list over several items.`,
	},
	{
		when: (s) => s === 429,
		message: (x) => `Protime is rate-limiting requests${x.said}`,
		description: (x) =>
			`${x.call} still answered 429 after ${x.ctx.attempts} attempt(s).${x.waitHint} Wait before running again, and spread out runs that call Protime.`,
	},
	{
		when: (s) => s === 503,
		message: (x) => `Protime is temporarily unavailable${x.said}`,
		description: (x) =>
			`${x.call} still answered 503 after ${x.ctx.attempts} attempt(s), probably maintenance.${x.waitHint} Try again later.`,
	},
	{
		when: (s) => s >= 500,
		message: (x) => `Protime failed to process the request${x.said}`,
		description: (x) =>
			`${x.call} answered ${x.f.status}. This is an error on Protime's side: try again later, and contact Protime support with the time of the call if it persists.`,
	},
];

/** A failure without an HTTP answer: a timeout, a network error, or the credential failing to get a token. */
function transportError(ctx: ErrorContext, f: Failure, call: string): NodeApiError {
	if (f.networkCode === 'ECONNABORTED' || f.networkCode === 'ETIMEDOUT') {
		return apiError(
			ctx,
			undefined,
			`Protime did not answer within ${REQUEST_LIMITS.timeoutMs / 1000} seconds`,
			`${call} timed out. Try again later; for large listings, narrow the filter.`,
		);
	}
	if (f.networkCode) {
		// The code goes into the description only: n8n replaces a message that contains one.
		return apiError(
			ctx,
			undefined,
			`Could not reach Protime at ${ctx.origin}`,
			`Network error ${f.networkCode} on ${call}. Check the environment or base URL of the Protime credential and the network between n8n and Protime.`,
		);
	}
	// Already explanatory, and the description too, because n8n 1.x reports a failed activation by the description alone.
	const message = f.message ?? `The Protime call ${call} failed`;
	return apiError(ctx, undefined, message, f.description ?? message);
}

function toNodeError(ctx: ErrorContext, f: Failure): NodeApiError {
	const call = `${ctx.method} ${ctx.path.split('?')[0]}`;
	const s = f.status;
	if (s === undefined) return transportError(ctx, f, call);
	const { text, reasons } = protimeErrorText(f.body);
	const scope = scopeFor(ctx.method, ctx.path);
	const retryAfter = header(f.headers, 'retry-after');
	const facts: ErrorFacts = {
		ctx,
		f,
		call,
		said: text ? `: ${text}` : '',
		reasonList: reasons.length ? ` Reasons: ${reasons.join('; ')}.` : '',
		scope,
		remedy: scopeRemedy(scope, ctx.typedScopes, ctx.clientId),
		waitHint: retryAfter
			? ` Protime asked to retry after ${retryAfter.slice(0, 40)}${/^\d+$/.test(retryAfter) ? ' s' : ''}.`
			: '',
	};
	const rule = ERROR_RULES.find((r) => r.when(s, facts));
	if (rule) return apiError(ctx, s, rule.message(facts), rule.description(facts));
	return apiError(
		ctx,
		s,
		`Protime answered ${s}${facts.said}`,
		`${call} failed.${facts.reasonList}`,
	);
}

/** `true` for a Protime 404 (thrown by `protimeRequest`). */
export function isNotFoundError(error: unknown): boolean {
	const e = error as { httpCode?: unknown } | null;
	return e !== null && typeof e === 'object' && String(e.httpCode) === '404';
}

/** Absolute URL for a path relative to API_PATH or a server-relative API path; anything else is refused. */
function resolveApiUrl(node: INode, origin: string, path: string, itemIndex?: number): string {
	const invalid = (why: string) =>
		new NodeApiError(node, { message: why } as JsonObject, {
			message: 'Refused to follow a Protime link',
			description: `${why} Only server-relative paths under ${API_PATH} on ${origin} are followed, so the token is never sent to another host.`,
			itemIndex,
		});
	if (
		typeof path !== 'string' ||
		!path.startsWith('/') ||
		path.startsWith('//') ||
		path.includes('\\')
	) {
		throw invalid(`"${String(path).slice(0, 200)}" is not a server-relative path.`);
	}
	const full =
		path === API_PATH || path.startsWith(`${API_PATH}/`) || path.startsWith(`${API_PATH}?`)
			? path
			: `${API_PATH}${path}`;
	const url = new URL(full, origin);
	if (
		url.origin !== origin ||
		!(url.pathname === API_PATH || url.pathname.startsWith(`${API_PATH}/`))
	) {
		throw invalid(`"${path.slice(0, 200)}" leaves the Protime API.`);
	}
	return url.toString();
}

/**
 * A nextLink must be a server-relative path under API_PATH (docs/protime-reference.md §5.5). Absolute links are
 * refused rather than compared, so a token can never be sent to a host the credential did not name.
 */
function sameOriginPath(node: INode, link: string, itemIndex?: number): string {
	if (
		/^[a-z][a-z0-9+.-]*:/i.test(link) ||
		(!link.startsWith(`${API_PATH}/`) && !link.startsWith(`${API_PATH}?`))
	) {
		throw new NodeApiError(node, { message: 'foreign nextLink' } as JsonObject, {
			message: 'Refused to follow a Protime link',
			description: `The next-page link "${link.slice(0, 200)}" is not a path under ${API_PATH}. Paging stopped so the access token is never sent elsewhere.`,
			itemIndex,
		});
	}
	return link;
}

type CredentialContext = {
	origin: string;
	pastedToken: boolean;
	typedScopes: boolean;
	clientId: string;
};

/**
 * What the transport needs from the credential (the API origin, the token mode). n8n reads and decrypts the
 * credential from its database on every `getCredentials` call, so a paging loop reads it once.
 */
async function credentialContext(
	fns: ProtimeFunctions,
	itemIndex?: number,
): Promise<CredentialContext> {
	const creds =
		(await fns.getCredentials<ProtimeCredentialData & IDataObject>(CREDENTIAL_NAME, itemIndex)) ??
		{};
	const problem = environmentProblem(creds);
	if (problem) {
		throw new NodeOperationError(
			fns.getNode(),
			`The Protime credential is not usable: ${problem}`,
			{ itemIndex },
		);
	}
	return {
		origin: apiOrigin(creds),
		pastedToken: creds.authentication === 'accessToken',
		typedScopes: requestedScopes(creds.scopes).length > 0,
		clientId: typeof creds.clientId === 'string' ? creds.clientId.trim() : '',
	};
}

async function send<T>(
	fns: ProtimeFunctions,
	req: ProtimeRequest,
	continuation: boolean,
	context?: CredentialContext,
): Promise<ProtimeResponse<T>> {
	const credential = context ?? (await credentialContext(fns, req.itemIndex));
	const { origin } = credential;
	const url = resolveApiUrl(fns.getNode(), origin, req.path, req.itemIndex);
	const options: IHttpRequestOptions = {
		method: req.method,
		url,
		qs: req.qs,
		headers: {
			Accept: 'application/json',
			...(req.body ? { 'Content-Type': 'application/json' } : {}),
		},
		body: req.body,
		json: true,
		returnFullResponse: true,
		timeout: REQUEST_LIMITS.timeoutMs,
	};
	for (let attempt = 1; ; attempt++) {
		try {
			const res = (await fns.helpers.httpRequestWithAuthentication.call(fns, CREDENTIAL_NAME, {
				...options,
			})) as {
				statusCode: number;
				headers: Record<string, string | string[] | undefined>;
				body: unknown;
			};
			return {
				statusCode: res.statusCode,
				headers: res.headers ?? {},
				body: (res.body === '' ? undefined : res.body) as T,
			};
		} catch (error) {
			const failure = readFailure(error);
			if (
				failure.status !== undefined &&
				RETRYABLE.has(failure.status) &&
				attempt < RETRY_POLICY.maxAttempts
			) {
				const wait = retryDelayMs(header(failure.headers, 'retry-after'), attempt);
				if (wait <= RETRY_POLICY.maxRetryAfterMs) {
					nodeLog(fns, 'Protime').debug(
						`Protime answered ${failure.status} to ${req.method} ${req.path.split('?')[0]}; retrying in ${wait} ms (attempt ${attempt + 1} of ${RETRY_POLICY.maxAttempts})`,
					);
					await sleep(wait);
					continue;
				}
			}
			throw toNodeError(
				{
					node: fns.getNode(),
					method: req.method,
					path: req.path,
					...credential,
					continuation,
					attempts: attempt,
					itemIndex: req.itemIndex,
				},
				failure,
			);
		}
	}
}

/** One Protime call; returns status, headers and parsed body. */
export async function protimeRequestFull<T = IDataObject>(
	this: ProtimeFunctions,
	req: ProtimeRequest,
): Promise<ProtimeResponse<T>> {
	return await send<T>(this, req, false);
}

/**
 * One Protime call; returns the parsed body (undefined for an empty answer such as 204). Typed as
 * IDataObject because `protimeRequest.call(...)` cannot carry a type argument; cast for a specific shape.
 */
export async function protimeRequest(
	this: ProtimeFunctions,
	req: ProtimeRequest,
): Promise<IDataObject> {
	return (await send<IDataObject>(this, req, false)).body;
}

/**
 * Pages of a list endpoint: yields each page's `value` and follows the server-relative `nextLink` until it
 * is absent (an empty page is not the end). Holds one page at a time; stop early by breaking the loop.
 */
export async function* protimePages<T = IDataObject>(
	this: ProtimeFunctions,
	path: string,
	qs?: IDataObject,
	opts: { itemIndex?: number } = {},
): AsyncGenerator<T[]> {
	let next: { path: string; qs?: IDataObject } | undefined = { path, qs };
	let continuation = false;
	const context = await credentialContext(this, opts.itemIndex);
	while (next) {
		// `page` is the only reference to the parsed body (no response object kept), so clearing it below
		// releases it.
		let page: Partial<ProtimePage<T>> | undefined = ((
			await send<ProtimePage<T>>(
				this,
				{ method: 'GET', path: next.path, qs: next.qs, itemIndex: opts.itemIndex },
				continuation,
				context,
			)
		).body ?? {}) as Partial<ProtimePage<T>>;
		if (!Array.isArray(page.value)) {
			throw new NodeApiError(this.getNode(), { message: 'no value array' } as JsonObject, {
				message: 'Protime answered a list request without a "value" array',
				description: `GET ${path} returned an unexpected body. Check the environment or base URL of the Protime credential.`,
				itemIndex: opts.itemIndex,
			});
		}
		const link = page.nextLink;
		yield page.value;
		// The consumer has built its items from this page: let go of the page before the next request, so
		// only one page is held while it is being fetched.
		page = undefined;
		if (link === undefined || link === null || link === '') return;
		if (typeof link !== 'string') {
			throw new NodeApiError(this.getNode(), { message: 'bad nextLink' } as JsonObject, {
				message: 'Protime answered with a malformed nextLink',
				description: 'The next-page link is not a string, so paging stopped.',
				itemIndex: opts.itemIndex,
			});
		}
		next = { path: sameOriginPath(this.getNode(), link, opts.itemIndex) };
		continuation = true;
	}
}
