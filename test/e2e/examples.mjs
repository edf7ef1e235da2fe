#!/usr/bin/env node
// Writes the example workflows shipped in examples/ from the same builders the demo and the e2e use.
//   node test/e2e/examples.mjs          (re)write examples/*.json
//   node test/e2e/examples.mjs --check  exit 1 when examples/ is out of date
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './lib/package.mjs';
import {
	asExample,
	hoursCsvWorkflow,
	stickyNote,
	syncNotes,
	syncTableWorkflow,
	webhookCrudWorkflow,
	workInterruptionsCsvWorkflow,
} from './lib/workflows.mjs';

// Files go where n8n 2.x allows the Read/Write Files node to write by default (N8N_RESTRICT_FILE_ACCESS_TO=~/.n8n-files);
// /home/node is the home of n8n's Docker image. Change the path to your instance's allowed folder.
const FILES = '/home/node/.n8n-files';

function stable(wf) {
	// deterministic node ids so regenerating gives the same files (asExample leaves webhookId out: n8n's editor
	// gives each imported webhook node its own)
	let n = 0;
	const ids = new Map();
	const id = (old) => {
		if (!ids.has(old)) ids.set(old, `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`);
		return ids.get(old);
	};
	for (const node of wf.nodes) {
		node.id = id(node.id);
	}
	return wf;
}

/** The workflow with its setup steps as sticky notes. */
const withNotes = (wf, notes) => ({ ...wf, nodes: [...wf.nodes, ...notes] });
const setup = (lines, { height = 300 } = {}) =>
	stickyNote('Setup', [-40, -380], ['## Setup', ...lines].join('\n'), {
		width: 560,
		height,
		color: 4,
	});
const FILES_STEP = `The file goes to \`${FILES}\`, the folder n8n 2.x lets the Read/Write Files node write to by default (\`N8N_RESTRICT_FILE_ACCESS_TO\`). Change the path in **Write CSV file** to your instance's allowed folder.`;

const examples = {
	'protime-work-interruptions-hours-csv.json': withNotes(hoursCsvWorkflow({ filesDir: FILES }), [
		setup([
			'1. Pick your **Protime API** credential in the Protime Trigger.',
			`2. ${FILES_STEP}`,
			'3. To try it: click **Execute workflow**, then create or change a work interruption in Protime. The change arrives as one item.',
			'4. **Publish** the workflow. Every change then writes one CSV file with the hours of the work interruptions it carried.',
		]),
	]),
	'protime-initial-sync-work-interruptions-csv.json': withNotes(
		workInterruptionsCsvWorkflow({
			filesDir: FILES,
			startDate: "={{ $today.minus({ days: 30 }).toFormat('yyyy-LL-dd') }}",
			endDate: "={{ $today.toFormat('yyyy-LL-dd') }}",
		}),
		[
			setup([
				'1. Pick your **Protime API** credential in **Get work interruptions**.',
				'2. Set Start Date and End Date there (default: the last 30 days; at most one year).',
				`3. ${FILES_STEP}`,
				'4. Click **Execute workflow**: the CSV file holds every work interruption of the range.',
			]),
		],
	),
	// the recommended sync pattern: a Data Table named "Protime work interruptions" (demo), or a PostgreSQL table
	...Object.fromEntries(
		['dataTable', 'postgres']
			.map((target) => [
				`protime-sync-work-interruptions-${target === 'dataTable' ? 'data-table' : 'postgres'}.json`,
				syncTableWorkflow({
					collection: 'work-interruptions',
					target,
					dataTable: { mode: 'name', value: 'Protime work interruptions' },
					startDate: "={{ $today.minus({ days: 30 }).toFormat('yyyy-LL-dd') }}",
					endDate: "={{ $today.plus({ days: 1 }).toFormat('yyyy-LL-dd') }}",
				}),
			])
			.map(([file, wf]) => [
				file,
				withNotes(
					wf,
					syncNotes('work-interruptions', file.includes('postgres') ? 'postgres' : 'dataTable'),
				),
			]),
	),
	'protime-webhook-subscriptions.json': withNotes(
		webhookCrudWorkflow({ destinationUrl: 'https://example.com/my-protime-receiver' }),
		[
			setup(
				[
					'Shows the Webhook operations of the Protime node. You do not need them for the Protime Trigger: it keeps its own subscription.',
					'1. Pick your **Protime API** credential in the three Protime nodes.',
					'2. Set **Destination URL** in **Create webhook** to an HTTPS address of yours that receives Protime deliveries.',
					'3. Click **Execute workflow**: it creates a subscription, lists the subscriptions, and deletes the one it created.',
					"*Include Key in Output* (on by default) puts the new subscription's private key in the execution data: turn it off, or delete that execution, if you do not need the key.",
				],
				{ height: 340 },
			),
		],
	),
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
