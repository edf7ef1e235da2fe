/**
 * The simulator's own description of the Protime API, written from the documentation (docs/protime-reference.md),
 * not from the nodes' catalogue: collections, read scopes, list filters, external references, fields.
 * test/unit/catalogue-model.test.ts compares the two, so a wrong belief in the nodes no longer passes.
 */

/** The 18 webhook-capable collections (docs/protime-reference.md "Collections"). */
export const COLLECTION_NAMES = [
	'absences',
	'absence-definitions',
	'absence-groups',
	'access-clockings',
	'activity-durations',
	'assignments',
	'break-definitions',
	'breaks',
	'calculated-totals',
	'clockings',
	'contracts',
	'counters',
	'counter-definitions',
	'counter-groups',
	'paid-presences',
	'people',
	'shift-definitions',
	'work-interruptions',
] as const;

export type CollectionName = (typeof COLLECTION_NAMES)[number];
export type ChangeType = 'InsertOrUpdate' | 'Delete';

export type FilterKind = 'dateRange' | 'idList' | 'boolean' | 'options';

export interface ModelFilter {
	/** The identifier in the filter grammar. */
	name: string;
	kind: FilterKind;
	required: boolean;
	/** Where the value sits in a record (dotted path). */
	field: string;
	maxRangeDays?: number;
	options?: string[];
}

export interface ModelReference {
	/** The referenced collection, as in `?externalReferences=(collection,reference)`. */
	collection: string;
	/** Where it sits in a record: '' = the record itself, `person`, `activityLevels[].activityDefinition`. */
	path: string;
}

export interface ModelCollection {
	name: CollectionName;
	displayName: string;
	readScope: string;
	/** Whether the docs describe the list filters (false: the assumption in docs/protime-reference.md applies). */
	filtersDocumented: boolean;
	filters: ModelFilter[];
	references: ModelReference[];
	/** Whether webhook payloads of this collection may carry external references. */
	webhookReferences: boolean;
	/** The record's calendar date, used by the `date` filter. */
	dateField?: string;
	/** Top-level record fields the docs list ("Event properties"). */
	fields: string[];
	/** Template record the generator varies. */
	sample: Record<string, unknown>;
}

export const WEBHOOK_READ_SCOPE = 'connector-protimeapi-webhooks.read';
export const WEBHOOK_WRITE_SCOPE = 'connector-protimeapi-webhooks.write';

/** Predefined (`@`) references (the documentation's predefined-options table). */
export const PREDEFINED_REFERENCES: Readonly<Record<string, readonly string[]>> = {
	'absence-definitions': ['@absence-code'],
	'activity-definitions': ['@data-entry-code', '@external-reference'],
	'counter-definitions': ['@counter-code'],
	people: ['@badge-number', '@employee-number'],
	'shift-definitions': ['@shift-code'],
	terminals: ['@external-code'],
};

const YEAR = 366;
const CV = '0000090200004BD0000A';
const date = (field = 'date'): ModelFilter => ({
	name: 'date',
	kind: 'dateRange',
	required: true,
	field,
	maxRangeDays: YEAR,
});
const person: ModelFilter = { name: 'person', kind: 'idList', required: false, field: 'person.id' };
const enabled: ModelFilter = {
	name: 'enabled',
	kind: 'boolean',
	required: false,
	field: 'isEnabled',
};
const ref = (collection: string, path: string): ModelReference => ({ collection, path });
const PEOPLE = ref('people', 'person');
const SHIFT = ref('shift-definitions', 'shiftDefinition');
const ACTIVITY = ref('activity-definitions', 'activityLevels[].activityDefinition');
const who = { id: 1001 };
const text = (d: string, t: Record<string, string> = {}) => ({ default: d, translations: t });

type Entry = Omit<ModelCollection, 'readScope' | 'webhookReferences' | 'fields'> & {
	readScope?: string;
	webhookReferences?: boolean;
	/** Documented fields beyond those in `sample`. */
	moreFields?: string[];
};

function entry(e: Entry): ModelCollection {
	const { moreFields = [], ...rest } = e;
	return {
		readScope: `connector-protimeapi-${e.name}.read`,
		webhookReferences: e.references.length > 0,
		fields: [
			'changeVersion',
			...Object.keys(e.sample).filter((k) => k !== 'changeVersion'),
			...moreFields,
		],
		...rest,
	};
}

