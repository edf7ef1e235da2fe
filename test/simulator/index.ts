/**
 * ProtimeSimulator: a local, faithful stand-in for the Protime API (token endpoint, webhooks, deliveries,
 * collections) with a control surface for tests. See README "Protime simulator" and assumptions.ts.
 */
import { sleep } from 'n8n-workflow';

import { isCollectionName, type CollectionName } from './model';
import {
	defaultAssumptions,
	mergeAssumptions,
	type AssumptionsPatch,
	type SimulatorAssumptions,
} from './assumptions';
import { DEFAULT_CLIENT, TokenService, type SimClient } from './auth';
import { Pager } from './collections';
import { API_PATH, Clock, isoWithOffset, type SimContext } from './context';
import { controlRoutes } from './control';
import { DeltaRegistry, type DeltaInfo } from './delta';
import { Deliverer, type ChangeItem, type DeliveryAttempt, type DroppedChange } from './delivery';
import { applyExternalReferences } from './externalReferences';
import { FaultInjector, type DelaySpec, type FaultSpec } from './faults';
import { generateRecord, Random } from './generate';
import { buildApp } from './server';
import { StatsRecorder, type SimulatorStats } from './stats';
import { Store, type SimRecord } from './store';
import { WebhookRegistry, type SimWebhook } from './webhooks';

export type { SimulatorAssumptions } from './assumptions';
export type { DeliveryAttempt, DroppedChange } from './delivery';
export type { SimClient } from './auth';
export type { DeltaInfo, DeltaItem } from './delta';
export type { CollectionName } from './model';
export type { SimRecord } from './store';
export type { SimulatorStats, RequestLogEntry } from './stats';
export type { FaultSpec, DelaySpec } from './faults';
export { API_PATH } from './context';
export { signBody } from './delivery';

export interface SimulatorOptions {
	/** 0 (default) picks a free port. */
	port?: number;
	/** Default 127.0.0.1. */
	host?: string;
	/** Default `acme`. */
	tenant?: string;
	/** Extra clients; the default client (all DEFAULT_SCOPES) always exists. */
	clients?: SimClient[];
	assumptions?: AssumptionsPatch;
	/** Seed of the record generator (default 42). */
	randomSeed?: number;
}

/** A webhook as the simulator sees it: the resource plus its key and why it was disabled. */
export interface WebhookInfo {
	id: string;
	key: string;
	collectionName: CollectionName;
	destinationUrl: string;
	status: 'Enabled' | 'Disabled';
	validUntil: string;
	validUntilMs: number;
	createdAt: string;
	deleted: boolean;
	disabledReason?: string;
	externalReferences: Array<{ collection: string; reference: string }>;
}

/** A record to store: any subset of its fields (the rest comes from the model sample), plus `externalReferences` values. */
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export type RecordInput<C extends CollectionName = CollectionName> = Record<string, unknown>;

/** The changes in a delivery body as sent (one change, an array, or `{value: [...]}`). */
function changeItemsOf(body: string): ChangeItem[] {
	const json = JSON.parse(body) as ChangeItem | ChangeItem[] | { value: ChangeItem[] };
	if (Array.isArray(json)) return json;
	return 'value' in json ? json.value : [json];
}

type Server = ReturnType<ReturnType<typeof buildApp>['listen']>;

export class ProtimeSimulator {
	readonly origin: string;
	readonly tenant: string;
	readonly assumptions: SimulatorAssumptions;
	readonly defaultClient: { clientId: string; clientSecret: string };

	private readonly ctx: SimContext;
	private readonly tokens: TokenService;
	private readonly registry: WebhookRegistry;
	private readonly deliverer: Deliverer;
	private readonly pager: Pager;
	private readonly deltaRegistry: DeltaRegistry;
	private readonly faults: FaultInjector;
	private readonly recorder: StatsRecorder;
	private readonly random: Random;
	private traffic?: { stop: () => void };

	private constructor(
		private readonly server: Server,
		origin: string,
		parts: {
			ctx: SimContext;
			tokens: TokenService;
			registry: WebhookRegistry;
			deliverer: Deliverer;
			pager: Pager;
			deltas: DeltaRegistry;
			faults: FaultInjector;
			recorder: StatsRecorder;
			random: Random;
		},
	) {
		this.origin = origin;
		this.ctx = parts.ctx;
		this.tenant = parts.ctx.tenant;
		this.assumptions = parts.ctx.assumptions;
		this.tokens = parts.tokens;
		this.registry = parts.registry;
		this.deliverer = parts.deliverer;
		this.pager = parts.pager;
		this.deltaRegistry = parts.deltas;
		this.faults = parts.faults;
		this.recorder = parts.recorder;
		this.random = parts.random;
		this.defaultClient = {
			clientId: DEFAULT_CLIENT.clientId,
			clientSecret: DEFAULT_CLIENT.clientSecret,
		};
	}

