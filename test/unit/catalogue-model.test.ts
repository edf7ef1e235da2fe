/**
 * The nodes' catalogue against the simulator's independent model of the documentation (test/simulator/model.ts).
 * Every difference is listed with both sides, so a wrong belief in the catalogue fails here instead of
 * passing every test that runs against a simulator built from the same belief.
 */
import * as catalogue from '../../nodes/shared/catalogue';
import * as model from '../simulator/model';

type Side = unknown;
type Catalogue = Pick<
	typeof catalogue,
	'WEBHOOK_READ_SCOPE' | 'WEBHOOK_WRITE_SCOPE' | 'COLLECTIONS' | 'PREDEFINED_REFERENCES'
>;
const show = (v: Side) => JSON.stringify(v) ?? 'undefined';

function differences(nodes: Catalogue = catalogue): string[] {
	const catalogue = nodes;
	const out: string[] = [];
	const differ = (what: string, nodes: Side, sim: Side) => {
		if (show(nodes) !== show(sim))
			out.push(`${what}: catalogue ${show(nodes)} / model ${show(sim)}`);
	};
	differ('webhook read scope', catalogue.WEBHOOK_READ_SCOPE, model.WEBHOOK_READ_SCOPE);
	differ('webhook write scope', catalogue.WEBHOOK_WRITE_SCOPE, model.WEBHOOK_WRITE_SCOPE);
	differ(
		'collections',
		catalogue.COLLECTIONS.map((c) => c.name),
		model.COLLECTIONS.map((c) => c.name),
	);
	const keys = new Set([
		...Object.keys(catalogue.PREDEFINED_REFERENCES),
		...Object.keys(model.PREDEFINED_REFERENCES),
	]);
	for (const k of [...keys].sort()) {
		differ(
			`predefined references of ${k}`,
			catalogue.PREDEFINED_REFERENCES[k],
			model.PREDEFINED_REFERENCES[k],
		);
	}
	for (const c of catalogue.COLLECTIONS) {
		if (!model.isCollectionName(c.name)) continue;
		const m = model.getCollection(c.name);
		const at = (what: string) => `${c.name} ${what}`;
		differ(at('read scope'), c.readScope, m.readScope);
		differ(at('filters documented'), c.documented, m.filtersDocumented);
		differ(at('webhook external references'), c.webhookReferences, m.webhookReferences);
		differ(at('date field'), c.dateField, m.dateField);
		differ(
			at('filters'),
			c.filters.map((f) => ({
				name: f.name,
				kind: f.kind,
				required: f.required,
				maxRangeDays: f.maxRangeDays,
				options: f.options,
			})),
			m.filters.map((f) => ({
				name: f.name,
				kind: f.kind,
				required: f.required,
				maxRangeDays: f.maxRangeDays,
				options: f.options,
			})),
		);
		const refs = (list: ReadonlyArray<{ collection: string; path: string }>) =>
			list.map((r) => `${r.collection}@${r.path}`).sort();
		differ(at('referenced collections'), refs(c.references), refs(m.references));
		const undocumented = Object.keys(c.sample).filter((k) => !m.fields.includes(k));
		differ(at('sample fields the docs do not list'), undocumented, []);
	}
	return out;
}

describe('catalogue vs the documentation model', () => {
	it('agree on collections, scopes, filters, external references and fields', () => {
		expect(differences()).toEqual([]);
	});

	it('names both sides of a difference (the catalogue of 0.1.0 read paid presences with its own name)', () => {
		const planted = catalogue.COLLECTIONS.map((c) =>
			c.name === 'paid-presences'
				? { ...c, readScope: 'connector-protimeapi-paid-presences.read' }
				: c,
		);
		expect(differences({ ...catalogue, COLLECTIONS: planted })).toEqual([
			'paid-presences read scope: catalogue "connector-protimeapi-paid-presences.read" / model "connector-protimeapi-calculated-totals.read"',
		]);
	});
});
