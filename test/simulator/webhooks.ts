/**
 * The webhook resource (docs/protime-reference.md §2): registry with lazy expiry at `validUntil`, and the
 * create / list / get / soft-delete / debugging routes.
 */
import { randomBytes, randomUUID } from 'crypto';
import { Router, type Request, type Response } from 'express';

import {
	getCollection,
	isCollectionName,
	WEBHOOK_READ_SCOPE,
	WEBHOOK_WRITE_SCOPE,
	type CollectionName,
} from './model';
import { checkScope } from './auth';
import { API_PATH, isoWithOffset, type SimContext } from './context';
import type { Deliverer } from './delivery';
import { sendBadRequest, sendError } from './errors';
import {
	describeReferences,
	parseExternalReferences,
	validateExternalReferences,
	type ReferenceSpec,
} from './externalReferences';
import { conditionsOf, tryParseFilter } from './filterParser';

export type DisabledReason = 'retriesExhausted' | 'expired' | 'deleted' | 'manual';

export interface SimWebhook {
	id: string;
	/** The private key exactly as returned in the 201 body. */
	key: string;
	collectionName: CollectionName;
	destinationUrl: string;
	references: ReferenceSpec[];
	createdAt: number;
	validUntilMs: number;
	status: 'Enabled' | 'Disabled';
	disabledReason?: DisabledReason;
	deleted: boolean;
}

const STATUSES = ['Uninitialized', 'Enabled', 'Disabled'];

export class WebhookRegistry {
	private readonly webhooks = new Map<string, SimWebhook>();

	constructor(private readonly ctx: SimContext) {}

	create(
		collectionName: CollectionName,
		destinationUrl: string,
		references: ReferenceSpec[],
	): SimWebhook {
		const now = this.ctx.clock.now();
		const webhook: SimWebhook = {
			id: randomUUID(),
			key: randomBytes(this.ctx.assumptions.webhookKeyBytes).toString('base64'),
			collectionName,
			destinationUrl,
			references,
			createdAt: now,
			// Whole seconds, because validUntil is shown without fractions.
			validUntilMs:
				Math.floor(now / 1000) * 1000 + this.ctx.assumptions.webhookValiditySeconds * 1000,
			status: 'Enabled',
			deleted: false,
		};
		this.webhooks.set(webhook.id, webhook);
		return webhook;
	}

	/** All webhooks, deleted ones included, with expiry applied. */
	all(): SimWebhook[] {
		return [...this.webhooks.values()].map((w) => this.refresh(w));
	}

	get(id: string): SimWebhook | undefined {
		const w = this.webhooks.get(id);
		return w && this.refresh(w);
	}

	/** Webhooks that should receive a change of `collectionName` now. */
	subscribers(collectionName: string): SimWebhook[] {
		return this.all().filter((w) => w.collectionName === collectionName && this.isDelivering(w));
	}

	isDelivering(webhook: SimWebhook): boolean {
		return this.refresh(webhook).status === 'Enabled' && !webhook.deleted;
	}

	disable(webhook: SimWebhook, reason: DisabledReason): void {
		if (webhook.status === 'Enabled') {
			webhook.status = 'Disabled';
			webhook.disabledReason = reason;
		}
	}

	/** Moves validUntil to now, so the webhook is Disabled from here on (`sim.expireWebhook`). */
	expire(webhook: SimWebhook): void {
		webhook.validUntilMs = Math.min(webhook.validUntilMs, this.ctx.clock.now());
		this.refresh(webhook);
	}

	softDelete(webhook: SimWebhook): void {
		this.disable(webhook, 'deleted');
		webhook.deleted = true;
	}

	/** At validUntil the webhook becomes Disabled (§3.5); evaluated whenever it is looked at. */
	private refresh(webhook: SimWebhook): SimWebhook {
		if (webhook.status === 'Enabled' && this.ctx.clock.now() >= webhook.validUntilMs)
			this.disable(webhook, 'expired');
		return webhook;
	}

	/** The resource as the API shows it (no key). */
	view(webhook: SimWebhook): Record<string, unknown> {
		return {
			id: webhook.id,
			validUntil: isoWithOffset(webhook.validUntilMs, this.ctx.assumptions.utcOffsetMinutes),
			status: webhook.status,
			destinationUrl: webhook.destinationUrl,
			collectionName: webhook.collectionName,
			externalReferences: describeReferences(
				webhook.references,
				this.ctx.assumptions.webhookExternalReferencesShape,
			),
		};
	}
}

function destinationProblem(value: unknown, allowHttp: boolean): string | undefined {
	if (typeof value !== 'string' || value.trim() === '') return 'destinationUrl is required';
	let url: URL;
	try {
		url = new URL(value);
	} catch {
		return `destinationUrl '${value}' is not an absolute URL`;
	}
	if (url.protocol === 'https:' || (allowHttp && url.protocol === 'http:')) return undefined;
	return `destinationUrl '${value}' must use https`;
}

