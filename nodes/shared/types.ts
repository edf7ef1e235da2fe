/**
 * Record types of the Protime collections, as the public documentation describes their fields
 * (docs/protime-reference.md §5). Dotted names in the docs (`person.id`, `name.default`) are nested objects.
 * Fields the docs mark as conditional are optional. Every record carries `changeVersion`.
 */

/** A text with a default and translations keyed by language code. */
export interface TranslatedText {
	default: string;
	translations?: Record<string, string>;
}

/** A reference to a record of another collection, optionally with the external references asked for. */
export interface Ref<TId = number> {
	id: TId;
	externalReferences?: Record<string, string>;
}

export interface BaseRecord {
	/** Fixed-width hex string; orders changes of one record by plain string comparison. */
	changeVersion: string;
	id: number | string;
	/** External references of the record itself (e.g. a counter definition's `@counter-code`). */
	externalReferences?: Record<string, string>;
}

export interface CounterDefinition extends BaseRecord {
	id: number;
	name: TranslatedText;
	code: string;
	friendlyName: TranslatedText;
	friendlyCode: TranslatedText;
	isEnabled: boolean;
	counterGroup: Ref;
	unit: 'Unknown' | 'Interval' | 'Duration' | 'Instance';
}

export interface WorkInterruption extends BaseRecord {
	id: number;
	person: Ref;
	/** YYYY-MM-DD */
	date: string;
	durationInMinutes: number;
	/** Minutes since midnight. */
	startTimeInMinutes: number;
	/** Minutes since midnight. */
	endTimeInMinutes: number;
}

export interface Counter extends BaseRecord {
	id: number;
	shiftDefinition?: Ref;
	numberOfInstances: number;
	request?: Ref<string>;
	status: 'Unknown' | 'Auto' | 'Manual' | 'Calendar';
	isAuthorized: boolean;
	person: Ref;
	periodType: 'Unknown' | 'Day' | 'Week' | 'PayPeriod';
	counterDefinition: Ref;
	date: string;
	startTimeInMinutes?: number;
	endTimeInMinutes?: number;
	durationInMinutes?: number;
}

export interface CounterGroup extends BaseRecord {
	id: number;
	name: TranslatedText;
}

export interface Clocking extends BaseRecord {
	id: number;
	person: Ref;
	date: string;
	/** -1440 to 2880 */
	timeOfDayInMinutes: number;
	originalTimeOfDayInMinutes?: number;
	calculatedTimeOfDayInMinutes?: number;
	isGenerated: boolean;
	terminal?: Ref;
	geolocation?: { longitude: number; latitude: number };
	kind: 'InOut' | 'Reason' | 'Activity' | 'ActivityEnd';
	reason?: Ref;
	activityLevels?: Array<{ level: number; activityDefinition: Ref<number | string> }>;
	status?: string;
}

export interface AccessClocking extends BaseRecord {
	id: number;
	person: Ref;
	date: string;
	/** 0 to 1439 */
	timeOfDayInMinutes: number;
	terminal: Ref;
	status:
		| 'AccessOk'
		| 'AccessRefused'
		| 'WrongPinCode'
		| 'AlarmCode'
		| 'AntiPassbackError'
		| 'OutZone'
		| 'UnknownBadgeNumber';
}

export interface ActivityDuration extends BaseRecord {
	id: number;
	person: Ref;
	date: string;
	durationInMinutes: number;
	activityLevels?: Array<{ level: number; activityDefinition: Ref<string> }>;
	absenceDefinition?: Ref;
	request?: Ref<string>;
	counterDefinitions?: Ref[];
	shiftDefinition?: Ref;
	status: 'Unknown' | 'Auto' | 'Manual';
	isAuthorized: boolean;
}

export interface Assignment extends BaseRecord {
	id: number;
	person: Ref;
	from: string;
	until: string;
	startTimeInMinutes: number;
	endTimeInMinutes: number;
	breakDurationInMinutes: number;
	comments?: string;
	activityLevels?: Array<{ level: number; activityDefinition: Ref<number | string> }>;
	isRejected: boolean;
}

export interface BreakDefinition extends BaseRecord {
	id: number;
	name: TranslatedText;
	friendlyName: TranslatedText;
	paidDurationInMinutes: number;
	minimumDurationInMinutes: number;
	maximumDurationInMinutes: number;
	ifNotClockedDurationInMinutes: number;
	hasToBeTakenUninterrupted: boolean;
}

export interface Break extends BaseRecord {
	id: number;
	person: Ref;
	breakDefinition: Ref;
	date: string;
	calculatedDurationInMinutes: number;
	clockedDurationInMinutes: number;
	startTimeInMinutes: number;
	endTimeInMinutes: number;
	isBreakTaken: boolean;
}

export interface CalculatedTotal extends BaseRecord {
	id: number;
	person: Ref;
	date: string;
	normalTimeDurationInMinutes: number;
	timePresentDurationInMinutes: number;
	calculatedPresenceDurationInMinutes: number;
	weeklyHours1DurationInMinutes: number;
	weeklyHours2DurationInMinutes: number;
	weeklyHours3DurationInMinutes: number;
	payPeriodHoursDurationInMinutes: number;
	flextimeDurationInMinutes: number;
	flextimeBalanceInMinutes: number;
	shiftDefinition?: Ref;
}

