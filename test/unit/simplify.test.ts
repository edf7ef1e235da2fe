import { COLLECTIONS } from '../../nodes/shared/catalogue';
import {
	formatDuration,
	formatTimeOfDay,
	localDateTime,
	referenceSuffix,
	simplifyRecord,
	zoneOffset,
} from '../../nodes/shared/simplify';
import type { IDataObject } from 'n8n-workflow';

describe('simplifyRecord', () => {
	it('flattens a counter definition: translations, refs, own external references', () => {
		const out = simplifyRecord(
			'counter-definitions',
			{
				changeVersion: 'A',
				id: 766,
				name: { default: 'Overtime 150%', translations: { nl: 'Overuren 150%' } },
				friendlyName: { default: 'Overtime', translations: {} },
				counterGroup: { id: 3, externalReferences: { counterCode: 'OT' } },
				externalReferences: { '@counter-code': 'OT150' },
				unit: 'Duration',
			},
			{ language: 'nl' },
		);
		expect(out).toEqual({
			changeVersion: 'A',
			id: 766,
			name: 'Overuren 150%',
			friendlyName: 'Overtime',
			counterGroupId: 3,
			counterGroupCounterCode: 'OT',
			counterCode: 'OT150',
			unit: 'Duration',
		});
	});

	it('adds H:MM, decimal hours and a local date-time for a work interruption with person references', () => {
		const out = simplifyRecord('work-interruptions', {
			changeVersion: 'A',
			id: 1,
			person: { id: 1001, externalReferences: { '@employee-number': 'E-1', HRMID: 'h1' } },
			date: '2026-03-02',
			durationInMinutes: 45,
			startTimeInMinutes: 600,
			endTimeInMinutes: 645,
		});
		expect(out).toMatchObject({
			personId: 1001,
			personEmployeeNumber: 'E-1',
			personHRMID: 'h1',
			durationInMinutes: 45,
			duration: '0:45',
			durationHours: 0.75,
			startTime: '10:00',
			startDateTime: '2026-03-02T10:00',
			endTime: '10:45',
			endDateTime: '2026-03-02T10:45',
		});
		expect(out).not.toHaveProperty('person');
	});

	it('does not wrap durations at 24 h and writes negatives with a minus', () => {
		const out = simplifyRecord('calculated-totals', {
			changeVersion: 'A',
			id: 1,
			person: { id: 1 },
			date: '2026-03-02',
			weeklyHours1DurationInMinutes: 2280,
			flextimeBalanceInMinutes: -93,
		});
		expect(out).toMatchObject({
			weeklyHours1Duration: '38:00',
			weeklyHours1DurationHours: 38,
			flextimeBalance: '-1:33',
			flextimeBalanceHours: -1.55,
		});
	});

	it('names decimal hours of a field already ending in Hours with a Decimal suffix', () => {
		const out = simplifyRecord('contracts', {
			changeVersion: 'A',
			id: 1,
			from: '2025-01-01',
			contractHoursInMinutes: 2280,
		});
		expect(out).toMatchObject({ contractHours: '38:00', contractHoursDecimal: 38 });
	});

	it('moves clockings outside 0–1439 minutes to the neighbouring day', () => {
		const late = simplifyRecord('clockings', {
			changeVersion: 'A',
			id: 1,
			date: '2026-03-02',
			timeOfDayInMinutes: 1500,
		});
		expect(late).toMatchObject({ timeOfDay: '01:00', dateTime: '2026-03-03T01:00' });
		const early = simplifyRecord('clockings', {
			changeVersion: 'A',
			id: 1,
			date: '2026-03-01',
			timeOfDayInMinutes: -30,
		});
		expect(early).toMatchObject({ timeOfDay: '23:30', dateTime: '2026-02-28T23:30' });
	});

	it('adds the UTC offset when a time zone is given', () => {
		const winter = simplifyRecord(
			'access-clockings',
			{ changeVersion: 'A', id: 1, date: '2026-03-02', timeOfDayInMinutes: 482 },
			{ timeZone: 'Europe/Brussels' },
		);
		expect(winter.dateTime).toBe('2026-03-02T08:02:00+01:00');
		expect(zoneOffset('2026-07-01T12:00', 'Europe/Brussels')).toBe('+02:00');
		expect(zoneOffset('2026-07-01T12:00', 'Not/AZone')).toBeUndefined();
	});

	it('flattens lists of references and references inside arrays', () => {
		const out = simplifyRecord('activity-durations', {
			changeVersion: 'A',
			id: 1,
			person: { id: 2 },
			date: '2026-03-02',
			durationInMinutes: 90,
			activityLevels: [
				{
					level: 1,
					activityDefinition: { id: 'PRJ', externalReferences: { '@data-entry-code': 'D1' } },
				},
			],
			counterDefinitions: [{ id: 5, externalReferences: { '@counter-code': 'C5' } }, { id: 6 }],
		});
		expect(out).toMatchObject({
			activityLevels: [
				{ level: 1, activityDefinitionId: 'PRJ', activityDefinitionDataEntryCode: 'D1' },
			],
			counterDefinitionIds: [5, 6],
			counterDefinitionCounterCodes: ['C5', null],
		});
	});

	it('simplifies every catalogue sample without losing scalar fields', () => {
		for (const collection of COLLECTIONS) {
			const sample = collection.sample as unknown as IDataObject;
			const out = simplifyRecord(collection.name, sample);
			expect(out.id).toBe(sample.id);
			expect(out.changeVersion).toBe(sample.changeVersion);
			for (const field of [...collection.durationFields, ...collection.timeOfDayFields]) {
				if (typeof sample[field] === 'number') expect(out[field]).toBe(sample[field]);
			}
		}
	});

	it('copies a record key named __proto__ nowhere: the output keeps a plain prototype', () => {
		const record = JSON.parse(
			'{"id":1,"changeVersion":"A","__proto__":{"polluted":true},"date":"2026-03-02"}',
		) as IDataObject;
		const out = simplifyRecord('work-interruptions', record);
		expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
		expect((out as { polluted?: boolean }).polluted).toBeUndefined();
		expect(out).toEqual({ id: 1, changeVersion: 'A', date: '2026-03-02' });
	});

	it('leaves an unknown collection with generic flattening only', () => {
		expect(simplifyRecord('nope', { id: 1, durationInMinutes: 5, name: { default: 'x' } })).toEqual(
			{
				id: 1,
				durationInMinutes: 5,
				name: 'x',
			},
		);
	});
});

