/** Assembles the express app: token endpoint, API (User-Agent, bearer, routes), control API, error bodies. */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';

import type { TokenService } from './auth';
import { collectionRoutes, type Pager } from './collections';
import { API_PATH, type SimContext } from './context';
import { deltaRoutes, type DeltaRegistry } from './delta';
import type { Deliverer } from './delivery';
import { errorBody, sendError } from './errors';
import type { FaultInjector } from './faults';
import type { StatsRecorder } from './stats';
import { webhookRoutes, type WebhookRegistry } from './webhooks';

export interface ServerParts {
	ctx: SimContext;
	tokens: TokenService;
	registry: WebhookRegistry;
	deliverer: Deliverer;
	pager: Pager;
	deltas: DeltaRegistry;
	faults: FaultInjector;
	stats: StatsRecorder;
	control: Router;
}

const isToken = (req: Request) => /^\/tenants\/[^/]+\/connect\/token\/?$/.test(req.path);

export function buildApp(parts: ServerParts): express.Express {
	const { ctx, tokens } = parts;
	const app = express();
	app.disable('x-powered-by');
	app.set('etag', false);

	app.use('/_sim', express.json({ limit: '5mb' }), parts.control);

	// Everything below is "Protime": counted, and subject to injected faults.
	app.use(parts.stats.middleware(isToken));
	app.use(parts.faults.middleware(isToken));

	app.post(
		'/tenants/:tenant/connect/token',
		express.urlencoded({ extended: false }),
		tokens.handleTokenRequest,
	);
	app.get('/tenants/:tenant/.well-known/openid-configuration', (req, res) => {
		if (req.params.tenant !== ctx.tenant)
			return void res.status(ctx.assumptions.unknownTenant.status).end();
		const issuer = `${req.protocol}://${req.get('host')}/tenants/${ctx.tenant}`;
		res.json({
			issuer,
			token_endpoint: `${issuer}/connect/token`,
			grant_types_supported: ['client_credentials'],
			token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
		});
	});

	const api = express.Router();
	api.use((req, res, next) => {
		// "A URI may be at most 4,096 characters" (general specs; 414 on paid-presences lists: filter plus continuation token).
		if (req.originalUrl.length > ctx.assumptions.maxUriLength) {
			return sendError(
				res,
				414,
				`The request URI is ${req.originalUrl.length} characters long; at most ${ctx.assumptions.maxUriLength} are accepted`,
			);
		}
		if (ctx.assumptions.requireUserAgent && !(req.get('user-agent') ?? '').trim()) {
			return sendError(res, 400, 'User-Agent header is required');
		}
		next();
	});
	api.use(tokens.requireToken);
	api.use(express.json({ limit: '1mb' }));
	api.use(webhookRoutes(ctx, parts.registry, parts.deliverer));
	api.use(deltaRoutes(ctx, parts.pager, parts.deltas));
	api.use(collectionRoutes(ctx, parts.pager));
	api.use((req, res) => sendError(res, 404, `The resource '${req.path}' does not exist`));
	app.use(API_PATH, api);

	app.use((req, res) => sendError(res, 404, `The resource '${req.path}' does not exist`));
	// Body parse errors and anything unexpected, in Protime's error shape.
	app.use(
		(
			err: { status?: number; type?: string; message?: string },
			_req: Request,
			res: Response,
			next: NextFunction,
		) => {
			if (res.headersSent) return next(err);
			const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
			res
				.status(status)
				.json(
					status === 400
						? errorBody(400, 'The request was invalid', [err.message ?? 'Malformed body'])
						: errorBody(status, err.message ?? 'Error'),
				);
		},
	);
	return app;
}
