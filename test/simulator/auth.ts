/**
 * The OAuth2 client-credentials token endpoint (docs/protime-reference.md §1.2–1.3) and bearer/scope checks for the API.
 * Tokens look like JWTs (three base64url parts) but are opaque: the simulator looks them up, so it can bind
 * each to tenant, client, scopes and expiry and expire them all at once.
 */
import { randomBytes } from 'crypto';
import type { NextFunction, Request, Response } from 'express';

import { ALL_SCOPES } from './model';
import type { SimContext } from './context';
import { sendError } from './errors';

export interface SimClient {
	clientId: string;
	clientSecret: string;
	/** Scopes the client may be granted. */
	scopes: string[];
}

export interface TokenGrant {
	tenant: string;
	clientId: string;
	scopes: string[];
	expiresAt: number;
}

export const DEFAULT_CLIENT: SimClient = {
	clientId: 'n8n-demo-client',
	clientSecret: 'demo-secret-change-me',
	scopes: [...ALL_SCOPES],
};

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** One token request as received: which client, and the `scope` field as sent (undefined when absent). */
export interface TokenRequestRecord {
	clientId?: string;
	scope?: string;
}

export class TokenService {
	readonly clients = new Map<string, SimClient>();
	readonly requests: TokenRequestRecord[] = [];
	private readonly tokens = new Map<string, TokenGrant>();

	constructor(private readonly ctx: SimContext) {}

	addClient(client: SimClient): void {
		this.clients.set(client.clientId, { ...client, scopes: [...client.scopes] });
	}

	/** Makes every token issued so far expired (the next API call answers 401). */
	expireAll(): void {
		for (const grant of this.tokens.values()) grant.expiresAt = 0;
	}

	verify(token: string): TokenGrant | undefined {
		const grant = this.tokens.get(token);
		if (!grant || grant.expiresAt <= this.ctx.clock.now() || grant.tenant !== this.ctx.tenant)
			return undefined;
		return grant;
	}

	/** POST /tenants/:tenant/connect/token */
	readonly handleTokenRequest = (req: Request, res: Response): void => {
		const a = this.ctx.assumptions;
		res.set('Cache-Control', 'no-store').set('Pragma', 'no-cache');
		if (req.params.tenant !== this.ctx.tenant) {
			res.status(a.unknownTenant.status);
			if (a.unknownTenant.body === undefined) res.end();
			else res.json(a.unknownTenant.body);
			return;
		}
		const fail = (error: string) => res.status(a.tokenErrorStatus).json({ error });
		if (
			!req.is('application/x-www-form-urlencoded') ||
			typeof req.body !== 'object' ||
			req.body === null
		) {
			return void fail('invalid_request');
		}
		const form = req.body as Record<string, unknown>;
		this.requests.push({
			clientId: typeof form.client_id === 'string' ? form.client_id : undefined,
			scope: typeof form.scope === 'string' ? form.scope : undefined,
		});
		const grantType = form.grant_type;
		if (typeof grantType !== 'string' || grantType === '') return void fail('invalid_request');
		if (grantType !== 'client_credentials') return void fail('unsupported_grant_type');

		let clientId = typeof form.client_id === 'string' ? form.client_id : undefined;
		let clientSecret = typeof form.client_secret === 'string' ? form.client_secret : undefined;
		const basic = /^Basic\s+(.+)$/i.exec(req.get('authorization') ?? '');
		if (basic && a.acceptBasicClientAuth) {
			const [id, secret] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
			clientId = decodeURIComponent(id ?? '');
			clientSecret = decodeURIComponent(secret ?? '');
		}
		const client = clientId === undefined ? undefined : this.clients.get(clientId);
		if (!client || client.clientSecret !== clientSecret) return void fail('invalid_client');

		// No `scope` field: IdentityServer grants every scope the client is allowed.
		const requested =
			typeof form.scope === 'string' && form.scope.trim() !== ''
				? form.scope.trim().split(/\s+/)
				: [...client.scopes];
		const allowed = requested.filter((s) => client.scopes.includes(s));
		if (allowed.length !== requested.length && a.disallowedScope === 'reject')
			return void fail('invalid_scope');
		if (allowed.length === 0) return void fail('invalid_scope');

		const scopes = [...new Set(allowed)];
		const expiresIn = a.tokenLifetimeSeconds;
		const now = this.ctx.clock.now();
		const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'at+jwt' }));
		const payload = b64url(
			JSON.stringify({
				iss: `/tenants/${this.ctx.tenant}`,
				client_id: client.clientId,
				scope: scopes,
				iat: Math.floor(now / 1000),
				exp: Math.floor(now / 1000) + expiresIn,
				jti: randomBytes(8).toString('hex'),
			}),
		);
		const token = `${header}.${payload}.${b64url(randomBytes(32))}`;
		this.tokens.set(token, {
			tenant: this.ctx.tenant,
			clientId: client.clientId,
			scopes,
			expiresAt: now + expiresIn * 1000,
		});
		const body: Record<string, unknown> = {
			access_token: token,
			expires_in: expiresIn,
			token_type: 'Bearer',
		};
		if (a.tokenResponseIncludesScope) body.scope = scopes.join(' ');
		res.status(200).json(body);
	};

	/** Bearer check for API routes: 401 without a valid token; the grant is kept on `res.locals.grant`. */
	readonly requireToken = (req: Request, res: Response, next: NextFunction): void => {
		const match = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
		if (!match) {
			res.set('WWW-Authenticate', 'Bearer');
			return sendError(res, 401, 'An access token is required');
		}
		const grant = this.verify(match[1]);
		if (!grant) {
			res.set(
				'WWW-Authenticate',
				'Bearer error="invalid_token", error_description="The access token is expired or invalid"',
			);
			return sendError(res, 401, 'The access token is expired or invalid');
		}
		res.locals.grant = grant;
		next();
	};
}

/** True when the request's token grants `scope`; otherwise answers 401/403 (configurable) and returns false. */
export function checkScope(ctx: SimContext, res: Response, ...scopes: string[]): boolean {
	const grant = res.locals.grant as TokenGrant | undefined;
	const missing = scopes.filter((s) => !grant?.scopes.includes(s));
	if (missing.length === 0) return true;
	const status = ctx.assumptions.missingScopeStatus;
	if (status === 401) res.set('WWW-Authenticate', 'Bearer error="insufficient_scope"');
	sendError(res, status, 'The access token does not grant the scope this request requires');
	return false;
}
