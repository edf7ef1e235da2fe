// Run with the pinned Node and NODE_PATH=<n8n's node_modules>: what n8n 2.41's own code does with the packed
// Protime node as an AI tool. argv[2] = the installed package directory. Prints one JSON line.
//  - the tool variant n8n derives from `usableAsTool` (n8n/dist/tool-generation/ai-tools.js): its name and the
//    tool description it offers, which must say why Webhook → Create leaves the key out;
//  - the contexts n8n-core builds to run a tool: a SupplyDataContext on an `ai_tool` connection (an agent's
//    getInputConnectionData) and an ExecuteContext of a node marked `rewireOutputLogTo: 'ai_tool'` (an agent's
//    EngineRequest), and a plain ExecuteContext: the package's runsAsTool() on each.
const path = require('node:path');
const os = require('node:os');
const fs = require('node:fs');

const pkgDir = process.argv[2];
process.env.N8N_USER_FOLDER = fs.mkdtempSync(path.join(os.tmpdir(), 'tool-probe-'));
require('reflect-metadata');
const { SupplyDataContext, ExecuteContext } = require('n8n-core');
const { Workflow, NodeConnectionTypes, deepCopy } = require('n8n-workflow');
const { convertNodeToAiTool } = require('n8n/dist/tool-generation/ai-tools.js');
const { Protime } = require(path.join(pkgDir, 'dist/nodes/Protime/Protime.node.js'));
const { runsAsTool } = require(path.join(pkgDir, 'dist/nodes/Protime/actions/tool.js'));

const base = new Protime().description;
const described =
	typeof base.usableAsTool === 'object'
		? { ...deepCopy(base), ...base.usableAsTool.replacements }
		: deepCopy(base);
const tool = convertNodeToAiTool({ description: described }).description;
const toolDescription = tool.properties.find((p) => p.name === 'toolDescription');

const node = (type, extra = {}) => ({
	id: '1',
	name: 'Protime',
	type,
	typeVersion: 1,
	position: [0, 0],
	parameters: { resource: 'webhook', operation: 'create' },
	...extra,
});
const nodeTypes = {
	getByNameAndVersion: () => ({ description: tool }),
	getByName: () => ({ description: tool }),
	getKnownTypes: () => ({}),
};
const runData = () => ({
	resultData: { runData: {} },
	executionData: { nodeExecutionStack: [], waitingExecution: {}, waitingExecutionSource: {} },
});
const contexts = {};
for (const [label, n, make] of [
	[
		'supplyDataAiTool',
		node(`n8n-nodes-protime.${tool.name}`),
		(wf, nd) =>
			new SupplyDataContext(
				wf,
				nd,
				{},
				'manual',
				runData(),
				0,
				[],
				{},
				NodeConnectionTypes.AiTool,
				{ node: nd, data: { main: [[{ json: {} }]] }, source: null },
				[],
				undefined,
			),
	],
	[
		'executeRewired',
		node('n8n-nodes-protime.protime', { rewireOutputLogTo: NodeConnectionTypes.AiTool }),
		(wf, nd) =>
			new ExecuteContext(
				wf,
				nd,
				{},
				'manual',
				runData(),
				0,
				[],
				{ main: [[{ json: {} }]] },
				{ node: nd, data: { main: [[{ json: {} }]] }, source: null },
				[],
			),
	],
	[
		'executePlain',
		node('n8n-nodes-protime.protime'),
		(wf, nd) =>
			new ExecuteContext(
				wf,
				nd,
				{},
				'manual',
				runData(),
				0,
				[],
				{ main: [[{ json: {} }]] },
				{ node: nd, data: { main: [[{ json: {} }]] }, source: null },
				[],
			),
	],
]) {
	const wf = new Workflow({
		id: 'w1',
		name: 'tool probe',
		nodes: [n],
		connections: {},
		active: false,
		nodeTypes,
	});
	const ctx = make(wf, wf.getNode('Protime'));
	contexts[label] = { isToolExecution: ctx.isToolExecution(), runsAsTool: runsAsTool(ctx) };
}
process.stdout.write(
	`${JSON.stringify({ toolName: tool.name, toolDescriptionDefault: toolDescription?.default, contexts })}\n`,
);
