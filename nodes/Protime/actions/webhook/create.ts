/** Create a webhook subscription and hand back its one-time key (or deliberately leave it out; always as an AI tool). */
import type { IExecuteFunctions } from 'n8n-workflow';

import { isCustomEnvironment, type ProtimeEnvironmentFields } from '../../../shared/environment';
import { createWebhook } from '../../../shared/webhooksApi';
import { problemError } from '../errors';
import { runsAsTool } from '../tool';
import { externalReferencesQuery, readReferenceSpecs } from '../externalReferences';
import type { Emit } from '../types';
import { checkDestination } from './destination';
import { webhookJson } from './output';

export const KEY_INCLUDED_NOTICE =
	'Store this key now: Protime returns it only once and it cannot be retrieved again. It verifies the signature of every delivery.';
export const KEY_WITHHELD_FROM_TOOL_NOTICE =
	"The private key was left out because this node ran as an AI tool: a model's context, and its provider's logs, are no place for the one secret that verifies every delivery of this webhook. It cannot be retrieved again: to get a key, create the webhook in a workflow step that is not a tool (or delete this one and do so).";
export const KEY_OMITTED_NOTICE =
	"The private key was left out of the output ('Include Key in Output' is off) and cannot be retrieved again. Delete this webhook and create a new one if you need the key.";

export async function create(this: IExecuteFunctions, i: number, emit: Emit): Promise<void> {
	const collectionName = this.getNodeParameter('collection', i) as string;
	const typedUrl = String(this.getNodeParameter('destinationUrl', i, ''));
	const options = this.getNodeParameter('options', i, {}) as {
		includeKey?: boolean;
		allowN8nWebhookUrl?: boolean;
	};

	const credentials = (await this.getCredentials('protimeApi', i)) as ProtimeEnvironmentFields;
	const destination = checkDestination(typedUrl, {
		allowHttp: isCustomEnvironment(credentials),
		allowN8nWebhookUrl: options.allowN8nWebhookUrl === true,
	});
	if (destination.problem) throw problemError(this.getNode(), destination.problem, i);
	// The URL that passed the checks, as the parser normalised it; never the typed text.
	const destinationUrl = destination.href;
	const specs = readReferenceSpecs.call(this, i);
	// Validates the references (throws with the item index); the API call formats them itself.
	externalReferencesQuery.call(this, i, collectionName, specs, true);

	const { webhook, key } = await createWebhook.call(this, {
		collectionName,
		destinationUrl,
		externalReferences: specs.length ? specs : undefined,
		itemIndex: i,
	});
	const json = webhookJson(webhook, Date.now());
	if (runsAsTool(this)) {
		json.keyNotice = KEY_WITHHELD_FROM_TOOL_NOTICE;
	} else if (options.includeKey !== false) {
		json.key = key;
		json.keyNotice = KEY_INCLUDED_NOTICE;
	} else {
		json.keyNotice = KEY_OMITTED_NOTICE;
	}
	emit(json);
}
