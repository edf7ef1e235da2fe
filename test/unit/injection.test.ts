/**
 * Injection attempts through parameters and remote-controlled values (tenant, base URL, filters, external
 * reference names, destination URL, get-by-reference values, nextLink). Each must end in a clear error, and
 * the proof that nothing was sent anywhere unintended is taken from two request logs: the test bed's
 * (every request the n8n helpers were asked to send, to any host) and the simulator's (what reached it,
 * with the exact query). A separate "canary" server stands for an attacker's host and must see nothing.
 */
import express from 'express';
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { Protime } from '../../nodes/Protime/Protime.node';
import { ProtimeSimulator } from '../simulator';
import { ProtimeTestbed, type ParameterValue } from '../support/context';
import { JANUARY_INTERRUPTIONS } from './action-helpers';

let sim: ProtimeSimulator;
let canary: { origin: string; hits: string[]; close: () => Promise<void> };
let bed: ProtimeTestbed;

async function startCanary(): Promise<typeof canary> {
	const hits: string[] = [];
	const app = express();
	app.use((req, res) => {
		hits.push(`${req.method} ${req.originalUrl}`);
		res.status(200).json({ value: [], access_token: 'stolen', expires_in: 3600 });
	});
	const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
		const s = app.listen(0, '127.0.0.1', () => resolve(s));
	});
	return {
		origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
		hits,
		close: async () =>
			await new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
			}),
	};
}

function newBed(credentials: IDataObject = {}): ProtimeTestbed {
	return new ProtimeTestbed({
		simulatorOrigin: sim.origin,
		tenant: sim.tenant,
		clientId: sim.defaultClient.clientId,
		clientSecret: sim.defaultClient.clientSecret,
		credentials: credentials as never,
	});
}

async function run(
	parameters: Record<string, ParameterValue>,
	b = bed,
): Promise<INodeExecutionData[]> {
	const ctx = b.executeFunctions({ parameters });
	const [out] = await new Protime().execute.call(ctx);
	return out;
}

async function fail(
	parameters: Record<string, ParameterValue>,
	b = bed,
): Promise<Error & IDataObject> {
	try {
		await run(parameters, b);
	} catch (error) {
		return error as Error & IDataObject;
	}
	throw new Error('expected the node to fail');
}

/** API requests (with query) that reached the simulator, token calls excluded. */
function simApiRequests(): string[] {
	return sim.stats.requestLog.filter((r) => !r.token).map((r) => `${r.method} ${r.path}`);
}

/** The query parameters of a logged request, decoded exactly as a server decodes them. */
function queryOf(logged: string): Array<[string, string]> {
	const path = logged.split(' ')[1];
	return [...new URL(path, sim.origin).searchParams.entries()];
}

function expectNothingSent(b = bed): void {
	expect(b.sentRequests).toEqual([]);
	expect(sim.stats.requestLog).toEqual([]);
	expect(canary.hits).toEqual([]);
}

const counterDefinitions = (extra: IDataObject = {}) => ({
	resource: 'counterDefinition',
	operation: 'getAll',
	returnAll: true,
	simplify: false,
	...extra,
});

beforeAll(async () => {
	sim = await ProtimeSimulator.start();
	canary = await startCanary();
	sim.seed('counter-definitions', [
		{ id: 766, code: 'OT150', externalReferences: { '@counter-code': 'OT150' } },
		{ id: 767, code: 'OT200', externalReferences: { '@counter-code': 'OT200' } },
	] as never);
});

afterAll(async () => {
	await canary.close();
	await sim.stop();
});

beforeEach(() => {
	bed = newBed();
	sim.resetStats();
	canary.hits.length = 0;
});

describe('tenant injection', () => {
	const port = () => new URL(canary.origin).port;
	it.each([
		['a path', () => 'acme/../evil', /looks like a URL/],
		['a host name', () => 'evil.example.com', /contains a dot/],
		['a host and port', () => `127.0.0.1:${port()}`, /looks like a URL|contains a dot/],
		['user info', () => `acme@127.0.0.1:${port()}`, /contains a dot|may only contain letters/],
		['a query', () => 'acme?x=1', /may only contain letters/],
		['a fragment', () => 'acme#x', /may only contain letters/],
		['an encoded slash', () => 'acme%2Fevil', /may only contain letters/],
		['a header break', () => 'acme\r\nHost: evil', /contains spaces/],
		['a URL', () => `${canary.origin}/`, /looks like a URL/],
	])('refuses a tenant with %s before any request', async (_label, tenant, message) => {
		for (const environment of ['production', 'sandbox', 'custom']) {
			const b = newBed({ environment, tenant: tenant() });
			const error = await fail(counterDefinitions(), b);
			expect(`${error.message} ${String(error.description ?? '')}`).toMatch(message);
			expect(error.message).toMatch(/tenant/i);
			expectNothingSent(b);
		}
	});
});