	static async start(options: SimulatorOptions = {}): Promise<ProtimeSimulator> {
		const clock = new Clock();
		const ctx: SimContext = {
			tenant: options.tenant ?? 'acme',
			assumptions: mergeAssumptions(defaultAssumptions(), options.assumptions),
			store: new Store(),
			clock,
		};
		const tokens = new TokenService(ctx);
		tokens.addClient(DEFAULT_CLIENT);
		for (const client of options.clients ?? []) tokens.addClient(client);
		const registry = new WebhookRegistry(ctx);
		const deliverer = new Deliverer(ctx, registry);
		const pager = new Pager(ctx);
		const deltas = new DeltaRegistry(ctx);
		const faults = new FaultInjector();
		const recorder = new StatsRecorder(clock);
		const random = new Random(options.randomSeed ?? 42);

		// The control router needs the instance; it is created lazily through this holder.
		const holder: { sim?: ProtimeSimulator } = {};
		const app = buildApp({
			ctx,
			tokens,
			registry,
			deliverer,
			pager,
			deltas,
			faults,
			stats: recorder,
			control: controlRoutes(() => holder.sim!),
		});
		const host = options.host ?? '127.0.0.1';
		const server = await new Promise<Server>((resolve, reject) => {
			const s = app.listen(options.port ?? 0, host, (error?: Error) =>
				error ? reject(error) : resolve(s),
			);
		});
		const address = server.address();
		const port = typeof address === 'object' && address ? address.port : options.port;
		const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
		holder.sim = new ProtimeSimulator(server, origin, {
			ctx,
			tokens,
			registry,
			deliverer,
			pager,
			deltas,
			faults,
			recorder,
			random,
		});
		return holder.sim;
	}

	/** `<origin>/tenants/<tenant>/connect/token` */
	get tokenUrl(): string {
		return `${this.origin}/tenants/${this.tenant}/connect/token`;
	}

	/** `<origin>/connector/protimeapi/api/v1` */
	get apiBase(): string {
		return `${this.origin}${API_PATH}`;
	}

	async stop(): Promise<void> {
		this.stopTraffic();
		this.deliverer.stop();
		await new Promise<void>((resolve) => {
			this.server.close(() => resolve());
			this.server.closeAllConnections();
		});
	}

	// ---- clients and clock ----

	/** Token requests received so far, each with its `scope` field as sent (undefined when absent). */
	tokenRequests(): Array<{ clientId?: string; scope?: string }> {
		return this.tokens.requests.map((r) => ({ ...r }));
	}

	addClient(client: SimClient): void {
		this.tokens.addClient(client);
	}

	/** Moves the simulator's clock forward (token expiry, validUntil, continuation tokens) without waiting. */
	advanceClock(seconds: number): void {
		this.ctx.clock.offsetMs += seconds * 1000;
	}

	now(): number {
		return this.ctx.clock.now();
	}

	// ---- records ----

	/** Stores records without raising events (initial state). Partial records are completed from the model sample. */
	seed<C extends CollectionName>(collection: C, records: Array<RecordInput<C>>): SimRecord[] {
		this.collection(collection);
		return records.map((partial) => this.store(collection, partial));
	}

	/** Inserts a record (completed from the sample) and raises an InsertOrUpdate event. */
	insert<C extends CollectionName>(collection: C, partial: RecordInput<C> = {}): SimRecord {
		this.collection(collection);
		const record = this.store(collection, partial);
		this.raise(collection, 'InsertOrUpdate', record);
		return structuredClone(record);
	}

	/** Changes a record (shallow merge) and raises an InsertOrUpdate event with a new changeVersion. */
	update<C extends CollectionName>(
		collection: C,
		id: number | string,
		patch: RecordInput<C>,
	): SimRecord {
		this.collection(collection);
		const current = this.ctx.store.get(collection, id);
		if (!current) throw new Error(`No ${collection} record with id ${id}`);
		const { externalReferences, ...fields } = patch as Record<string, unknown>;
		if (externalReferences)
			this.ctx.store.setReferences(collection, id, externalReferences as Record<string, string>);
		const record = {
			...current,
			...fields,
			id: current.id,
			changeVersion: this.ctx.store.nextChangeVersion(),
		} as SimRecord;
		this.ctx.store.put(collection, record);
		this.raise(collection, 'InsertOrUpdate', record);
		return structuredClone(record);
	}

