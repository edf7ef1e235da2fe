// Direct writes to the SQLite database of a running regular-mode n8n, for checks that reproduce what n8n
// itself can do to a workflow's data (its whole-object static-data saves can drop a node's state). Runs
// the pinned Node (node:sqlite is built in from Node 22), so the harness's own Node does not matter.
import { execFile } from 'node:child_process';
import path from 'node:path';

const CLEAR_STATIC_DATA = `
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(process.argv[1]);
db.exec('PRAGMA busy_timeout = 15000');
const result = db.prepare('UPDATE workflow_entity SET staticData = NULL WHERE id = ?').run(process.argv[2]);
db.close();
process.stdout.write(String(result.changes));
`;

/** Removes all static data of a workflow, as n8n saving an older, empty copy over it would. */
export async function clearStaticData(inst, workflowId) {
	const file = path.join(inst.userFolder, '.n8n', 'database.sqlite');
	const changed = await new Promise((resolve, reject) => {
		execFile(
			inst.install.nodeBin,
			['--no-warnings', '-e', CLEAR_STATIC_DATA, file, String(workflowId)],
			{ timeout: 30_000 },
			(error, stdout, stderr) => {
				if (error)
					reject(
						new Error(
							`clearing the static data of workflow ${workflowId} failed: ${stderr || error.message}`,
						),
					);
				else resolve(Number(stdout));
			},
		);
	});
	if (changed !== 1)
		throw new Error(
			`clearing the static data of workflow ${workflowId} changed ${changed} rows, expected 1`,
		);
}
