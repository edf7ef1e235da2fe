import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IDataObject,
	IHttpRequestHelper,
	IHttpRequestOptions,
	Icon,
	INodeProperties,
} from 'n8n-workflow';
import { createHash } from 'crypto';
import { UserError } from 'n8n-workflow';

import { WEBHOOK_READ_SCOPE, WEBHOOK_WRITE_SCOPE } from '../nodes/shared/catalogue';
import {
	API_PATH,
	apiOrigin,
	environmentProblem,
	tokenUrl,
	userAgent,
} from '../nodes/shared/environment';
import { missingWebhookScopes, requestedScopes } from '../nodes/shared/scopes';

/** The stored credential data, as the shared modules read it. */
export interface ProtimeCredentialData {
	environment?: string;
	baseUrl?: string;
	tenant?: string;
	authentication?: 'clientCredentials' | 'accessToken';
	clientId?: string;
	clientSecret?: string;
	scopes?: string;
	company?: string;
	accessToken?: string;
	sessionToken?: string;
	sessionFor?: string;
	/** The `scope` of the last token response (what Protime granted), when it said. */
	sessionScopes?: string;
}

/**
 * Marks the credential test's request: `authenticate` removes it and, when the token response said which
 * scopes were granted, fails the test naming the webhook scopes the token lacks.
 */
const CREDENTIAL_TEST_HEADER = 'X-N8n-Protime-Credential-Test';

/**
 * What a cached token was issued for. A token obtained before the user changed the client, its secret,
 * the scopes or the tenant is not sent (see `authenticate`), so the next call gets a 401 and n8n fetches a
 * fresh token with the new settings, instead of carrying stale settings until the token expires. The secret
 * enters only as a short one-way hash, stored next to the secret itself.
 */
function sessionFingerprint(c: ProtimeCredentialData): string {
	const secret = createHash('sha256')
		.update(c.clientSecret ?? '')
		.digest('base64url')
		.slice(0, 12);
	return [
		c.environment ?? '',
		(c.baseUrl ?? '').trim(),
		(c.tenant ?? '').trim().toLowerCase(),
		(c.clientId ?? '').trim(),
		normaliseScopes(c.scopes),
		secret,
	].join('|');
}

function normaliseScopes(scopes: unknown): string {
	return requestedScopes(scopes).join(' ');
}

function pastedToken(value: unknown): string {
	return (typeof value === 'string' ? value : '').trim().replace(/^bearer\s+/i, '');
}

/** Expiry of a JWT from its `exp` claim, without verifying it (Protime verifies; we only warn early). */
function jwtExpiry(token: string): Date | undefined {
	const parts = token.split('.');
	if (parts.length !== 3) return undefined;
	try {
		const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as {
			exp?: unknown;
		};
		return typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : undefined;
	} catch {
		return undefined;
	}
}

interface TokenFailure {
	status?: number;
	body?: unknown;
	code?: string;
}

/** The parts of an HTTP client error we need, read defensively (never the request, which holds the secret). */
function readFailure(error: unknown): TokenFailure {
	const e = (error ?? {}) as {
		response?: { status?: number; data?: unknown };
		code?: unknown;
		cause?: unknown;
	};
	const response =
		e.response ?? ((e.cause ?? {}) as { response?: { status?: number; data?: unknown } }).response;
	let body = response?.data;
	if (typeof body === 'string') {
		try {
			body = JSON.parse(body);
		} catch {
			// keep the text
		}
	}
	return { status: response?.status, body, code: typeof e.code === 'string' ? e.code : undefined };
}

