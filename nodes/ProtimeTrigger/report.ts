/**
 * What the trigger cannot fix by itself, reported where users look and not only in the log: a failed
 * execution in n8n's execution list, which also starts the workflow's error workflow
 * (`ITriggerFunctions.saveFailedExecution`, n8n 2.x; the workflow stays active). n8n 1.x has no such call: there the
 * log line is all (a lapse still emits its ResyncRequired item).
 *
 * It also names the n8n setting behind two failures the node cannot survive: n8n's SSRF protection refusing the
 * clock's request to the workflow's own webhook, and a workflow on execution engine v2, which refuses the
 * trigger's response mode.
 */
import { NodeOperationError, type IDataObject, type ITriggerFunctions } from 'n8n-workflow';

import { nodeLog } from '../shared/log';
import { UNRECORDED } from './checkSignature';
import { KEPT_ELSEWHERE, KEPT_ELSEWHERE_FIX } from './record';

export const SSRF_SETTINGS =
	"n8n's SSRF protection (N8N_SSRF_PROTECTION_ENABLED=true) refused the request to this workflow's own webhook. " +
	"Allow the n8n host's own webhook address: add its host name to N8N_SSRF_ALLOWED_HOSTNAMES or its address to N8N_SSRF_ALLOWED_IP_RANGES";

export const ENGINE_V2_SETTING =
	"this workflow runs on execution engine v2 (workflow setting engineType 'v2', Engine 2.0), which refuses the Protime Trigger's webhook response mode ('lastNode'). " +
	'Switch the workflow back to the default execution engine (v1) in its settings';

const SSRF_ERROR_NAMES = new Set(['SsrfBlockedIpError', 'SsrfBlockedHostnameError']);
const SSRF_MESSAGE =
	/blocked because (it resolves to a restricted IP address|the destination hostname is restricted)/i;

/** Whether `error` (or an error it wraps) is n8n's SSRF refusal (`@n8n/backend-network` SsrfBlocked*Error). */
export function isSsrfRefusal(error: unknown): boolean {
	let current: unknown = error;
	for (let depth = 0; depth < 5 && current && typeof current === 'object'; depth++) {
		const e = current as { name?: unknown; message?: unknown; cause?: unknown };
		if (typeof e.name === 'string' && SSRF_ERROR_NAMES.has(e.name)) return true;
		if (typeof e.message === 'string' && SSRF_MESSAGE.test(e.message)) return true;
		current = e.cause;
	}
	return false;
}

/** n8n's answer when the workflow runs on engine v2 (400, "Engine 2.0 does not support the 'lastNode' response mode yet…"). */
export function isEngineV2Refusal(statusCode: number, body: IDataObject): boolean {
	const text = String(body.message ?? body.error ?? body.text ?? '');
	return statusCode === 400 && /Engine 2\.0/i.test(text);
}

export interface Problem {
	/** What happened (the execution's error message). */
	message: string;
	/** How to fix it. */
	description: string;
}

/** Records `problem` as a failed execution of the workflow (n8n 2.x). False where n8n offers no such call (1.x). */
export function saveAsFailedExecution(ctx: ITriggerFunctions, problem: Problem): boolean {
	const save = (ctx as Partial<Pick<ITriggerFunctions, 'saveFailedExecution'>>).saveFailedExecution;
	if (typeof save !== 'function') return false;
	try {
		save.call(
			ctx,
			new NodeOperationError(ctx.getNode(), problem.message, { description: problem.description }),
		);
		return true;
	} catch (error) {
		nodeLog(ctx).warn(
			`could not record "${problem.message}" as a failed execution: ${(error as Error).message}`,
		);
		return false;
	}
}

/**
 * Per clock: a lasting problem (renewal failing at every check) is reported when it starts and when it
 * changes, not at every check; an event (a lapse) every time. A successful check ends the streak.
 */
export class ProblemReporter {
	private current?: string;

	/** Reported now: true. */
	lasting(ctx: ITriggerFunctions, problem: Problem): boolean {
		if (problem.message === this.current) return false;
		this.current = problem.message;
		return saveAsFailedExecution(ctx, problem);
	}

	event(ctx: ITriggerFunctions, problem: Problem): boolean {
		return saveAsFailedExecution(ctx, problem);
	}

	resolved(): void {
		this.current = undefined;
	}
}

export type CheckResult =
	| { kind: 'noSecret' }
	| { kind: 'unreachable'; failures: string[]; ssrf: boolean }
	| { kind: 'answer'; url: string; statusCode: number; body: IDataObject };

const NOT_RENEWED =
	'The Protime subscription of this trigger is not renewed while this lasts, and lapses at its validUntil.';

/** The problem a check result shows, or undefined when the check went well (or is still waiting for activation). */
export function problemOf(result: CheckResult, collection: string): Problem | undefined {
	if (result.kind === 'noSecret') {
		return {
			message: 'Protime Trigger cannot sign its subscription check',
			description: `The node's Protime credential could not be read or has no client secret or access token. ${NOT_RENEWED} Check the credential.`,
		};
	}
	if (result.kind === 'unreachable') {
		const where = result.failures.join('; ') || 'no address known';
		return result.ssrf
			? {
					message: "n8n's SSRF protection blocks the Protime Trigger's subscription check",
					description: `${SSRF_SETTINGS}. ${NOT_RENEWED} (${where})`,
				}
			: {
					message:
						"Protime Trigger cannot reach its workflow's own webhook for the subscription check",
					description: `${where}. ${NOT_RENEWED} Make sure the n8n host can reach the address in N8N_WEBHOOK_URL (WEBHOOK_URL on n8n 1.x) and its own base URL (N8N_EDITOR_BASE_URL), and that the workflow is active.`,
				};
	}
	const { statusCode, body } = result;
	if (statusCode >= 200 && statusCode < 300) {
		if (body.action !== 'recover') return undefined;
		return {
			message: `The Protime subscription for ${collection} had lapsed and was replaced`,
			description: `Changes made while it had lapsed may be missing: run the Protime node's Get Many for ${collection} to resync. The trigger also emitted a ResyncRequired item.`,
		};
	}
	if (statusCode === 409 && body.code === UNRECORDED) return undefined; // nothing recorded yet: expected right after activation
	if (statusCode === 503 && body.code === KEPT_ELSEWHERE) {
		return {
			message: "Another n8n process keeps this Protime Trigger's batched changes",
			description: `${KEPT_ELSEWHERE_FIX} ${NOT_RENEWED}`,
		};
	}
	if (isEngineV2Refusal(statusCode, body)) {
		return {
			message: 'Execution engine v2 refuses the Protime Trigger',
			description: `${ENGINE_V2_SETTING}. ${NOT_RENEWED}`,
		};
	}
	const detail = String(body.error ?? body.message ?? body.text ?? '');
	return {
		message: `Renewing the Protime subscription for ${collection} failed (${statusCode})`,
		description: `${detail ? `${detail}. ` : ''}${NOT_RENEWED} The next check tries again; see n8n's log for each attempt.`,
	};
}

/** Reports what a check showed: lapses every time, failures once per streak. */
export function reportCheck(
	ctx: ITriggerFunctions,
	reporter: ProblemReporter,
	result: CheckResult,
	collection: string,
): void {
	const problem = problemOf(result, collection);
	if (result.kind === 'answer' && result.statusCode >= 200 && result.statusCode < 300) {
		reporter.resolved();
		if (problem) reporter.event(ctx, problem);
		return;
	}
	if (problem) reporter.lasting(ctx, problem);
}
