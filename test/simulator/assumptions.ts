/**
 * Every behaviour of the simulator that the public Protime documentation does not pin down, in one place.
 *
 * Each entry names the gap it fills (docs/protime-reference.md §7, "Open questions") and carries the default from
 * docs/protime-reference.md §8. Tests and the e2e harness may change any of them at runtime through `sim.assumptions`
 * (or `PATCH /_sim/assumptions`), so the nodes can be proven against each plausible variant.
 */

export type HmacAlgorithm = 'sha256' | 'sha1' | 'sha512';

export interface SignatureAssumptions {
	/** §7.1 header name. Default `X-Protime-Signature` (§8). */
	header: string;
	/** §7.1 hash. Default SHA-256 (§8; "SHA-256 is likely", §3.4). */
	algorithm: HmacAlgorithm;
	/** §7.1 encoding of the digest. Default base64 (§8). */
	encoding: 'base64' | 'hex';
	/** §7.1 prefix before the digest, e.g. `sha256=`. Default none (§8). */
	prefix: string;
	/**
	 * §7.1/§7.2 which bytes are the HMAC key: the key string as returned in the 201 body taken as UTF-8 bytes
	 * (`utf8`, default: what most webhook senders do with a shared secret), or the 32 bytes it base64-encodes.
	 */
	keyEncoding: 'utf8' | 'base64';
	/**
	 * §7.1 replay protection: when set (e.g. `X-Protime-Timestamp`), that header carries Unix seconds and the
	 * HMAC covers `<timestamp>.<body>` instead of the body alone. Default '' (no timestamp; none is documented).
	 */
	timestampHeader: string;
}

/** How a webhook's delivery POST body is shaped. */
export type DeliveryEnvelope =
	/** One `{changeType, data}` per POST (§8 default). */
	| 'single'
	/** A JSON array of `{changeType, data}` items. */
	| 'array'
	/** `{"value": [{changeType, data}, …]}`, like a list page. */
	| 'value';

export interface UnknownTenantAnswer {
	status: number;
	/** JSON body, or undefined for an empty body. */
	body?: unknown;
}

export interface SimulatorAssumptions {
	// ---- Authentication (§1) ----
	/** §1.3 documents 1800 s (30 min) for `expires_in`; configurable so tests can make tokens lapse quickly. */
	tokenLifetimeSeconds: number;
	/** §7.13 token endpoint errors: RFC 6749 `{"error":"invalid_client"}` … with this status. Default 400 (IdentityServer). */
	tokenErrorStatus: number;
	/**
	 * §7.13/§8 a requested scope the client is not allowed: `reject` answers 400 `invalid_scope` (what
	 * IdentityServer does, default); `drop` grants only the allowed subset and lists it in `scope`.
	 */
	disallowedScope: 'reject' | 'drop';
	/** §1.3 the token response lists the granted scopes in `scope` (documented). False drops the field, as RFC 6749 §5.1 allows when they equal the request. */
	tokenResponseIncludesScope: boolean;
	/** §6.1 the longest request URI (path and query as sent) the API accepts; longer ones get 414. Default 4096. */
	maxUriLength: number;
	/** §5.5/§7.12 length of a continuation token (opaque, base64url, padded to this). Default 400: the docs give none. */
	continuationTokenLength: number;
	/** §1.2 shows client credentials in the form body only; IdentityServer also accepts HTTP Basic. Default true. */
	acceptBasicClientAuth: boolean;
	/**
	 * §7.13 an unknown tenant in `/tenants/{tenant}/connect/token`. IdentityServer behind a tenant-resolving
	 * path prefix has no issuer for it, so the likeliest answer is a plain 404 with an empty body (default).
	 */
	unknownTenant: UnknownTenantAnswer;
	/**
	 * §7.13 a missing `User-Agent` on an API call: 400 standard error body (§8), checked before the token
	 * (a gateway-level rule). False disables the check.
	 */
	requireUserAgent: boolean;
	/** §7.9 valid token without the needed scope: 403 (general Responses page, §8) or 401 (per-collection pages). */
	missingScopeStatus: 401 | 403;
	/** §7.9 whether POST /webhooks also needs the subscribed collection's `.read` scope. Default false. */
	webhookCreateRequiresCollectionScope: boolean;

