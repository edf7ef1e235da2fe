/**
 * The External References parameter as both nodes declare it: a list of (reference, custom name) rows whose
 * Reference options come from the catalogue, and the parsing of those rows into `ExternalReferenceSpec`s.
 * The nodes differ only in which parameter names the collection (the loader's dependency) and in wording.
 */
import type {
	IDataObject,
	IDisplayOptions,
	INodeProperties,
	INodePropertyOptions,
} from 'n8n-workflow';

import { isCollectionName, referenceOptions } from './catalogue';
import type { ExternalReferenceSpec } from './externalReferences';

/** Separates collection and reference in a Reference option value: `people|@employee-number`; `people|` = custom. */
export const REFERENCE_SEPARATOR = '|';

/** The options of the Reference field for a collection: its predefined references plus one custom entry per referenced collection. */
export function referenceChoices(collectionName: unknown): INodePropertyOptions[] {
	if (!isCollectionName(collectionName)) return [];
	return referenceOptions(collectionName).flatMap(({ collection, predefined }) => [
		...predefined.map((reference) => ({
			name: `${collection}: ${reference}`,
			value: `${collection}${REFERENCE_SEPARATOR}${reference}`,
		})),
		{ name: `${collection}: custom reference…`, value: `${collection}${REFERENCE_SEPARATOR}` },
	]);
}

export interface ExternalReferencesParameterOptions {
	/** The node's load-options method that returns `referenceChoices(<collection>)`. */
	loadOptionsMethod: string;
	/** The parameters that name the collection, so n8n reloads the choices when they change. */
	dependsOn: string[];
	/** What the references are for, shown under the field. */
	description: string;
	displayOptions?: IDisplayOptions;
}

/** The `externalReferences` fixedCollection (`reference` rows of `reference` + `customName`). */
export function externalReferencesParameter(
	options: ExternalReferencesParameterOptions,
): INodeProperties {
	return {
		displayName: 'External References',
		name: 'externalReferences',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add External Reference',
		default: {},
		description: options.description,
		...(options.displayOptions ? { displayOptions: options.displayOptions } : {}),
		options: [
			{
				name: 'reference',
				displayName: 'Reference',
				values: [
					{
						displayName: 'Reference Name or ID',
						name: 'reference',
						type: 'options',
						typeOptions: {
							loadOptionsMethod: options.loadOptionsMethod,
							loadOptionsDependsOn: options.dependsOn,
						},
						default: '',
						description:
							'A predefined reference (starting with @), or a custom reference of a referenced collection. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
					},
					{
						displayName: 'Custom Reference Name',
						name: 'customName',
						type: 'string',
						default: '',
						placeholder: 'e.g. HRMID',
						description:
							'The name of the custom reference, when a "custom reference" entry is chosen above',
					},
				],
			},
		],
	};
}

export interface ReferenceProblem {
	message: string;
	description: string;
}

/**
 * The specs of the External References parameter value (`{ reference: [{ reference, customName }] }`), or the
 * problem of the first incomplete row; each node turns the problem into its own error type.
 */
export function parseReferenceRows(
	value: unknown,
): { specs: ExternalReferenceSpec[] } | { problem: ReferenceProblem } {
	const rows = ((value as IDataObject | undefined)?.reference ?? []) as Array<{
		reference?: unknown;
		customName?: unknown;
	}>;
	const specs: ExternalReferenceSpec[] = [];
	for (const [n, row] of (Array.isArray(rows) ? rows : []).entries()) {
		const text = String(row?.reference ?? '');
		const at = text.indexOf(REFERENCE_SEPARATOR);
		const collection = (at >= 0 ? text.slice(0, at) : text).trim();
		const reference =
			(at >= 0 ? text.slice(at + 1).trim() : '') || String(row?.customName ?? '').trim();
		if (!collection || !reference) {
			return {
				problem: {
					message: `External reference ${n + 1} is incomplete`,
					description:
						'Choose a reference, and for a "custom reference" entry also enter its name in Custom Reference Name.',
				},
			};
		}
		specs.push({ collection, reference });
	}
	return { specs };
}
