/**
 * Runs the Protime action node against the simulator through the n8n test bed (real HTTP, real
 * credential flow). Not a test file itself: shared by test/unit/action*.test.ts.
 */
import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { Protime } from '../../nodes/Protime/Protime.node';
import { ProtimeSimulator, type SimClient } from '../simulator';
import {
	createProtimeTestbed,
	type NodeSpec,
	type ParameterValue,
	type ProtimeTestbed,
} from '../support/context';

export interface RunOptions {
	items?: INodeExecutionData[];
	continueOnFail?: boolean;
	testbed?: ProtimeTestbed;
	/** The node (name, type, …) as n8n passes it; e.g. the tool variant `n8n-nodes-protime.protimeTool`. */
	node?: NodeSpec;
	/** What the context's `isToolExecution()` answers (n8n 2.x); absent as on n8n 1.x when undefined. */
	isToolExecution?: boolean;
}

export class ActionHarness {
	testbed!: ProtimeTestbed;

	constructor(readonly sim: ProtimeSimulator) {
		this.reset();
	}

	static async start(clients: SimClient[] = []): Promise<ActionHarness> {
		return new ActionHarness(await ProtimeSimulator.start({ clients }));
	}

	/** A fresh test bed (empty token cache) with the default client, or `client` and its scopes. */
	reset(client?: SimClient): ProtimeTestbed {
		this.testbed = this.bed(client);
		return this.testbed;
	}

	bed(client?: SimClient): ProtimeTestbed {
		const c = client ?? { ...this.sim.defaultClient, scopes: undefined };
		return createProtimeTestbed({
			simulatorOrigin: this.sim.origin,
			tenant: this.sim.tenant,
			clientId: c.clientId,
			clientSecret: c.clientSecret,
			credentials: client ? { scopes: client.scopes.join(' ') } : {},
		});
	}

	/** Executes the node once; returns the items of its single output. */
	async run(
		parameters: Record<string, ParameterValue>,
		options: RunOptions = {},
	): Promise<INodeExecutionData[]> {
		const ctx = (options.testbed ?? this.testbed).executeFunctions({
			parameters,
			items: options.items,
			continueOnFail: options.continueOnFail,
			node: options.node,
		});
		if (options.isToolExecution !== undefined)
			Object.assign(ctx, { isToolExecution: () => options.isToolExecution });
		const [output] = await new Protime().execute.call(ctx);
		return output;
	}

	/** Executes and expects a failure; returns the error. */
	async fail(
		parameters: Record<string, ParameterValue>,
		options: RunOptions = {},
	): Promise<Error & IDataObject> {
		try {
			await this.run(parameters, options);
		} catch (error) {
			return error as Error & IDataObject;
		}
		throw new Error('expected the node to fail');
	}

	/** API requests (no token calls) the simulator has seen since the last `resetStats`. */
	apiRequests(): string[] {
		return this.sim.stats.requestLog.filter((r) => !r.token).map((r) => `${r.method} ${r.path}`);
	}

	async stop(): Promise<void> {
		await this.sim.stop();
	}
}

export const jsonOf = (items: INodeExecutionData[]) => items.map((i) => i.json);

/** Get Many of January's work interruptions, every page, raw records: the usual read in these tests. */
export const JANUARY_INTERRUPTIONS = {
	resource: 'workInterruption',
	operation: 'getAll',
	returnAll: true,
	simplify: false,
	startDate: '2026-01-01',
	endDate: '2026-01-31',
} as const;
