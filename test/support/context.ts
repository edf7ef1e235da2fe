/**
 * A test bed that builds n8n function contexts (execute, hook, webhook, trigger, load-options, credential
 * test) around the real `ProtimeApi` credential, so node code runs unmodified against the Protime simulator.
 *
 * It reproduces the n8n 2.41 behaviour the nodes depend on (read from n8n-core / cli source):
 * - `helpers.httpRequest` is axios with n8n's option mapping (qs → params, `json` → Accept, default
 *   `User-Agent: n8n`, `returnFullResponse`, `ignoreHttpStatusErrors`), and throws the raw AxiosError.
 * - `helpers.httpRequestWithAuthentication` (core `request-helpers/authentication.ts`): reads the
 *   credential from the store, runs `preAuthentication` when the hidden expirable field is empty (cli
 *   `CredentialsHelper.preAuthentication`), saves its output to the store like n8n saves it to the DB,
 *   applies `authenticate`, sends; on a 401 it runs `preAuthentication` again (expired) and retries once.
 *   Every failure is wrapped as `new NodeApiError(node, error)`.
 * - Static data lives in a "database" (`testbed.db.staticData`). Each context works on its own copy, saved
 *   back only where n8n saves it: after an activation hook, after `webhook()` by the webhook's response
 *   mode (`runWebhook`), after `trigger()` returned, and inside `emit()`. A cron tick that does not emit
 *   changes nothing in the database (docs/trigger-design.md, "Static data"). Like n8n, a save writes the
 *   whole static data, and only when the context set or deleted something in it.
 * - Activation (`activate()`) follows n8n 2.41's workflow publication service by default: `trigger()` runs
 *   FIRST, on its own copy of static data as the database held it before `checkExists`/`create()`, and that
 *   copy is never refreshed (cron ticks see it as it was); then `checkExists`, then `create()` when it
 *   returned false. The order of n8n's start (and of older versions), webhooks first, is `order: 'webhooksFirst'`.
 * - The credential test follows `CredentialsTester.testCredentials` for a declarative `test` request:
 *   preAuthentication always runs, errors become `{ status: 'Error', message }` using the `rules`.
 *
 * No n8n-core code is used; nothing of the code under test is mocked.
 */
import axios, { AxiosError, type AxiosRequestConfig } from 'axios';
import type {
	ICredentialDataDecryptedObject,
	ICredentialsDecrypted,
	ICredentialType,
	IDataObject,
	IExecuteFunctions,
	IHookFunctions,
	IHttpRequestOptions,
	ILoadOptionsFunctions,
	INode,
	INodeCredentialTestResult,
	INodeExecutionData,
	INodeParameters,
	INodeTypeDescription,
	ITriggerFunctions,
	IWebhookFunctions,
	IWebhookResponseData,
	ITriggerResponse,
	Cron,
} from 'n8n-workflow';
import { NodeApiError, NodeHelpers, NodeOperationError, ObservableObject } from 'n8n-workflow';

import { ProtimeApi } from '../../credentials/ProtimeApi.credentials';

export const CREDENTIAL_TYPE = 'protimeApi';

// ---------------------------------------------------------------------------------------------------------
// Credential store: the "database row" of the credential.
// ---------------------------------------------------------------------------------------------------------

/** The stored credential. `read()` returns a copy, as decrypting from n8n's DB does; `writes` counts saves. */
export class CredentialStore {
	private data: ICredentialDataDecryptedObject;

	/** How many times n8n would have written the credential (each preAuthentication result). */
	writes = 0;

	/** How many times n8n would have read and decrypted the credential from its database. */
	reads = 0;

	constructor(initial: ICredentialDataDecryptedObject) {
		this.data = { ...initial };
	}

	read(): ICredentialDataDecryptedObject {
		this.reads++;
		return structuredClone(this.data);
	}

	/** What n8n does with a preAuthentication result. */
	save(data: ICredentialDataDecryptedObject): void {
		this.data = { ...data };
		this.writes++;
	}

	/** A user editing the credential in the UI (hidden fields keep their stored value). */
	edit(patch: ICredentialDataDecryptedObject): void {
		this.data = { ...this.data, ...patch };
	}
}

// ---------------------------------------------------------------------------------------------------------
// n8n-core request helpers
// ---------------------------------------------------------------------------------------------------------

/** One request sent through the helpers, with the headers as sent (for assertions; tokens included). */
export interface SentRequest {
	method: string;
	url: string;
	headers: Record<string, string>;
	status?: number;
	via: 'httpRequest' | 'httpRequestWithAuthentication';
}

function hasHeader(headers: IDataObject | undefined, name: string): string | undefined {
	return Object.keys(headers ?? {}).find((k) => k.toLowerCase() === name.toLowerCase());
}