	/** Deletes a record and raises a Delete event carrying only changeVersion and id. False when absent. */
	remove(collection: CollectionName, id: number | string): boolean {
		this.collection(collection);
		const current = this.ctx.store.get(collection, id);
		if (!current) return false;
		this.ctx.store.delete(collection, id);
		this.raise(
			collection,
			'Delete',
			{ id: current.id, changeVersion: this.ctx.store.nextChangeVersion() },
			current,
		);
		return true;
	}

	records<C extends CollectionName>(collection: C): SimRecord[] {
		return structuredClone(this.ctx.store.list(collection));
	}

	/**
	 * Sets external-reference values of any object, also of collections without endpoints here
	 * (e.g. `('terminals', 4, {'@external-code': 'T-04'})`).
	 */
	setExternalReferences(
		collection: string,
		id: number | string,
		values: Record<string, string>,
	): void {
		this.ctx.store.setReferences(collection, id, values);
	}

	// ---- webhooks and deliveries ----

	webhooks(): WebhookInfo[] {
		return this.registry.all().map((w) => this.info(w));
	}

	/** Delivery attempts (each POST, retries included), oldest first. */
	deliveries(webhookId?: string): DeliveryAttempt[] {
		return this.deliverer.attempts.filter(
			(d) => webhookId === undefined || d.webhookId === webhookId,
		);
	}

	/** Resolves with the successful deliveries once there are at least `n` (of one webhook, if given). */
	async waitForDeliveries(
		n: number,
		options: { timeoutMs?: number; webhookId?: string; includeFailed?: boolean } = {},
	): Promise<DeliveryAttempt[]> {
		const deadline = Date.now() + (options.timeoutMs ?? 5000);
		for (;;) {
			const found = this.deliveries(options.webhookId).filter(
				(d) => options.includeFailed || d.success,
			);
			if (found.length >= n) return found;
			if (Date.now() >= deadline) {
				throw new Error(`Timed out waiting for ${n} deliveries (got ${found.length})`);
			}
			await sleep(10);
		}
	}

	/**
	 * Delivers again, after whatever is queued, up to `count` changes this webhook already delivered
	 * successfully: `duplicate` picks among the newest versions delivered (a plain resend), `older` picks
	 * versions of records that were delivered again later with a newer changeVersion (a resend out of order).
	 * With `ids`, only changes of those records, delivered by any webhook of the same collection (an older
	 * version resent after a newer one, whichever subscription carried it first). Returns what was queued.
	 */
	redeliver(
		webhookId: string,
		options: { kind: 'duplicate' | 'older'; count: number; ids?: unknown[] },
	): Array<{ id: unknown; changeVersion: string }> {
		const webhook = this.webhook(webhookId);
		const ids = options.ids && new Set(options.ids.map(String));
		const sources = new Set(
			ids
				? this.registry
						.all()
						.filter((w) => w.collectionName === webhook.collectionName)
						.map((w) => w.id)
				: [webhookId],
		);
		const delivered: ChangeItem[] = [];
		for (const a of this.deliverer.attempts)
			if (sources.has(a.webhookId) && a.success)
				for (const item of changeItemsOf(a.body))
					if (!ids || ids.has(String(item.data.id))) delivered.push(item);
		const newest = new Map<string, string>();
		for (const item of delivered) {
			const key = String(item.data.id);
			const v = String(item.data.changeVersion);
			if ((newest.get(key) ?? '') < v) newest.set(key, v);
		}
		const pool = delivered.filter((item) => {
			const isNewest = newest.get(String(item.data.id)) === String(item.data.changeVersion);
			return options.kind === 'duplicate' ? isNewest : !isNewest;
		});
		const chosen: ChangeItem[] = [];
		for (let i = 0; i < options.count && pool.length > 0; i++)
			chosen.push(pool.splice(this.random.int(0, pool.length - 1), 1)[0]);
		this.deliverer.redeliver(webhook, chosen);
		return chosen.map((item) => ({
			id: item.data.id,
			changeVersion: String(item.data.changeVersion),
		}));
	}

	/** Changes that were queued for a webhook and lost when it stopped delivering (deleted, expired, disabled). */
	droppedChanges(webhookId?: string): DroppedChange[] {
		return this.deliverer.dropped.filter(
			(d) => webhookId === undefined || d.webhookId === webhookId,
		);
	}

