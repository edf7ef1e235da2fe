/**
 * The transport against the simulator, through the test bed's emulation of n8n's
 * `httpRequestWithAuthentication` (token cached in the credential, one renewal after a 401).
 */
import express from 'express';

import { WEBHOOK_READ_SCOPE, WEBHOOK_WRITE_SCOPE } from '../../nodes/shared/catalogue';
import { PACKAGE_VERSION } from '../../nodes/shared/environment';
import {
	isNotFoundError,
	protimePages,
	protimeRequest,
	protimeRequestFull,
	retryDelayMs,
	REQUEST_LIMITS,
	RETRY_POLICY,
	scopeFor,
} from '../../nodes/shared/transport';
import { failure } from '../support/failure';
import { createProtimeTestbed, type ProtimeTestbed } from '../support/context';
import { ProtimeSimulator } from '../simulator';

const UA = `n8n-nodes-protime/${PACKAGE_VERSION} (Test Corp)`;
const CLOCKINGS_READ = 'connector-protimeapi-clockings.read';

let sim: ProtimeSimulator;
let bed: ProtimeTestbed;

function bedFor(s: ProtimeSimulator, credentials: Record<string, string> = {}): ProtimeTestbed {
	return createProtimeTestbed({
		simulatorOrigin: s.origin,
		tenant: s.tenant,
		clientId: s.defaultClient.clientId,
		clientSecret: s.defaultClient.clientSecret,
		credentials,
	});
}

const apiLog = () => sim.stats.requestLog.filter((r) => !r.token);

beforeEach(async () => {
	sim = await ProtimeSimulator.start({
		clients: [
			{
				clientId: 'narrow',
				clientSecret: 'narrow-secret',
				scopes: [WEBHOOK_READ_SCOPE, WEBHOOK_WRITE_SCOPE],
			},
		],
	});
	bed = bedFor(sim);
});
afterEach(async () => await sim.stop());