/** n8n-core `convertN8nRequestToAxios`, reduced to the options the Protime code uses. */
function toAxios(o: IHttpRequestOptions): AxiosRequestConfig {
	const headers: IDataObject = { ...(o.headers ?? {}) };
	const config: AxiosRequestConfig = {
		method: o.method ?? 'GET',
		url: o.url,
		baseURL: o.baseURL,
		params: o.qs,
		timeout: o.timeout,
		maxRedirects: o.disableFollowRedirect ? 0 : undefined,
	};
	const body = o.body;
	if (body !== undefined && body !== null) {
		const ct = hasHeader(headers, 'content-type');
		if (ct === undefined && body instanceof URLSearchParams)
			headers['Content-Type'] = 'application/x-www-form-urlencoded';
		if (
			typeof body === 'string' ||
			body instanceof URLSearchParams ||
			(typeof body === 'object' && Object.keys(body).length > 0)
		) {
			config.data = body;
		}
	}
	if (o.json && hasHeader(headers, 'accept') === undefined) headers.Accept = 'application/json';
	if (hasHeader(headers, 'user-agent') === undefined) headers['User-Agent'] = 'n8n';
	const ignore = o.ignoreHttpStatusErrors;
	if (ignore) {
		config.validateStatus =
			typeof ignore === 'object' ? (status) => !ignore.except.includes(status) : () => true;
	}
	if (['GET', 'HEAD', 'OPTIONS'].includes(String(config.method).toUpperCase())) delete config.data;
	config.headers = headers as Record<string, string>;
	return config;
}

function removeEmptyBody(o: IHttpRequestOptions): void {
	const method = (o.method ?? 'GET').toUpperCase();
	const b = o.body;
	const empty =
		b === undefined ||
		b === null ||
		b === '' ||
		(typeof b === 'object' && !(b instanceof URLSearchParams) && Object.keys(b).length === 0);
	if (['GET', 'HEAD', 'OPTIONS'].includes(method) && empty) delete o.body;
}

class CoreEmulator {
	readonly sent: SentRequest[] = [];

	constructor(
		private readonly store: CredentialStore,
		private readonly credentialType: ICredentialType,
	) {}

	/** `helpers.httpRequest`: throws the AxiosError as n8n-core does. */
	async httpRequest(
		options: IHttpRequestOptions,
		via: SentRequest['via'] = 'httpRequest',
	): Promise<unknown> {
		removeEmptyBody(options);
		const config = toAxios(options);
		const entry: SentRequest = {
			method: String(config.method).toUpperCase(),
			url: axios.getUri(config),
			headers: { ...(config.headers as Record<string, string>) },
			via,
		};
		this.sent.push(entry);
		// Recorded in a rejection handler rather than a catch clause: the raw AxiosError must reach the
		// caller unchanged, as n8n-core passes it on.
		const res = await axios.request(config).catch((error: unknown) => {
			if (error instanceof AxiosError) entry.status = error.response?.status;
			return Promise.reject(error);
		});
		entry.status = res.status;
		if (options.returnFullResponse) {
			return {
				body: res.data,
				headers: res.headers,
				statusCode: res.status,
				statusMessage: res.statusText,
			};
		}
		return res.data;
	}

	private expirableField(): string | undefined {
		return this.credentialType.properties.find(
			(p) => p.type === 'hidden' && p.typeOptions?.expirable === true,
		)?.name;
	}

	/** cli `CredentialsHelper.preAuthentication`. */
	async preAuthentication(
		credentials: ICredentialDataDecryptedObject,
		expired: boolean,
		testing: boolean,
	): Promise<ICredentialDataDecryptedObject | undefined> {
		const field = this.expirableField();
		const pre = this.credentialType.preAuthentication;
		if (field === undefined || typeof pre !== 'function') return undefined;
		if (!(credentials[field] === '' || expired || testing)) return undefined;
		const helpers = {
			helpers: { httpRequest: async (o: IHttpRequestOptions) => await this.httpRequest(o) },
		};
		const output = (await pre.call(
			helpers as never,
			credentials,
		)) as ICredentialDataDecryptedObject;
		if (output[field] === undefined) return undefined;
		this.store.save({ ...this.store.read(), ...output });
		return Object.assign(credentials, output);
	}

