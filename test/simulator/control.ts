/**
 * The simulator's control API over HTTP under `/_sim` (for the e2e harness and the demo, which run the
 * simulator in another process). Each route calls the in-process method of the same name.
 */
import { Router, type Response } from 'express';

import { isCollectionName, type CollectionName } from './model';
import type { AssumptionsPatch } from './assumptions';
import { startTraffic } from './demoTenant';
import type { DelaySpec, FaultSpec } from './faults';
import type { ProtimeSimulator } from './index';

/** `"/regex/flags"` becomes a RegExp; any other string is a substring match. */
function pathMatcher(path: unknown): RegExp | string | undefined {
	if (typeof path !== 'string' || path === '') return undefined;
	const m = /^\/(.+)\/([a-z]*)$/.exec(path);
	return m ? new RegExp(m[1], m[2]) : path;
}

function times(value: unknown): number | undefined {
	if (value === null || value === 'forever') return Infinity;
	return typeof value === 'number' ? value : undefined;
}

function fail(res: Response, status: number, message: string): void {
	res.status(status).json({ error: message });
}

export function controlRoutes(getSim: () => ProtimeSimulator): Router {
	const router = Router();
	const sim = () => getSim();
	const body = (req: { body?: unknown }) => (req.body ?? {}) as Record<string, unknown>;

	/** Runs `fn`; a thrown error becomes 400 with its message. */
	const run = (res: Response, fn: () => unknown) => {
		try {
			const result = fn();
			if (result === undefined) res.status(204).end();
			else res.json(result);
		} catch (error) {
			fail(res, 400, (error as Error).message);
		}
	};

	const collection = (res: Response, name: string): name is CollectionName => {
		if (isCollectionName(name)) return true;
		fail(res, 404, `Unknown collection '${name}'`);
		return false;
	};

	router.get('/health', (_req, res) => {
		const s = sim();
		res.json({
			origin: s.origin,
			tenant: s.tenant,
			tokenUrl: s.tokenUrl,
			apiBase: s.apiBase,
			defaultClient: s.defaultClient,
		});
	});

	router.get('/assumptions', (_req, res) => res.json(sim().assumptions));
	router.patch('/assumptions', (req, res) =>
		run(res, () => {
			const patch = body(req) as AssumptionsPatch;
			const a = sim().assumptions;
			const { signature, ...rest } = patch ?? {};
			Object.assign(a, rest);
			if (signature) Object.assign(a.signature, signature);
			return a;
		}),
	);

	router.post('/clients', (req, res) =>
		run(res, () => {
			const { clientId, clientSecret, scopes } = body(req);
			if (
				typeof clientId !== 'string' ||
				typeof clientSecret !== 'string' ||
				!Array.isArray(scopes)
			) {
				throw new Error('Expected {clientId, clientSecret, scopes: string[]}');
			}
			sim().addClient({ clientId, clientSecret, scopes: scopes.map(String) });
		}),
	);

	router.post('/clock/advance', (req, res) =>
		run(res, () => sim().advanceClock(Number(body(req).seconds ?? 0))),
	);

	// ---- records ----
	router.get('/records/:collection', (req, res) => {
		if (collection(res, req.params.collection))
			res.json({ value: sim().records(req.params.collection) });
	});
	router.post('/records/:collection/seed', (req, res) => {
		const records = body(req).records ?? req.body;
		if (!collection(res, req.params.collection)) return;
		const name = req.params.collection;
		run(res, () => ({
			value: sim().seed(
				name,
				(Array.isArray(records) ? records : []) as Array<Record<string, unknown>>,
			),
		}));
	});
	router.post('/records/:collection', (req, res) => {
		if (!collection(res, req.params.collection)) return;
		const name = req.params.collection;
		run(res, () => sim().insert(name, body(req)));
	});
	router.patch('/records/:collection/:id', (req, res) => {
		if (!collection(res, req.params.collection)) return;
		const name = req.params.collection;
		run(res, () => sim().update(name, idOf(req.params.id), body(req)));
	});
	router.delete('/records/:collection/:id', (req, res) => {
		if (!collection(res, req.params.collection)) return;
		if (sim().remove(req.params.collection, idOf(req.params.id))) res.status(204).end();
		else fail(res, 404, 'No such record');
	});
	router.post('/external-references/:collection/:id', (req, res) =>
		run(res, () =>
			sim().setExternalReferences(
				req.params.collection,
				idOf(req.params.id),
				body(req) as Record<string, string>,
			),
		),
	);

	// ---- webhooks and deliveries ----
	router.get('/webhooks', (_req, res) => res.json({ value: sim().webhooks() }));
	router.post('/webhooks/:id/expire', (req, res) =>
		run(res, () => sim().expireWebhook(req.params.id)),
	);
	router.post('/webhooks/:id/disable', (req, res) =>
		run(res, () => sim().disableWebhook(req.params.id)),
	);
	router.post('/webhooks/:id/redeliver', (req, res) =>
		run(res, () => {
			const { kind, count, ids } = body(req);
			if (kind !== 'duplicate' && kind !== 'older')
				throw new Error("Expected {kind: 'duplicate' | 'older', count, ids?: [record ids]}");
			if (ids !== undefined && !Array.isArray(ids)) throw new Error('Expected ids to be an array');
			return {
				value: sim().redeliver(req.params.id, { kind, count: Number(count ?? 1), ids }),
			};
		}),
	);
	router.get('/deliveries/summary', (req, res) => {
		const webhookId = typeof req.query.webhookId === 'string' ? req.query.webhookId : undefined;
		const attempts = sim().deliveries(webhookId);
		res.json({
			attempts: attempts.length,
			succeeded: attempts.filter((a) => a.success).length,
			retries: attempts.filter((a) => a.attempt > 1).length,
			pending: sim().pendingDeliveries(),
			dropped: sim().droppedChanges(webhookId).length,
		});
	});
	router.get('/deliveries/dropped', (req, res) => {
		const webhookId = typeof req.query.webhookId === 'string' ? req.query.webhookId : undefined;
		res.json({ value: sim().droppedChanges(webhookId) });
	});
	router.get('/deliveries', (req, res) => {
		const webhookId = typeof req.query.webhookId === 'string' ? req.query.webhookId : undefined;
		res.json({ value: sim().deliveries(webhookId), pending: sim().pendingDeliveries() });
	});
	router.post('/deliveries/wait', async (req, res) => {
		const { n, timeoutMs, webhookId, includeFailed } = body(req);
		try {
			const value = await sim().waitForDeliveries(Number(n ?? 1), {
				timeoutMs: typeof timeoutMs === 'number' ? timeoutMs : undefined,
				webhookId: typeof webhookId === 'string' ? webhookId : undefined,
				includeFailed: includeFailed === true,
			});
			res.json({ value });
		} catch (error) {
			fail(res, 408, (error as Error).message);
		}
	});

	// ---- delta ----
	router.get('/deltas', (_req, res) => res.json({ value: sim().deltas() }));
	router.post('/deltas/expire', (req, res) =>
		run(res, () =>
			sim().expireDeltas(
				typeof body(req).deltaId === 'number' ? (body(req).deltaId as number) : undefined,
			),
		),
	);

	// ---- faults ----
	router.post('/faults', (req, res) =>
		run(res, () => {
			const b = body(req);
			if (typeof b.status !== 'number')
				throw new Error('Expected {status, retryAfterSeconds?, times?, path?, target?}');
			const spec: FaultSpec = {
				status: b.status,
				retryAfterSeconds:
					typeof b.retryAfterSeconds === 'number' ? b.retryAfterSeconds : undefined,
				times: times(b.times),
				path: pathMatcher(b.path),
				target: b.target as FaultSpec['target'],
			};
			sim().injectFault(spec);
		}),
	);
	router.post('/delays', (req, res) =>
		run(res, () => {
			const b = body(req);
			if (typeof b.ms !== 'number') throw new Error('Expected {ms, times?, path?, target?}');
			const spec: DelaySpec = {
				ms: b.ms,
				times: times(b.times),
				path: pathMatcher(b.path),
				target: b.target as DelaySpec['target'],
			};
			sim().injectDelay(spec);
		}),
	);
	router.delete('/faults', (_req, res) => run(res, () => sim().clearFaults()));
	router.post('/tokens/expire', (_req, res) => run(res, () => sim().expireAllTokens()));
	router.post('/continuation-tokens/expire', (_req, res) =>
		run(res, () => sim().expireContinuationTokens()),
	);
	router.post('/unreachable', (req, res) =>
		run(res, () => sim().setUnreachable(body(req).unreachable !== false)),
	);

	// ---- stats ----
	router.get('/stats', (_req, res) => res.json(sim().stats));
	router.get('/token-requests', (_req, res) => res.json({ value: sim().tokenRequests() }));
	router.post('/stats/reset', (_req, res) => run(res, () => sim().resetStats()));

	// ---- demo traffic ----
	router.post('/traffic/start', (req, res) =>
		run(res, () => {
			const everyMs = Number(body(req).everyMs ?? 2000);
			startTraffic(sim(), { everyMs });
		}),
	);
	router.post('/traffic/stop', (_req, res) => run(res, () => sim().stopTraffic()));

	return router;
}

function idOf(raw: string): number | string {
	return /^-?\d+$/.test(raw) ? Number(raw) : raw;
}
