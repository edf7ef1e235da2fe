// Start a real n8n (main, worker or webhook processor) headless on loopback and talk to it
// over its internal REST API (cookie login), without a browser; the client speaks the 1.x and 2.x dialects.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { freePort, log, startProcess, stopProcess, tail, waitFor } from './procs.mjs';

export const OWNER = {
	email: 'owner@example.com',
	firstName: 'Demo',
	lastName: 'Owner',
	password: 'Protime-e2e-2026',
};
export const ENCRYPTION_KEY = 'n8n-nodes-protime-e2e-fixed-encryption-key';

/** Environment shared by every n8n process of one instance. */
export function n8nEnv(install, { userFolder, port, brokerPort, filesDir, extra = {} }) {
	const base = `http://127.0.0.1:${port}/`;
	const env = {
		// start from a small, clean environment: no N8N_* or DB_* leaking in from the caller
		PATH: `${path.join(install.nodeHome, 'bin')}${path.delimiter}${process.env.PATH}`,
		HOME: process.env.HOME,
		LANG: process.env.LANG || 'C.UTF-8',
		TZ: 'UTC',
		GENERIC_TIMEZONE: 'UTC',
		N8N_USER_FOLDER: userFolder,
		N8N_PORT: String(port),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		N8N_WEBHOOK_URL: base,
		N8N_EDITOR_BASE_URL: base,
		N8N_ENCRYPTION_KEY: ENCRYPTION_KEY,
		N8N_RUNNERS_BROKER_PORT: String(brokerPort),
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		DB_TYPE: 'sqlite',
		DB_SQLITE_POOL_SIZE: '2',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_DYNAMIC_BANNERS_ENABLED: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
		N8N_SSRF_PROTECTION_ENABLED: 'false',
		// 2.x: leave out a module that is not needed; 1.x refuses to start with it ("Unknown module")
		...(install.major < 2 ? {} : { N8N_DISABLED_MODULES: 'mcp-registry' }),
		N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
		N8N_COMMUNITY_PACKAGES_ENABLED: 'true',
		N8N_LOG_LEVEL: 'info',
		N8N_LOG_OUTPUT: 'console',
		EXECUTIONS_DATA_SAVE_ON_SUCCESS: 'all',
		EXECUTIONS_DATA_SAVE_ON_ERROR: 'all',
		N8N_PUBLIC_API_DISABLED: 'false',
		N8N_PUBLIC_API_SWAGGERUI_DISABLED: 'true',
	};
	if (filesDir) {
		// the Read/Write Files node may write only below these folders
		env.N8N_RESTRICT_FILE_ACCESS_TO = filesDir;
	}
	return { ...env, ...extra };
}

/**
 * Starts one n8n process. role: 'start' (main), 'worker' or 'webhook'.
 * Returns { proc, port, baseUrl, env, logFile }.
 */
