/**
 * Hands a test delivery's items from `webhook()` to `trigger()`: n8n runs a node that has both through its
 * trigger branch in a manual run and takes what `trigger()` emits. Kept in memory where the request arrived.
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