	/** Events queued and not yet delivered. */
	pendingDeliveries(): number {
		return this.deliverer.pending();
	}

	/** validUntil becomes now: the webhook is Disabled and stops delivering. */
	expireWebhook(id: string): WebhookInfo {
		const webhook = this.webhook(id);
		this.registry.expire(webhook);
		return this.info(webhook);
	}

	/** As if Protime disabled it (e.g. prolonged unreachability). */
	disableWebhook(id: string): WebhookInfo {
		const webhook = this.webhook(id);
		this.registry.disable(webhook, 'manual');
		return this.info(webhook);
	}

	// ---- delta ----

	/** Every delta started so far, with its status (snapshot, active, superseded, expired) and expiry. */
	deltas(): DeltaInfo[] {
		return this.deltaRegistry.all();
	}

	/** As if 72 h passed since its last request: the delta (every delta, without an id) answers 410 Gone. */
	expireDeltas(deltaId?: number): void {
		this.deltaRegistry.expire(deltaId);
	}

	// ---- faults ----

	injectFault(spec: FaultSpec): void {
		this.faults.inject(spec);
	}

	injectDelay(spec: DelaySpec): void {
		this.faults.delay(spec);
	}

	clearFaults(): void {
		this.faults.clear();
	}

	expireAllTokens(): void {
		this.tokens.expireAll();
	}

	/** Continuation tokens issued so far become unknown (next nextLink → 409). */
	expireContinuationTokens(): void {
		this.pager.expireAll();
	}

	/** While true, token and API connections are dropped without an answer. */
	setUnreachable(unreachable: boolean): void {
		this.faults.unreachable = unreachable;
	}

	get stats(): SimulatorStats {
		return this.recorder.stats;
	}

	resetStats(): void {
		this.recorder.reset();
	}

	// ---- demo traffic (used by demoTenant.ts) ----

	/** Registers the running traffic generator so stop() ends it. */
	attachTraffic(traffic: { stop: () => void } | undefined): void {
		this.traffic?.stop();
		this.traffic = traffic;
	}

	stopTraffic(): void {
		this.attachTraffic(undefined);
	}

	/** The simulator's deterministic random source (demo data). */
	get rng(): Random {
		return this.random;
	}

	// ---- internals ----

	private collection(name: string): void {
		if (!isCollectionName(name)) throw new Error(`Unknown collection '${name}'`);
	}

	private store(collection: CollectionName, partial: Record<string, unknown>): SimRecord {
		const record = generateRecord(
			collection,
			partial,
			this.ctx.store,
			this.random,
			this.ctx.clock.now(),
		);
		record.changeVersion =
			typeof partial.changeVersion === 'string'
				? partial.changeVersion
				: this.ctx.store.nextChangeVersion();
		const refs = partial.externalReferences;
		if (refs && typeof refs === 'object')
			this.ctx.store.setReferences(collection, record.id, refs as Record<string, string>);
		this.ctx.store.put(collection, record);
		return record;
	}

	/** `lastState`: for a Delete, the record as it was (the change log keeps it for delta filters). */
	private raise(
		collection: CollectionName,
		changeType: ChangeItem['changeType'],
		record: SimRecord,
		lastState?: SimRecord,
	): void {
		this.ctx.store.logChange(
			collection,
			changeType,
			{ ...(lastState ?? record), changeVersion: record.changeVersion },
			this.ctx.clock.now(),
			this.assumptions.changeLogLimit,
		);
		for (const webhook of this.registry.subscribers(collection)) {
			const data =
				changeType === 'Delete'
					? { changeVersion: record.changeVersion, id: record.id }
					: applyExternalReferences(this.ctx.store, collection, record, webhook.references);
			this.deliverer.enqueue(webhook, { changeType, data });
		}
	}

	private webhook(id: string): SimWebhook {
		const webhook = this.registry.get(id);
		if (!webhook) throw new Error(`No webhook with id ${id}`);
		return webhook;
	}

	private info(w: SimWebhook): WebhookInfo {
		return {
			id: w.id,
			key: w.key,
			collectionName: w.collectionName,
			destinationUrl: w.destinationUrl,
			status: w.status,
			validUntil: isoWithOffset(w.validUntilMs, this.assumptions.utcOffsetMinutes),
			validUntilMs: w.validUntilMs,
			createdAt: new Date(w.createdAt).toISOString(),
			deleted: w.deleted,
			disabledReason: w.disabledReason,
			externalReferences: w.references.map((r) => ({ ...r })),
		};
	}
}
