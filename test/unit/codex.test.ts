/** The codex files (`*.node.json`) against the nodes they describe, as n8n's codex guidelines ask. */
import { Protime } from '../../nodes/Protime/Protime.node';
import protimeCodex from '../../nodes/Protime/Protime.node.json';
import { ProtimeTrigger } from '../../nodes/ProtimeTrigger/ProtimeTrigger.node';
import triggerCodex from '../../nodes/ProtimeTrigger/ProtimeTrigger.node.json';

const COMMUNITY_CATEGORIES = [
	'Data & Storage',
	'Finance & Accounting',
	'Marketing & Content',
	'Productivity',
	'Miscellaneous',
	'Sales',
	'Development',
	'Analytics',
	'Communication',
	'Utility',
];

describe.each([
	['Protime', new Protime().description, protimeCodex],
	['ProtimeTrigger', new ProtimeTrigger().description, triggerCodex],
])(
	'%s codex',
	(_name, description, codex: { node: string; nodeVersion: string; categories: string[] }) => {
		it('names the node type and the node version (nodeVersion "2.0" for version 2)', () => {
			expect(codex.node).toBe(`n8n-nodes-protime.${description.name}`);
			const version = Array.isArray(description.version)
				? Math.max(...description.version)
				: description.version;
			expect(codex.nodeVersion).toBe(Number(version).toFixed(1));
		});

		it('uses categories from the community list', () => {
			expect(codex.categories.length).toBeGreaterThan(0);
			for (const c of codex.categories) expect(COMMUNITY_CATEGORIES).toContain(c);
		});
	},
);