describe('base URL injection', () => {
	it.each([
		['a path that would move the API', () => `${sim.origin}/evil`, /origin only/],
		['a query', () => `${sim.origin}/?x=${encodeURIComponent(canary.origin)}`, /origin only/],
		['a fragment', () => `${sim.origin}/#@${canary.origin.slice(7)}`, /origin only/],
		[
			'user info (host confusion)',
			() => `http://${sim.origin.slice(7)}@${canary.origin.slice(7)}`,
			/user name or password/,
		],
		['another scheme', () => 'file:///etc/passwd', /http:\/\/ or https:\/\//],
		['javascript', () => 'javascript:alert(1)', /must start with http/],
		['no scheme', () => canary.origin.slice(7), /must start with http/],
		// `new URL()` drops these silently, so the parsed origin would differ from the typed one.
		[
			'a line break inside the port',
			() => `${sim.origin.slice(0, -1)}\r\n${sim.origin.slice(-1)}`,
			/contains a line break/,
		],
		[
			'a tab inside the host',
			() => `http://127.0.\t0.1:${new URL(sim.origin).port}`,
			/contains a tab/,
		],
		[
			'a zero-width space in the host',
			() => `http://127.0.0.1\u200b:${new URL(sim.origin).port}`,
			/invisible formatting character/,
		],
	])('refuses a custom base URL with %s before any request', async (_label, baseUrl, message) => {
		const b = newBed({ environment: 'custom', baseUrl: baseUrl() });
		const error = await fail(counterDefinitions(), b);
		expect(`${error.message} ${String(error.description ?? '')}`).toMatch(message);
		expectNothingSent(b);
	});
});

describe('filter injection', () => {
	const interruptions = (filters: IDataObject, extra: IDataObject = {}) => ({
		...JANUARY_INTERRUPTIONS,
		filters,
		...extra,
	});

	it.each([
		[
			'a second query parameter',
			{ rawFilter: 'person eq 1&externalReferences=(people,@badge)' },
			/contains '&'/,
		],
		['a fragment', { rawFilter: 'person eq 1#' }, /contains '#'/],
		['a line break', { rawFilter: 'person eq 1\r\nX-Injected: 1' }, /line break|control/],
		['an id list escape', { person: '1001) or (person eq 1002' }, /Person IDs contains/],
		['an id list with a quote', { person: "1001'" }, /Person IDs contains/],
	])('refuses %s before any request', async (_label, filters, message) => {
		const error = await fail(interruptions(filters));
		expect(error.message).toMatch(message);
		expect(String(error.description ?? '')).not.toBe('');
		expectNothingSent();
	});

	it.each([
		[
			'a quote that would end the date',
			{ startDate: "2026-01-01' or '1' eq '1", endDate: '2026-01-31' },
		],
		['a date with a query', { startDate: '2026-01-01&filter=x', endDate: '2026-01-31' }],
	])('refuses a date range with %s before any request', async (_label, dates) => {
		const error = await fail(interruptions({}, dates));
		expect(error.message).toMatch(/date/i);
		expectNothingSent();
	});

	it('refuses an option value that is not one of Protime’s', async () => {
		const error = await fail({
			resource: 'counter',
			operation: 'getAll',
			returnAll: true,
			startDate: '2026-01-01',
			endDate: '2026-01-31',
			filters: { status: "Auto' or 1 eq 1" },
		});
		expect(error.message).toMatch(/not one of Protime's values/);
		expectNothingSent();
	});

	it('sends an accepted raw filter with URL metacharacters as exactly one filter parameter', async () => {
		const raw = "person eq 1001 and comment eq 'a+b=c;d?e/f%26g'";
		await run(interruptions({ rawFilter: raw })).catch(() => undefined);
		const [first, ...rest] = simApiRequests();
		expect(rest).toEqual([]);
		expect(first).toMatch(/^GET \/connector\/protimeapi\/api\/v1\/work-interruptions\?/);
		expect(queryOf(first)).toEqual([
			['filter', `date ge '2026-01-01' and date le '2026-01-31' and ${raw}`],
		]);
		expect(canary.hits).toEqual([]);
	});
});

describe('external reference name injection', () => {
	it.each([
		['a closing parenthesis', 'people|HRMID)(people,@badge'],
		['a comma', 'people|HRMID,@badge'],
		['a query', 'people|HRMID&filter=x'],
		['an unknown collection', 'people),(webhooks|HRMID'],
		['a made-up predefined name', 'people|@password'],
	])('refuses %s before any request', async (_label, reference) => {
		const error = await fail(
			counterDefinitions({
				externalReferences: {
					reference: [{ reference: reference.includes('|') ? reference : `${reference}|` }],
				},
			}),
		);
		expect(error.message).not.toBe('');
		expect(String(error.description ?? '')).toMatch(/reference/);
		expectNothingSent();
	});

	it('refuses a custom reference name with a parenthesis typed into Custom Reference Name', async () => {
		const error = await fail(
			counterDefinitions({
				externalReferences: {
					reference: [
						{ reference: 'counter-groups|', customName: 'code)(people,@employee-number' },
					],
				},
			}),
		);
		expect(error.message).toMatch(/may only contain letters, digits/);
		expectNothingSent();
	});
});

describe('destination URL injection (Webhook → Create)', () => {
	const create = (destinationUrl: string, options: IDataObject = {}) => ({
		resource: 'webhook',
		operation: 'create',
		collection: 'absences',
		destinationUrl,
		options,
	});

	it.each([
		['javascript:', 'javascript:alert(1)', /must use https/],
		['file:', 'file:///etc/passwd', /must use https/],
		['user info', 'https://user:secret@example.com/hook', /user name or password/],
		['a fragment', 'https://example.com/hook#@evil.example', /#fragment/],
		['no scheme', 'example.com/hook', /not an absolute URL/],
		['an n8n webhook path', 'https://n8n.example.com/webhook/abc/webhook', /n8n webhook path/],
	])('refuses a destination with %s before any request', async (_label, url, message) => {
		const b = newBed({ environment: 'custom' });
		const error = await fail(create(url), b);
		expect(error.message).toMatch(message);
		expectNothingSent(b);
	});

	it('refuses plain http outside the Custom environment before any request', async () => {
		const b = newBed({ environment: 'sandbox' });
		const error = await fail(create('http://example.com/hook'), b);
		expect(error.message).toMatch(/must use https, not http/);
		expectNothingSent(b);
	});

	// `new URL()` drops CR, LF and TAB while parsing, so a check of the parsed URL alone would pass while
	// the typed text, line break included, went to Protime. Such characters are refused up front.
	it('refuses a destination with a line break before any request', async () => {
		const error = await fail(create('https://example.com/hook\r\nX-Injected: 1'));
		expect(error.message).toMatch(/line break|control character|not an absolute URL/);
		expectNothingSent();
	});

	it.each([
		['a tab', 'https://example.com/ho\tok', /contains a tab/],
		['a line break in the host', 'https://exam\nple.com/hook', /contains a line break/],
		['a space', 'https://example.com/my hook', /contains a space/],
		[
			'a no-break space',
			'https://example.com/my\u00a0hook',
			/contains a space character \(U\+00A0\)/,
		],
		['a NUL', 'https://example.com/hook\u0000', /contains a control character \(U\+0000\)/],
		['a C1 control', 'https://example.com/hook\u0085', /contains a line break \(U\+0085\)/],
		[
			'a zero-width space in the host',
			'https://exa\u200bmple.com/hook',
			/invisible formatting character/,
		],
	])(
		'refuses a destination with %s before any request, saying how to fix it',
		async (_label, url, message) => {
			const error = await fail(create(url));
			expect(error.message).toMatch(message);
			expect(String(error.description)).toMatch(/on one line without them/);
			expectNothingSent();
		},
	);

	it('sends the URL that passed the checks, as the parser normalised it', async () => {
		const [item] = await run(create('  HTTPS://Example.COM:443/hook  '));
		expect(item.json.destinationUrl).toBe('https://example.com/hook');
		const created = sim.webhooks().find((w) => w.id === item.json.id);
		expect(created?.destinationUrl).toBe('https://example.com/hook');
	});

	it('stores an accepted URL with query metacharacters exactly as given, in the JSON body only', async () => {
		const url = 'https://example.com/hook?a=1&b=%2F..%2F&c=(people,@badge)';
		const [item] = await run(create(url));
		expect(item.json.destinationUrl).toBe(url);
		const created = sim.webhooks().find((w) => w.id === item.json.id);
		expect(created?.destinationUrl).toBe(url);
		expect(simApiRequests()).toEqual(['POST /connector/protimeapi/api/v1/webhooks']);
		expect(canary.hits).toEqual([]);
	});
});

describe('get-by-reference value injection', () => {
	const byReference = (referenceValue: string) => ({
		resource: 'counterDefinition',
		operation: 'get',
		lookUpBy: 'externalReference',
		referenceName: '@counter-code',
		referenceValue,
		simplify: false,
	});

	it.each([
		['a path climb', 'OT150/../../webhooks'],
		['a backslash', 'OT150\\..\\webhooks'],
		['a dot segment', '..'],
		['a line break', 'OT150\r\nX-Injected: 1'],
		['an oversized value', 'A'.repeat(5000)],
	])('refuses a value with %s before any request', async (_label, value) => {
		const error = await fail(byReference(value));
		expect(error.message).toMatch(/contains|characters long/);
		expectNothingSent();
	});

	it.each([
		[
			'a query',
			'OT150?filter=x&externalReferences=(people,@badge)',
			'OT150%3Ffilter%3Dx%26externalReferences%3D(people%2C%40badge)',
		],
		['an encoded slash', 'OT150%2Fwebhooks', 'OT150%252Fwebhooks'],
		['a fragment', 'OT150#x', 'OT150%23x'],
	])(
		'sends a value with %s as exactly one encoded path segment and the intended query',
		async (_label, value, segment) => {
			await fail(byReference(value));
			const [first, ...rest] = simApiRequests();
			expect(rest).toEqual([]);
			const path = first.split(' ')[1];
			expect(path.split('?')[0]).toBe(
				`/connector/protimeapi/api/v1/counter-definitions/${segment}`,
			);
			expect(queryOf(first)).toEqual([
				['externalReferences', '(counter-definitions,@counter-code)'],
			]);
			expect(canary.hits).toEqual([]);
		},
	);
});

describe('nextLink injection (a remote-controlled value)', () => {
	let fake: { origin: string; close: () => Promise<void> };
	const nextLinks: string[] = [];

	beforeAll(async () => {
		// A Protime stand-in whose token endpoint works and whose list answer carries a hostile nextLink.
		const app = express();
		app.use(express.urlencoded({ extended: false }));
		app.post('/tenants/:tenant/connect/token', (_req, res) => {
			res.json({
				access_token: 'token-1',
				token_type: 'Bearer',
				expires_in: 1800,
				scope: String(_req.body?.scope ?? ''),
			});
		});
		app.get('/connector/protimeapi/api/v1/counter-definitions', (_req, res) => {
			res.json({ value: [{ id: 1, changeVersion: '1', code: 'A' }], nextLink: nextLinks[0] });
		});
		const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
			const s = app.listen(0, '127.0.0.1', () => resolve(s));
		});
		fake = {
			origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
			close: async () =>
				await new Promise<void>((resolve) => {
					server.close(() => resolve());
					server.closeAllConnections();
				}),
		};
	});

	afterAll(async () => await fake.close());

	it.each([
		[
			'an absolute URL to another host',
			() => `${canary.origin}/connector/protimeapi/api/v1/counter-definitions?page=2`,
		],
		[
			'a protocol-relative URL',
			() => `//${canary.origin.slice(7)}/connector/protimeapi/api/v1/counter-definitions?page=2`,
		],
		['a path outside the API', () => '/tenants/acme/connect/token'],
		['a climb out of the API', () => '/connector/protimeapi/api/v1/../../../admin'],
	])('refuses %s and never sends the token there', async (_label, link) => {
		nextLinks[0] = link();
		const b = new ProtimeTestbed({
			simulatorOrigin: fake.origin,
			tenant: 'acme',
			clientId: 'c',
			clientSecret: 's',
		});
		const error = await fail(counterDefinitions(), b);
		expect(`${error.message} ${String(error.description ?? '')}`).toMatch(
			/Refused to follow a Protime link/,
		);
		expect(canary.hits).toEqual([]);
		const hosts = new Set(b.sentRequests.map((r) => new URL(r.url).origin));
		expect([...hosts]).toEqual([fake.origin]);
		expect(
			b.sentRequests.filter((r) => r.url.includes('/admin') || r.url.includes('/connect/token?')),
		).toEqual([]);
	});
});