	/** cli `CredentialsHelper.authenticate`: a function, or `generic` with `{{$credentials.x}}` placeholders. */
	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		options: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		const auth = this.credentialType.authenticate;
		if (auth === undefined) return options;
		if (typeof auth === 'function') return await auth(credentials, options);
		const resolve = (value: string): string =>
			value.startsWith('=')
				? value
						.slice(1)
						.replace(/\{\{\s*\$credentials\.(\w+)\s*\}\}/g, (_m, k: string) =>
							String(credentials[k] ?? ''),
						)
				: value;
		const out = options as unknown as Record<string, Record<string, string>>;
		for (const [outer, entries] of Object.entries(auth.properties)) {
			out[outer] = out[outer] ?? {};
			for (const [k, v] of Object.entries(entries as Record<string, string>)) {
				if (
					typeof v === 'string' &&
					v.startsWith('=') &&
					/\{\{(?![\s]*\$credentials\.\w+\s*\}\})/.test(v)
				) {
					throw new Error(`test bed: cannot evaluate credential expression ${v}`);
				}
				out[outer][resolve(k)] = typeof v === 'string' ? resolve(v) : v;
			}
		}
		return options;
	}

	/** core `httpRequestWithAuthentication`. */
	async httpRequestWithAuthentication(
		node: INode,
		options: IHttpRequestOptions,
		opts: { credentials?: ICredentialDataDecryptedObject; testing?: boolean } = {},
	): Promise<unknown> {
		removeEmptyBody(options);
		let credentials: ICredentialDataDecryptedObject | undefined;
		try {
			credentials = opts.credentials ?? this.store.read();
			await this.preAuthentication(credentials, false, opts.testing ?? false);
			options = await this.authenticate(credentials, options);
			return await this.httpRequest(options, 'httpRequestWithAuthentication');
		} catch (error) {
			const status = (error as AxiosError).response?.status;
			if (status === 401 && credentials !== undefined) {
				try {
					await this.preAuthentication(credentials, true, opts.testing ?? false);
					options = await this.authenticate(credentials, options);
					return await this.httpRequest(options, 'httpRequestWithAuthentication');
				} catch (retryError) {
					throw new NodeApiError(node, retryError as never);
				}
			}
			throw new NodeApiError(node, error as never);
		}
	}
}

// ---------------------------------------------------------------------------------------------------------
// Logger, static data, request/response objects
// ---------------------------------------------------------------------------------------------------------

export interface LogEntry {
	level: 'debug' | 'info' | 'warn' | 'error';
	message: string;
	meta?: unknown;
}

