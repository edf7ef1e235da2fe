/**
 * The collection catalogue: everything the package knows about each webhook-capable Protime collection,
 * as data. The trigger, the action node, the output schemas and the test simulator all read this module;
 * nothing about a collection is written anywhere else.
 *
 * Sources: docs/protime-reference.md §4 (external references), §5 (collections, fields, filters). Where the docs were
 * cut off, the entry says `documented: false` and follows the pattern of the documented collections
 * (date-range collections: `date` required, `person` optional; definition collections: no filter).
 */
import type { CollectionName, CollectionRecords } from './types';

export type FilterKind = 'dateRange' | 'idList' | 'boolean' | 'options';

export interface CollectionFilter {
	/** The identifier in Protime's filter grammar, e.g. `date`, `person`, `counter-group`. */
	name: string;
	displayName: string;
	kind: FilterKind;
	required: boolean;
	/** For `dateRange`: the longest range Protime accepts, in days (one year). */
	maxRangeDays?: number;
	/** For `options`. */
	options?: string[];
	description: string;
	/** The node parameter's name when it is not derived from `name` (kept when Protime's spelling changed). */
	parameterName?: string;
}

/** A sub-object of a record that points at another collection and so can carry external references. */
export interface ReferencePath {
	/** The referenced collection, as used in `?externalReferences=(collection,reference)`. */
	collection: string;
	/** Where the reference sits in a record: `''` is the record itself, `person`, `activityLevels[].activityDefinition`. */
	path: string;
}

export interface CollectionDefinition<C extends CollectionName = CollectionName> {
	name: C;
	displayName: string;
	/** The OAuth scope that reads the collection (list, get, delta and webhook events). */
	readScope: string;
	/** Whether the docs describe this collection's list filters (false: inferred from the documented ones). */
	documented: boolean;
	filters: CollectionFilter[];
	/** Referenced collections whose external references Protime can add to this collection's records. */
	references: ReferencePath[];
	/** Whether webhook payloads of this collection can carry external references at all (§4.2). */
	webhookReferences: boolean;
	/** The field holding the record's calendar date, used with minutes-since-midnight fields. */
	dateField?: string;
	/** Fields counting minutes since midnight (may exceed 1440 or be negative for clockings). */
	timeOfDayFields: string[];
	/** Fields counting a duration or balance in minutes. */
	durationFields: string[];
	/** A realistic record, for the editor's sample data and as the simulator's template. */
	sample: CollectionRecords[C];
}

/** Predefined (`@`) external references per referenced collection (docs/protime-reference.md §4.1). */
export const PREDEFINED_REFERENCES: Readonly<Record<string, readonly string[]>> = {
	'absence-definitions': ['@absence-code'],
	'activity-definitions': ['@data-entry-code', '@external-reference'],
	'counter-definitions': ['@counter-code'],
	people: ['@badge-number', '@employee-number'],
	'shift-definitions': ['@shift-code'],
	terminals: ['@external-code'],
};

export const WEBHOOK_READ_SCOPE = 'connector-protimeapi-webhooks.read';
export const WEBHOOK_WRITE_SCOPE = 'connector-protimeapi-webhooks.write';

const ONE_YEAR_DAYS = 366;
const CV = '0000090200004BD0000A';

const dateFilter = (): CollectionFilter => ({
	name: 'date',
	displayName: 'Date',
	kind: 'dateRange',
	required: true,
	maxRangeDays: ONE_YEAR_DAYS,
	description:
		'Records on or after the start date and on or before the end date (at most one year apart)',
});
const personFilter = (): CollectionFilter => ({
	name: 'person',
	displayName: 'Person IDs',
	kind: 'idList',
	required: false,
	description: 'Only records of these people (internal person IDs)',
});
const enabledFilter = (): CollectionFilter => ({
	name: 'enabled',
	displayName: 'Enabled',
	kind: 'boolean',
	required: false,
	description: 'Whether to return only enabled (true) or only disabled (false) definitions',
});

const people: ReferencePath = { collection: 'people', path: 'person' };
const shift: ReferencePath = { collection: 'shift-definitions', path: 'shiftDefinition' };
const scope = (c: CollectionName) => `connector-protimeapi-${c}.read`;
const person = { id: 1001 };

