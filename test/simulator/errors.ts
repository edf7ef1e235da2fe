/** Protime's error bodies (docs/protime-reference.md §6.3). */
import type { Response } from 'express';

export interface ProtimeErrorBody {
	error: { code: string; message: string; reasons?: string[] };
}

const CODES: Record<number, string> = {
	400: 'BadRequest',
	401: 'Unauthorized',
	403: 'Forbidden',
	404: 'NotFound',
	409: 'Conflict',
	410: 'Gone',
	429: 'TooManyRequests',
	500: 'InternalServerError',
	503: 'ServiceUnavailable',
};

export function errorBody(status: number, message: string, reasons?: string[]): ProtimeErrorBody {
	const error: ProtimeErrorBody['error'] = { code: CODES[status] ?? 'Error', message };
	if (reasons) error.reasons = reasons;
	return { error };
}

export function sendError(
	res: Response,
	status: number,
	message: string,
	reasons?: string[],
): void {
	res.status(status).json(errorBody(status, message, reasons));
}

/** Controller validation failure: `BadRequest` "The request was invalid" with the reasons (§6.3). */
export function sendBadRequest(res: Response, reasons: string[]): void {
	sendError(res, 400, 'The request was invalid', reasons);
}
