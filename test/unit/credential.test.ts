/**
 * The `protimeApi` credential: its location fields, the credential test as n8n runs it, and pasted-token
 * mode. Network behaviour is proven against the simulator.
 */
import axios from 'axios';
import { createHash } from 'crypto';
import type { NodeApiError } from 'n8n-workflow';

import packageJson from '../../package.json';
import { ProtimeApi } from '../../credentials/ProtimeApi.credentials';
import { WEBHOOK_READ_SCOPE, WEBHOOK_WRITE_SCOPE } from '../../nodes/shared/catalogue';
import {
	API_PATH,
	apiOrigin,
	environmentProblem,
	invisibleUrlCharacter,
	PACKAGE_VERSION,
	tokenUrl,
	userAgent,
	validateBaseUrl,
	validateTenant,
} from '../../nodes/shared/environment';
import { LEGACY_DEFAULT_SCOPES } from '../../nodes/shared/scopes';
import { protimeRequest } from '../../nodes/shared/transport';
import { createProtimeTestbed, type ProtimeTestbed } from '../support/context';
import { ProtimeSimulator } from '../simulator';

describe('environment', () => {
	it('derives API origin and token URL for production, sandbox and a custom base URL', () => {
		expect(apiOrigin({ environment: 'production', tenant: 'acme' })).toBe(
			'https://acme.myprotime.eu',
		);
		expect(tokenUrl({ environment: 'production', tenant: 'acme' })).toBe(
			'https://authentication.myprotime.eu/tenants/acme/connect/token',
		);
		expect(apiOrigin({ environment: 'sandbox', tenant: 'Acme' })).toBe(
			'https://acme.myprotimesandbox.eu',
		);
		expect(tokenUrl({ environment: 'sandbox', tenant: 'acme' })).toBe(
			'https://authentication.myprotimesandbox.eu/tenants/acme/connect/token',
		);
		expect(
			apiOrigin({ environment: 'custom', baseUrl: 'http://127.0.0.1:4010/', tenant: 'acme' }),
		).toBe('http://127.0.0.1:4010');
		expect(
			tokenUrl({ environment: 'custom', baseUrl: 'http://127.0.0.1:4010', tenant: 'acme' }),
		).toBe('http://127.0.0.1:4010/tenants/acme/connect/token');
		expect(API_PATH).toBe('/connector/protimeapi/api/v1');
	});

	it.each([
		['https://acme.myprotime.eu', 'looks like a URL'],
		['acme.myprotime.eu', 'contains a dot'],
		['acme/x', 'looks like a URL'],
		['ac me', 'contains spaces'],
		['', 'is empty'],
		['-acme', 'may only contain'],
	])('rejects the tenant %p and shows the expected form', (tenant, why) => {
		const message = validateTenant(tenant);
		expect(message).toContain(why);
		expect(message).toContain("'acme' from https://acme.myprotime.eu");
	});

	it('accepts bare subdomains', () => {
		for (const t of ['acme', 'some-customer', 'protime', 'A1'])
			expect(validateTenant(t)).toBeUndefined();
	});

	it.each([
		['', 'is empty'],
		['127.0.0.1:4010', 'must start with http'],
		['ftp://host', 'must start with http'],
		['http://user:pw@host', 'user name or password'],
		['http://host/connector/protimeapi/api/v1', 'origin only'],
		['http://host?x=1', 'origin only'],
		['not a url', 'must start with http'],
		['http://', 'not an absolute URL'],
		// `new URL()` would drop these silently and parse a different origin than the one typed.
		['http://127.0.0.1:40\n10', 'contains a line break (U+000A)'],
		['http://prot\time.example.com', 'contains a tab (U+0009)'],
		['http://protime.example.com\u0000', 'contains a control character (U+0000)'],
		['http://pro\u00adtime.example.com', 'invisible formatting character (U+00AD)'],
		['http://my host:4010', 'contains a space'],
	])('rejects the base URL %p', (url, why) => {
		expect(validateBaseUrl(url)).toContain(why);
	});

	it('accepts http(s) origins, with or without a trailing slash', () => {
		for (const u of ['http://127.0.0.1:4010', 'https://protime.example.com/', 'http://[::1]:8080'])
			expect(validateBaseUrl(u)).toBeUndefined();
		expect(
			environmentProblem({ environment: 'custom', tenant: 'acme', baseUrl: 'http://x:1' }),
		).toBeUndefined();
		expect(environmentProblem({ environment: 'mars', tenant: 'acme' })).toContain(
			'Unknown environment',
		);
	});

	it('names the first character a URL parser would silently drop or re-encode', () => {
		expect(invisibleUrlCharacter('https://example.com/a?b=(c,@d)&e=%20')).toBeUndefined();
		expect(invisibleUrlCharacter('https://bücher.example/ü')).toBeUndefined();
		expect(invisibleUrlCharacter('a\r\nb')).toBe('a line break (U+000D)');
		expect(invisibleUrlCharacter('a\u2028b')).toBe('a line break (U+2028)');
		expect(invisibleUrlCharacter('a\u007fb')).toBe('a control character (U+007F)');
		expect(invisibleUrlCharacter('a\u200fb')).toBe('an invisible formatting character (U+200F)');
		expect(invisibleUrlCharacter('a\u3000b')).toBe('a space character (U+3000)');
	});

	it('User-Agent is n8n-nodes-protime/<package version> (<company>), sanitised', () => {
		expect(PACKAGE_VERSION).toBe(packageJson.version);
		expect(userAgent({ company: 'Acme Corp' })).toBe(
			`n8n-nodes-protime/${packageJson.version} (Acme Corp)`,
		);
		expect(userAgent({ company: 'Evil) (x\r\nInjected: 1' })).toBe(
			`n8n-nodes-protime/${packageJson.version} (Evil x Injected: 1)`,
		);
		expect(userAgent({})).toBe(`n8n-nodes-protime/${packageJson.version} (n8n)`);
	});
});

