/**
 * The flush: what `webhook()` does with the signed flush request the clock sends every second while Batch
 * Changes keeps changes (once per batch window while it cannot see any). It applies the clock's report on the previous batch, then emits the next one, answered by
 * n8n once its execution ended (docs/trigger-design.md, "Batching").
 */
import type { IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';

import { reply } from './answer';
import { applyReport, keptCount, takeFlush, type BatchSettings } from './batch';
import type { CheckRequestData } from './check';
import { checkSecret, CHECK_HEADER, verifyCheck } from './checkSignature';
import { changeItem, setAsideItem, takePendingResync } from './items';
import {
	carryBatch,
	keptByOther,
	takeOver,
	takeOverBatch,
	type Memory,
	type TriggerState,
} from './record';
import { DEFAULT_BATCH_MAX_FAILURES } from './description';
import { readSettings } from './settings';
import { nodeLog } from '../shared/log';

/** With Batch Changes switched off, changes still kept go out at once, in executions of this many. */
const DRAIN: BatchSettings = {
	windowMs: 0,
	maxChanges: 500,
	maxFailures: DEFAULT_BATCH_MAX_FAILURES,
};

/** The node's own answers (n8n's answer after an execution has no body): nothing was emitted, or ... */
export const NOTHING_FLUSHED = 'nothingFlushed';
/** ... a success was reported and saved at once, before anything else is emitted. */
export const REPORTED = 'reported';

export async function handleFlush(
	this: IWebhookFunctions,
	req: CheckRequestData,
	state: TriggerState,
	memory: Memory | undefined,
): Promise<IWebhookResponseData> {
	const now = Date.now();
	const verdict = verifyCheck(
		req.headers[CHECK_HEADER],
		req.rawBody,
		await checkSecret.call(this),
		memory?.lastFlush,
		now,
	);
	if (!verdict.ok || !verdict.flush || !memory) {
		const reason = !verdict.ok
			? verdict.reason
			: memory
				? 'the flush request has no id'
				: 'a flush request reached the test URL';
		nodeLog(this).warn(`rejected a flush request (401): ${reason}`);
		return reply(this, 401, { error: 'Unauthorized' });
	}
	memory.lastFlush = Math.max(verdict.timestamp, memory.lastFlush ?? 0);
	const settings = readSettings(this);
	const batchSettings = settings.batch ?? DRAIN;
	const takingOver = keptByOther(state, memory);
	takeOver(memory, state, false);
	const batch = takeOverBatch(memory, state, now);
	const report = verdict.flush.report;
	const applied = applyReport(batch, report, now, batchSettings.maxFailures);
	if (applied.changed) carryBatch(memory, state, now);
	// A batch set aside is announced in an execution of its own, answered by the node: saved before it runs,
	// so that it is announced once.
	if (applied.setAside) {
		const { changes, failures } = applied.setAside;
		nodeLog(this).error(
			`set aside ${changes.length} batched change(s) after ${failures} failed executions; newer changes go on, and a ResyncRequired item lists them`,
		);
		return {
			...reply(this, 200, { code: REPORTED, kept: keptCount(batch) }),
			workflowData: [[setAsideItem(changes, failures, settings, state, now)]],
		};
	}
	// A finished batch leaves static data now: saved only after a next execution, a crash during that
	// execution would emit the finished batch again. A process taking the batch over saves that it keeps it
	// before it emits anything (what a flush that emits writes is never saved).
	if ((applied.changed && report?.outcome === 'done') || takingOver)
		return reply(this, 200, { code: REPORTED, kept: keptCount(batch) });
	const changes = takeFlush(batch, batchSettings, verdict.flush.flushId, now);
	if (changes) carryBatch(memory, state, now);

	if (!changes) {
		// Answered by the node, so saved before the execution starts: the one place a flush announces a gap
		// (what a flush answered after its execution wrote is never saved, so a gap taken there would return).
		const items = takePendingResync(state, settings);
		const answer = reply(this, 200, { code: NOTHING_FLUSHED, kept: keptCount(batch) });
		return items.length ? { ...answer, workflowData: [items] } : answer;
	}
	const items = changes.map((change) => changeItem(change, settings, state));
	// n8n saves this request's copy only after the execution: it must hold the live record (the batch is live).
	takeOver(memory, state, true);
	// n8n answers once the execution has finished: 2xx when it succeeded, 500 when it failed.
	return { workflowData: [items] };
}
