/** External references: the query syntax of docs/protime-reference.md §4.1 and validation against the catalogue. */
import {
	formatExternalReferences,
	validateExternalReferences,
} from '../../nodes/shared/externalReferences';

describe('formatExternalReferences', () => {
	it('chains (collection,reference) pairs as the docs show', () => {
		expect(
			formatExternalReferences([{ collection: 'people', reference: '@employee-number' }]),
		).toBe('(people,@employee-number)');
		expect(
			formatExternalReferences([
				{ collection: 'counter-definitions', reference: '@counter-code' },
				{ collection: 'counter-groups', reference: ' counterCode ' },
			]),
		).toBe('(counter-definitions,@counter-code)(counter-groups,counterCode)');
		expect(formatExternalReferences([])).toBe('');
	});
});

describe('validateExternalReferences', () => {
	it('accepts predefined and custom references of referenced collections', () => {
		expect(
			validateExternalReferences('work-interruptions', [
				{ collection: 'people', reference: '@badge-number' },
			]),
		).toBeUndefined();
		expect(
			validateExternalReferences('work-interruptions', [
				{ collection: 'people', reference: 'HRMID' },
			]),
		).toBeUndefined();
		expect(
			validateExternalReferences('counter-definitions', [
				{ collection: 'counter-definitions', reference: '@counter-code' },
				{ collection: 'counter-groups', reference: 'counterCode' },
			]),
		).toBeUndefined();
		expect(validateExternalReferences('clockings', [])).toBeUndefined();
	});

	it.each([
		['nope', [{ collection: 'people', reference: '@badge-number' }], 'Unknown collection "nope"'],
		[
			'work-interruptions',
			[{ collection: 'terminals', reference: '@external-code' }],
			'cannot carry external references of "terminals". Referenced collections available: people',
		],
		[
			'work-interruptions',
			[{ collection: 'people', reference: '@badge' }],
			'"@badge" is not a predefined reference of people. Use one of @badge-number, @employee-number',
		],
		[
			'counter-definitions',
			[{ collection: 'counter-groups', reference: '@code' }],
			'counter-groups has no predefined (@) references',
		],
		[
			'work-interruptions',
			[{ collection: 'people', reference: '' }],
			'The external reference for "people" is empty. Enter e.g. @badge-number or a custom name.',
		],
		[
			'work-interruptions',
			[{ collection: 'people', reference: 'a,b)(x' }],
			'may only contain letters, digits',
		],
		[
			'work-interruptions',
			[
				{ collection: 'people', reference: 'HRMID' },
				{ collection: 'people', reference: 'HRMID' },
			],
			'is listed twice',
		],
	])('%s %j → %s', (collection, specs, expected) => {
		expect(validateExternalReferences(collection, specs)).toContain(expected);
	});

	it('for webhooks, refuses collections whose events carry no references', () => {
		expect(
			validateExternalReferences('break-definitions', [{ collection: 'people', reference: 'X' }], {
				forWebhook: true,
			}),
		).toContain('does not add external references to');
	});
});
