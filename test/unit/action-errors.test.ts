/** Protime node: HTTP error statuses, retries and Continue On Fail, against the simulator. */
import { WEBHOOK_READ_SCOPE, WEBHOOK_WRITE_SCOPE } from '../../nodes/shared/catalogue';
import { ActionHarness, JANUARY_INTERRUPTIONS, jsonOf } from './action-helpers';

const READ_ONLY = {
	clientId: 'read-only',
	clientSecret: 'read-only-secret',
	scopes: [WEBHOOK_READ_SCOPE],
};
let h: ActionHarness;

beforeAll(async () => {
	h = await ActionHarness.start([READ_ONLY]);
	h.sim.seed(
		'work-interruptions',
		Array.from({ length: 60 }, (_, n) => ({
			id: 40000 + n,
			date: '2026-01-05',
			person: { id: 1001 },
		})),
	);
});
afterAll(async () => await h.stop());
beforeEach(() => {
	h.sim.clearFaults();
	h.sim.assumptions.pageSize = 20;
	h.sim.assumptions.missingScopeStatus = 403;
	h.sim.resetStats();
	h.reset();
});

describe('missing scope', () => {
	it.each([403, 401] as const)('names the collection read scope on %i', async (status) => {
		h.sim.assumptions.missingScopeStatus = status;
		const error = await h.fail(JANUARY_INTERRUPTIONS, { testbed: h.bed(READ_ONLY) });
		expect(error.message).toBe(
			'The Protime credential lacks the scope connector-protimeapi-work-interruptions.read',
		);
		expect(error.description).toMatch(/Scopes field of the Protime credential/);
		expect(error.httpCode).toBe(String(status));
	});

	it('names the webhook write scope on Create', async () => {
		const error = await h.fail(
			{
				resource: 'webhook',
				operation: 'create',
				collection: 'clockings',
				destinationUrl: 'https://example.com/x',
			},
			{ testbed: h.bed(READ_ONLY) },
		);
		expect(error.message).toContain(WEBHOOK_WRITE_SCOPE);
	});
});

describe('server errors and paging conflicts', () => {
	it('retries a 429 with Retry-After and then succeeds', async () => {
		h.sim.injectFault({ status: 429, retryAfterSeconds: 0, times: 1, path: 'continuationToken' });
		const items = await h.run(JANUARY_INTERRUPTIONS);
		expect(items).toHaveLength(60);
		expect(h.sim.stats.requestLog.filter((r) => r.status === 429)).toHaveLength(1);
	});

	it('fails a Get Many whose continuation token is refused (409) with the status kept', async () => {
		h.sim.injectFault({ status: 409, times: 1, path: 'continuationToken' });
		const error = await h.fail(JANUARY_INTERRUPTIONS);
		expect(error.httpCode).toBe('409');
	});
});

describe('item index', () => {
	it('carries the index of the failing item on API errors and validation errors', async () => {
		const ids = ['40001', '999999'];
		const notFound = await h.fail(
			{ resource: 'workInterruption', operation: 'get', recordId: (i: number) => ids[i] },
			{ items: [{ json: {} }, { json: {} }] },
		);
		expect((notFound as unknown as { context: { itemIndex?: number } }).context.itemIndex).toBe(1);

		h.sim.injectFault({ status: 500, times: 1, path: 'webhooks' });
		const serverError = await h.fail(
			{ resource: 'webhook', operation: 'getAll', returnAll: true },
			{ items: [{ json: {} }] },
		);
		expect(serverError.httpCode).toBe('500');
		expect((serverError as unknown as { context: { itemIndex?: number } }).context.itemIndex).toBe(
			0,
		);
	});
});

describe('Continue On Fail', () => {
	it('gives one error item per failed input item, paired, and keeps the others', async () => {
		const ids = ['40001', '999999', '../x', '40002'];
		const items = await h.run(
			{
				resource: 'workInterruption',
				operation: 'get',
				simplify: false,
				recordId: (i: number) => ids[i],
			},
			{ items: ids.map(() => ({ json: {} })), continueOnFail: true },
		);
		expect(items.map((i) => i.pairedItem)).toEqual([
			{ item: 0 },
			{ item: 1 },
			{ item: 2 },
			{ item: 3 },
		]);
		expect(items[0].json.id).toBe(40001);
		expect(items[1].json.error).toBe("No work interruption with ID '999999' exists in Protime");
		expect(items[1].json.description).toBeTruthy();
		expect(items[2].json.error).toMatch(/contains '\/'/);
		expect(items[3].json.id).toBe(40002);
	});

	it('drops the records of a Get Many that failed half-way, leaving only its error item', async () => {
		h.sim.injectFault({ status: 409, times: 1, path: 'continuationToken' });
		const items = await h.run(JANUARY_INTERRUPTIONS, {
			items: [{ json: {} }],
			continueOnFail: true,
		});
		expect(jsonOf(items)).toHaveLength(1);
		expect(items[0].json.error).toBeTruthy();
		expect(items[0].json.httpCode).toBe('409');
		expect(items[0].pairedItem).toEqual({ item: 0 });
	});

	it('reports a validation problem per item without stopping the others', async () => {
		const starts = ['2026-01-01', '2024-01-01'];
		const items = await h.run(
			{ ...JANUARY_INTERRUPTIONS, startDate: (i: number) => starts[i] },
			{ items: [{ json: {} }, { json: {} }], continueOnFail: true },
		);
		expect(items.filter((i) => (i.pairedItem as { item: number }).item === 0)).toHaveLength(60);
		const failed = items.filter((i) => (i.pairedItem as { item: number }).item === 1);
		expect(jsonOf(failed)).toEqual([
			expect.objectContaining({ error: expect.stringMatching(/Protime accepts at most 366/) }),
		]);
	});
});
