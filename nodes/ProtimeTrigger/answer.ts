/** The node answering a request itself (refusals, checks, flushes with nothing to emit): n8n sends nothing more. */
import type { IDataObject, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

export function reply(
	ctx: IWebhookFunctions,
	status: number,
	body: IDataObject,
): IWebhookResponseData {
	ctx.getResponseObject().status(status).json(body);
	return { noWebhookResponse: true };
}
