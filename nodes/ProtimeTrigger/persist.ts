/**
 * The persist request: how the stale filter survives a restart. n8n 2.41.1 never saves what `webhook()` wrote
 * when it answers after the execution (docs/trigger-design.md, "Static data"), so a delivery with changes to
 * emit first sends the versions it recorded to the node's own webhook, signed like a check; n8n saves that
 * request's static data (with this process's newest subscription record, so a renewal the delivery made is
 * saved too) before it answers, and only then does the delivery hand its items to the run.
 */
import type { IDataObject, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import { reply } from './answer';
import type { CheckRequestData } from './check';
import { checkSecret, CHECK_HEADER, signPersist, verifyCheck } from './checkSignature';
import { derivedWebhookUrl } from './destination';
import { postSigned } from './ownWebhook';
import {
	staleFilterOn,
	plainCopy,
	takeOver,
	takeOverBatch,
	type Memory,
	type TriggerState,
} from './record';
import { readSettings } from './settings';
import { loadVersionStore, mergeVersions, versionEntries, type Change } from '../shared/changes';
import { nodeLog } from '../shared/log';

/** Well inside Protime's delivery timeout: the delivery waits for this answer before its execution. */
const PERSIST_TIMEOUT_MS = 10_000;

/**
 * Sends the changes' versions to the node's own production webhook (its public address, else the one built
 * from the instance base URL, as the clock does) and waits until n8n saved them. Never throws: false when
 * they could not be saved (the filter then holds them in this process only) and the log says why.
 */
export async function persistVersions(
	this: IWebhookFunctions,
	changes: readonly Change[],
	source?: string,
): Promise<boolean> {
	const secret = await checkSecret.call(this);
	const urls = [...new Set([this.getNodeWebhookUrl('default'), derivedWebhookUrl(this)])].filter(
		(url): url is string => url !== undefined,
	);
	if (!secret || urls.length === 0) return false;
	const request = signPersist(secret, Date.now(), versionEntries(changes, source));
	const failures: string[] = [];
	for (const url of urls) {
		const outcome = await postSigned.call(this, url, request, PERSIST_TIMEOUT_MS);
		if (outcome.reached && outcome.statusCode === 200) return true;
		failures.push(
			outcome.reached ? `${url} answered ${outcome.statusCode}` : `${url} ${outcome.reason}`,
		);
		if (outcome.reached || !outcome.tryNext) break;
	}
	nodeLog(this).warn(
		`the versions of a delivery could not be saved before its execution (${failures.join('; ')}); n8n must reach its own webhook URL. After a restart an older resend of these records may pass "Ignore Older Versions of a Record"`,
	);
	return false;
}

/** The receiving side: merges the versions into the filter and answers, so n8n saves it first. */
export async function handlePersist(
	this: IWebhookFunctions,
	req: CheckRequestData,
	state: TriggerState,
	memory: Memory | undefined,
): Promise<IWebhookResponseData> {
	// No replay guard beyond the signature's age: merging never replaces a newer version with an older one.
	const verdict = verifyCheck(
		req.headers[CHECK_HEADER],
		req.rawBody,
		await checkSecret.call(this),
		undefined,
	);
	if (!verdict.ok || !verdict.persist || !memory) {
		const reason = !verdict.ok
			? verdict.reason
			: memory
				? 'the persist request holds no valid versions'
				: 'a persist request reached the test URL';
		nodeLog(this).warn(`rejected a persist request (401): ${reason}`);
		return reply(this, 401, { error: 'Unauthorized' });
	}
	// The whole copy is saved: it carries this process's live record (so a gap announced before the save
	// is saved as announced) and kept changes, never older ones.
	takeOver(memory, state, true);
	takeOverBatch(memory, state);
	const settings = readSettings(this);
	if (!staleFilterOn(settings.dropStale, state.subscription, Date.now()))
		return reply(this, 200, { persisted: 0 });
	const stored = memory.versions ?? (state.versions && plainCopy(state.versions));
	const store = loadVersionStore(stored, settings.collectionName);
	const recorded = mergeVersions(store, verdict.persist);
	memory.versions = store as unknown as IDataObject;
	state.versions = store as unknown as IDataObject;
	return reply(this, 200, { persisted: verdict.persist.length, recorded });
}