export const COLLECTIONS: readonly ModelCollection[] = [
	entry({
		name: 'absences',
		displayName: 'Absences',
		filtersDocumented: false,
		filters: [date(), person],
		references: [
			PEOPLE,
			ref('absence-definitions', 'resultingAbsenceDefinition'),
			ref('absence-definitions', 'requestedAbsenceDefinition'),
			SHIFT,
		],
		dateField: 'date',
		moreFields: ['shiftDefinition'],
		sample: {
			changeVersion: CV,
			id: 52001,
			person: who,
			resultingAbsenceDefinition: { id: 12 },
			requestedAbsenceDefinition: { id: 12 },
			date: '2026-03-02',
			startTimeInMinutes: 480,
			durationInMinutes: 240,
			calculatedDurationInMinutes: 240,
			dayPart: 'First',
			request: { id: 'acme-1001-88' },
			status: 'Manual',
			approvalLevel: 'Approved',
			isLocked: false,
		},
	}),
	entry({
		name: 'absence-definitions',
		displayName: 'Absence Definitions',
		filtersDocumented: false,
		filters: [enabled],
		references: [ref('absence-definitions', '')],
		sample: {
			changeVersion: CV,
			id: 12,
			name: text('Annual leave', { nl: 'Jaarlijks verlof', fr: 'Congé annuel' }),
			code: 'AL',
			friendlyName: text('Holiday', { nl: 'Vakantie' }),
			friendlyCode: text('HOL'),
			allowedDurations: ['FullDay', 'HalfDay'],
			isEnabled: true,
			isReasonForClocking: false,
			absenceGroup: { id: 2 },
		},
	}),
	entry({
		name: 'absence-groups',
		displayName: 'Absence Groups',
		filtersDocumented: false,
		filters: [],
		references: [],
		sample: { changeVersion: CV, id: 2, name: text('Leave', { nl: 'Verlof' }), type: 'Absence' },
	}),
	entry({
		name: 'access-clockings',
		displayName: 'Access Clockings',
		filtersDocumented: false,
		filters: [date(), person],
		references: [PEOPLE, ref('terminals', 'terminal')],
		dateField: 'date',
		sample: {
			changeVersion: CV,
			id: 77001,
			person: who,
			date: '2026-03-02',
			timeOfDayInMinutes: 482,
			terminal: { id: 4 },
			status: 'AccessOk',
		},
	}),
	entry({
		name: 'activity-durations',
		displayName: 'Activity Durations',
		filtersDocumented: false,
		filters: [date(), person],
		references: [PEOPLE, ACTIVITY, ref('absence-definitions', 'absenceDefinition'), SHIFT],
		dateField: 'date',
		moreFields: ['absenceDefinition', 'request', 'counterDefinitions', 'shiftDefinition'],
		sample: {
			changeVersion: CV,
			id: 31001,
			person: who,
			date: '2026-03-02',
			durationInMinutes: 210,
			activityLevels: [{ level: 1, activityDefinition: { id: 'PRJ-42' } }],
			status: 'Manual',
			isAuthorized: true,
		},
	}),
	entry({
		name: 'assignments',
		displayName: 'Assignments',
		filtersDocumented: false,
		filters: [date('from'), person],
		references: [PEOPLE, ACTIVITY],
		dateField: 'from',
		sample: {
			changeVersion: CV,
			id: 9001,
			person: who,
			from: '2026-03-02',
			until: '2026-03-06',
			startTimeInMinutes: 480,
			endTimeInMinutes: 1020,
			breakDurationInMinutes: 30,
			comments: 'Site visit',
			activityLevels: [{ level: 1, activityDefinition: { id: 42 } }],
			isRejected: false,
		},
	}),
	entry({
		name: 'break-definitions',
		displayName: 'Break Definitions',
		filtersDocumented: true,
		filters: [],
		references: [],
		sample: {
			changeVersion: CV,
			id: 3,
			name: text('Lunch break', { nl: 'Middagpauze' }),
			friendlyName: text('Lunch'),
			paidDurationInMinutes: 0,
			minimumDurationInMinutes: 30,
			maximumDurationInMinutes: 60,
			ifNotClockedDurationInMinutes: 30,
			hasToBeTakenUninterrupted: true,
		},
	}),
	entry({
		name: 'breaks',
		displayName: 'Breaks',
		filtersDocumented: true,
		filters: [date(), person],
		references: [PEOPLE],
		dateField: 'date',
		sample: {
			changeVersion: CV,
			id: 44001,
			person: who,
			breakDefinition: { id: 3 },
			date: '2026-03-02',
			calculatedDurationInMinutes: 30,
			clockedDurationInMinutes: 34,
			startTimeInMinutes: 720,
			endTimeInMinutes: 754,
			isBreakTaken: true,
		},
	}),
	entry({
		name: 'calculated-totals',
		displayName: 'Calculated Totals',
		filtersDocumented: false,
		filters: [date(), person],
		references: [PEOPLE, SHIFT],
		dateField: 'date',
		sample: {
			changeVersion: CV,
			id: 61001,
			person: who,
			date: '2026-03-02',
			normalTimeDurationInMinutes: 456,
			timePresentDurationInMinutes: 470,
			calculatedPresenceDurationInMinutes: 462,
			weeklyHours1DurationInMinutes: 2280,
			weeklyHours2DurationInMinutes: 0,
			weeklyHours3DurationInMinutes: 0,
			payPeriodHoursDurationInMinutes: 9120,
			flextimeDurationInMinutes: 6,
			flextimeBalanceInMinutes: -93,
			shiftDefinition: { id: 7 },
		},
	}),
	entry({
		name: 'clockings',
		displayName: 'Clockings',
		filtersDocumented: true,
		filters: [date(), person],
		references: [PEOPLE, ref('terminals', 'terminal'), ACTIVITY],
		dateField: 'date',
		moreFields: ['originalTimeOfDayInMinutes', 'reason', 'activityLevels', 'status'],
		sample: {
			changeVersion: CV,
			id: 19250,
			person: who,
			date: '2026-03-02',
			timeOfDayInMinutes: 481,
			calculatedTimeOfDayInMinutes: 480,
			isGenerated: false,
			terminal: { id: 4 },
			geolocation: { longitude: 4.3517, latitude: 50.8503 },
			kind: 'InOut',
		},
	}),
	entry({
		name: 'contracts',
		displayName: 'Contracts',
		filtersDocumented: false,
		filters: [person],
		references: [ref('contracts', ''), PEOPLE],
		dateField: 'from',
		moreFields: ['until', 'parentContract'],
		sample: {
			changeVersion: CV,
			id: 501,
			person: who,
			code: 'FT-38',
			from: '2025-01-01',
			contractHoursInMinutes: 2280,
			fullTimeEquivalentInMinutes: 2280,
			contractPercentage: 100,
			numberOfWorkingDaysPerWeek: 5,
			numberOfDaysInContractPeriod: 7,
			kind: 'Contract',
		},
	}),
	entry({
		name: 'counters',
		displayName: 'Counters',
		filtersDocumented: true,
		filters: [
			date(),
			person,
			// The new reference spells it in the singular; the old page had `counter-definitions`.
			{
				name: 'counter-definition',
				kind: 'idList',
				required: false,
				field: 'counterDefinition.id',
			},
			{
				name: 'status',
				kind: 'options',
				required: false,
				field: 'status',
				options: ['Auto', 'Calendar', 'Manual', 'Unknown'],
			},
		],
		references: [PEOPLE, ref('counter-definitions', 'counterDefinition'), SHIFT],
		dateField: 'date',
		moreFields: ['shiftDefinition', 'request'],
		sample: {
			changeVersion: CV,
			id: 88001,
			numberOfInstances: 1,
			status: 'Auto',
			isAuthorized: true,
			person: who,
			periodType: 'Day',
			counterDefinition: { id: 766 },
			date: '2026-03-02',
			startTimeInMinutes: 1020,
			endTimeInMinutes: 1110,
			durationInMinutes: 90,
		},
	}),
	entry({
		name: 'counter-definitions',
		displayName: 'Counter Definitions',
		filtersDocumented: true,
		filters: [
			{ name: 'counter-group', kind: 'idList', required: false, field: 'counterGroup.id' },
			enabled,
		],
		references: [ref('counter-definitions', ''), ref('counter-groups', 'counterGroup')],
		sample: {
			changeVersion: CV,
			id: 766,
			name: text('Overtime 150%', { nl: 'Overuren 150%', fr: 'Heures sup 150%' }),
			code: 'OT150',
			friendlyName: text('Overtime', { nl: 'Overuren' }),
			friendlyCode: text('OT'),
			isEnabled: true,
			counterGroup: { id: 3 },
			unit: 'Duration',
		},
	}),
	entry({
		name: 'counter-groups',
		displayName: 'Counter Groups',
		filtersDocumented: true,
		filters: [],
		// Custom references exist on counter groups, but the new reference says their webhooks carry none.
		references: [ref('counter-groups', '')],
		webhookReferences: false,
		sample: { changeVersion: CV, id: 3, name: text('Overtime', { nl: 'Overuren' }) },
	}),
	entry({
		name: 'paid-presences',
		displayName: 'Paid Presences',
		// Read with the calculated-totals scope (paid-presences get-list page).
		readScope: 'connector-protimeapi-calculated-totals.read',
		filtersDocumented: false,
		filters: [date(), person],
		references: [PEOPLE, SHIFT],
		dateField: 'date',
		sample: {
			changeVersion: CV,
			id: 71001,
			person: who,
			date: '2026-03-02',
			durationInMinutes: 456,
			shiftDefinition: { id: 7 },
		},
	}),
	entry({
		name: 'people',
		displayName: 'People',
		filtersDocumented: false,
		filters: [],
		references: [ref('people', '')],
		moreFields: [
			'periodClosingDate',
			'telephone',
			'mobile',
			'address',
			'postalCode',
			'nationalityIsoCode',
			'maritalStatus',
			'birthDate',
		],
		sample: {
			changeVersion: CV,
			id: 1001,
			lastName: 'Peeters',
			firstName: 'An',
			initials: 'AP',
			email: 'an.peeters@example.com',
			town: 'Gent',
			countryIsoCode: 'BE',
			sex: 'Female',
		},
	}),
	entry({
		name: 'shift-definitions',
		displayName: 'Shift Definitions',
		filtersDocumented: false,
		filters: [enabled],
		references: [ref('shift-definitions', '')],
		webhookReferences: false,
		sample: {
			changeVersion: CV,
			id: 7,
			name: text('Day shift', { nl: 'Dagploeg' }),
			code: 'DAY',
			friendlyName: text('Day'),
			isEnabled: true,
		},
	}),
	entry({
		name: 'work-interruptions',
		displayName: 'Work Interruptions',
		filtersDocumented: true,
		filters: [date(), person],
		references: [PEOPLE],
		dateField: 'date',
		sample: {
			changeVersion: CV,
			id: 12345,
			person: who,
			date: '2026-03-02',
			durationInMinutes: 45,
			startTimeInMinutes: 600,
			endTimeInMinutes: 645,
		},
	}),
];

const BY_NAME = new Map<string, ModelCollection>(COLLECTIONS.map((c) => [c.name, c]));

export function isCollectionName(name: unknown): name is CollectionName {
	return typeof name === 'string' && BY_NAME.has(name);
}

export function getCollection(name: CollectionName): ModelCollection {
	return BY_NAME.get(name) as ModelCollection;
}

/** Every scope a client of this API can be granted for what the simulator serves. */
export const ALL_SCOPES: readonly string[] = [
	...new Set([WEBHOOK_READ_SCOPE, WEBHOOK_WRITE_SCOPE, ...COLLECTIONS.map((c) => c.readScope)]),
];

/** Fields counting minutes since midnight or a duration, by naming convention of the docs (`…InMinutes`). */
export function minuteFields(c: ModelCollection): { timeOfDay: string[]; duration: string[] } {
	const minutes = Object.keys(c.sample).filter((k) => k.endsWith('InMinutes'));
	const timeOfDay = minutes.filter((k) => /TimeOfDay|^startTime|^endTime/.test(k));
	return { timeOfDay, duration: minutes.filter((k) => !timeOfDay.includes(k)) };
}