export interface PaidPresence extends BaseRecord {
	id: number;
	person: Ref;
	date: string;
	durationInMinutes: number;
	shiftDefinition?: Ref;
}

export interface Absence extends BaseRecord {
	id: number;
	person: Ref;
	resultingAbsenceDefinition?: Ref;
	requestedAbsenceDefinition?: Ref;
	shiftDefinition?: Ref;
	date: string;
	startTimeInMinutes?: number;
	durationInMinutes?: number;
	calculatedDurationInMinutes?: number;
	dayPart?: 'First' | 'Second' | 'Unknown';
	/** `{TenantId}-{PersonId}-{RequestId}` */
	request?: Ref<string>;
	status: 'Manual' | 'Auto' | 'BeginOpen' | 'Open' | 'Terminal' | 'Calendar';
	approvalLevel:
		| 'Approved'
		| 'NotApproved'
		| 'NotApprovedByPriorities'
		| 'NotApprovedByCalculations'
		| 'AwaitingApproval';
	isLocked?: boolean;
}

export interface AbsenceDefinition extends BaseRecord {
	id: number;
	name: TranslatedText;
	code: string;
	friendlyName: TranslatedText;
	friendlyCode: TranslatedText;
	allowedDurations: Array<'Unknown' | 'FullDay' | 'HalfDay' | 'Interval' | 'Duration'>;
	isEnabled: boolean;
	isReasonForClocking: boolean;
	absenceGroup?: Ref;
}

export interface AbsenceGroup extends BaseRecord {
	id: number;
	name: TranslatedText;
	type: 'Absence' | 'WorkingElsewhere';
}

export interface ShiftDefinition extends BaseRecord {
	id: number;
	name: TranslatedText;
	code: string;
	friendlyName: TranslatedText;
	isEnabled: boolean;
}

export interface Contract extends BaseRecord {
	id: number;
	person: Ref;
	code: string;
	from: string;
	until?: string;
	contractHoursInMinutes: number;
	fullTimeEquivalentInMinutes: number;
	contractPercentage: number;
	numberOfWorkingDaysPerWeek: number;
	numberOfDaysInContractPeriod: number;
	kind: 'Contract' | 'Addendum';
	parentContract?: Ref;
}

export interface Person extends BaseRecord {
	id: number;
	periodClosingDate?: string;
	hourlyRateCurrencyDefinition?: Ref;
	advanceCurrencyDefinition?: Ref;
	lastName: string;
	firstName: string;
	initials?: string;
	telephone?: string;
	mobile?: string;
	email?: string;
	address?: string;
	postalCode?: string;
	town?: string;
	countryIsoCode?: string;
	nationalityIsoCode?: string;
	sex?: 'Unknown' | 'Female' | 'Male' | 'Other';
	maritalStatus?:
		| 'Unknown'
		| 'Single'
		| 'Married'
		| 'Widow'
		| 'Widower'
		| 'Divorced'
		| 'LivingTogether';
	birthDate?: string;
	placeOfBirth?: string;
	drivingLicense?: string;
}

/** Maps each webhook-capable `collectionName` to its record type. */
export interface CollectionRecords {
	absences: Absence;
	'absence-definitions': AbsenceDefinition;
	'absence-groups': AbsenceGroup;
	'access-clockings': AccessClocking;
	'activity-durations': ActivityDuration;
	assignments: Assignment;
	'break-definitions': BreakDefinition;
	breaks: Break;
	'calculated-totals': CalculatedTotal;
	clockings: Clocking;
	contracts: Contract;
	counters: Counter;
	'counter-definitions': CounterDefinition;
	'counter-groups': CounterGroup;
	'paid-presences': PaidPresence;
	people: Person;
	'shift-definitions': ShiftDefinition;
	'work-interruptions': WorkInterruption;
}

export type CollectionName = keyof CollectionRecords;

export type ChangeType = 'InsertOrUpdate' | 'Delete';

/** One change as Protime delivers it (the delta item shape). A Delete carries only `changeVersion` and `id`. */
export interface ChangeEvent<C extends CollectionName = CollectionName> {
	changeType: ChangeType;
	data: CollectionRecords[C] | Pick<BaseRecord, 'changeVersion' | 'id'>;
}

export type WebhookStatus = 'Uninitialized' | 'Enabled' | 'Disabled';

/** The webhook resource (docs/protime-reference.md §2.1). */
export interface ProtimeWebhook {
	id: string;
	validUntil: string;
	status: WebhookStatus;
	destinationUrl: string;
	collectionName: CollectionName;
	externalReferences?: unknown;
}

/** A list page: `value` plus a server-relative `nextLink` while more pages exist. */
export interface ProtimePage<T> {
	value: T[];
	nextLink?: string;
	deltaLink?: string;
}
