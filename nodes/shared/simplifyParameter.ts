/**
 * The Simplify parameters both nodes declare (the `simplify` switch, and the `timeZone` and `language` options
 * it uses) and the reading of those options, so that a record read by the Protime node and the `data` of a
 * Protime Trigger item are shaped by the same settings. The nodes place them differently (the action node:
 * `simplify` next to an `options` collection; the trigger: all three inside its `options`), so this module
 * gives the fields, not the collection.
 */
import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';

import type { SimplifyOptions } from './simplify';

export interface SimplifyParameterOptions {
	/** Appended to the description, e.g. how the other node relates to it. */
	note?: string;
	displayOptions?: IDisplayOptions;
}

/** The `simplify` boolean (default on). */
export function simplifyParameter(options: SimplifyParameterOptions = {}): INodeProperties {
	return {
		displayName: 'Simplify',
		name: 'simplify',
		type: 'boolean',
		default: true,
		description: `Whether to flatten translations and references (personId, personEmployeeNumber) and add readable times (H:MM, decimal hours, local date-times)${options.note ?? ''}`,
		...(options.displayOptions ? { displayOptions: options.displayOptions } : {}),
	};
}

/**
 * The `timeZone` and `language` fields of an `options` collection, in display-name order. `note`, a sentence,
 * is added to both descriptions (e.g. that they only apply with Simplify on).
 */
export function simplifyOptionFields(note?: string): INodeProperties[] {
	const sentences = (...parts: Array<string | undefined>) => parts.filter(Boolean).join(' ');
	return [
		{
			displayName: 'Time Zone',
			name: 'timeZone',
			type: 'string',
			default: '',
			placeholder: 'e.g. Europe/Brussels',
			description: sentences(
				"Add this zone's UTC offset to the local date-times. Empty: local date-times without offset.",
				note,
			),
		},
		{
			displayName: 'Translation Language',
			name: 'language',
			type: 'string',
			default: '',
			placeholder: 'e.g. nl',
			description: note
				? sentences(
						'The language code of translated names to use; the default text is used when a translation is missing.',
						note,
					)
				: 'The language code of translated names to use; the default text is used when a translation is missing',
		},
	];
}

/** `language` and `timeZone` from an `options` collection value: trimmed, and undefined when empty or not text. */
export function readSimplifyOptions(
	options: unknown,
): Pick<SimplifyOptions, 'language' | 'timeZone'> {
	const { language, timeZone } = (options ?? {}) as { language?: unknown; timeZone?: unknown };
	const text = (value: unknown) =>
		typeof value === 'string' && value.trim() ? value.trim() : undefined;
	return { language: text(language), timeZone: text(timeZone) };
}
