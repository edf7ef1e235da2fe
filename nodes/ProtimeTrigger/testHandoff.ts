/**
 * Hands the items of a test delivery from `webhook()` to `trigger()`.
 *
 * n8n runs a node that has both `webhook()` and `trigger()` through the trigger branch of a manual run: after
 * a test webhook arrives, the run calls `trigger()` in manual mode and takes what it emits, not what
 * `webhook()` returned (n8n-core `WorkflowExecute.runNode` checks `trigger` before `webhook`). Static data
 * cannot carry the items there (test static data is not the run's static data), so they wait in memory of
 * the process that received the request, which is the process that runs a manual execution unless manual
 * executions are offloaded to queue workers.
 */
import type { INodeExecutionData } from 'n8n-workflow';

const MAX_WAITING = 20;
const waiting = new Map<string, INodeExecutionData[][]>();

export function handoffKey(workflowId: string | undefined, nodeName: string): string {
	return `${workflowId ?? ''}\u0000${nodeName}`;
}

export function putTestItems(key: string, items: INodeExecutionData[][]): void {
	waiting.delete(key);
	waiting.set(key, items);
	while (waiting.size > MAX_WAITING) waiting.delete(waiting.keys().next().value as string);
}

export function takeTestItems(key: string): INodeExecutionData[][] | undefined {
	const items = waiting.get(key);
	waiting.delete(key);
	return items;
}
