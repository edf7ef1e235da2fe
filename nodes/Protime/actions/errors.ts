/** Turning problems into n8n errors that carry the item index. */
import { NodeApiError, NodeOperationError, type INode, type JsonObject } from 'n8n-workflow';

export interface Problem {
	message: string;
	description: string;
}

export function problemError(node: INode, problem: Problem, itemIndex: number): NodeOperationError {
	return new NodeOperationError(node, problem.message, {
		description: problem.description,
		itemIndex,
	});
}

/**
 * The error to throw for item `itemIndex`: n8n errors pass through (with the item index filled in if
 * the code that raised them did not know it); anything else is wrapped so the editor shows it properly.
 */
export function asNodeError(
	node: INode,
	error: unknown,
	itemIndex: number,
): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) {
		if (error.context.itemIndex === undefined) error.context.itemIndex = itemIndex;
		return error;
	}
	if (error instanceof Error) return new NodeOperationError(node, error, { itemIndex });
	return new NodeApiError(node, { message: String(error) } as JsonObject, { itemIndex });
}

/** The JSON of a failed item when Continue On Fail is on: what happened, and how to fix it. */
export function errorItemJson(error: unknown): JsonObject {
	const e = error as { message?: unknown; description?: unknown; httpCode?: unknown };
	const json: JsonObject = { error: typeof e?.message === 'string' ? e.message : String(error) };
	if (typeof e?.description === 'string' && e.description) json.description = e.description;
	if (typeof e?.httpCode === 'string' && e.httpCode) json.httpCode = e.httpCode;
	return json;
}