export async function startN8n(install, opts) {
	const { role = 'start', runDir, name = `n8n-${role}` } = opts;
	const port = opts.port ?? (await freePort());
	const brokerPort = opts.brokerPort ?? (await freePort());
	const env = n8nEnv(install, { ...opts, port, brokerPort });
	if (role === 'worker') {
		// a worker serves only /healthz on QUEUE_HEALTH_CHECK_PORT
		env.QUEUE_HEALTH_CHECK_ACTIVE = 'true';
		env.QUEUE_HEALTH_CHECK_PORT = String(opts.healthPort ?? (await freePort()));
		env.N8N_PORT = env.QUEUE_HEALTH_CHECK_PORT;
	}
	const logFile = path.join(runDir, `${name}.log`);
	const args = [install.n8nBin, role];
	const proc = startProcess(name, install.nodeBin, args, { env, cwd: runDir, logFile });
	const t0 = Date.now();
	const readyUrl =
		role === 'worker'
			? `http://127.0.0.1:${env.QUEUE_HEALTH_CHECK_PORT}/healthz/readiness`
			: `http://127.0.0.1:${port}/healthz/readiness`;
	await waitFor(
		`${name} readiness (${readyUrl})`,
		async () => {
			if (proc.code !== undefined) {
				throw Object.assign(new Error(`${name} exited with ${proc.code}:\n${tail(logFile)}`), {
					fatal: true,
				});
			}
			const r = await fetch(readyUrl).catch(() => undefined);
			if (!r?.ok || role !== 'start' || install.major >= 2) return r?.ok;
			// 1.x answers readiness before its REST routes exist
			const settings = await fetch(`http://127.0.0.1:${port}/rest/settings`).catch(() => undefined);
			return settings?.ok;
		},
		{ timeoutMs: opts.readyTimeoutMs ?? 180_000, intervalMs: 500 },
	).catch((err) => {
		throw new Error(`${err.message}\n--- ${logFile} ---\n${tail(logFile)}`);
	});
	log(`${name} ready on port ${port} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
	return { proc, port, baseUrl: `http://127.0.0.1:${port}`, env, logFile, name };
}

export async function stopN8n(instance) {
	if (instance) await stopProcess(instance.proc, { graceMs: 20_000 });
}

/** flatted.parse from n8n's own node_modules (execution data is flatted-encoded). */
export function flattedFrom(install) {
	const req = createRequire(path.join(install.n8nModules, 'n8n', 'package.json'));
	return req('flatted');
}

/**
 * Minimal REST client for n8n's internal API with the n8n-auth cookie. The dialect follows the installed
 * major version: 2.x publishes with POST /activate and reports the outcome at /publication-status; 1.x
 * activates and deactivates synchronously with PATCH {active, versionId}.
 */
export class N8nClient {
	constructor(baseUrl, install) {
		this.baseUrl = baseUrl.replace(/\/$/, '');
		this.cookie = '';
		this.flatted = install ? flattedFrom(install) : undefined;
		this.major = install?.major ?? 2;
	}

	async request(method, urlPath, body, { expect = [200], raw = false } = {}) {
		const headers = { accept: 'application/json' };
		if (this.cookie) headers.cookie = this.cookie;
		if (body !== undefined) headers['content-type'] = 'application/json';
		const res = await fetch(`${this.baseUrl}${urlPath}`, {
			method,
			headers,
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const setCookie = res.headers.getSetCookie?.() ?? [];
		for (const c of setCookie) {
			const m = /^n8n-auth=([^;]*)/.exec(c);
			if (m) this.cookie = `n8n-auth=${m[1]}`;
		}
		const text = await res.text();
		let json;
		try {
			json = text ? JSON.parse(text) : undefined;
		} catch {
			json = undefined;
		}
		if (expect && !expect.includes(res.status)) {
			throw new Error(`${method} ${urlPath} → ${res.status}: ${text.slice(0, 600)}`);
		}
		if (raw) return { status: res.status, body: json ?? text };
		return json && 'data' in json ? json.data : json;
	}

	get(p, o) {
		return this.request('GET', p, undefined, o);
	}
	post(p, b, o) {
		return this.request('POST', p, b ?? {}, o);
	}
	patch(p, b, o) {
		return this.request('PATCH', p, b, o);
	}
	delete(p, o) {
		return this.request('DELETE', p, undefined, o);
	}

	/** Owner setup on a fresh instance, else login. */
	async setupOwner(owner = OWNER) {
		const r = await this.request('POST', '/rest/owner/setup', owner, { expect: null, raw: true });
		if (r.status !== 200) await this.login(owner);
	}

	async login(owner = OWNER) {
		await this.post('/rest/login', { emailOrLdapLoginId: owner.email, password: owner.password });
	}

	async nodeTypes() {
		return this.request('GET', '/types/nodes.json');
	}
	async credentialTypes() {
		return this.request('GET', '/types/credentials.json');
	}

	async createCredential(name, type, data) {
		return this.post('/rest/credentials', { name, type, data });
	}

	/** Runs the credential's test through n8n (POST /rest/credentials/test). */
	async testCredential(credential) {
		return this.post('/rest/credentials/test', { credentials: credential });
	}

	async createWorkflow(wf) {
		const body = {
			name: wf.name,
			nodes: wf.nodes,
			connections: wf.connections ?? {},
			settings: { executionOrder: 'v1', ...(wf.settings ?? {}) },
			pinData: wf.pinData ?? {},
			...(this.major < 2 ? { active: false } : {}),
		};
		return this.post('/rest/workflows', body);
	}

	async getWorkflow(id) {
		return this.get(`/rest/workflows/${id}`);
	}

	/** Saves changes (a new version); returns the updated workflow. */
	async updateWorkflow(id, patch) {
		const current = await this.getWorkflow(id);
		return this.patch(`/rest/workflows/${id}`, { ...patch, versionId: current.versionId });
	}

	/** Publishes the current version and waits for the publication outcome. */
	async activate(id, { timeoutMs = 60_000, expectStatus = 'published' } = {}) {
		const wf = await this.getWorkflow(id);
		if (this.major < 2) return this.setActive1x(wf, true, expectStatus);
		await this.post(`/rest/workflows/${id}/activate`, { versionId: wf.versionId });
		return this.waitPublication(id, { timeoutMs, expectStatus });
	}

	/** 1.x: activation runs inside the PATCH; a failed activation answers 400 and leaves the workflow inactive. */
	async setActive1x(wf, active, expectStatus) {
		const r = await this.patch(
			`/rest/workflows/${wf.id}`,
			{ active, versionId: wf.versionId },
			{ expect: null, raw: true },
		);
		const status =
			r.status === 200 && r.body?.data?.active === active
				? active
					? 'published'
					: 'unpublished'
				: 'failed';
		const done = { status, ...(status === 'failed' ? { error: r.body?.message ?? r.body } : {}) };
		if (active && expectStatus && done.status !== expectStatus) {
			throw new Error(
				`workflow ${wf.id} activation ${done.status}, expected ${expectStatus}: ${JSON.stringify(r.body).slice(0, 600)}`,
			);
		}
		if (!active && r.status !== 200)
			throw new Error(
				`PATCH /rest/workflows/${wf.id} {active: false} → ${r.status}: ${JSON.stringify(r.body).slice(0, 600)}`,
			);
		return done;
	}

	async publicationStatus(id) {
		if (this.major < 2)
			return { status: (await this.getWorkflow(id)).active ? 'published' : 'unpublished' }; // 1.x has no outbox
		return this.get(`/rest/workflows/${id}/publication-status`);
	}

	async waitPublication(id, { timeoutMs = 60_000, expectStatus = 'published' } = {}) {
		let last;
		const done = await waitFor(
			`publication of workflow ${id}`,
			async () => {
				last = await this.publicationStatus(id);
				if (!last || last.status === 'in_progress') return false;
				return last;
			},
			{ timeoutMs, intervalMs: 300 },
		).catch((err) => {
			throw new Error(`${err.message}; last status ${JSON.stringify(last)}`);
		});
		if (expectStatus && done.status !== expectStatus) {
			throw new Error(
				`workflow ${id} publication ${done.status}, expected ${expectStatus}: ${JSON.stringify(done)}`,
			);
		}
		return done;
	}

	async deactivate(id) {
		if (this.major < 2) await this.setActive1x(await this.getWorkflow(id), false);
		else await this.post(`/rest/workflows/${id}/deactivate`, {});
	}

	async deleteWorkflow(id) {
		await this.post(`/rest/workflows/${id}/archive`, {}, { expect: null });
		await this.delete(`/rest/workflows/${id}`, { expect: null });
	}

	/** Creates an n8n Data Table in the owner's personal project; columns: [{name, type: string|number|boolean|date}]. */
	async createDataTable(name, columns) {
		const project = await this.get('/rest/projects/personal');
		const table = await this.post(`/rest/projects/${project.id}/data-tables`, { name, columns });
		return { ...table, projectId: project.id };
	}

	/** All rows of a Data Table (n8n serves at most 250 per page). */
	async dataTableRows(table) {
		const rows = [];
		for (;;) {
			const r = await this.get(
				`/rest/projects/${table.projectId}/data-tables/${table.id}/rows?skip=${rows.length}&take=250`,
			);
			rows.push(...r.data);
			if (r.data.length === 0 || rows.length >= r.count) return rows;
		}
	}

	/** Runs a workflow manually (as the editor's "Execute workflow"), returns the execution id. */
	async runManually(id) {
		const wf = await this.getWorkflow(id);
		const trigger = wf.nodes.find((n) => /manualTrigger/i.test(n.type));
		const r = await this.post(`/rest/workflows/${id}/run`, {
			workflowData: wf,
			...(trigger ? { triggerToStartFrom: { name: trigger.name } } : {}),
		});
		return r.executionId;
	}

	/** Executions of a workflow (summaries, newest first), all pages: 2.x pages with `cursor`, 1.x with `lastId`. */
	async executions(workflowId) {
		const filter = encodeURIComponent(JSON.stringify({ workflowId }));
		const all = new Map();
		let next = '';
		for (;;) {
			const r = await this.get(`/rest/executions?filter=${filter}&limit=100${next}`);
			const page = r.results ?? r;
			for (const e of page) if (!all.has(e.id)) all.set(e.id, e); // a page repeats the running ones
			if (this.major >= 2 ? !r.nextCursor : page.length < 100) return [...all.values()];
			next =
				this.major >= 2
					? `&cursor=${encodeURIComponent(r.nextCursor)}`
					: `&lastId=${page[page.length - 1].id}`;
		}
	}

	/** One execution with decoded run data (finished ones are cached). */
	async execution(id) {
		this.cache ??= new Map();
		if (this.cache.has(id)) return this.cache.get(id);
		const e = await this.get(`/rest/executions/${id}`);
		if (typeof e.data === 'string' && this.flatted) e.data = this.flatted.parse(e.data);
		if (e.finished || ['success', 'error', 'crashed', 'canceled'].includes(e.status))
			this.cache.set(id, e);
		return e;
	}

	/** Items a node output in an execution: array of json objects. */
	static nodeOutput(execution, nodeName, output = 0) {
		const runs = execution.data?.resultData?.runData?.[nodeName];
		if (!runs) return undefined;
		return runs.flatMap((r) => (r.data?.main?.[output] ?? []).map((i) => i.json));
	}

	static nodeError(execution) {
		return execution.data?.resultData?.error;
	}

	/** Waits until the workflow has at least n finished executions; returns their summaries. */
	async waitExecutions(workflowId, n, { timeoutMs = 60_000 } = {}) {
		return waitFor(
			`${n} finished execution(s) of workflow ${workflowId}`,
			async () => {
				const list = (await this.executions(workflowId)).filter(
					(e) => e.finished || ['success', 'error', 'crashed'].includes(e.status),
				);
				return list.length >= n ? list : false;
			},
			{ timeoutMs, intervalMs: 500 },
		);
	}
}

export function writeJson(file, value) {
	fs.mkdirSync(path.dirname(file), { recursive: true });
	fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}
