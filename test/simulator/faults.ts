/**
 * Fault injection for the token endpoint and the API: error answers (429 with Retry-After, 500, 503 …),
 * slow answers, and an unreachable server (connections dropped). The control API (/_sim) is never affected.
 */
import type { NextFunction, Request, Response } from 'express';
import { sleep } from 'n8n-workflow';

import { errorBody } from './errors';

/** Which requests a fault applies to: the API, the token endpoint, or both. */
export type FaultTarget = 'api' | 'token' | 'all';

export interface FaultSpec {
	status: number;
	/** Sets `Retry-After` (seconds). */
	retryAfterSeconds?: number;
	/** How many matching requests get the fault (default 1; Infinity or -1 = until cleared). */
	times?: number;
	/** Only requests whose path (with query) contains this string or matches this RegExp. */
	path?: RegExp | string;
	/** Default: `api`, or `all` when `path` is given. */
	target?: FaultTarget;
}

export interface DelaySpec {
	ms: number;
	times?: number;
	path?: RegExp | string;
	target?: FaultTarget;
}

interface Armed<T> {
	spec: T;
	left: number;
}

const MESSAGES: Record<number, string> = {
	429: 'Too many requests; retry after the time given in Retry-After',
	500: 'An unexpected error occurred',
	503: 'The service is temporarily unavailable',
};

export class FaultInjector {
	private faults: Array<Armed<FaultSpec>> = [];
	private delays: Array<Armed<DelaySpec>> = [];
	unreachable = false;

	inject(spec: FaultSpec): void {
		this.faults.push({ spec, left: remaining(spec.times) });
	}

	delay(spec: DelaySpec): void {
		this.delays.push({ spec, left: remaining(spec.times) });
	}

	clear(): void {
		this.faults = [];
		this.delays = [];
		this.unreachable = false;
	}

	/** Middleware; `isToken` tells whether the request is a token request. */
	middleware(isToken: (req: Request) => boolean) {
		return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
			if (this.unreachable) {
				req.socket.destroy();
				return;
			}
			const target: FaultTarget = isToken(req) ? 'token' : 'api';
			const delay = take(this.delays, req, target);
			if (delay) await sleep(delay.ms);
			const fault = take(this.faults, req, target);
			if (!fault) return next();
			if (fault.retryAfterSeconds !== undefined)
				res.set('Retry-After', String(fault.retryAfterSeconds));
			res
				.status(fault.status)
				.json(errorBody(fault.status, MESSAGES[fault.status] ?? 'Injected fault'));
		};
	}
}

function remaining(times: number | undefined): number {
	if (times === undefined) return 1;
	return times < 0 ? Infinity : times;
}

function take<T extends { path?: RegExp | string; target?: FaultTarget }>(
	armed: Array<Armed<T>>,
	req: Request,
	target: FaultTarget,
): T | undefined {
	const url = req.originalUrl;
	for (const entry of armed) {
		if (entry.left <= 0) continue;
		const { path } = entry.spec;
		const wanted = entry.spec.target ?? (path === undefined ? 'api' : 'all');
		if (wanted !== 'all' && wanted !== target) continue;
		if (path !== undefined && !(typeof path === 'string' ? url.includes(path) : path.test(url)))
			continue;
		entry.left--;
		return entry.spec;
	}
	return undefined;
}
