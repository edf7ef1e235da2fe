/**
 * Stands in for n8n's HTTP webhook endpoint in front of the test bed (context.ts), so the clock's requests and
 * a simulator's deliveries reach `webhook()` over HTTP, with n8n 2.41's answering rules applied by the bed.
 */
import axios from 'axios';
import express from 'express';
import type { INodeExecutionData, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import type { ProtimeTestbed, WebhookInput } from './context';

export interface Execution {
	items: INodeExecutionData[];
	mode: string;
}

/**
 * Stands in for n8n's webhook endpoint: raw body kept, JSON parsed (422 when not JSON, as n8n does). It also
 * answers under `/alias/...` (the same n8n reached through another base URL), and `notFound` makes an
 * address answer 404 as n8n does for a path where no webhook is registered.
 */
export class FakeN8n {
	readonly executions: Execution[] = [];
	readonly answers: Array<{ status: number; body: unknown }> = [];
	/** The node's persist requests to itself (persist.ts), apart from `answers`: their answers and the versions sent. */
	readonly persists: Array<{ status: number; versions: unknown }> = [];
	readonly notFound = new Set<'direct' | 'alias'>();
	/**
	 * The workflow runs on execution engine v2 (workflow setting engineType 'v2'): n8n 2.41.1 refuses the request
	 * before the node sees it (n8n/dist/webhooks/engine-v2-webhooks.js, assertSupported; a UserError becomes a 400).
	 */
	engineV2 = false;
	/** What the workflow's execution does (default: succeeds), as the test bed's `execution` option. */
	execution?: WebhookInput['execution'];
	origin = '';
	private server?: ReturnType<express.Express['listen']>;

	constructor(
		private readonly bed: () => ProtimeTestbed,
		private readonly parameters: () => Record<string, unknown>,
		private readonly trigger: { webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> },
		private readonly node: { name: string; type: string; webhookId: string },
	) {}

	async start(): Promise<void> {
		const app = express();
		app.use(express.raw({ type: () => true, limit: '50mb' }));
		app.post(['/:kind/:id/webhook', '/alias/:kind/:id/webhook'], async (req, res) => {
			if (this.notFound.has(req.path.startsWith('/alias/') ? 'alias' : 'direct')) {
				res.status(404).json({ code: 404, message: 'The requested webhook is not registered.' });
				return;
			}
			if (this.engineV2) {
				res.status(400).json({
					code: 400,
					message:
						"Engine 2.0 does not support the 'lastNode' response mode yet. Respond immediately instead.",
				});
				return;
			}
			const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
			let body: unknown;
			try {
				body = JSON.parse(rawBody.toString('utf8'));
			} catch {
				res.status(422).json({ message: 'Failed to parse request body' });
				return;
			}
			const test = req.params.kind === 'webhook-test';
			const headers = Object.fromEntries(
				Object.entries(req.headers).map(([k, v]) => [
					k,
					Array.isArray(v) ? v.join(', ') : String(v),
				]),
			);
			const { result, response } = await this.bed().runWebhook(this.trigger.webhook, {
				parameters: this.parameters(),
				node: this.node,
				execution: this.execution,
				mode: test ? 'manual' : 'webhook',
				testStaticData: test,
				webhookUrl: `${this.origin}/${req.params.kind}/${req.params.id}/webhook`,
				request: { headers, rawBody, body },
			});
			const persist = (body as { purpose?: unknown } | null)?.purpose === 'persist';
			if (persist)
				this.persists.push({
					status: response.statusCode,
					versions: (body as { versions?: unknown }).versions,
				});
			else this.answers.push({ status: response.statusCode, body: response.body });
			if (result.workflowData)
				this.executions.push({ items: result.workflowData[0], mode: test ? 'manual' : 'webhook' });
			// A crash answers nothing: the connection is cut.
			if (
				!response.ended &&
				result.workflowData &&
				!result.noWebhookResponse &&
				response.statusCode === 0
			) {
				req.socket.destroy();
				return;
			}
			res.status(response.statusCode).json(response.body ?? {});
		});
		await new Promise<void>((resolve) => {
			this.server = app.listen(0, '127.0.0.1', () => resolve());
		});
		this.origin = `http://127.0.0.1:${(this.server!.address() as { port: number }).port}`;
	}

	async stop(): Promise<void> {
		await new Promise<void>((resolve) => this.server?.close(() => resolve()));
	}

	get productionUrl(): string {
		return `${this.origin}/webhook/${this.node.webhookId}/webhook`;
	}

	/** The instance base URL under which the alias answers. */
	get aliasBase(): string {
		return `${this.origin}/alias/`;
	}

	get testUrl(): string {
		return `${this.origin}/webhook-test/${this.node.webhookId}/webhook`;
	}

	/** Posts raw bytes to the production URL; never throws on status. */
	async post(raw: string | Buffer, headers: Record<string, string> = {}, url = this.productionUrl) {
		return await axios.post(url, raw, {
			headers: { 'content-type': 'application/json', ...headers },
			validateStatus: () => true,
			proxy: false,
			transformRequest: (d: unknown) => d,
			maxBodyLength: Infinity,
		});
	}
}
