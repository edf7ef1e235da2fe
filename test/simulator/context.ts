/** What every simulator module shares: the tenant, the assumptions, the data and the clock. */
import type { SimulatorAssumptions } from './assumptions';
import type { Store } from './store';

export const API_PATH = '/connector/protimeapi/api/v1';

export class Clock {
	/** Added to the wall clock, so tests can move time forward without waiting (`sim.advanceClock`). */
	offsetMs = 0;

	now(): number {
		return Date.now() + this.offsetMs;
	}
}

export interface SimContext {
	tenant: string;
	assumptions: SimulatorAssumptions;
	store: Store;
	clock: Clock;
}

/** ISO 8601 with an explicit offset, like the doc example `2025-03-31T12:30:00+02:00` (§2.1). */
export function isoWithOffset(ms: number, offsetMinutes: number): string {
	const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19);
	const sign = offsetMinutes < 0 ? '-' : '+';
	const abs = Math.abs(offsetMinutes);
	const hh = String(Math.floor(abs / 60)).padStart(2, '0');
	const mm = String(abs % 60).padStart(2, '0');
	return `${local}${sign}${hh}:${mm}`;
}