function define<C extends CollectionName>(
	def: Omit<
		CollectionDefinition<C>,
		'readScope' | 'timeOfDayFields' | 'durationFields' | 'webhookReferences'
	> &
		Partial<
			Pick<
				CollectionDefinition<C>,
				'readScope' | 'timeOfDayFields' | 'durationFields' | 'webhookReferences'
			>
		>,
): CollectionDefinition<C> {
	return {
		readScope: scope(def.name),
		timeOfDayFields: [],
		durationFields: [],
		webhookReferences: def.references.length > 0,
		...def,
	};
}

/** All 18 webhook-capable collections (docs/protime-reference.md §5.1), in display order. */
export const COLLECTIONS: readonly CollectionDefinition[] = [
	define({
		name: 'absences',
		displayName: 'Absences',
		documented: false,
		filters: [dateFilter(), personFilter()],
		references: [
			people,
			{ collection: 'absence-definitions', path: 'resultingAbsenceDefinition' },
			{ collection: 'absence-definitions', path: 'requestedAbsenceDefinition' },
			shift,
		],
		dateField: 'date',
		timeOfDayFields: ['startTimeInMinutes'],
		durationFields: ['durationInMinutes', 'calculatedDurationInMinutes'],
		sample: {
			changeVersion: CV,
			id: 52001,
			person,
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
	define({
		name: 'absence-definitions',
		displayName: 'Absence Definitions',
		documented: false,
		filters: [enabledFilter()],
		references: [{ collection: 'absence-definitions', path: '' }],
		sample: {
			changeVersion: CV,
			id: 12,
			name: {
				default: 'Annual leave',
				translations: { nl: 'Jaarlijks verlof', fr: 'Congé annuel' },
			},
			code: 'AL',
			friendlyName: { default: 'Holiday', translations: { nl: 'Vakantie' } },
			friendlyCode: { default: 'HOL', translations: {} },
			allowedDurations: ['FullDay', 'HalfDay'],
			isEnabled: true,
			isReasonForClocking: false,
			absenceGroup: { id: 2 },
		},
	}),
	define({
		name: 'absence-groups',
		displayName: 'Absence Groups',
		documented: false,
		filters: [],
		references: [],
		sample: {
			changeVersion: CV,
			id: 2,
			name: { default: 'Leave', translations: { nl: 'Verlof' } },
			type: 'Absence',
		},
	}),
	define({
		name: 'access-clockings',
		displayName: 'Access Clockings',
		documented: false,
		filters: [dateFilter(), personFilter()],
		references: [people, { collection: 'terminals', path: 'terminal' }],
		dateField: 'date',
		timeOfDayFields: ['timeOfDayInMinutes'],
		sample: {
			changeVersion: CV,
			id: 77001,
			person,
			date: '2026-03-02',
			timeOfDayInMinutes: 482,
			terminal: { id: 4 },
			status: 'AccessOk',
		},
	}),
	define({
		name: 'activity-durations',
		displayName: 'Activity Durations',
		documented: false,
		filters: [dateFilter(), personFilter()],
		references: [
			people,
			{ collection: 'activity-definitions', path: 'activityLevels[].activityDefinition' },
			{ collection: 'absence-definitions', path: 'absenceDefinition' },
			shift,
		],
		dateField: 'date',
		durationFields: ['durationInMinutes'],
		sample: {
			changeVersion: CV,
			id: 31001,
			person,
			date: '2026-03-02',
			durationInMinutes: 210,
			activityLevels: [{ level: 1, activityDefinition: { id: 'PRJ-42' } }],
			status: 'Manual',
			isAuthorized: true,
		},
	}),
	define({
		name: 'assignments',
		displayName: 'Assignments',
		documented: false,
		filters: [dateFilter(), personFilter()],
		references: [
			people,
			{ collection: 'activity-definitions', path: 'activityLevels[].activityDefinition' },
		],
		dateField: 'from',
		timeOfDayFields: ['startTimeInMinutes', 'endTimeInMinutes'],
		durationFields: ['breakDurationInMinutes'],
		sample: {
			changeVersion: CV,
			id: 9001,
			person,
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
	define({
		name: 'break-definitions',
		displayName: 'Break Definitions',
		documented: true,
		filters: [],
		references: [],
		durationFields: [
			'paidDurationInMinutes',
			'minimumDurationInMinutes',
			'maximumDurationInMinutes',
			'ifNotClockedDurationInMinutes',
		],
		sample: {
			changeVersion: CV,
			id: 3,
			name: { default: 'Lunch break', translations: { nl: 'Middagpauze' } },
			friendlyName: { default: 'Lunch', translations: {} },
			paidDurationInMinutes: 0,
			minimumDurationInMinutes: 30,
			maximumDurationInMinutes: 60,
			ifNotClockedDurationInMinutes: 30,
			hasToBeTakenUninterrupted: true,
		},
	}),
	define({
		name: 'breaks',
		displayName: 'Breaks',
		documented: true,
		filters: [dateFilter(), personFilter()],
		references: [people],
		dateField: 'date',
		timeOfDayFields: ['startTimeInMinutes', 'endTimeInMinutes'],
		durationFields: ['calculatedDurationInMinutes', 'clockedDurationInMinutes'],
		sample: {
			changeVersion: CV,
			id: 44001,
			person,
			breakDefinition: { id: 3 },
			date: '2026-03-02',
			calculatedDurationInMinutes: 30,
			clockedDurationInMinutes: 34,
			startTimeInMinutes: 720,
			endTimeInMinutes: 754,
			isBreakTaken: true,
		},
	}),
	define({
		name: 'calculated-totals',
		displayName: 'Calculated Totals',
		documented: false,
		filters: [dateFilter(), personFilter()],
		references: [people, shift],
		dateField: 'date',
		durationFields: [
			'normalTimeDurationInMinutes',
			'timePresentDurationInMinutes',
			'calculatedPresenceDurationInMinutes',
			'weeklyHours1DurationInMinutes',
			'weeklyHours2DurationInMinutes',
			'weeklyHours3DurationInMinutes',
			'payPeriodHoursDurationInMinutes',
			'flextimeDurationInMinutes',
			'flextimeBalanceInMinutes',
		],
		sample: {
			changeVersion: CV,
			id: 61001,
			person,
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
	define({
		name: 'clockings',
		displayName: 'Clockings',
		documented: true,
		filters: [dateFilter(), personFilter()],
		references: [
			people,
			{ collection: 'terminals', path: 'terminal' },
			{ collection: 'activity-definitions', path: 'activityLevels[].activityDefinition' },
		],
		dateField: 'date',
		timeOfDayFields: [
			'timeOfDayInMinutes',
			'originalTimeOfDayInMinutes',
			'calculatedTimeOfDayInMinutes',
		],
		sample: {
			changeVersion: CV,
			id: 19250,
			person,
			date: '2026-03-02',
			timeOfDayInMinutes: 481,
			calculatedTimeOfDayInMinutes: 480,
			isGenerated: false,
			terminal: { id: 4 },
			geolocation: { longitude: 4.3517, latitude: 50.8503 },
			kind: 'InOut',
		},
	}),
	define({
		name: 'contracts',
		displayName: 'Contracts',
		documented: false,
		filters: [personFilter()],
		references: [{ collection: 'contracts', path: '' }, people],
		dateField: 'from',
		durationFields: ['contractHoursInMinutes', 'fullTimeEquivalentInMinutes'],
		sample: {
			changeVersion: CV,
			id: 501,
			person,
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
	define({
		name: 'counters',
		displayName: 'Counters',
		documented: true,
		filters: [
			dateFilter(),
			personFilter(),
			{
				// The new reference spells it in the singular (the old page: `counter-definitions`).
				name: 'counter-definition',
				parameterName: 'counterDefinitions',
				displayName: 'Counter Definition IDs',
				kind: 'idList',
				required: false,
				description: 'Only instances of these counter definitions',
			},
			{
				name: 'status',
				displayName: 'Status',
				kind: 'options',
				required: false,
				options: ['Auto', 'Calendar', 'Manual', 'Unknown'],
				description: 'Only counter instances with this status',
			},
		],
		references: [people, { collection: 'counter-definitions', path: 'counterDefinition' }, shift],
		dateField: 'date',
		timeOfDayFields: ['startTimeInMinutes', 'endTimeInMinutes'],
		durationFields: ['durationInMinutes'],
		sample: {
			changeVersion: CV,
			id: 88001,
			numberOfInstances: 1,
			status: 'Auto',
			isAuthorized: true,
			person,
			periodType: 'Day',
			counterDefinition: { id: 766 },
			date: '2026-03-02',
			startTimeInMinutes: 1020,
			endTimeInMinutes: 1110,
			durationInMinutes: 90,
		},
	}),
	define({
		name: 'counter-definitions',
		displayName: 'Counter Definitions',
		documented: true,
		filters: [
			{
				name: 'counter-group',
				displayName: 'Counter Group IDs',
				kind: 'idList',
				required: false,
				description: 'Only definitions in these counter groups',
			},
			enabledFilter(),
		],
		references: [
			{ collection: 'counter-definitions', path: '' },
			{ collection: 'counter-groups', path: 'counterGroup' },
		],
		sample: {
			changeVersion: CV,
			id: 766,
			name: {
				default: 'Overtime 150%',
				translations: { nl: 'Overuren 150%', fr: 'Heures sup 150%' },
			},
			code: 'OT150',
			friendlyName: { default: 'Overtime', translations: { nl: 'Overuren' } },
			friendlyCode: { default: 'OT', translations: {} },
			isEnabled: true,
			counterGroup: { id: 3 },
			unit: 'Duration',
		},
	}),
	define({
		name: 'counter-groups',
		displayName: 'Counter Groups',
		documented: true,
		filters: [],
		// The new reference says counter-group webhooks carry no external references.
		references: [{ collection: 'counter-groups', path: '' }],
		webhookReferences: false,
		sample: {
			changeVersion: CV,
			id: 3,
			name: { default: 'Overtime', translations: { nl: 'Overuren' } },
		},
	}),
	define({
		name: 'paid-presences',
		displayName: 'Paid Presences',
		// Not the collection's own name: the docs read paid presences with the calculated-totals scope.
		readScope: 'connector-protimeapi-calculated-totals.read',
		documented: false,
		filters: [dateFilter(), personFilter()],
		references: [people, shift],
		dateField: 'date',
		durationFields: ['durationInMinutes'],
		sample: {
			changeVersion: CV,
			id: 71001,
			person,
			date: '2026-03-02',
			durationInMinutes: 456,
			shiftDefinition: { id: 7 },
		},
	}),
	define({
		name: 'people',
		displayName: 'People',
		documented: false,
		filters: [],
		references: [{ collection: 'people', path: '' }],
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
	define({
		name: 'shift-definitions',
		displayName: 'Shift Definitions',
		documented: false,
		filters: [enabledFilter()],
		references: [{ collection: 'shift-definitions', path: '' }],
		webhookReferences: false,
		sample: {
			changeVersion: CV,
			id: 7,
			name: { default: 'Day shift', translations: { nl: 'Dagploeg' } },
			code: 'DAY',
			friendlyName: { default: 'Day', translations: {} },
			isEnabled: true,
		},
	}),
	define({
		name: 'work-interruptions',
		displayName: 'Work Interruptions',
		documented: true,
		filters: [dateFilter(), personFilter()],
		references: [people],
		dateField: 'date',
		timeOfDayFields: ['startTimeInMinutes', 'endTimeInMinutes'],
		durationFields: ['durationInMinutes'],
		sample: {
			changeVersion: CV,
			id: 12345,
			person,
			date: '2026-03-02',
			durationInMinutes: 45,
			startTimeInMinutes: 600,
			endTimeInMinutes: 645,
		},
	}),
];

const BY_NAME = new Map<string, CollectionDefinition>(COLLECTIONS.map((c) => [c.name, c]));

export function isCollectionName(name: unknown): name is CollectionName {
	return typeof name === 'string' && BY_NAME.has(name);
}

/** The catalogue entry of a collection; throws on an unknown name (callers validate user input first). */
export function getCollection<C extends CollectionName>(name: C): CollectionDefinition<C>;
export function getCollection(name: string): CollectionDefinition | undefined;
export function getCollection(name: string): CollectionDefinition | undefined {
	return BY_NAME.get(name);
}

/** Referenced collections whose external references may be requested for `name`, each with its predefined names. */
export function referenceOptions(
	name: CollectionName,
): Array<{ collection: string; predefined: readonly string[] }> {
	const seen = new Set<string>();
	const out: Array<{ collection: string; predefined: readonly string[] }> = [];
	for (const ref of getCollection(name).references) {
		if (seen.has(ref.collection)) continue;
		seen.add(ref.collection);
		out.push({
			collection: ref.collection,
			predefined: PREDEFINED_REFERENCES[ref.collection] ?? [],
		});
	}
	return out;
}

/** Every scope the nodes may use: the webhook scopes plus each collection's read scope (each once). */
export const ALL_SCOPES: readonly string[] = [
	...new Set([WEBHOOK_READ_SCOPE, WEBHOOK_WRITE_SCOPE, ...COLLECTIONS.map((c) => c.readScope)]),
];

/** @deprecated The credential no longer requests these by default (see scopes.ts); use ALL_SCOPES. */
export const DEFAULT_SCOPES = ALL_SCOPES;