/** A logger that records every line (`testbed.logs`). */
function recordingLogger(logs: LogEntry[]) {
	const at = (level: LogEntry['level']) => (message: string, meta?: unknown) => {
		logs.push({ level, message, meta });
	};
	return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** The workflow's persisted state, as n8n's database holds it. */
export interface TestbedDatabase {
	/** Keyed like n8n: `global` and `node:<node name>`. */
	staticData: Record<string, IDataObject>;
	/** Number of times static data was saved. */
	staticDataSaves: number;
}

/** The part of express' request the nodes read. */
export interface TestWebhookRequest {
	method: string;
	headers: Record<string, string>;
	query: IDataObject;
	body: unknown;
	rawBody: Buffer;
	url: string;
	header(name: string): string | undefined;
	get(name: string): string | undefined;
}

/** What the node wrote to the response (when it answers itself). */
export interface RecordedResponse {
	statusCode: number;
	headers: Record<string, string>;
	body?: unknown;
	ended: boolean;
}

function makeRequest(input: WebhookRequestInput): TestWebhookRequest {
	const headers: Record<string, string> = {};
	for (const [k, v] of Object.entries(input.headers ?? {})) headers[k.toLowerCase()] = v;
	let rawBody: Buffer;
	let body: unknown = input.body;
	if (input.rawBody !== undefined) {
		rawBody = Buffer.isBuffer(input.rawBody) ? input.rawBody : Buffer.from(input.rawBody, 'utf8');
		if (body === undefined) {
			try {
				body = JSON.parse(rawBody.toString('utf8'));
			} catch {
				body = {};
			}
		}
	} else {
		rawBody = Buffer.from(body === undefined ? '' : JSON.stringify(body), 'utf8');
	}
	if (headers['content-type'] === undefined) headers['content-type'] = 'application/json';
	const get = (name: string) => headers[name.toLowerCase()];
	return {
		method: input.method ?? 'POST',
		headers,
		query: input.query ?? {},
		body: body ?? {},
		rawBody,
		url: input.url ?? '/webhook',
		header: get,
		get,
	};
}

function makeResponse(rec: RecordedResponse) {
	const res = {
		status(code: number) {
			rec.statusCode = code;
			return res;
		},
		setHeader(name: string, value: string) {
			rec.headers[name.toLowerCase()] = String(value);
			return res;
		},
		header(name: string, value: string) {
			return res.setHeader(name, value);
		},
		set(name: string, value: string) {
			return res.setHeader(name, value);
		},
		json(body: unknown) {
			rec.body = body;
			rec.ended = true;
			return res;
		},
		send(body?: unknown) {
			rec.body = body;
			rec.ended = true;
			return res;
		},
		end(body?: unknown) {
			if (body !== undefined) rec.body = body;
			rec.ended = true;
			return res;
		},
		sendStatus(code: number) {
			rec.statusCode = code;
			rec.ended = true;
			return res;
		},
	};
	return res;
}

// ---------------------------------------------------------------------------------------------------------
// The test bed
// ---------------------------------------------------------------------------------------------------------

/**
 * A parameter value, or a function of the item (for per-item expressions in execute contexts).
 * Dotted names (`options.limit`) are looked up in nested objects, as n8n does.
 */
export type ParameterValue =
	| unknown
	| ((itemIndex: number, item: INodeExecutionData | undefined) => unknown);

export interface NodeSpec {
	/** Node name; static data is stored under `node:<name>`. Default "Protime". */
	name?: string;
	type?: string;
	typeVersion?: number;
	/** n8n's webhook id of the node (part of its webhook URL). */
	webhookId?: string;
	/** Set by n8n 2.x on a node an agent's EngineRequest runs as a tool (`ai_tool`). */
	rewireOutputLogTo?: string;
	/**
	 * The node type's description. When given, parameters are completed with their defaults and hidden
	 * ones dropped (`NodeHelpers.getNodeParameters`), as n8n does when it loads a workflow.
	 */
	description?: INodeTypeDescription;
}

interface ContextInput {
	parameters?: Record<string, ParameterValue>;
	node?: NodeSpec;
	/** `getMode()`; defaults per context kind. */
	mode?: string;
	timezone?: string;
	/** `getInstanceBaseUrl()`; default the test bed's, then `http://localhost:5678/`. */
	instanceBaseUrl?: string;
}

export interface ExecuteInput extends ContextInput {
	items?: INodeExecutionData[];
	continueOnFail?: boolean;
}

export interface HookInput extends ContextInput {
	/** What `getNodeWebhookUrl(name)` returns; a string for every name or a map by webhook name. */
	webhookUrl?: string | Record<string, string | undefined>;
	activationMode?: string;
	webhookName?: string;
	/** Use separate "test static data" (a test listen) instead of the production static data. */
	testStaticData?: boolean;
}

export interface WebhookRequestInput {
	method?: string;
	headers?: Record<string, string>;
	query?: IDataObject;
	/** Parsed body; when `rawBody` is given and `body` is not, it is parsed from it. */
	body?: unknown;
	/** Exact bytes received (string as UTF-8). Default: JSON.stringify(body). */
	rawBody?: Buffer | string;
	url?: string;
}

export interface WebhookInput extends HookInput {
	request: WebhookRequestInput;
	/**
	 * The run n8n starts with the items `webhook()` returned (default: it succeeds). Throwing stands for a
	 * failed execution; returning `'crash'` for n8n dying during it (nothing saved, nothing answered).
	 */
	execution?: (items: INodeExecutionData[][]) => Promise<void | 'crash'> | void | 'crash';
	/** The webhook's response mode as n8n evaluates it from the node's description (the Protime Trigger's is `lastNode`). */
	responseMode?: 'lastNode' | 'onReceived';
}

export type TriggerInput = HookInput;

/**
 * In which order n8n runs a trigger node's activation methods. `publication`: n8n 2.41's workflow publication
 * service (the default there), `trigger()` before the webhook's `checkExists`/`create()`. `webhooksFirst`:
 * `checkExists`/`create()` before `trigger()` (n8n's start in mode `init`, and older versions).
 */
export type ActivationOrder = 'publication' | 'webhooksFirst';

export interface ActivationInput extends TriggerInput {
	/** Default `publication` (n8n 2.41). */
	order?: ActivationOrder;
}

/** The parts of a trigger node type that activation calls. */
export interface ActivatableNode {
	trigger?: (this: ITriggerFunctions) => Promise<ITriggerResponse | undefined>;
	webhookMethods?: {
		default?: {
			checkExists: (this: IHookFunctions) => Promise<boolean>;
			create: (this: IHookFunctions) => Promise<boolean>;
		};
	};
}

export interface ActivationResult {
	/** The trigger context (`crons`, `tick()`); undefined when the node has no `trigger()`. */
	ctx?: ITriggerFunctions & TriggerControls;
	response?: ITriggerResponse;
	/** Whether `create()` ran (`checkExists` answered false). */
	created: boolean;
}

export interface CronRegistration {
	cron: Cron;
	onTick: (scheduled: Date) => void;
}

export interface TestbedOptions {
	/** Simulator origin, used as the credential's custom base URL. */
	simulatorOrigin?: string;
	tenant?: string;
	clientId?: string;
	clientSecret?: string;
	/** Any other credential fields (environment, scopes, company, authentication, accessToken...). */
	credentials?: ICredentialDataDecryptedObject;
	/** Default node for contexts. */
	node?: NodeSpec;
	/** Default timezone (`getTimezone()`). */
	timezone?: string;
	/** Default `getInstanceBaseUrl()` (n8n: N8N_EDITOR_BASE_URL, else the webhook base URL). */
	instanceBaseUrl?: string;
}

function getPath(obj: unknown, path: string): unknown {
	let cur: unknown = obj;
	for (const part of path.split('.')) {
		if (cur === null || typeof cur !== 'object') return undefined;
		cur = (cur as Record<string, unknown>)[part];
	}
	return cur;
}

export class ProtimeTestbed {
	readonly credentialType: ICredentialType = new ProtimeApi();

	readonly credentials: CredentialStore;

	readonly db: TestbedDatabase = { staticData: {}, staticDataSaves: 0 };

	/** Separate static data for test listens (n8n keeps them apart since 1.27.2). */
	readonly testDb: TestbedDatabase = { staticData: {}, staticDataSaves: 0 };

	readonly logs: LogEntry[] = [];

	private readonly core: CoreEmulator;

	constructor(private readonly options: TestbedOptions = {}) {
		this.credentials = new CredentialStore({
			environment: options.simulatorOrigin ? 'custom' : 'production',
			baseUrl: options.simulatorOrigin ?? '',
			tenant: options.tenant ?? 'acme',
			authentication: 'clientCredentials',
			clientId: options.clientId ?? '',
			clientSecret: options.clientSecret ?? '',
			scopes: String(
				this.credentialType.properties.find((p) => p.name === 'scopes')?.default ?? '',
			),
			company: 'Test Corp',
			accessToken: '',
			sessionToken: '',
			sessionFor: '',
			...(options.credentials ?? {}),
		});
		this.core = new CoreEmulator(this.credentials, this.credentialType);
	}

	/** Every request sent through the helpers (token calls included), in order. */
	get sentRequests(): readonly SentRequest[] {
		return this.core.sent;
	}

	/** The static data of a node as n8n's database holds it now. */
	staticData(nodeName = this.options.node?.name ?? 'Protime', test = false): IDataObject {
		return (test ? this.testDb : this.db).staticData[`node:${nodeName}`] ?? {};
	}

	private node(spec: NodeSpec | undefined, parameters: Record<string, ParameterValue>): INode {
		const s = { ...(this.options.node ?? {}), ...(spec ?? {}) };
		const fixed = Object.fromEntries(
			Object.entries(parameters).filter(([, v]) => typeof v !== 'function'),
		) as INodeParameters;
		const typeVersion = s.typeVersion ?? 1;
		const resolved = s.description
			? (NodeHelpers.getNodeParameters(
					s.description.properties,
					fixed,
					true,
					false,
					{ typeVersion },
					s.description,
				) ?? fixed)
			: fixed;
		return {
			id: 'node-1',
			name: s.name ?? 'Protime',
			type: s.type ?? 'n8n-nodes-protime.protime',
			typeVersion,
			position: [0, 0],
			webhookId: s.webhookId ?? 'webhook-1',
			parameters: resolved,
			credentials: { [CREDENTIAL_TYPE]: { id: '1', name: 'Protime account' } },
			...(s.rewireOutputLogTo
				? { rewireOutputLogTo: s.rewireOutputLogTo as INode['rewireOutputLogTo'] }
				: {}),
		};
	}

	/**
	 * A working copy of static data, and a function that saves it back like n8n does: the copy is n8n's own
	 * observable (`Workflow` wraps static data with `ignoreEmptyOnFirstChild`, so merely reading a node's
	 * static data for the first time changes nothing), and `save()` writes the whole object to the database
	 * only when something in it was set or deleted. A context that wrote nothing therefore cannot overwrite
	 * what another context saved meanwhile; one that wrote does, as n8n's whole-object save does.
	 */
	private staticDataSession(node: INode, test: boolean) {
		const db = test ? this.testDb : this.db;
		const working = ObservableObject.create(structuredClone(db.staticData), undefined, {
			ignoreEmptyOnFirstChild: true,
		}) as Record<string, IDataObject> & {
			__dataChanged: boolean;
		};
		const keyFor = (type: string) => (type === 'global' ? 'global' : `node:${node.name}`);
		return {
			get: (type: string): IDataObject => {
				const key = keyFor(type);
				if (working[key] === undefined) working[key] = ObservableObject.create({}, working);
				return working[key];
			},
			save: () => {
				if (!working.__dataChanged) return;
				db.staticData = JSON.parse(JSON.stringify(working)) as Record<string, IDataObject>;
				working.__dataChanged = false;
				db.staticDataSaves++;
			},
		};
	}

	private base(
		kind: string,
		input: ContextInput,
		extra: { item?: (i: number) => INodeExecutionData | undefined; test?: boolean } = {},
	) {
		const parameters = input.parameters ?? {};
		const node = this.node(input.node, parameters);
		const statics = this.staticDataSession(node, extra.test ?? false);
		const logger = recordingLogger(this.logs);
		const core = this.core;
		const store = this.credentials;
		const param = (name: string, itemIndex: number, fallback: unknown): unknown => {
			const top = name.split('.')[0];
			// Per-item functions first, then the node's (possibly default-completed) parameters, like n8n.
			let value: unknown =
				typeof parameters[top] === 'function' ? parameters[top] : node.parameters[top];
			if (typeof value === 'function')
				value = (value as (i: number, it: unknown) => unknown)(itemIndex, extra.item?.(itemIndex));
			if (name.includes('.')) value = getPath({ [top]: value }, name);
			if (value === undefined) {
				if (fallback !== undefined) return fallback;
				throw new NodeOperationError(node, `Could not get parameter "${name}" (test bed: not set)`);
			}
			return structuredClone(value);
		};
		const ctx = {
			logger,
			getNode: () => structuredClone(node),
			getWorkflow: () => ({ id: 'workflow-1', name: 'Test workflow', active: true }),
			getWorkflowStaticData: (type: string) => statics.get(type),
			getTimezone: () => input.timezone ?? this.options.timezone ?? 'Europe/Brussels',
			getMode: () => input.mode ?? kind,
			getExecutionId: () => 'execution-1',
			getInstanceId: () => 'instance-1',
			getRestApiUrl: () => 'http://localhost:5678/rest',
			getInstanceBaseUrl: () =>
				input.instanceBaseUrl ?? this.options.instanceBaseUrl ?? 'http://localhost:5678/',
			getCredentials: async (type: string) => {
				if (type !== CREDENTIAL_TYPE)
					throw new NodeOperationError(node, `Node does not have credentials of type "${type}"`);
				return store.read();
			},
			continueOnFail: () => false,
			helpers: {
				httpRequest: async (o: IHttpRequestOptions) => await core.httpRequest(o),
				httpRequestWithAuthentication: async (type: string, o: IHttpRequestOptions) => {
					if (type !== CREDENTIAL_TYPE)
						throw new NodeOperationError(node, `Unknown credential type ${type}`);
					return await core.httpRequestWithAuthentication(node, o);
				},
				returnJsonArray: (data: IDataObject | IDataObject[]): INodeExecutionData[] =>
					(Array.isArray(data) ? data : [data]).map((json) => ({ json })),
				constructExecutionMetaData: (
					items: INodeExecutionData[],
					options: { itemData: { item: number } | Array<{ item: number }> },
				) => items.map((item) => ({ ...item, pairedItem: options.itemData })),
			},
		};
		return { ctx, node, statics, param };
	}

	/** An `IExecuteFunctions` over `items` (default one empty item). */
	executeFunctions(input: ExecuteInput = {}): IExecuteFunctions {
		const items = input.items ?? [{ json: {} }];
		const { ctx, param } = this.base('manual', input, { item: (i) => items[i] });
		return {
			...ctx,
			getInputData: () => items,
			continueOnFail: () => input.continueOnFail ?? false,
			getNodeParameter: (name: string, itemIndex: number, fallback?: unknown) =>
				param(name, itemIndex, fallback),
			getExecutionCancelSignal: () => undefined,
		} as unknown as IExecuteFunctions;
	}

	/** An `ILoadOptionsFunctions` (for `methods.loadOptions`). */
	loadOptionsFunctions(
		input: ContextInput & { currentParameters?: IDataObject } = {},
	): ILoadOptionsFunctions {
		const { ctx, param } = this.base('internal', input);
		return {
			...ctx,
			getNodeParameter: (name: string, fallback?: unknown) => param(name, 0, fallback),
			getCurrentNodeParameter: (name: string) =>
				getPath(input.currentParameters ?? input.parameters ?? {}, name),
			getCurrentNodeParameters: () => input.currentParameters ?? input.parameters,
		} as unknown as ILoadOptionsFunctions;
	}

	private hookLike(kind: string, input: HookInput) {
		const b = this.base(kind, input, { test: input.testStaticData });
		const urls = input.webhookUrl;
		const hook = {
			...b.ctx,
			getNodeParameter: (name: string, fallback?: unknown) => b.param(name, 0, fallback),
			getActivationMode: () => input.activationMode ?? 'activate',
			getWebhookName: () => input.webhookName ?? 'default',
			getWebhookDescription: () => undefined,
			getNodeWebhookUrl: (name: string) =>
				typeof urls === 'string' || urls === undefined
					? (urls ?? `http://localhost:5678/webhook/${b.node.webhookId}/webhook`)
					: urls[name],
		};
		return { ...b, hook };
	}

	/**
	 * An `IHookFunctions` for `webhookMethods.*.checkExists/create/delete`. Static data is saved when you
	 * call `save()` (n8n saves it at the end of activation); `runHook` does that for you.
	 */
	hookFunctions(input: HookInput = {}): IHookFunctions & { save(): void } {
		const { hook, statics } = this.hookLike('trigger', input);
		return { ...hook, save: () => statics.save() } as unknown as IHookFunctions & { save(): void };
	}

	/** Runs one webhook lifecycle method and saves static data when it returns (not when it throws, like n8n). */
	async runHook<T>(
		method: (this: IHookFunctions) => Promise<T>,
		input: HookInput = {},
	): Promise<T> {
		const ctx = this.hookFunctions(input);
		const result = await method.call(ctx);
		ctx.save();
		return result;
	}

	/**
	 * An `IWebhookFunctions` for one incoming request. `response` records what the node wrote; call
	 * `runWebhook` to get n8n's static-data saving rule applied.
	 */
	webhookFunctions(
		input: WebhookInput,
	): IWebhookFunctions & { response: RecordedResponse; save(): void } {
		const { hook, statics } = this.hookLike('webhook', input);
		const req = makeRequest(input.request);
		const response: RecordedResponse = { statusCode: 200, headers: {}, ended: false };
		const res = makeResponse(response);
		return {
			...hook,
			getRequestObject: () => req,
			getResponseObject: () => res,
			getBodyData: () => req.body as IDataObject,
			getHeaderData: () => req.headers,
			getQueryData: () => req.query,
			getParamsData: () => ({}),
			response,
			save: () => statics.save(),
		} as unknown as IWebhookFunctions & { response: RecordedResponse; save(): void };
	}

	/**
	 * Delivers one request to `webhook()` and applies n8n 2.41's rule for what happens next
	 * (cli `webhook-helpers.ts`, `live-webhooks.ts`), by the webhook's response mode (`input.responseMode`,
	 * default `lastNode`, the Protime Trigger's).
	 * - `noWebhookResponse` (the node answered): static data is saved at once, then the run starts.
	 * - no workflowData, `webhookResponse` given: static data is saved, then n8n sends it with a 200.
	 * - `onReceived`, workflowData without `noWebhookResponse`: n8n answers itself and starts the run on the
	 *   same static data object, which clears its "changed" flag: nothing is saved.
	 * - `lastNode`: n8n answers when the run ended, 200 with no body after success, 500 "Error in workflow"
	 *   after a failure; a crash answers nothing. What `webhook()` wrote is **not** saved: starting the run
	 *   (`WorkflowRunner.establishContextForPersistence` in 2.41.1) builds a Workflow on the same static data
	 *   object, which clears its "changed" flag, and the save before the answer then finds it clear.
	 */
	async runWebhook(
		webhook: (this: IWebhookFunctions) => Promise<IWebhookResponseData>,
		input: WebhookInput,
	): Promise<{
		result: IWebhookResponseData;
		response: RecordedResponse;
		staticDataSaved: boolean;
		executed?: 'success' | 'error' | 'crash';
	}> {
		const ctx = this.webhookFunctions(input);
		const result = await webhook.call(ctx);
		const items = result.workflowData;
		if (result.noWebhookResponse === true || items === undefined) {
			ctx.save();
			// The node returned its answer instead of writing it: n8n sends it after the save, with the
			// webhook's response code (200).
			if (result.noWebhookResponse !== true && items === undefined) {
				Object.assign(ctx.response, {
					statusCode: 200,
					body: result.webhookResponse ?? { message: 'Webhook call received' },
					ended: true,
				});
			}
			const executed = items ? await this.runExecution(input, items) : undefined;
			return { result, response: ctx.response, staticDataSaved: true, executed };
		}
		if (input.responseMode === 'onReceived') {
			Object.assign(ctx.response, {
				statusCode: 200,
				body: { message: 'Workflow was started' },
				ended: true,
			});
			const executed = await this.runExecution(input, items);
			return { result, response: ctx.response, staticDataSaved: false, executed };
		}
		const executed = await this.runExecution(input, items);
		if (executed === 'crash')
			return {
				result,
				response: { ...ctx.response, statusCode: 0, ended: false },
				staticDataSaved: false,
				executed,
			};
		Object.assign(
			ctx.response,
			executed === 'success'
				? { statusCode: 200, body: undefined }
				: { statusCode: 500, body: { message: 'Error in workflow' } },
			{ ended: true },
		);
		return { result, response: ctx.response, staticDataSaved: false, executed };
	}

	private async runExecution(
		input: WebhookInput,
		items: INodeExecutionData[][],
	): Promise<'success' | 'error' | 'crash'> {
		try {
			return (await input.execution?.(items)) === 'crash' ? 'crash' : 'success';
		} catch {
			return 'error';
		}
	}

	/**
	 * An `ITriggerFunctions`. `emitted` collects `emit()` calls (each saves static data, like n8n),
	 * `crons` the `registerCron` registrations; `tick(i)` fires one.
	 */
	triggerFunctions(input: TriggerInput = {}): ITriggerFunctions & TriggerControls {
		const { hook, statics } = this.hookLike('trigger', input);
		const emitted: INodeExecutionData[][][] = [];
		const emittedErrors: Error[] = [];
		const failedExecutions: Error[] = [];
		const crons: CronRegistration[] = [];
		return {
			...hook,
			emit: (data: INodeExecutionData[][]) => {
				emitted.push(data);
				statics.save();
			},
			emitError: (error: Error) => {
				emittedErrors.push(error);
			},
			saveFailedExecution: (error: Error) => {
				failedExecutions.push(error);
			},
			helpers: {
				...hook.helpers,
				registerCron: (cron: Cron, onTick: (scheduled: Date) => void) => {
					crons.push({ cron, onTick });
				},
			},
			emitted,
			emittedErrors,
			failedExecutions,
			crons,
			tick: async (index = 0) => {
				const reg = crons[index];
				if (reg === undefined) throw new Error(`test bed: no cron registered at index ${index}`);
				await Promise.resolve(reg.onTick(new Date()));
			},
			save: () => statics.save(),
		} as unknown as ITriggerFunctions & TriggerControls;
	}

	/** Calls `trigger()` and saves static data when it returns (end of activation). */
	async runTrigger(
		trigger: (this: ITriggerFunctions) => Promise<ITriggerResponse | undefined>,
		input: TriggerInput = {},
	): Promise<{ ctx: ITriggerFunctions & TriggerControls; response: ITriggerResponse | undefined }> {
		const ctx = this.triggerFunctions(input);
		const response = await trigger.call(ctx);
		ctx.save();
		return { ctx, response };
	}

	/**
	 * Activates a trigger node as n8n does (see {@link ActivationOrder}). In the `publication` order the
	 * trigger context is built, and `trigger()` run, before the webhook methods touch static data, so its
	 * copy never sees what `create()` stores: code that needs that data in `trigger()` fails here as it
	 * does in n8n 2.41.
	 */
	async activate(node: ActivatableNode, input: ActivationInput = {}): Promise<ActivationResult> {
		const { order = 'publication', ...rest } = input;
		const hooks = node.webhookMethods?.default;
		const runWebhooks = async (): Promise<boolean> => {
			if (!hooks || (await this.runHook(hooks.checkExists, rest))) return false;
			await this.runHook(hooks.create, rest);
			return true;
		};
		let created = false;
		if (order === 'webhooksFirst') created = await runWebhooks();
		const started = node.trigger ? await this.runTrigger(node.trigger, rest) : undefined;
		if (order === 'publication') created = await runWebhooks();
		return { ctx: started?.ctx, response: started?.response, created };
	}

	/**
	 * The credential test as n8n's `CredentialsTester` runs a declarative `test` (preAuthentication always
	 * runs; the rules map error status codes to messages). `data` defaults to the stored credential.
	 */
	async credentialTest(data?: ICredentialDataDecryptedObject): Promise<INodeCredentialTestResult> {
		const test = this.credentialType.test;
		if (!test)
			return { status: 'Error', message: 'No testing function found for this credential.' };
		const decrypted: ICredentialsDecrypted = {
			id: '1',
			name: 'Protime account',
			type: CREDENTIAL_TYPE,
			data: data ?? this.credentials.read(),
		};
		const node = this.node({ name: 'Temp-Node', type: 'n8n-nodes-base.noOp' }, { temp: '' });
		try {
			const request = structuredClone(test.request) as IHttpRequestOptions;
			await this.core.httpRequestWithAuthentication(
				node,
				{ ...request, json: true },
				{ credentials: decrypted.data, testing: true },
			);
		} catch (error) {
			const cause = (
				error as { cause?: { response?: { status: number; statusText?: string }; code?: string } }
			).cause;
			if (cause?.response) {
				for (const rule of test.rules ?? []) {
					if (rule.type === 'responseCode' && rule.properties.value === cause.response.status) {
						return { status: 'Error', message: rule.properties.message };
					}
				}
				return {
					status: 'Error',
					message:
						cause.response.statusText || `Received HTTP status code: ${cause.response.status}`,
				};
			}
			if (cause?.code) return { status: 'Error', message: cause.code };
			return { status: 'Error', message: String((error as Error).message) };
		}
		return { status: 'OK', message: 'Connection successful!' };
	}
}

export interface TriggerControls {
	emitted: INodeExecutionData[][][];
	/** `emitError()` calls (n8n deactivates the workflow). */
	emittedErrors: Error[];
	/** `saveFailedExecution()` calls: failed executions in n8n's list, seen by the error workflow. */
	failedExecutions: Error[];
	crons: CronRegistration[];
	/** Fires registration `index` (default the first) and waits for its callback. */
	tick(index?: number): Promise<void>;
	/** Saves static data (n8n does it at the end of activation and on emit). */
	save(): void;
}

/** Convenience: a test bed whose credential points at a running simulator with its default client. */
export function createProtimeTestbed(options: TestbedOptions = {}): ProtimeTestbed {
	return new ProtimeTestbed(options);
}