/** Turns a failed token request into a message that says what happened and how to fix it (RFC 6749 §5.2 bodies). */
function tokenError(error: unknown, c: ProtimeCredentialData): UserError {
	const { status, body, code } = readFailure(error);
	const url = tokenUrl(c);
	const tenant = (c.tenant ?? '').trim();
	const oauth = (body && typeof body === 'object' ? body : {}) as {
		error?: unknown;
		error_description?: unknown;
	};
	const oauthError = typeof oauth.error === 'string' ? oauth.error : '';
	const detail =
		typeof oauth.error_description === 'string'
			? ` (${oauth.error_description.slice(0, 200)})`
			: '';

	if (status === undefined) {
		// The network code goes into the description only: n8n replaces a message that contains one.
		return new UserError(
			`Could not reach the Protime token endpoint ${url}. Check the environment${c.environment === 'custom' ? ' and the base URL' : ''} of the Protime credential and the network between n8n and Protime.`,
			{ description: code ? `Network error: ${code}` : undefined },
		);
	}
	if (status === 404 || /tenant/i.test(`${oauthError} ${detail}`)) {
		return new UserError(
			`Protime does not know the tenant "${tenant}" in the ${c.environment ?? 'production'} environment (the token endpoint answered ${status}${oauthError ? ` ${oauthError}` : ''}). Enter the subdomain of your myProtime address ('acme' from https://acme.myprotime.eu) and check Production versus Sandbox.`,
		);
	}
	if (oauthError === 'invalid_client' || oauthError === 'unauthorized_client') {
		return new UserError(
			`Protime rejected the client ID or client secret for tenant "${tenant}" (${oauthError}${detail}). Copy the client ID and secret again from the API client Protime issued for this tenant and environment; a secret that was regenerated makes the old one invalid.`,
		);
	}
	if (oauthError === 'invalid_scope') {
		// Protime names no scope, so the message lists what was asked for. The same text goes into the
		// description: n8n 1.x shows a node error's description, not its message, when activation fails.
		const requested = normaliseScopes(c.scopes);
		const client = `client ID "${(c.clientId ?? '').trim()}"`;
		const text = requested
			? `Protime refused the requested scopes (invalid_scope${detail}): ${requested}. At least one of them is not granted to ${client}. Remove those from the Scopes field of the Protime credential (or empty the field to receive every scope granted to the client), or ask Protime to grant them.`
			: `Protime refused a token request without scopes (invalid_scope${detail}): this token endpoint wants them named. Type in the Scopes field of the Protime credential the scopes granted to ${client}, e.g. ${WEBHOOK_READ_SCOPE} ${WEBHOOK_WRITE_SCOPE} connector-protimeapi-work-interruptions.read.`;
		return new UserError(text, { description: text });
	}
	if (status === 429) {
		return new UserError(
			'Protime is rate-limiting token requests (429). Wait a few minutes before running again; the credential reuses each token for its whole lifetime, so this usually means many credentials or workflows share one API client.',
		);
	}
	if (oauthError === 'unsupported_grant_type') {
		return new UserError(
			`Protime does not allow the client-credentials grant for this client (unsupported_grant_type${detail}). Ask Protime for an API client that may use client credentials.`,
		);
	}
	return new UserError(
		`The Protime token endpoint answered ${status}${oauthError ? ` ${oauthError}` : ''}${detail}. Check the client ID, secret, scopes and tenant of the Protime credential; if they are right, try again later.`,
	);
}

function parseTokenBody(raw: unknown): { accessToken?: string; scope?: string } {
	let body = raw;
	if (typeof body === 'string') {
		try {
			body = JSON.parse(body);
		} catch {
			return {};
		}
	}
	const b = (body ?? {}) as { access_token?: unknown; scope?: unknown };
	return {
		accessToken:
			typeof b.access_token === 'string' && b.access_token !== '' ? b.access_token : undefined,
		scope: typeof b.scope === 'string' ? b.scope : undefined,
	};
}

export class ProtimeApi implements ICredentialType {
	name = 'protimeApi';

	displayName = 'Protime API';

	icon: Icon = { light: 'file:../icons/protime.svg', dark: 'file:../icons/protime.dark.svg' };

	documentationUrl = 'https://documentation.myprotime.eu/protimeapi/reference/authentication/';

