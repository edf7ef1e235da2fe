import type { NodeApiError } from 'n8n-workflow';

/** Runs `fn` and returns the NodeApiError it throws (fails the test if it does not throw). */
export async function failure(fn: () => Promise<unknown>): Promise<NodeApiError> {
	try {
		await fn();
	} catch (error) {
		return error as NodeApiError;
	}
	throw new Error('expected the call to fail');
}