describe('formatting helpers', () => {
	it('formats durations, times and dates', () => {
		expect(formatDuration(0)).toBe('0:00');
		expect(formatDuration(1500)).toBe('25:00');
		expect(formatDuration(-5)).toBe('-0:05');
		expect(formatTimeOfDay(1439)).toBe('23:59');
		expect(localDateTime('2026-12-31', 1440)).toBe('2027-01-01T00:00');
		expect(localDateTime('not a date', 5)).toBeUndefined();
		// Within the day (string arithmetic) and the cases that go through Date, which normalises.
		expect(localDateTime('2026-03-02', 0)).toBe('2026-03-02T00:00');
		expect(localDateTime('2026-03-02T08:00:00Z', 1439.4)).toBe('2026-03-02T23:59');
		expect(localDateTime('2026-03-02', 1439.5)).toBe('2026-03-03T00:00');
		expect(localDateTime('2026-03-02', -1)).toBe('2026-03-01T23:59');
		expect(localDateTime('2024-02-29', 60)).toBe('2024-02-29T01:00');
		expect(localDateTime('2026-02-29', 60)).toBe('2026-03-01T01:00');
		expect(localDateTime('2026-13-01', 0)).toBe('2027-01-01T00:00');
		expect(localDateTime('0026-03-02', 0)).toBe('1926-03-02T00:00');
		expect(localDateTime('2026-03-02', Number.NaN)).toBeUndefined();
		expect(localDateTime('2026-03-02', 1e15)).toBeUndefined(); // beyond Date's range: no date-time, no exception
		// Calls alternating between dates (the last date's prefix is reused) give the same as fresh calls.
		const dates = ['2026-03-02', '2026-03-03', '2026-03-02', '2026-02-30', '2026-03-02'];
		expect(dates.map((d) => localDateTime(d, 61))).toEqual([
			'2026-03-02T01:01',
			'2026-03-03T01:01',
			'2026-03-02T01:01',
			'2026-03-02T01:01',
			'2026-03-02T01:01',
		]);
		// The duration table against the arithmetic it replaces, over the whole day.
		for (let m = 0; m < 1440; m++)
			expect(formatDuration(m)).toBe(`${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}`);
		expect(formatDuration(44.6)).toBe('0:45');
		expect(referenceSuffix('@employee-number')).toBe('EmployeeNumber');
		expect(referenceSuffix('customPersonCode')).toBe('CustomPersonCode');
	});
});
