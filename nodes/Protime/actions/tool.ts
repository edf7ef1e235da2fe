/**
 * Whether the node runs as an AI tool (the "Protime Tool" n8n derives from `usableAsTool`). n8n 2.41 has two
 * paths, read from n8n-core 2.41.1:
 * - an agent calling the tool through `getInputConnectionData` runs `execute()` on a SupplyDataContext whose
 *   connection type is `ai_tool`: `isToolExecution()` answers true there (supply-data-context.js);
 * - an agent that asks the engine to run its tools (EngineRequest) gets them run as ordinary nodes on an
 *   ExecuteContext, whose `isToolExecution()` is always false; there the node is marked with
 *   `rewireOutputLogTo: 'ai_tool'` (requests-response.js).
 * In both, the node's type is the tool variant's: the package's name plus `Tool` (tool-generation/ai-tools.js),
 * which is also all n8n 1.x (no `isToolExecution`) offers.
 */
import { NodeConnectionTypes, type IExecuteFunctions, type INode } from 'n8n-workflow';

export function runsAsTool(ctx: IExecuteFunctions): boolean {
	const isToolExecution = (ctx as Partial<Pick<IExecuteFunctions, 'isToolExecution'>>)
		.isToolExecution;
	if (typeof isToolExecution === 'function' && isToolExecution.call(ctx) === true) return true;
	const node = ctx.getNode() as INode & { rewireOutputLogTo?: string };
	return node.type.endsWith('Tool') || node.rewireOutputLogTo === NodeConnectionTypes.AiTool;
}
