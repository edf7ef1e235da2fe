/** Counts and logs every token and API request, so tests can count token requests and see retry spacing. */
import type { NextFunction, Request, Response } from 'express';

import type { Clock } from './context';

export interface RequestLogEntry {
	/** ISO time the request arrived. */
	at: string;
	atMs: number;
	method: string;
	/** Path with query string. */
	path: string;
	/** 0 when the connection was dropped without an answer. */
	status: number;
	/** True for the token endpoint. */
	token: boolean;
	durationMs: number;
	userAgent?: string;
}

export interface SimulatorStats {
	tokenRequests: number;
	apiRequests: number;
	requestLog: RequestLogEntry[];
}

export class StatsRecorder {
	stats: SimulatorStats = { tokenRequests: 0, apiRequests: 0, requestLog: [] };

	constructor(private readonly clock: Clock) {}

	reset(): void {
		this.stats = { tokenRequests: 0, apiRequests: 0, requestLog: [] };
	}

	middleware(isToken: (req: Request) => boolean) {
		return (req: Request, res: Response, next: NextFunction): void => {
			const token = isToken(req);
			const atMs = this.clock.now();
			const started = Date.now();
			const stats = this.stats;
			if (token) stats.tokenRequests++;
			else stats.apiRequests++;
			let logged = false;
			const log = () => {
				if (logged) return;
				logged = true;
				stats.requestLog.push({
					at: new Date(atMs).toISOString(),
					atMs,
					method: req.method,
					path: req.originalUrl,
					status: res.headersSent ? res.statusCode : 0,
					token,
					durationMs: Date.now() - started,
					userAgent: req.get('user-agent'),
				});
			};
			res.on('finish', log);
			res.on('close', log);
			next();
		};
	}
}