describe('token reuse and renewal', () => {
	it('one token request serves many calls, across contexts, with the User-Agent on every request', async () => {
		for (let i = 0; i < 5; i++) {
			await protimeRequest.call(bed.executeFunctions(), { method: 'GET', path: '/webhooks' });
			await protimeRequest.call(bed.hookFunctions(), { method: 'GET', path: '/webhooks' });
		}
		expect(sim.stats.tokenRequests).toBe(1);
		expect(sim.stats.apiRequests).toBe(10);
		expect(bed.credentials.writes).toBe(1);
		expect(sim.stats.requestLog.every((r) => r.userAgent === UA)).toBe(true);
		expect(bed.credentials.read().sessionToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
	});

	it('renews the token after Protime expires it (401), once, and retries the call', async () => {
		await protimeRequest.call(bed.executeFunctions(), { method: 'GET', path: '/webhooks' });
		const first = bed.credentials.read().sessionToken;
		sim.expireAllTokens();
		const body = await protimeRequest.call(bed.executeFunctions(), {
			method: 'GET',
			path: '/webhooks',
		});
		expect(body).toEqual({ value: [] });
		expect(sim.stats.tokenRequests).toBe(2);
		expect(apiLog().map((r) => r.status)).toEqual([200, 401, 200]);
		expect(bed.credentials.read().sessionToken).not.toBe(first);
		// The renewed token is stored and reused.
		await protimeRequest.call(bed.executeFunctions(), { method: 'GET', path: '/webhooks' });
		expect(sim.stats.tokenRequests).toBe(2);
	});

	it('renews when the 30-minute lifetime has passed', async () => {
		await protimeRequest.call(bed.executeFunctions(), { method: 'GET', path: '/webhooks' });
		sim.advanceClock(1801);
		await protimeRequest.call(bed.executeFunctions(), { method: 'GET', path: '/webhooks' });
		expect(sim.stats.tokenRequests).toBe(2);
	});

	it('does not reuse a token issued before the scopes were changed', async () => {
		await protimeRequest.call(bed.executeFunctions(), { method: 'GET', path: '/webhooks' });
		bed.credentials.edit({ scopes: `${WEBHOOK_READ_SCOPE} ${CLOCKINGS_READ}` });
		await protimeRequest.call(bed.executeFunctions(), {
			method: 'GET',
			path: '/clockings',
			qs: { filter: "date ge '2026-01-01'" },
		});
		expect(sim.stats.tokenRequests).toBe(2);
	});

	it('a changed client secret is checked on the next call instead of riding on the old token', async () => {
		await protimeRequest.call(bed.executeFunctions(), { method: 'GET', path: '/webhooks' });
		bed.credentials.edit({ clientSecret: 'typo' });
		const error = await failure(
			async () =>
				await protimeRequest.call(bed.executeFunctions(), { method: 'GET', path: '/webhooks' }),
		);
		expect(error.message).toMatch(/invalid_client/);
		expect(sim.stats.tokenRequests).toBe(2);
	});
});

describe('errors become NodeApiErrors that say how to fix them', () => {
	it('400 with reasons: message, reasons in the description, httpCode kept', async () => {
		const error = await failure(
			async () =>
				await protimeRequest.call(bed.executeFunctions(), {
					method: 'GET',
					path: '/work-interruptions',
					itemIndex: 2,
				}),
		);
		expect(error.name).toBe('NodeApiError');
		expect(error.httpCode).toBe('400');
		expect(error.message).toBe('Protime rejected the request as invalid: The request was invalid');
		expect(error.description).toMatch(/Reasons: .*filter/i);
		expect(error.context.itemIndex).toBe(2);
	});

	/** Clockings read by the `narrow` client (webhook scopes only), with the Scopes field set to `scopes`. */
	const narrowClockings = async (scopes: string) =>
		await failure(
			async () =>
				await protimeRequest.call(
					bedFor(sim, {
						clientId: 'narrow',
						clientSecret: 'narrow-secret',
						scopes,
					}).executeFunctions(),
					{
						method: 'GET',
						path: '/clockings',
						qs: { filter: "date ge '2026-01-01'" },
					},
				),
		);

	it('403 names the missing scope from the path', async () => {
		const error = await narrowClockings(`${WEBHOOK_READ_SCOPE} ${WEBHOOK_WRITE_SCOPE}`);
		expect(error.httpCode).toBe('403');
		expect(error.message).toBe(`The Protime credential lacks the scope ${CLOCKINGS_READ}`);
		expect(error.description).toContain(`Add ${CLOCKINGS_READ} to the Scopes field`);
		expect(error.description).toContain('client ID "narrow"');
	});

	it('403 with the Scopes field empty: names the scope to ask Protime for, and no field to edit', async () => {
		const error = await narrowClockings('');
		expect(error.message).toBe(`The Protime credential lacks the scope ${CLOCKINGS_READ}`);
		expect(error.description).toContain(
			`Ask Protime to grant ${CLOCKINGS_READ} to client ID "narrow"`,
		);
		expect(error.description).not.toContain('Add ');
	});

	it('401 for a missing scope (the other documented variant) names the scope after one renewal', async () => {
		sim.assumptions.missingScopeStatus = 401;
		const narrow = bedFor(sim, {
			clientId: 'narrow',
			clientSecret: 'narrow-secret',
			scopes: WEBHOOK_READ_SCOPE,
		});
		const error = await failure(
			async () =>
				await protimeRequest.call(narrow.executeFunctions(), {
					method: 'POST',
					path: '/webhooks',
					body: { destinationUrl: 'https://example.com/x', collectionName: 'clockings' },
				}),
		);
		expect(error.httpCode).toBe('401');
		expect(error.message).toBe(`The Protime credential lacks the scope ${WEBHOOK_WRITE_SCOPE}`);
		expect(sim.stats.tokenRequests).toBe(2);
	});

	it('401 that survives a renewal says so', async () => {
		sim.injectFault({ status: 401, times: 2, path: '/webhooks', target: 'api' });
		const error = await failure(
			async () =>
				await protimeRequest.call(bed.executeFunctions(), { method: 'GET', path: '/webhooks' }),
		);
		expect(error.httpCode).toBe('401');
		expect(error.message).toBe('Protime rejected the access token even after renewing it');
		expect(sim.stats.tokenRequests).toBe(2);
		expect(apiLog()).toHaveLength(2);
	});

	it('404 is recognisable with isNotFoundError', async () => {
		const error = await failure(
			async () =>
				await protimeRequest.call(bed.executeFunctions(), {
					method: 'GET',
					path: '/webhooks/a7d853ea-89eb-4735-83d1-b891c6fde398',
				}),
		);
		expect(isNotFoundError(error)).toBe(true);
		expect(error.message).toMatch(/^Protime found nothing at \/webhooks\/a7d853ea/);
		expect(isNotFoundError(new Error('x'))).toBe(false);
	});

	it("500 is not retried and says it is on Protime's side", async () => {
		sim.injectFault({ status: 500, path: '/webhooks' });
		const error = await failure(
			async () =>
				await protimeRequest.call(bed.executeFunctions(), { method: 'GET', path: '/webhooks' }),
		);
		expect(error.httpCode).toBe('500');
		expect(error.message).toBe(
			'Protime failed to process the request: An unexpected error occurred',
		);
		expect(error.description).toMatch(/Protime's side/);
		expect(apiLog()).toHaveLength(1);
	});

	it('an unreachable Protime is reported with the origin, the network code only in the description', async () => {
		await protimeRequest.call(bed.executeFunctions(), { method: 'GET', path: '/webhooks' });
		sim.setUnreachable(true);
		const error = await failure(
			async () =>
				await protimeRequest.call(bed.executeFunctions(), { method: 'GET', path: '/webhooks' }),
		);
		expect(error.message).toBe(`Could not reach Protime at ${sim.origin}`);
		expect(error.description).toMatch(/^Network error \w+/);
	});

	it('a call that takes too long is reported as a timeout, not retried', async () => {
		const saved = REQUEST_LIMITS.timeoutMs;
		REQUEST_LIMITS.timeoutMs = 300;
		try {
			await protimeRequest.call(bed.executeFunctions(), { method: 'GET', path: '/webhooks' });
			sim.injectDelay({ ms: 1000, path: '/webhooks', target: 'api' });
			const error = await failure(
				async () =>
					await protimeRequest.call(bed.executeFunctions(), { method: 'GET', path: '/webhooks' }),
			);
			expect(error.message).toBe('Protime did not answer within 0.3 seconds');
			expect(error.description).toMatch(/timed out/);
		} finally {
			REQUEST_LIMITS.timeoutMs = saved;
		}
	});

	it('refuses a path that would leave the API', async () => {
		const error = await failure(
			async () =>
				await protimeRequest.call(bed.executeFunctions(), {
					method: 'GET',
					path: '//evil.example/x',
				}),
		);
		expect(error.message).toBe('Refused to follow a Protime link');
		expect(sim.stats.apiRequests).toBe(0);
	});

	it('no error message or description contains the client secret or the token', async () => {
		const errors = [
			await failure(
				async () =>
					await protimeRequest.call(bed.executeFunctions(), {
						method: 'GET',
						path: '/work-interruptions',
					}),
			),
			await failure(
				async () =>
					await protimeRequest.call(
						bedFor(sim, { clientSecret: 'wrong-secret-value' }).executeFunctions(),
						{
							method: 'GET',
							path: '/webhooks',
						},
					),
			),
		];
		const token = bed.credentials.read().sessionToken as string;
		for (const e of errors) {
			const text = `${e.message} ${e.description ?? ''} ${JSON.stringify(e)}`;
			expect(text).not.toContain(sim.defaultClient.clientSecret);
			expect(text).not.toContain('wrong-secret-value');
			expect(text).not.toContain(token);
		}
	});
});

describe('token endpoint errors reach the node as explanatory errors', () => {
	it('wrong secret: invalid_client', async () => {
		const error = await failure(
			async () =>
				await protimeRequest.call(bedFor(sim, { clientSecret: 'nope' }).executeFunctions(), {
					method: 'GET',
					path: '/webhooks',
				}),
		);
		expect(error.message).toMatch(
			/^Protime rejected the client ID or client secret for tenant "acme" \(invalid_client\)/,
		);
		expect(sim.stats.apiRequests).toBe(0);
	});

	it('unknown tenant: 404 from the token endpoint', async () => {
		const error = await failure(
			async () =>
				await protimeRequest.call(bedFor(sim, { tenant: 'nobody' }).executeFunctions(), {
					method: 'GET',
					path: '/webhooks',
				}),
		);
		expect(error.message).toMatch(/^Protime does not know the tenant "nobody"/);
	});

	it('scopes the client may not have: invalid_scope lists the requested scopes, in message and description', async () => {
		const typed = `${WEBHOOK_READ_SCOPE} ${CLOCKINGS_READ}`;
		const error = await failure(
			async () =>
				await protimeRequest.call(
					bedFor(sim, {
						clientId: 'narrow',
						clientSecret: 'narrow-secret',
						scopes: typed,
					}).executeFunctions(),
					{ method: 'GET', path: '/webhooks' },
				),
		);
		const named = `Protime refused the requested scopes (invalid_scope): ${typed}.`;
		expect(error.message).toContain(named);
		// n8n 1.x reports a failed activation of a NodeApiError by its description, falling back to the message.
		const shownBy1x = error.description ?? error.message;
		expect(shownBy1x).toContain(named);
		expect(shownBy1x).not.toContain('Check the Protime credential (tenant');
	});

	it('any token failure: the description repeats the explanation, never a generic hint', async () => {
		const error = await failure(
			async () =>
				await protimeRequest.call(bedFor(sim, { clientSecret: 'wrong' }).executeFunctions(), {
					method: 'GET',
					path: '/webhooks',
				}),
		);
		expect(error.message).toMatch(/^Protime rejected the client ID or client secret/);
		expect(error.description ?? error.message).toMatch(
			/^Protime rejected the client ID or client secret/,
		);
		expect(error.description ?? '').not.toContain('Check the Protime credential (tenant');
	});

	it('an invalid tenant is refused before any request', async () => {
		const error = await failure(
			async () =>
				await protimeRequest.call(
					bedFor(sim, { tenant: 'https://acme.myprotime.eu' }).executeFunctions(),
					{
						method: 'GET',
						path: '/webhooks',
					},
				),
		);
		expect(error.message).toContain("'acme' from https://acme.myprotime.eu");
		expect(sim.stats.requestLog).toHaveLength(0);
	});
});

describe('retries on 429 and 503', () => {
	it('waits for Retry-After, then succeeds (spacing read from the simulator log)', async () => {
		sim.injectFault({ status: 429, retryAfterSeconds: 1, times: 1, path: '/webhooks' });
		const res = await protimeRequestFull.call(bed.executeFunctions(), {
			method: 'GET',
			path: '/webhooks',
		});
		expect(res.statusCode).toBe(200);
		const log = apiLog();
		expect(log.map((r) => r.status)).toEqual([429, 200]);
		expect(log[1].atMs - log[0].atMs).toBeGreaterThanOrEqual(1000);
	});

	it('retries 503 and stops after a bounded number of attempts', async () => {
		sim.injectFault({ status: 503, retryAfterSeconds: 0, times: -1, path: '/webhooks' });
		const error = await failure(
			async () =>
				await protimeRequest.call(bed.executeFunctions(), { method: 'GET', path: '/webhooks' }),
		);
		expect(apiLog()).toHaveLength(RETRY_POLICY.maxAttempts);
		expect(error.httpCode).toBe('503');
		expect(error.message).toBe(
			'Protime is temporarily unavailable: The service is temporarily unavailable',
		);
		expect(error.description).toContain(`after ${RETRY_POLICY.maxAttempts} attempt(s)`);
		expect(sim.stats.tokenRequests).toBe(1);
	});

	it('a Retry-After longer than the wait limit is reported, not slept through', async () => {
		sim.injectFault({ status: 429, retryAfterSeconds: 3600, times: 1, path: '/webhooks' });
		const error = await failure(
			async () =>
				await protimeRequest.call(bed.executeFunctions(), { method: 'GET', path: '/webhooks' }),
		);
		expect(apiLog()).toHaveLength(1);
		expect(error.description).toContain('after 1 attempt(s). Protime asked to retry after 3600 s.');
	});

	it('bounded for 429 too, with a message about rate limiting', async () => {
		sim.injectFault({ status: 429, retryAfterSeconds: 0, times: -1, path: '/webhooks' });
		const error = await failure(
			async () =>
				await protimeRequest.call(bed.executeFunctions(), { method: 'GET', path: '/webhooks' }),
		);
		expect(apiLog()).toHaveLength(RETRY_POLICY.maxAttempts);
		expect(error.message).toMatch(/^Protime is rate-limiting requests/);
	});

	it('Retry-After: seconds, HTTP date, or exponential backoff without it', () => {
		const now = Date.parse('2026-03-02T10:00:00Z');
		expect(retryDelayMs('7', 1, now)).toBe(7000);
		expect(retryDelayMs('Mon, 02 Mar 2026 10:00:05 GMT', 1, now)).toBe(5000);
		expect(retryDelayMs('Mon, 02 Mar 2026 09:00:00 GMT', 1, now)).toBe(0);
		expect([1, 2, 3].map((a) => retryDelayMs(undefined, a, now))).toEqual([1000, 2000, 4000]);
		expect(retryDelayMs('garbage', 10, now)).toBe(RETRY_POLICY.maxDelayMs);
	});
});

describe('paging', () => {
	const pageAll = async (b: ProtimeTestbed, path: string, qs?: Record<string, string>) => {
		const pages: number[] = [];
		for await (const page of protimePages.call(b.executeFunctions(), path, qs))
			pages.push(page.length);
		return pages;
	};

	it('follows nextLink through many pages, empty pages included, until it is absent', async () => {
		sim.assumptions.pageSize = 3;
		sim.assumptions.emptyPagesBetween = 1;
		sim.seed(
			'counter-definitions',
			Array.from({ length: 10 }, (_, i) => ({ id: 100 + i })),
		);
		const pages = await pageAll(bed, '/counter-definitions');
		expect(pages.reduce((a, b) => a + b, 0)).toBe(10);
		expect(pages).toContain(0);
		expect(pages.length).toBeGreaterThanOrEqual(4);
		expect(sim.stats.tokenRequests).toBe(1);
	});

	it('reads the credential once per paging run besides the read n8n makes for each request', async () => {
		sim.assumptions.pageSize = 2;
		sim.seed(
			'counter-definitions',
			Array.from({ length: 10 }, (_, i) => ({ id: 200 + i })),
		);
		await protimeRequest.call(bed.executeFunctions(), { method: 'GET', path: '/webhooks' }); // the token is cached now
		const readsBefore = bed.credentials.reads;
		const requestsBefore = sim.stats.apiRequests;
		const pages = await pageAll(bed, '/counter-definitions');
		const requests = sim.stats.apiRequests - requestsBefore;
		expect(pages.length).toBe(requests);
		// n8n reads and decrypts the credential from its database for every getCredentials call: one per
		// request inside httpRequestWithAuthentication, plus one for the whole run by the transport.
		expect(bed.credentials.reads - readsBefore).toBe(requests + 1);
	});

	it('works with the unencoded nextLink form of the docs', async () => {
		sim.assumptions.pageSize = 2;
		sim.assumptions.nextLinkEncoding = 'raw';
		sim.seed(
			'work-interruptions',
			Array.from({ length: 5 }, (_, i) => ({ id: 500 + i, date: '2026-03-02' })),
		);
		const pages = await pageAll(bed, '/work-interruptions', {
			filter: "date ge '2026-03-01' and date le '2026-03-31'",
		});
		expect(pages).toEqual([2, 2, 1]);
	});

	it('a 409 on an expired continuation token says to re-run', async () => {
		sim.assumptions.pageSize = 2;
		sim.seed(
			'counter-definitions',
			Array.from({ length: 5 }, (_, i) => ({ id: 200 + i })),
		);
		const error = await failure(async () => {
			for await (const page of protimePages.call(bed.executeFunctions(), '/counter-definitions')) {
				expect(page).toHaveLength(2);
				sim.advanceClock(sim.assumptions.continuationTokenTtlSeconds + 1);
			}
		});
		expect(error.httpCode).toBe('409');
		expect(error.message).toBe('The paging token expired before all pages were read');
		expect(error.description).toMatch(/Re-run the node/);
	});
});

describe('nextLink to another host (test-only stub server: the simulator never sends one)', () => {
	// STUB: a minimal Protime look-alike whose list answers a foreign or absolute nextLink.
	let stub: { origin: string; hits: string[]; close: () => Promise<void> };
	beforeEach(async () => {
		const hits: string[] = [];
		const app = express();
		app.use(express.urlencoded({ extended: false }));
		app.post('/tenants/acme/connect/token', (_req, res) => {
			res.json({ access_token: 'stub-token', expires_in: 1800, token_type: 'Bearer' });
		});
		app.get('/connector/protimeapi/api/v1/:list', (req, res) => {
			hits.push(req.originalUrl);
			const links: Record<string, string> = {
				absolute: 'https://evil.example/connector/protimeapi/api/v1/absolute?continuationToken=x',
				protocolRelative: '//evil.example/connector/protimeapi/api/v1/x',
				outside: '/somewhere-else?continuationToken=x',
			};
			res.json({ value: [{ id: 1 }], nextLink: links[String(req.params.list)] });
		});
		const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
			const s = app.listen(0, '127.0.0.1', () => resolve(s));
		});
		const address = server.address();
		stub = {
			origin: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
			hits,
			close: async () => await new Promise<void>((resolve) => server.close(() => resolve())),
		};
	});
	afterEach(async () => await stub.close());

	it.each(['absolute', 'protocolRelative', 'outside'])(
		'%s nextLink is refused after the first page',
		async (list) => {
			const b = createProtimeTestbed({
				simulatorOrigin: stub.origin,
				tenant: 'acme',
				clientId: 'c',
				clientSecret: 's',
			});
			const seen: unknown[] = [];
			const error = await failure(async () => {
				for await (const page of protimePages.call(b.executeFunctions(), `/${list}`))
					seen.push(...page);
			});
			expect(seen).toEqual([{ id: 1 }]);
			expect(error.message).toBe('Refused to follow a Protime link');
			expect(stub.hits).toHaveLength(1);
			expect(b.sentRequests.every((r) => r.url.startsWith(stub.origin))).toBe(true);
		},
	);
});

describe('scopeFor', () => {
	it('maps paths to the scope they need', () => {
		expect(scopeFor('GET', '/webhooks')).toBe(WEBHOOK_READ_SCOPE);
		expect(scopeFor('DELETE', '/connector/protimeapi/api/v1/webhooks/abc')).toBe(
			WEBHOOK_WRITE_SCOPE,
		);
		expect(scopeFor('GET', '/counter-definitions/OT150')).toBe(
			'connector-protimeapi-counter-definitions.read',
		);
		expect(scopeFor('GET', '/delta/clockings?deltaToken=x')).toBe(CLOCKINGS_READ);
	});
});
