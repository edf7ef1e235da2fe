/**
 * A believable demo tenant: people with employee and badge numbers, counter groups and definitions with
 * codes, shifts, a week of work interruptions, a few records of every other collection; plus a steady
 * stream of changes (mostly work interruptions) for demos and end-to-end runs.
 */
import { sleep } from 'n8n-workflow';

import { COLLECTIONS } from './model';
import type { ProtimeSimulator } from './index';

const PEOPLE: Array<[string, string, string]> = [
	['An', 'Peeters', 'Gent'],
	['Bram', 'Janssens', 'Antwerpen'],
	['Charlotte', 'Maes', 'Leuven'],
	['Dries', 'Jacobs', 'Brugge'],
	['Elise', 'Mertens', 'Mechelen'],
	['Farid', 'El Amrani', 'Brussel'],
	['Greet', 'Willems', 'Hasselt'],
	['Hugo', 'Claes', 'Kortrijk'],
];

const COUNTER_GROUPS: Array<[number, string, string]> = [
	[3, 'Overtime', 'Overuren'],
	[4, 'Leave balances', 'Verlofsaldi'],
	[5, 'Allowances', 'Vergoedingen'],
];

const COUNTER_DEFINITIONS: Array<[number, string, string, number, 'Duration' | 'Instance']> = [
	[766, 'OT150', 'Overtime 150%', 3, 'Duration'],
	[767, 'OT200', 'Overtime 200%', 3, 'Duration'],
	[768, 'NIGHT', 'Night work', 3, 'Duration'],
	[770, 'AL', 'Annual leave balance', 4, 'Duration'],
	[771, 'ADV', 'Reduction of working time', 4, 'Duration'],
	[780, 'MEAL', 'Meal voucher', 5, 'Instance'],
];

const SHIFTS: Array<[number, string, string]> = [
	[7, 'DAY', 'Day shift'],
	[8, 'EARLY', 'Early shift'],
	[9, 'LATE', 'Late shift'],
	[10, 'NIGHT', 'Night shift'],
];

const DAY_MS = 86_400_000;

/** Seeds the demo tenant (no events). Idempotent enough for a fresh simulator. */
export function seedDemoTenant(sim: ProtimeSimulator): void {
	sim.seed(
		'people',
		PEOPLE.map(([firstName, lastName, town], i) => ({
			id: 1001 + i,
			firstName,
			lastName,
			initials: `${firstName[0]}${lastName[0]}`,
			email: `${firstName}.${lastName}`.toLowerCase().replace(/\s+/g, '') + '@acme.example',
			town,
			countryIsoCode: 'BE',
			externalReferences: {
				'@employee-number': `E-${4821 + i}`,
				'@badge-number': String(6767676 + i * 13),
				HRMID: `HRM-${String(201 + i).padStart(5, '0')}`,
			},
		})),
	);
	sim.seed(
		'counter-groups',
		COUNTER_GROUPS.map(([id, name, nl]) => ({
			id,
			name: { default: name, translations: { nl } },
			externalReferences: { counterCode: `GRP-${id}` },
		})),
	);
	sim.seed(
		'counter-definitions',
		COUNTER_DEFINITIONS.map(([id, code, name, group, unit]) => ({
			id,
			code,
			name: { default: name, translations: {} },
			friendlyName: { default: name, translations: {} },
			friendlyCode: { default: code, translations: {} },
			isEnabled: true,
			counterGroup: { id: group },
			unit,
			externalReferences: { customCounterCode: `PAY-${code}` },
		})),
	);
	sim.seed(
		'shift-definitions',
		SHIFTS.map(([id, code, name]) => ({
			id,
			code,
			name: { default: name, translations: {} },
			friendlyName: { default: name, translations: {} },
			isEnabled: true,
		})),
	);
	sim.setExternalReferences('terminals', 4, { '@external-code': 'T-ENTRANCE' });
	sim.setExternalReferences('activity-definitions', 42, {
		'@data-entry-code': 'PRJ-42',
		'@external-reference': 'SAP-0042',
	});

	const now = sim.now();
	const rng = sim.rng;
	const interruptions = [];
	for (let day = 6; day >= 0; day--) {
		for (let n = 0; n < 3; n++)
			interruptions.push({ date: isoDay(now - day * DAY_MS), ...interruption(rng.int(0, 3)) });
	}
	sim.seed(
		'work-interruptions',
		interruptions.map((wi) => ({ ...wi })),
	);

	// A few records of every other collection, so each list endpoint has data.
	const done = new Set([
		'people',
		'counter-groups',
		'counter-definitions',
		'shift-definitions',
		'work-interruptions',
	]);
	for (const def of COLLECTIONS) {
		if (done.has(def.name)) continue;
		sim.seed(def.name, [{}, {}, {}]);
	}

	function interruption(seedOffset: number) {
		const start = rng.int(36 + seedOffset, 64) * 15;
		const duration = rng.pick([10, 15, 20, 30, 45, 60]);
		return {
			startTimeInMinutes: start,
			durationInMinutes: duration,
			endTimeInMinutes: start + duration,
		};
	}
}

function isoDay(ms: number): string {
	return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Raises a steady, realistic stream of changes every `everyMs`: mostly new and corrected work
 * interruptions, sometimes a deleted one, and now and then a counter-definition change or delete.
 */
export function startTraffic(
	sim: ProtimeSimulator,
	options: { everyMs: number },
): { stop: () => void } {
	const abort = new AbortController();
	const traffic = { stop: () => abort.abort(new Error('traffic stopped')) };
	sim.attachTraffic(traffic);
	const rng = sim.rng;
	let temporaryCode = 900;

	const tick = () => {
		const roll = rng.next();
		const interruptions = sim.records('work-interruptions');
		if (roll < 0.6 || interruptions.length === 0) {
			const start = rng.int(36, 68) * 15;
			const duration = rng.pick([5, 10, 15, 20, 30, 45]);
			sim.insert('work-interruptions', {
				date: isoDay(sim.now()),
				startTimeInMinutes: start,
				durationInMinutes: duration,
				endTimeInMinutes: start + duration,
			});
		} else if (roll < 0.85) {
			const wi = rng.pick(interruptions);
			const duration = Math.max(
				5,
				(wi.durationInMinutes as number) + rng.pick([-10, -5, 5, 10, 15]),
			);
			sim.update('work-interruptions', wi.id, {
				durationInMinutes: duration,
				endTimeInMinutes: (wi.startTimeInMinutes as number) + duration,
			});
		} else if (roll < 0.9) {
			sim.remove('work-interruptions', rng.pick(interruptions).id);
		} else if (roll < 0.96) {
			const cd = rng.pick(sim.records('counter-definitions'));
			sim.update('counter-definitions', cd.id, { isEnabled: !cd.isEnabled });
		} else {
			// Temporary definitions come and go, so deletes happen without emptying the tenant.
			const temporary = sim
				.records('counter-definitions')
				.filter((c) => String(c.code).startsWith('TMP'));
			if (temporary.length > 0 && rng.next() < 0.5) {
				sim.remove('counter-definitions', temporary[0].id);
			} else {
				const code = `TMP${temporaryCode++}`;
				sim.insert('counter-definitions', {
					code,
					name: { default: `Temporary allowance ${code}`, translations: {} },
					friendlyCode: { default: code, translations: {} },
					counterGroup: { id: 5 },
					unit: 'Instance',
				});
			}
		}
	};

	void (async () => {
		while (!abort.signal.aborted) {
			try {
				await sleep(options.everyMs, abort.signal);
			} catch {
				return; // stopped
			}
			tick();
		}
	})();
	return traffic;
}