describe('credential description', () => {
	const cred = new ProtimeApi();
	it('has the expected shape: name, hidden expirable password token, default scopes, docs URL', () => {
		expect(cred.name).toBe('protimeApi');
		expect(cred.displayName).toBe('Protime API');
		const session = cred.properties.find((p) => p.name === 'sessionToken');
		expect(session).toMatchObject({
			type: 'hidden',
			typeOptions: { expirable: true, password: true },
		});
		expect(cred.properties.find((p) => p.name === 'scopes')?.default).toBe('');
		expect(cred.properties.find((p) => p.name === 'clientSecret')?.typeOptions?.password).toBe(
			true,
		);
		expect(cred.properties.find((p) => p.name === 'accessToken')?.typeOptions?.password).toBe(true);
		expect(cred.documentationUrl).toMatch(/^https:\/\/documentation\.myprotime\.eu\//);
		expect(cred.properties.map((p) => p.name)).toEqual(
			expect.arrayContaining([
				'environment',
				'baseUrl',
				'tenant',
				'authentication',
				'clientId',
				'clientSecret',
				'scopes',
				'company',
				'accessToken',
			]),
		);
	});

	it('authenticate adds Bearer and User-Agent, replaces caller values, and sets the API origin for relative URLs', async () => {
		const auth = cred.authenticate as (
			c: object,
			o: object,
		) => Promise<{ headers: Record<string, string>; baseURL?: string }>;
		const base = {
			environment: 'production',
			tenant: 'acme',
			clientId: 'c',
			clientSecret: 's',
			scopes: 'a b',
			company: 'X',
		};
		const secretHash = createHash('sha256').update('s').digest('base64url').slice(0, 12);
		const fingerprint = ['production', '', 'acme', 'c', 'a b', secretHash].join('|');
		const out = await auth(
			{ ...base, sessionToken: 'tok', sessionFor: fingerprint },
			{
				url: '/x',
				headers: { 'user-agent': 'n8n', authorization: 'Bearer old', Accept: 'application/json' },
			},
		);
		expect(out.headers).toEqual({
			Accept: 'application/json',
			'User-Agent': `n8n-nodes-protime/${PACKAGE_VERSION} (X)`,
			Authorization: 'Bearer tok',
		});
		expect(out.baseURL).toBe('https://acme.myprotime.eu');
		const absolute = await auth(
			{ ...base, sessionToken: 'tok', sessionFor: fingerprint },
			{ url: 'https://elsewhere.example/x' },
		);
		expect(absolute.baseURL).toBeUndefined();
		// A token issued for other settings is not sent, so the API's 401 makes n8n fetch a fresh one.
		const stale = await auth(
			{ ...base, scopes: 'a b c', sessionToken: 'tok', sessionFor: fingerprint },
			{ url: '/x' },
		);
		expect(stale.headers.Authorization).toBeUndefined();
	});
});

describe('against the simulator', () => {
	let sim: ProtimeSimulator;
	const bed = (credentials: Record<string, string> = {}): ProtimeTestbed =>
		createProtimeTestbed({
			simulatorOrigin: sim.origin,
			tenant: sim.tenant,
			clientId: sim.defaultClient.clientId,
			clientSecret: sim.defaultClient.clientSecret,
			credentials,
		});
	const issueToken = async (): Promise<string> => {
		const form = new URLSearchParams({
			grant_type: 'client_credentials',
			client_id: sim.defaultClient.clientId,
			client_secret: sim.defaultClient.clientSecret,
			scope: WEBHOOK_READ_SCOPE,
		});
		const res = await axios.post(
			`${sim.origin}/tenants/${sim.tenant}/connect/token`,
			form.toString(),
			{
				headers: {
					'Content-Type': 'application/x-www-form-urlencoded',
					'User-Agent': 'test/1 (test)',
				},
			},
		);
		return (res.data as { access_token: string }).access_token;
	};

	beforeEach(async () => {
		sim = await ProtimeSimulator.start({
			clients: [
				{
					clientId: 'collections-only',
					clientSecret: 'c-secret',
					scopes: ['connector-protimeapi-clockings.read'],
				},
				{
					clientId: 'webhooks-only',
					clientSecret: 'w-secret',
					scopes: [WEBHOOK_READ_SCOPE, WEBHOOK_WRITE_SCOPE],
				},
			],
		});
	});
	afterEach(async () => await sim.stop());

	describe('credential test (as n8n runs a declarative test)', () => {
		it('succeeds with valid settings, after a fresh token request, with the form body and User-Agent', async () => {
			const b = bed();
			expect(await b.credentialTest()).toEqual({ status: 'OK', message: 'Connection successful!' });
			const token = b.sentRequests[0];
			expect(token.url).toBe(`${sim.origin}/tenants/acme/connect/token`);
			expect(token.headers['Content-Type']).toBe('application/x-www-form-urlencoded');
			expect(sim.stats.requestLog.map((r) => r.userAgent)).toEqual([
				`n8n-nodes-protime/${PACKAGE_VERSION} (Test Corp)`,
				`n8n-nodes-protime/${PACKAGE_VERSION} (Test Corp)`,
			]);
			expect(sim.stats.requestLog[1].path).toBe(`${API_PATH}/webhooks`);
		});

		it('wrong secret: says to copy the client ID and secret again', async () => {
			const result = await bed({ clientSecret: 'wrong' }).credentialTest();
			expect(result.status).toBe('Error');
			expect(result.message).toMatch(
				/^Protime rejected the client ID or client secret for tenant "acme" \(invalid_client\)\. Copy the client ID and secret again/,
			);
			expect(result.message).not.toContain('wrong');
		});

		it('unknown tenant: says which tenant and how to find the right one', async () => {
			const result = await bed({ tenant: 'acmee' }).credentialTest();
			expect(result.status).toBe('Error');
			expect(result.message).toMatch(
				/^Protime does not know the tenant "acmee" in the custom environment \(the token endpoint answered 404\)\. Enter the subdomain/,
			);
		});

		it('missing webhook scopes (token granted without them): names each missing one, before calling the API', async () => {
			const result = await bed({
				clientId: 'collections-only',
				clientSecret: 'c-secret',
			}).credentialTest();
			expect(result.status).toBe('Error');
			expect(result.message).toMatch(
				new RegExp(
					`^The client ID and secret are valid, but the token lacks ${WEBHOOK_READ_SCOPE} and ${WEBHOOK_WRITE_SCOPE},`,
				),
			);
			expect(result.message).toContain('Ask Protime to grant them to client ID "collections-only"');
			expect(result.message).not.toContain('Scopes field');
			expect(sim.stats.apiRequests).toBe(0);
		});

		it('only the write scope missing: names that one and, with typed scopes, the Scopes field', async () => {
			sim.addClient({
				clientId: 'read-only',
				clientSecret: 'r-secret',
				scopes: [WEBHOOK_READ_SCOPE, 'connector-protimeapi-clockings.read'],
			});
			const result = await bed({
				clientId: 'read-only',
				clientSecret: 'r-secret',
				scopes: WEBHOOK_READ_SCOPE,
			}).credentialTest();
			expect(result.message).toMatch(new RegExp(`the token lacks ${WEBHOOK_WRITE_SCOPE}, which`));
			expect(result.message).not.toContain(`lacks ${WEBHOOK_READ_SCOPE}`);
			expect(result.message).toContain('Add the missing scopes to the Scopes field');
		});

		it('a token response without `scope`: the API answer decides (403 names the read scope)', async () => {
			sim.assumptions.tokenResponseIncludesScope = false;
			const result = await bed({
				clientId: 'collections-only',
				clientSecret: 'c-secret',
			}).credentialTest();
			expect(result.message).toMatch(
				new RegExp(
					`^The client ID and secret are valid, but the token lacks the scope ${WEBHOOK_READ_SCOPE} \\(403\\)`,
				),
			);
		});

		it('at defaults, a client granted only the webhook scopes passes (no scope is requested)', async () => {
			const b = bed({ clientId: 'webhooks-only', clientSecret: 'w-secret' });
			expect(await b.credentialTest()).toEqual({ status: 'OK', message: 'Connection successful!' });
			expect(sim.tokenRequests().at(-1)).toEqual({ clientId: 'webhooks-only', scope: undefined });
		});

		it('typed scopes are sent exactly, and a refused one is listed (invalid_scope names none)', async () => {
			const typed = `${WEBHOOK_READ_SCOPE} connector-protimeapi-clockings.read`;
			const b = bed({ clientId: 'webhooks-only', clientSecret: 'w-secret', scopes: typed });
			const result = await b.credentialTest();
			expect(sim.tokenRequests().at(-1)?.scope).toBe(typed);
			expect(result.status).toBe('Error');
			expect(result.message).toContain(
				`Protime refused the requested scopes (invalid_scope): ${typed}.`,
			);
			expect(result.message).toContain('Remove those from the Scopes field');
		});

		it('the Scopes default of 0.1.0 (with a scope that does not exist) is treated as empty', async () => {
			const b = bed({
				clientId: 'webhooks-only',
				clientSecret: 'w-secret',
				scopes: LEGACY_DEFAULT_SCOPES,
			});
			expect((await b.credentialTest()).status).toBe('OK');
			expect(sim.tokenRequests().at(-1)).toEqual({ clientId: 'webhooks-only', scope: undefined });
		});

		it('the three failures give three different messages', async () => {
			const messages = await Promise.all([
				bed({ clientSecret: 'wrong' }).credentialTest(),
				bed({ tenant: 'acmee' }).credentialTest(),
				bed({ clientId: 'collections-only', clientSecret: 'c-secret' }).credentialTest(),
			]);
			expect(new Set(messages.map((m) => m.message)).size).toBe(3);
		});

		it('an unreachable base URL says so (not a bare network code)', async () => {
			sim.setUnreachable(true);
			const result = await bed().credentialTest();
			expect(result.message).toMatch(
				/^Could not reach the Protime token endpoint http:\/\/127\.0\.0\.1:\d+\/tenants\/acme\/connect\/token/,
			);
		});

		it('the test always fetches a fresh token, even with one stored', async () => {
			const b = bed();
			await b.credentialTest();
			await b.credentialTest();
			expect(sim.stats.tokenRequests).toBe(2);
		});
	});

	describe('pasted access token', () => {
		it('is used as is: no token request, User-Agent still sent', async () => {
			const token = await issueToken();
			sim.resetStats();
			const b = bed({
				authentication: 'accessToken',
				accessToken: token,
				clientId: '',
				clientSecret: '',
			});
			await protimeRequest.call(b.executeFunctions(), { method: 'GET', path: '/webhooks' });
			await protimeRequest.call(b.executeFunctions(), { method: 'GET', path: '/webhooks' });
			expect(sim.stats.tokenRequests).toBe(0);
			expect(sim.stats.requestLog.map((r) => r.status)).toEqual([200, 200]);
			expect(sim.stats.requestLog[0].userAgent).toBe(
				`n8n-nodes-protime/${PACKAGE_VERSION} (Test Corp)`,
			);
			expect(await b.credentialTest()).toEqual({ status: 'OK', message: 'Connection successful!' });
		});

		it('is not renewed when Protime rejects it: the error says to paste a new one', async () => {
			const b = bed({ authentication: 'accessToken', accessToken: `Bearer ${await issueToken()}` });
			sim.resetStats();
			sim.expireAllTokens();
			let error: NodeApiError | undefined;
			try {
				await protimeRequest.call(b.executeFunctions(), { method: 'GET', path: '/webhooks' });
			} catch (e) {
				error = e as NodeApiError;
			}
			expect(error?.message).toBe('Protime rejected the pasted access token');
			expect(error?.description).toMatch(/Paste a new token/);
			expect(sim.stats.tokenRequests).toBe(0);
			const result = await b.credentialTest();
			expect(result.message).toMatch(
				/^Protime rejected the access token \(401\)\..*paste a new one/,
			);
		});

		it('an expired JWT is refused before any call, with its expiry time', async () => {
			const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
			const expired = `${b64({ alg: 'none' })}.${b64({ exp: 1_700_000_000 })}.sig`;
			const b = bed({ authentication: 'accessToken', accessToken: expired });
			const result = await b.credentialTest();
			expect(result.message).toBe(
				'The pasted Protime access token expired at 2023-11-14T22:13:20.000Z. Paste a new token, or switch Authentication to Client Credentials so the credential renews tokens itself.',
			);
			expect(sim.stats.requestLog).toHaveLength(0);
		});
	});
});
