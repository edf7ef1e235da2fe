/**
 * docs/trigger-design.md against the trigger's folder: its module list names every module that exists and no
 * other, and every module its delivery path names exists. A module added, renamed or removed without the
 * design being updated fails here.
 */
import { listRepoFolder, readRepoFile, repoFileExists } from '../support/repoFiles';

const design = readRepoFile('docs/trigger-design.md');

function section(title: string): string {
	const start = design.indexOf(`\n## ${title}\n`);
	expect(start).toBeGreaterThanOrEqual(0);
	const end = design.indexOf('\n## ', start + 1);
	return design.slice(start, end < 0 ? undefined : end);
}

describe('docs/trigger-design.md', () => {
	it('lists exactly the modules of nodes/ProtimeTrigger/', () => {
		const block = /```\n([\s\S]*?)```/.exec(section('Modules'))?.[1] ?? '';
		const listed = block
			.split('\n')
			.map((line) => line.split(/\s+/)[0])
			.filter((name) => name.endsWith('.ts'));
		const onDisk = listRepoFolder('nodes/ProtimeTrigger').filter((name) => name.endsWith('.ts'));
		expect([...listed].sort()).toEqual([...onDisk].sort());
		expect(new Set(listed).size).toBe(listed.length);
	});

	it('names only modules that exist on the delivery path', () => {
		const sentence =
			/A delivery crosses, in order:([\s\S]*?)(\n\n|$)/.exec(section('Modules'))?.[1] ?? '';
		const named = [...sentence.matchAll(/`([\w/.]+\.ts)`/g)].map((m) => m[1]);
		expect(named.length).toBeGreaterThan(0);
		const missing = named.filter(
			(name) =>
				!repoFileExists(
					name.startsWith('shared/') ? `nodes/${name}` : `nodes/ProtimeTrigger/${name}`,
				),
		);
		expect(missing).toEqual([]);
	});
});
