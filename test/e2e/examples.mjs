#!/usr/bin/env node
// Writes the example workflows shipped in examples/ from the same builders the demo and the e2e use.
//   node test/e2e/examples.mjs          (re)write examples/*.json
//   node test/e2e/examples.mjs --check  exit 1 when examples/ is out of date
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './lib/package.mjs';
import { asExample, hoursCsvWorkflow, syncTableWorkflow, webhookCrudWorkflow, workInterruptionsCsvWorkflow } from './lib/workflows.mjs';

// Files go where n8n 2.x allows the Read/Write Files node to write by default (N8N_RESTRICT_FILE_ACCESS_TO=~/.n8n-files);
// /home/node is the home of n8n's Docker image. Change the path to your instance's allowed folder.
const FILES = '/home/node/.n8n-files';

function stable(wf) {
	// deterministic ids so regenerating gives the same files
	let n = 0;
	const ids = new Map();
	const id = (old) => {
		if (!ids.has(old)) ids.set(old, `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`);
		return ids.get(old);
	};
	for (const node of wf.nodes) {
		node.id = id(node.id);
		if (node.webhookId) node.webhookId = id(node.webhookId);
	}
	return wf;
}

const examples = {
	'protime-work-interruptions-hours-csv.json': hoursCsvWorkflow({ filesDir: FILES }),
	'protime-initial-sync-work-interruptions-csv.json': workInterruptionsCsvWorkflow({
		filesDir: FILES,
		startDate: "={{ $today.minus({ days: 30 }).toFormat('yyyy-LL-dd') }}",
		endDate: "={{ $today.toFormat('yyyy-LL-dd') }}",
	}),
	// the recommended sync pattern: a Data Table named "Protime work interruptions" (demo), or a PostgreSQL table
	...Object.fromEntries(
		['dataTable', 'postgres'].map((target) => [
			`protime-sync-work-interruptions-${target === 'dataTable' ? 'data-table' : 'postgres'}.json`,
			syncTableWorkflow({
				collection: 'work-interruptions',
				target,
				dataTable: { mode: 'name', value: 'Protime work interruptions' },
				startDate: "={{ $today.minus({ days: 30 }).toFormat('yyyy-LL-dd') }}",
				endDate: "={{ $today.plus({ days: 1 }).toFormat('yyyy-LL-dd') }}",
			}),
		]),
	),
	'protime-webhook-subscriptions.json': webhookCrudWorkflow({ destinationUrl: 'https://example.com/my-protime-receiver' }),
};

const dir = path.join(repoRoot, 'examples');
fs.mkdirSync(dir, { recursive: true });
let stale = 0;
for (const [file, wf] of Object.entries(examples)) {
	const text = `${JSON.stringify(stable(asExample(wf)), null, 2)}\n`;
	const target = path.join(dir, file);
	if (process.argv.includes('--check')) {
		if (!fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== text) {
			process.stderr.write(`examples/${file} is out of date: run node test/e2e/examples.mjs\n`);
			stale++;
		}
	} else {
		fs.writeFileSync(target, text);
		process.stdout.write(`wrote examples/${file}\n`);
	}
}
process.exitCode = stale ? 1 : 0;