	// ---- Webhook resource (§2) ----
	/** §7.2 JSON property of the private key in the 201 body. Default `key` (§8 placeholder). */
	webhookKeyProperty: string;
	/** §7.2 key = base64 of this many random bytes. Default 32 (§8). */
	webhookKeyBytes: number;
	/** §7.3 how long after creation `validUntil` lies. Default 7 days. */
	webhookValiditySeconds: number;
	/** §2.1 `validUntil` is ISO 8601 with an offset; the doc example uses +02:00 (Brussels summer time). */
	utcOffsetMinutes: number;
	/**
	 * §7.11 accept `http:` destination URLs (the docs require HTTPS). Default false; tests and e2e turn it on.
	 * Non-public hosts are accepted and there is no validation handshake.
	 */
	allowHttpDestinations: boolean;
	/** §7.10 several webhooks for the same collection and destination: `allow` (default) or `reject` with 400. */
	duplicateWebhooks: 'allow' | 'reject';
	/** §7.8 shape of the webhook's `externalReferences`: `map` = `{"people":["@employee-number"]}` (default), `list` = `[{"collection","reference"}]`. */
	webhookExternalReferencesShape: 'map' | 'list';
	/** §7.7 DELETE success status: 204 (default) or 200 with an empty body. */
	deleteStatus: 200 | 204;
	/** §7.7 whether soft-deleted webhooks still appear in the list (with status Disabled). Default false (§8). */
	listDeletedWebhooks: boolean;
	/** §7.7 GET /webhooks/{id} of a soft-deleted webhook: `notFound` (404, default, consistent with the list) or `disabled`. */
	getDeletedWebhook: 'notFound' | 'disabled';
	/** §7.7 a repeated DELETE: 404 (default) or the normal success status again. */
	repeatDeleteStatus: 404 | 'success';
	/**
	 * §7.6 last path segment of the debugging endpoint `GET /webhooks/{id}/<segment>`. Default `events` (§8).
	 * It answers `{value:[{eventId, changeVersion, attemptedAt, statusCode, success}]}`, one row per event per
	 * attempt, `statusCode` 0 when no answer came (refused, timeout); retention: the simulator's lifetime.
	 */
	debugEventsPath: string;

	// ---- Delivery (§3) ----
	/** §7.1 signature header, hash, encoding, prefix and key handling. */
	signature: SignatureAssumptions;
	/** §7.5 body envelope. Default `single` (§8). */
	envelope: DeliveryEnvelope;
	/** §7.4 batching: most events per POST with the `array`/`value` envelopes. Default 10. */
	maxBatchSize: number;
	/**
	 * §7.4 deliveries of one webhook in flight at once. The docs do not say whether Protime waits for each
	 * answer before the next POST (1, the default) or sends several at once; the trigger's Batch Changes must
	 * suit both, so the e2e runs both.
	 */
	deliveryConcurrency: number;
	/**
	 * §7.4 Protime's delivery timeout is undocumented: a delivery not answered within this counts as failed and is
	 * retried, even if the receiver finishes its work and answers 2xx later. It bounds how long a receiver may
	 * work before answering (e.g. answering only after its workflow ran). Default 10 s (§8); `--delivery-timeout-ms`.
	 */
	deliveryTimeoutMs: number;
	/**
	 * §7.4 waits before each retry of a failed delivery (any non-2xx answer, no answer, or a timeout; 410 is
	 * not special); after the last retry fails the webhook becomes Disabled and its queued changes are lost.
	 */
	retryScheduleMs: number[];
	/**
	 * §2.5/§3.5 what happens to the changes still queued for a webhook when it is deleted, disabled (not by
	 * exhausted retries) or expires: the docs do not say. `dropped` (default): they are never delivered.
	 * `drained`: the queue is still delivered, one at a time with retries, until it is empty (new changes are
	 * no longer queued for it). A webhook disabled because its retries ran out drops its queue either way.
	 * docs/protime-assumptions.md.
	 */
	queueOnStop: 'dropped' | 'drained';
	/** §7.5 the `User-Agent` Protime sends with deliveries. */
	deliveryUserAgent: string;

