/**
 * The committed output schemas equal what the catalogue gives today. On failure, regenerate them with
 * `node --import tsx test/unit/action-schemas.mjs` and commit the result.
 */
import { expectedSchemas, schemaOf } from './action-schema-model';

describe('output schemas', () => {
	const expected = expectedSchemas();

	it('cover every resource and operation of the node', () => {
		expect(Object.keys(expected)).toHaveLength(18 * 2 + 4);
		expect(expected['workInterruption/getAll.json'].properties).toHaveProperty('personId', {
			type: 'integer',
		});
		expect(expected['webhook/create.json'].properties).toHaveProperty('key', { type: 'string' });
		expect(expected['webhook/get.json'].properties).not.toHaveProperty('key');
	});

	it.each(Object.keys(expected))('%s is up to date', async (file) => {
		const committed = (await import(`../../nodes/Protime/__schema__/v1.0.0/${file}`)) as {
			default?: unknown;
		};
		expect(committed.default ?? committed).toEqual(expected[file]);
	});

	it('derives types from sample values', () => {
		expect(schemaOf({ a: 1, b: 1.5, c: 'x', d: [true], e: null })).toEqual({
			type: 'object',
			properties: {
				a: { type: 'integer' },
				b: { type: 'number' },
				c: { type: 'string' },
				d: { type: 'array', items: { type: 'boolean' } },
				e: { type: 'null' },
			},
		});
	});
});