	properties: INodeProperties[] = [
		{
			displayName: 'Environment',
			name: 'environment',
			type: 'options',
			options: [
				{ name: 'Production (myprotime.eu)', value: 'production' },
				{ name: 'Sandbox (myprotimesandbox.eu)', value: 'sandbox' },
				{ name: 'Custom Base URL', value: 'custom' },
			],
			default: 'production',
			description:
				'Which Protime environment the tenant lives in. Custom is for a private deployment or the test simulator.',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: '',
			placeholder: 'http://127.0.0.1:4010',
			description: `Origin that serves both the token endpoint (/tenants/&lt;tenant&gt;/connect/token) and the API (${API_PATH}). No path.`,
			displayOptions: { show: { environment: ['custom'] } },
		},
		{
			displayName: 'Tenant',
			name: 'tenant',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'acme',
			description:
				"The subdomain of your myProtime address only: 'acme' from https://acme.myprotime.eu",
		},
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'options',
			options: [
				{
					name: 'Client Credentials',
					value: 'clientCredentials',
					description: 'The credential requests and renews its own access tokens',
				},
				{
					name: 'Access Token',
					value: 'accessToken',
					description: 'Use a token obtained elsewhere; it is not renewed',
				},
			],
			default: 'clientCredentials',
		},
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			required: true,
			description: 'The client ID of the API client Protime issued for this tenant',
			displayOptions: { show: { authentication: ['clientCredentials'] } },
		},
		{
			displayName: 'Client Secret',
			name: 'clientSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			displayOptions: { show: { authentication: ['clientCredentials'] } },
		},
		{
			displayName: 'Scopes',
			name: 'scopes',
			type: 'string',
			default: '',
			placeholder: `${WEBHOOK_READ_SCOPE} ${WEBHOOK_WRITE_SCOPE} connector-protimeapi-clockings.read`,
			description:
				'Leave empty to receive every scope Protime granted your API client (recommended). Or type space-separated scopes: exactly those are requested, and Protime refuses the token if any of them is not granted.',
			displayOptions: { show: { authentication: ['clientCredentials'] } },
		},
		{
			displayName: 'Access Token',
			name: 'accessToken',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'A Protime access token (it lives a fixed time, usually 30 minutes, and is not renewed by n8n)',
			displayOptions: { show: { authentication: ['accessToken'] } },
		},
		{
			displayName: 'Company (User-Agent)',
			name: 'company',
			type: 'string',
			default: '',
			placeholder: 'Acme Corp',
			description:
				'Your company name. Protime requires a User-Agent on every call; it is sent as "n8n-nodes-protime/&lt;version&gt; (&lt;company&gt;)".',
		},
		{
			displayName: 'Session Token',
			name: 'sessionToken',
			type: 'hidden',
			typeOptions: { expirable: true, password: true },
			default: '',
		},
		{
			displayName: 'Session Issued For',
			name: 'sessionFor',
			type: 'hidden',
			default: '',
		},
		{
			displayName: 'Session Scopes',
			name: 'sessionScopes',
			type: 'hidden',
			default: '',
		},
	];

	/**
	 * Called by n8n when `sessionToken` is empty, after a 401 (then the call is retried once), and on a
	 * credential test. What it returns is saved in the credential, so one token serves every call until
	 * it expires (Protime rate-limits token requests). Errors are `UserError`s: n8n shows their message in
	 * the credential test, and the transport turns them into node errors.
	 */
	async preAuthentication(
		this: IHttpRequestHelper,
		credentials: ICredentialDataDecryptedObject,
	): Promise<IDataObject> {
		const c = credentials as ProtimeCredentialData;
		const problem = environmentProblem(c);
		if (problem) throw new UserError(problem);

		if (c.authentication === 'accessToken') {
			const token = pastedToken(c.accessToken);
			if (token === '')
				throw new UserError(
					'The access token is empty. Paste a Protime access token, or switch Authentication to Client Credentials.',
				);
			const expiry = jwtExpiry(token);
			if (expiry && expiry.getTime() <= Date.now()) {
				throw new UserError(
					`The pasted Protime access token expired at ${expiry.toISOString()}. Paste a new token, or switch Authentication to Client Credentials so the credential renews tokens itself.`,
				);
			}
			return { sessionToken: token, sessionFor: 'accessToken' };
		}

		const clientId = (c.clientId ?? '').trim();
		const clientSecret = c.clientSecret ?? '';
		if (clientId === '' || clientSecret === '') {
			throw new UserError(
				'The client ID or client secret is empty. Enter both as issued by Protime for this tenant.',
			);
		}
		const form = new URLSearchParams({
			grant_type: 'client_credentials',
			client_id: clientId,
			client_secret: clientSecret,
		});
		// No `scope` field unless scopes were typed: Protime then grants every scope of the client.
		const scope = normaliseScopes(c.scopes);
		if (scope !== '') form.set('scope', scope);
		const request: IHttpRequestOptions = {
			method: 'POST',
			url: tokenUrl(c),
			headers: {
				'Content-Type': 'application/x-www-form-urlencoded',
				Accept: 'application/json',
				'User-Agent': userAgent(c),
			},
			body: form.toString(),
			json: true,
			timeout: 30_000,
		};
		let raw: unknown;
		try {
			raw = await this.helpers.httpRequest(request);
		} catch (error) {
			throw tokenError(error, c);
		}
		const { accessToken, scope: granted } = parseTokenBody(raw);
		if (!accessToken) {
			throw new UserError(
				`The Protime token endpoint ${tokenUrl(c)} answered without an access_token. Check the environment${c.environment === 'custom' ? ' and base URL' : ''} of the credential.`,
			);
		}
		return {
			sessionToken: accessToken,
			sessionFor: sessionFingerprint(c),
			sessionScopes: granted ?? '',
		};
	}

	/**
	 * Adds the bearer token and Protime's mandatory User-Agent, and the API origin as base URL for
	 * relative URLs (the credential test and the HTTP Request node can then use API paths).
	 */
	authenticate = async (
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> => {
		const c = credentials as ProtimeCredentialData;
		let token: string;
		if (c.authentication === 'accessToken') token = pastedToken(c.accessToken);
		else token = c.sessionFor === sessionFingerprint(c) ? (c.sessionToken ?? '') : '';

		const headers: IDataObject = {};
		let credentialTest = false;
		for (const [name, value] of Object.entries(requestOptions.headers ?? {})) {
			const lower = name.toLowerCase();
			if (lower === CREDENTIAL_TEST_HEADER.toLowerCase()) credentialTest = true;
			else if (lower !== 'user-agent' && lower !== 'authorization') headers[name] = value;
		}
		if (credentialTest && c.authentication !== 'accessToken' && c.sessionScopes) {
			const missing = missingWebhookScopes(c.sessionScopes);
			if (missing.length > 0) {
				const typed = normaliseScopes(c.scopes) !== '';
				throw new UserError(
					`The client ID and secret are valid, but the token lacks ${missing.join(' and ')}, which the Protime Trigger and the webhook operations need (reading collections does not). ${typed ? 'Add the missing scopes to the Scopes field (or empty it), and ask' : 'Ask'} Protime to grant them to client ID "${(c.clientId ?? '').trim()}" if they are not granted yet. Granted: ${c.sessionScopes.slice(0, 600)}.`,
				);
			}
		}
		headers['User-Agent'] = userAgent(c);
		if (token !== '') headers.Authorization = `Bearer ${token}`;

		const options: IHttpRequestOptions = { ...requestOptions, headers };
		if (
			!options.baseURL &&
			!/^https?:\/\//i.test(options.url) &&
			environmentProblem(c) === undefined
		) {
			options.baseURL = apiOrigin(c);
		}
		return options;
	};

	test: ICredentialTestRequest = {
		request: {
			method: 'GET',
			url: `${API_PATH}/webhooks`,
			headers: { [CREDENTIAL_TEST_HEADER]: 'webhook-scopes' },
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message:
						'Protime rejected the access token (401). With Client Credentials: check that the tenant and environment match the API client. With a pasted Access Token: it has probably expired, paste a new one.',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message: `The client ID and secret are valid, but the token lacks the scope ${WEBHOOK_READ_SCOPE} (403), which the Protime Trigger and the webhook operations need (with ${WEBHOOK_WRITE_SCOPE}). Ask Protime to grant it to your API client; if you typed scopes in the Scopes field, add it there too (or empty the field).`,
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message:
						'The Protime API host does not know this tenant (404). Check the tenant (the subdomain of your myProtime address) and the environment.',
				},
			},
		],
	};
}