	// ---- Collections (§5.5) ----
	/** §7.12 records per list page. Default 100. */
	pageSize: number;
	/** Test aid (§5.5 "an empty value array does not mean the end"): empty pages inserted before each later page. */
	emptyPagesBetween: number;
	/** §7.12 how long a continuation token stays valid (an expired one gives 409). Default 10 minutes. */
	continuationTokenTtlSeconds: number;
	/** §5.5 the doc example shows the filter unencoded inside `nextLink`; `encoded` (default) percent-encodes the query. */
	nextLinkEncoding: 'encoded' | 'raw';
	/**
	 * §5.5 a required `date` filter needs a start (`ge` or `eq`); the end is optional. Without an end, the
	 * one-year limit is measured from the start to today (so `date ge '2026-01-01'` as in the tutorial works).
	 */
	openDateRangeEndsToday: boolean;
	/**
	 * §4.1 single GET by external reference (`/counter-definitions/OT150`): the value is resolved through the
	 * collection's own reference named in `?externalReferences=(counter-definitions,@counter-code)` (`query`,
	 * default); `queryOrPredefined` also tries each predefined reference of the collection when none is named.
	 */
	getByReference: 'query' | 'queryOrPredefined';
	/** §5.5 named lists (`person in circle(1)`, `in org-group(2)`): the simulator knows no circles, so they match every record. */
	namedListsMatchAll: boolean;

	// ---- Delta (§5.5; Protime's reference/delta, how-to/track-changes-with-delta, concepts/delta-synchronization) ----
	// docs/protime-assumptions.md "Delta" says why each default was chosen.
	/** Documented: a delta expires 72 h after its last request, then answers 410 Gone. Switchable only to shorten runs. */
	deltaExpirySeconds: number;
	/**
	 * Open: "only one delta can be active per collection": per API client (`client`, default; the concept page's
	 * cursor is kept "on behalf of each consumer for each collection") or per tenant (`tenant`).
	 */
	deltaScope: 'client' | 'tenant';
	/**
	 * Open: a delta started (`?delta`) while another is active in the same collection and scope. `supersede`
	 * (default): the new one wins and the old one's tokens answer `supersededDeltaStatus`; `reject`: the start
	 * answers 409 until the old one expires.
	 */
	deltaStartWhileActive: 'supersede' | 'reject';
	/** Open: a token of a superseded delta: 409 "concurrency conflict" (default) or 410 Gone. */
	supersededDeltaStatus: 409 | 410;
	/**
	 * Open: an older token of a delta once a newer one was issued (a delta read returned a fresh deltaLink):
	 * `works` (default: the token carries its own `StartingCursor`, so it reads the changes since then again),
	 * or 409, or 410.
	 */
	olderDeltaToken: 'works' | 409 | 410;
	/**
	 * Open: which deletes a delta read lists. `all` (default): every delete in the collection since the cursor (a
	 * tombstone holds only id and changeVersion, so a filter cannot be applied to it); `matching`: only records
	 * whose last state matched the delta's filter; `none`: no deletes (contradicts the how-to's example).
	 */
	deltaDeletes: 'all' | 'matching' | 'none';
	/**
	 * Open: `latest` (default): one item per changed record, its latest change since the cursor (net changes, as
	 * "returns only the records that were created, updated, or deleted" reads); `every`: every version, in order.
	 */
	deltaVersions: 'latest' | 'every';
	/**
	 * Open: where the first delta read starts. `snapshotStart` (default): changes since the `?delta` request,
	 * including those made while the pages were read (nothing lost; a change may come twice, changeVersion
	 * tells); `lastPage`: changes since the last page was served (a change to an already-read page is lost).
	 */
	deltaCursorStart: 'snapshotStart' | 'lastPage';
	/**
	 * The work-interruptions delta page documents: `date` required, its start no earlier than 1 January of the
	 * previous year, `person` not allowed. `dated` (default): every collection with a date filter follows it;
	 * `documented`: only work-interruptions; `none`: the list's own rules only.
	 */
	deltaFilterRules: 'dated' | 'documented' | 'none';
	/**
	 * Not Protime's: how many changes (all collections) the simulator's change log keeps for delta reads. A delta
	 * whose cursor is older than the oldest kept change has lost changes and answers 410. Default 100,000.
	 */
	changeLogLimit: number;
}