/** The `/webhooks` routes; mount under API_PATH after the token check. */
export function webhookRoutes(
	ctx: SimContext,
	registry: WebhookRegistry,
	deliverer: Deliverer,
): Router {
	const router = Router();
	const a = () => ctx.assumptions;

	/** A webhook the API still shows, or undefined after answering 404. */
	const visible = (req: Request, res: Response): { webhook: SimWebhook } | undefined => {
		const webhook = registry.get(String(req.params.id));
		if (!webhook || (webhook.deleted && a().getDeletedWebhook === 'notFound')) {
			sendError(res, 404, 'Webhook with the given ID does not exist');
			return undefined;
		}
		return { webhook };
	};

	router.post('/webhooks', (req, res) => {
		if (!checkScope(ctx, res, WEBHOOK_WRITE_SCOPE)) return;
		const body = req.body as Record<string, unknown> | undefined;
		if (typeof body !== 'object' || body === null || Array.isArray(body)) {
			return sendBadRequest(res, [
				'The body must be a JSON object with destinationUrl and collectionName',
			]);
		}
		const reasons: string[] = [];
		const urlProblem = destinationProblem(body.destinationUrl, a().allowHttpDestinations);
		if (urlProblem) reasons.push(urlProblem);
		const collectionName = body.collectionName;
		if (!isCollectionName(collectionName)) {
			reasons.push(
				typeof collectionName === 'string' && collectionName !== ''
					? `Unknown collection name '${collectionName}'`
					: 'collectionName is required',
			);
		}
		const parsed = parseExternalReferences(req.query.externalReferences);
		if ('reasons' in parsed) reasons.push(...parsed.reasons);
		else if (isCollectionName(collectionName))
			reasons.push(...validateExternalReferences(collectionName, parsed.specs, true));
		if (reasons.length > 0 || !isCollectionName(collectionName) || 'reasons' in parsed)
			return sendBadRequest(res, reasons);
		const duplicate = registry
			.all()
			.some(
				(w) =>
					!w.deleted &&
					w.status === 'Enabled' &&
					w.collectionName === collectionName &&
					w.destinationUrl === body.destinationUrl,
			);
		if (duplicate && a().duplicateWebhooks === 'reject') {
			return sendBadRequest(res, [
				`A webhook for '${collectionName}' and this destinationUrl already exists`,
			]);
		}

		if (
			a().webhookCreateRequiresCollectionScope &&
			!checkScope(ctx, res, getCollection(collectionName).readScope)
		)
			return;

		const webhook = registry.create(collectionName, String(body.destinationUrl), parsed.specs);
		const view = registry.view(webhook);
		res
			.status(201)
			.location(`${API_PATH}/webhooks/${webhook.id}`)
			.json({ id: view.id, [a().webhookKeyProperty]: webhook.key, ...view });
	});

	router.get('/webhooks', (req, res) => {
		if (!checkScope(ctx, res, WEBHOOK_READ_SCOPE)) return;
		const filter = compileWebhookFilter(req.query.filter);
		if ('reasons' in filter) return sendBadRequest(res, filter.reasons);
		const value = registry
			.all()
			.filter((w) => !w.deleted || a().listDeletedWebhooks)
			.filter((w) => filter.status === undefined || w.status === filter.status)
			.filter(
				(w) => filter.collectionName === undefined || w.collectionName === filter.collectionName,
			)
			.map((w) => registry.view(w));
		res.json({ value });
	});

	router.get('/webhooks/:id', (req, res) => {
		if (!checkScope(ctx, res, WEBHOOK_READ_SCOPE)) return;
		const found = visible(req, res);
		if (found) res.json(registry.view(found.webhook));
	});

	router.delete('/webhooks/:id', (req, res) => {
		if (!checkScope(ctx, res, WEBHOOK_WRITE_SCOPE)) return;
		const webhook = registry.get(String(req.params.id));
		if (!webhook || (webhook.deleted && a().repeatDeleteStatus === 404)) {
			return sendError(res, 404, 'Webhook with the given ID does not exist');
		}
		registry.softDelete(webhook);
		res.status(a().deleteStatus).end();
	});

	// The debugging endpoint works for deleted webhooks too (§2.5).
	router.get('/webhooks/:id/:debug', (req, res, next) => {
		if (req.params.debug !== a().debugEventsPath) return next();
		if (!checkScope(ctx, res, WEBHOOK_READ_SCOPE)) return;
		const webhook = registry.get(String(req.params.id));
		if (!webhook) return sendError(res, 404, 'Webhook with the given ID does not exist');
		const value = deliverer.attempts
			.filter((d) => d.webhookId === webhook.id)
			.flatMap((d) =>
				d.events.map((e) => ({
					eventId: e.eventId,
					changeVersion: e.changeVersion,
					attemptedAt: d.attemptedAt,
					statusCode: d.statusCode,
					success: d.success,
				})),
			);
		res.json({ value });
	});

	return router;
}

/** `status eq '…'` and `collection-name eq '…'`, joined by `and` (§2.3). */
export function compileWebhookFilter(
	raw: unknown,
): { status?: string; collectionName?: string } | { reasons: string[] } {
	if (raw === undefined || raw === '') return {};
	if (typeof raw !== 'string') return { reasons: ['filter must be given once'] };
	const parsed = tryParseFilter(raw);
	if ('error' in parsed) return { reasons: [`The filter is invalid: ${parsed.error}`] };
	const conds = conditionsOf(parsed.expr);
	if (conds.some((c) => c.underOr))
		return { reasons: ["'or' is not supported when filtering webhooks"] };
	const out: { status?: string; collectionName?: string } = {};
	const reasons: string[] = [];
	for (const { cond } of conds) {
		const value = cond.factor.kind === 'constant' ? cond.factor.constant : undefined;
		if (cond.op !== 'eq' || value?.type !== 'string') {
			reasons.push(
				`The filter '${cond.field}' takes eq with a quoted value, e.g. ${cond.field} eq '…'`,
			);
		} else if (cond.field === 'status') {
			if (!STATUSES.includes(value.value))
				reasons.push(`Unknown status '${value.value}' (Enabled or Disabled)`);
			else out.status = value.value;
		} else if (cond.field === 'collection-name') {
			out.collectionName = value.value;
		} else {
			reasons.push(
				`Unknown filter field '${cond.field}' for webhooks (known: status, collection-name)`,
			);
		}
	}
	return reasons.length > 0 ? { reasons } : out;
}