/*
 * Fixed choices (not switchable, named here so every assumption is in one place):
 * - §7.12 the webhook list is not paged (`{value:[…]}` only); list filters allow only `eq` joined by `and`.
 * - §7.12 a continuation token is bound to the filter and references of its first page; another query → 409.
 *   The page's records are the ones matching when the first page was asked (records deleted since are skipped).
 * - §7.5 deliveries carry no webhook id, event id or timestamp in body or headers (none is documented);
 *   `Content-Type: application/json`; one change per POST by default.
 * - §7.4 with `deliveryConcurrency` 1, deliveries of one webhook are strictly ordered and never concurrent;
 *   different webhooks run in parallel.
 * - §7.2 the 201 body echoes `id`, `status`, `destinationUrl`, `collectionName`, `externalReferences`.
 * - §7.13 401 answers carry Protime's standard error body and `WWW-Authenticate: Bearer`.
 * - §7.13 the token endpoint accepts a request without `scope` (grants every allowed scope); under `drop`,
 *   a request whose scopes are all disallowed is still `invalid_scope`. Errors carry no `error_description`.
 * - §4.1 an object without a value for a requested reference simply lacks that key (and `externalReferences`
 *   is left out when no value exists); `@counter-code`, `@shift-code`, `@absence-code` are the record's `code`.
 * - §3.3 changeVersion counts up from `0000090200004BD00001` (the prefix of the doc examples), one counter per tenant.
 * - §7.14 translation keys are the model samples' two-letter language codes (`nl`, `fr`).
 * - §5.5 `date` filters compare with the collection's date field (`from` for assignments and contracts).
 * - §5.5 delta: a `deltaToken` is standard base64 of `{"DeltaId","StartingCursor","TimeStamp"}` (the reference's
 *   format); a malformed one → 400, an unknown DeltaId → 410; a token of another collection → 400; a token is
 *   not bound to the client that started the delta (any token with the collection's read scope may use it). The
 *   snapshot's nextLinks carry `continuationToken` and `deltaToken` (not `delta`), as the how-to's example.
 *   A delta read answers every change in one page. Records given to `sim.seed` raise no change, so no delta
 *   lists them either.
 */

/** Defaults: docs/protime-reference.md §8 where it gives one, else the choice named above. */
export function defaultAssumptions(): SimulatorAssumptions {
	return {
		tokenLifetimeSeconds: 1800,
		tokenErrorStatus: 400,
		disallowedScope: 'reject',
		tokenResponseIncludesScope: true,
		maxUriLength: 4096,
		continuationTokenLength: 400,
		acceptBasicClientAuth: true,
		unknownTenant: { status: 404 },
		requireUserAgent: true,
		missingScopeStatus: 403,
		webhookCreateRequiresCollectionScope: false,

		webhookKeyProperty: 'key',
		webhookKeyBytes: 32,
		webhookValiditySeconds: 7 * 24 * 3600,
		utcOffsetMinutes: 120,
		allowHttpDestinations: false,
		duplicateWebhooks: 'allow',
		webhookExternalReferencesShape: 'map',
		deleteStatus: 204,
		listDeletedWebhooks: false,
		getDeletedWebhook: 'notFound',
		repeatDeleteStatus: 404,
		debugEventsPath: 'events',

		signature: {
			header: 'X-Protime-Signature',
			algorithm: 'sha256',
			encoding: 'base64',
			prefix: '',
			keyEncoding: 'utf8',
			timestampHeader: '',
		},
		envelope: 'single',
		maxBatchSize: 10,
		deliveryConcurrency: 1,
		deliveryTimeoutMs: 10_000,
		retryScheduleMs: [1000, 5000, 30_000],
		queueOnStop: 'dropped',
		deliveryUserAgent: 'Protime-Webhooks/1.0',

		pageSize: 100,
		emptyPagesBetween: 0,
		continuationTokenTtlSeconds: 600,
		nextLinkEncoding: 'encoded',
		openDateRangeEndsToday: true,
		getByReference: 'query',
		namedListsMatchAll: true,

		deltaExpirySeconds: 72 * 3600,
		deltaScope: 'client',
		deltaStartWhileActive: 'supersede',
		supersededDeltaStatus: 409,
		olderDeltaToken: 'works',
		deltaDeletes: 'all',
		deltaVersions: 'latest',
		deltaCursorStart: 'snapshotStart',
		deltaFilterRules: 'dated',
		changeLogLimit: 100_000,
	};
}

/** Applies a partial override; `signature` is merged field by field. */
export function mergeAssumptions(
	base: SimulatorAssumptions,
	patch: Partial<Omit<SimulatorAssumptions, 'signature'>> & {
		signature?: Partial<SignatureAssumptions>;
	} = {},
): SimulatorAssumptions {
	const { signature, ...rest } = patch;
	Object.assign(base, rest);
	if (signature) Object.assign(base.signature, signature);
	return base;
}

export type AssumptionsPatch = Parameters<typeof mergeAssumptions>[1];
