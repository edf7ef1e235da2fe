// The editor journey in a real browser: a user creates the Protime credential, builds and publishes a
// Protime Trigger workflow and opens the execution a change started. Each step is a check; the README's
// pictures are taken on the way (into <run dir>/browser; E2E_SCREENSHOTS=1 also copies them to docs/images).
import fs from 'node:fs';
import path from 'node:path';
import { assert } from './checks.mjs';
import { chromiumPath, openChromium } from './chromium.mjs';
import { ACTION_TYPE, CREDENTIAL_TYPE, repoRoot, TRIGGER_TYPE } from './package.mjs';
import { log, waitFor } from './procs.mjs';
import { startSimulator } from './simulator.mjs';
import { startInstance } from './stack.mjs';
import { dataTableColumns, importAsEditor } from './workflows.mjs';

// the journey's credential points at the simulator; its name shows in the README's pictures
const CREDENTIAL_NAME = 'Protime (Acme)';
/** The README's pictures, all taken by this journey. */
const README_IMAGES = [
	'credential.png',
	'trigger-parameters.png',
	'workflow.png',
	'execution-items.png',
	'sync-workflow.png',
];

const squeeze = (s) => s.replace(/\s+/g, '');

/** What a select shows: its label text (newer element-plus) and its input's value (older). */
async function shown(locator) {
	return locator.evaluate((el) =>
		[el.innerText, ...[...el.querySelectorAll('input')].map((i) => i.value)].join(' '),
	);
}

export async function browser({ checks, runDir, install }) {
	const dir = path.join(runDir, 'browser');
	fs.mkdirSync(dir, { recursive: true });
	const executablePath = await checks.check('browser: Debian Chromium is installed', () =>
		chromiumPath(),
	);
	if (!executablePath) return;
	const sim = await startSimulator({ runDir, name: 'simulator-browser', demo: true, trafficMs: 0 });
	const inst = await startInstance({ runDir, install, name: 'n8n-browser' });
	const { client, baseUrl } = inst;
	const { context, page } = await openChromium({
		executablePath,
		profileDir: path.join(dir, 'chromium-profile'),
	});
	context.setDefaultTimeout(60_000);
	context.setDefaultNavigationTimeout(120_000);
	await context.addCookies([
		{
			name: 'n8n-auth',
			value: client.cookie.replace(/^n8n-auth=/, ''),
			url: baseUrl,
			httpOnly: true,
		},
	]);

	const shot = async (name) => {
		await closePopovers(page);
		// node icons and option lists load after the page: wait until nothing is loading any more
		await page.waitForLoadState('networkidle', { timeout: 15_000 }).catch(() => {});
		await waitFor(
			'nothing shows "Loading options"',
			async () => (await page.getByText('Loading options').count()) === 0,
			{ timeoutMs: 15_000, intervalMs: 200 },
		).catch(() => {});
		await page.waitForTimeout(300);
		await page.screenshot({ path: path.join(dir, name) });
	};
	let stopped = false;
	/** One journey step as a check; a failure saves a screenshot and ends the journey. */
	const step = async (name, fn) => {
		if (stopped) return undefined;
		const before = checks.failed;
		const value = await checks.check(`browser: ${name}`, async () => {
			try {
				return await fn();
			} catch (err) {
				const file = path.join(dir, `failed-${name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}.png`);
				await page.screenshot({ path: file }).catch(() => {});
				err.message = `${err.message}\n(screenshot of the page: ${file})`;
				throw err;
			}
		});
		if (checks.failed > before) {
			stopped = true;
			log('browser: the journey stops at the first failed step');
		}
		return value;
	};

	try {
		await step('the credential form saves the Protime API credential and its Test succeeds', () =>
			createCredential(page, baseUrl, sim),
		);
		await step(
			'a new credential form filled in for Production, as the README shows it (not saved)',
			() => credentialPicture(page, baseUrl, shot),
		);
		const workflowId = await step(
			'Protime Trigger added from the nodes panel, Work Interruptions picked',
			() => addTrigger(page, baseUrl),
		);
		await step('External References loads its options from the node and one is picked', () =>
			pickReference(page, shot),
		);
		await step('Publish activates the workflow and subscribes it in Protime', () =>
			publish(page, client, sim, workflowId),
		);
		await step('a change in Protime shows as an execution with typed items', () =>
			openExecution(page, baseUrl, client, sim, workflowId, shot),
		);
		await step('the example workflow (hours per employee per day → CSV) shows on the canvas', () =>
			exampleWorkflow(page, baseUrl, inst, shot),
		);
		await step(
			"the README's quick start: the Data Table sync example imports, Initial sync is chosen next to Execute workflow, and its run fills the Data Table",
			() => syncWorkflow(page, baseUrl, inst, sim, shot),
		);
	} finally {
		await context.close().catch(() => {});
	}
	if (!stopped && process.env.E2E_SCREENSHOTS === '1') {
		const out = path.join(repoRoot, 'docs', 'images');
		fs.mkdirSync(out, { recursive: true });
		for (const name of README_IMAGES) fs.copyFileSync(path.join(dir, name), path.join(out, name));
		log(`browser: copied ${README_IMAGES.join(', ')} to ${path.relative(repoRoot, out)}`);
	}
}

/**
 * The README's quick start on the Data Table sync example: the Data Table made, the file imported (as the editor
 * imports a file) with the credential picked, then the first run as the README and the sticky note say: open the
 * list next to Execute workflow, choose Initial sync, click. The run must fill the Data Table.
 */
async function syncWorkflow(page, baseUrl, inst, sim, shot) {
	const { client } = inst;
	const def = JSON.parse(
		fs.readFileSync(
			path.join(repoRoot, 'examples', 'protime-sync-work-interruptions-data-table.json'),
			'utf8',
		),
	);
	const tableName = def.nodes.find((n) => n.type === 'n8n-nodes-base.dataTable').parameters
		.dataTableId.value;
	const table = await client.createDataTable(tableName, dataTableColumns('work-interruptions'));
	const credential = (await client.get('/rest/credentials')).find(
		(c) => c.name === CREDENTIAL_NAME,
	);
	const webhookTypes = new Set(
		(await client.nodeTypes()).filter((t) => t.webhooks?.length).map((t) => t.name),
	);
	const imported = importAsEditor(def, {
		webhookTypes,
		credentials: { [CREDENTIAL_TYPE]: credential },
		credentialFor: { [TRIGGER_TYPE]: CREDENTIAL_TYPE, [ACTION_TYPE]: CREDENTIAL_TYPE },
	});
	const wf = await client.createWorkflow(imported);
	await page.goto(`${baseUrl}/workflow/${wf.id}`, { waitUntil: 'domcontentloaded' });
	for (const n of def.nodes.filter((x) => x.type !== 'n8n-nodes-base.stickyNote'))
		await page.getByTestId('canvas-node').filter({ hasText: n.name }).first().waitFor();
	const run = page.getByTestId('execute-workflow-button');
	const label = async () => squeeze(await run.innerText());
	assert(
		(await label()).includes('ProtimeTrigger'),
		`before choosing, the button reads "${await run.innerText()}" (the README says it names the Protime Trigger)`,
	);
	await page.getByRole('button', { name: 'Select trigger node' }).click();
	await page
		.getByRole('menuitem')
		.filter({ hasText: 'Initial sync' })
		.or(page.locator('[role="menuitemradio"], [role="option"]').filter({ hasText: 'Initial sync' }))
		.first()
		.click();
	await waitFor(
		'the button names Initial sync',
		async () => (await label()).includes('Initialsync'),
		{ timeoutMs: 10_000 },
	);
	await settle(page);
	await shot('sync-workflow.png');
	await run.click();
	const [execution] = await client.waitExecutions(wf.id, 1, { timeoutMs: 90_000 });
	assert(
		execution.status === 'success',
		`the Initial sync run ${execution.id} ended ${execution.status}`,
	);
	const rows = await client.dataTableRows(table);
	// the example's window: the last 30 days to tomorrow (n8n runs in UTC here)
	const day = (offset) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
	const records = (await sim.records('work-interruptions')).filter(
		(r) => r.date >= day(-30) && r.date <= day(1),
	);
	assert(
		rows.length > 0 && rows.length === records.length,
		`the Data Table has ${rows.length} rows; Protime has ${records.length} work interruptions in the window`,
	);
	return true;
}

/** Waits until no dropdown or popover is open and their closing animation is over. */
async function settle(page) {
	await waitFor(
		'menus closed',
		async () =>
			(await page
				.locator('.el-popper:visible, [role="menu"]:visible, [role="listbox"]:visible')
				.count()) === 0,
		{ timeoutMs: 10_000, intervalMs: 100 },
	).catch(() => {});
	await page.waitForTimeout(600);
}

/** n8n's onboarding popovers (the Production Checklist) would cover the pictures. */
async function closePopovers(page) {
	const close = page.getByTestId('suggested-actions-close');
	if (await close.isVisible()) await close.click();
}

async function createCredential(page, baseUrl, sim) {
	await page.goto(`${baseUrl}/home/credentials`, { waitUntil: 'domcontentloaded' });
	await page.getByTestId('add-resource-credential').click();
	await page.getByRole('combobox', { name: 'Search for app...' }).fill('Protime');
	await page
		.getByTestId('new-credential-type-select-option')
		.filter({ hasText: 'Protime API' })
		.click();
	await page.getByTestId('new-credential-type-button').click();
	const modal = page.getByTestId('editCredential-modal');
	await modal.getByTestId('parameter-input-environment').click();
	await page.getByRole('option', { name: 'Custom Base URL' }).click();
	const data = sim.credentialData();
	for (const key of ['baseUrl', 'tenant', 'clientId', 'clientSecret', 'company']) {
		const input = modal.getByTestId(`parameter-input-${key}`).locator('input, textarea').first();
		await input.fill(data[key]);
	}
	await modal.getByTestId('credential-name').click();
	await modal.getByTestId('inline-edit-input').fill(CREDENTIAL_NAME);
	await modal.getByTestId('inline-edit-input').press('Enter');
	const tested = () =>
		page.waitForResponse(
			(r) => r.url().endsWith('/rest/credentials/test') && r.request().method() === 'POST',
		);
	const testResult = async (response) => {
		const body = await response.json().catch(() => ({}));
		assert(
			response.status() === 200 && body.data?.status === 'OK',
			`the credential test answered ${response.status()} ${JSON.stringify(body).slice(0, 300)}`,
		);
	};
	const onSave = tested();
	await modal.getByTestId('credential-save-button').click();
	await testResult(await onSave);
	const success = modal.getByTestId('credentials-config-container-test-success');
	await success.waitFor();
	await modal.getByText('Connection tested successfully').first().waitFor();
	// n8n tests on save; its Retry button is the one that runs the test again on demand
	const onTest = tested();
	await modal.getByRole('button', { name: /^Retry/ }).click();
	await testResult(await onTest);
	await success.waitFor();
	await modal.getByText('Connection tested successfully').first().waitFor();
	await modal.getByText('Retry', { exact: true }).waitFor(); // the button is out of its loading state
	for (const close of await page.locator('.el-notification__closeBtn').all())
		await close.click().catch(() => {});
	await page.getByRole('button', { name: 'Close this dialog' }).click();
	await modal.waitFor({ state: 'hidden' });
	return true;
}

/**
 * The README's picture of the credential: what a user enters for the real Protime (Production, a tenant, the
 * client from Protime). The form is left unsaved: its test would go to the real Protime.
 */
async function credentialPicture(page, baseUrl, shot) {
	await page.goto(`${baseUrl}/home/credentials`, { waitUntil: 'domcontentloaded' });
	await page
		.getByTestId('resources-list-add')
		.or(page.getByTestId('add-resource-credential'))
		.first()
		.click();
	await page.getByRole('combobox', { name: 'Search for app...' }).fill('Protime');
	await page
		.getByTestId('new-credential-type-select-option')
		.filter({ hasText: 'Protime API' })
		.click();
	await page.getByTestId('new-credential-type-button').click();
	const modal = page.getByTestId('editCredential-modal');
	const environment = modal.getByTestId('parameter-input-environment');
	assert(
		(await shown(environment)).includes('Production'),
		`a new credential starts on Production (shows "${await shown(environment)}")`,
	);
	const values = {
		tenant: 'acme',
		clientId: 'your-client-id-from-protime',
		clientSecret: 'your-client-secret-from-protime',
		company: 'Acme Payroll',
	};
	for (const [key, value] of Object.entries(values))
		await modal
			.getByTestId(`parameter-input-${key}`)
			.locator('input, textarea')
			.first()
			.fill(value);
	await modal.getByTestId('credential-name').click();
	await modal.getByTestId('inline-edit-input').fill('Protime (production)');
	await modal.getByTestId('inline-edit-input').press('Enter');
	// filling the fields scrolled the form: show it from the top (Environment first)
	await modal.evaluate((el) => {
		for (const e of [el, ...el.querySelectorAll('*')]) if (e.scrollTop > 0) e.scrollTop = 0;
	});
	await settle(page);
	await shot('credential.png');
	await page.getByRole('button', { name: 'Close this dialog' }).click();
	// n8n asks before dropping unsaved changes
	const discard = page
		.getByRole('button', { name: /close|leave|discard|don't save/i })
		.filter({ hasNotText: /this dialog/i });
	await discard
		.first()
		.click({ timeout: 5000 })
		.catch(() => {});
	await modal.waitFor({ state: 'hidden' });
	return true;
}

/** Returns the id of the new (saved) workflow. */
async function addTrigger(page, baseUrl) {
	await page.goto(`${baseUrl}/workflow/new`, { waitUntil: 'domcontentloaded' });
	await page.getByTestId('canvas-add-button').click();
	const creator = page.getByTestId('node-creator');
	await page.getByTestId('node-creator-search-bar').fill('Protime');
	await creator.getByTestId('item-iterator-item').filter({ hasText: 'Protime' }).first().click();
	await creator
		.getByTestId('item-iterator-item')
		.filter({ hasText: 'On insert or update' })
		.click();
	const ndv = page.getByTestId('ndv');
	await ndv.getByTestId('parameter-input-collectionName').click();
	await page.getByRole('option', { name: 'Work Interruptions', exact: true }).click();
	const credential = ndv.getByTestId('node-credentials-select');
	await waitFor(
		'the new credential chosen in the node',
		async () => (await shown(credential)).includes(CREDENTIAL_NAME),
		{ timeoutMs: 20_000 },
	);
	const collection = await shown(ndv.getByTestId('parameter-input-collectionName'));
	assert(collection.includes('Work Interruptions'), `Collection shows "${collection}"`);
	// n8n saves the new workflow on its own and puts its id in the address
	const saved = () => /\/workflow\/([A-Za-z0-9]+)/.exec(page.url())?.[1];
	return waitFor('the workflow saved (its id in the address)', () => saved() !== 'new' && saved(), {
		timeoutMs: 30_000,
	});
}

async function pickReference(page, shot) {
	const ndv = page.getByTestId('ndv');
	const loaded = page.waitForResponse(
		(r) =>
			r.url().includes('/rest/dynamic-node-parameters/options') &&
			(r.request().postData() ?? '').includes('"getTriggerReferenceOptions"'),
	);
	await ndv
		.getByTestId('fixed-collection-externalReferences')
		.getByTestId('fixed-collection-add')
		.click();
	const response = await loaded;
	const body = await response.json().catch(() => ({}));
	const values = (body.data ?? []).map((o) => o.value);
	assert(
		response.status() === 200 && values.includes('people|@employee-number'),
		`the Reference options answered ${response.status()} ${JSON.stringify(body).slice(0, 300)}`,
	);
	await ndv.getByTestId('parameter-input-reference').click();
	const option = page.getByRole('option', { name: 'people: @employee-number' });
	await option.waitFor();
	await page.getByRole('option', { name: 'people: @badge-number' }).waitFor();
	await option.click();
	const field = ndv.getByTestId('parameter-input-reference');
	await waitFor(
		'the picked reference in the field',
		async () => (await shown(field)).includes('people: @employee-number'),
		{ timeoutMs: 10_000 },
	);
	await settle(page); // the dropdown's closing animation would show in the picture
	await shot('trigger-parameters.png');
	await ndv.getByTestId('ndv-close-button').click();
	await ndv.waitFor({ state: 'hidden' });
	return true;
}

async function publish(page, client, sim, workflowId) {
	await page.getByTestId('workflow-open-publish-modal-button').click();
	await page.getByTestId('workflow-publish-button').click();
	// n8n confirms with a "Workflow published" dialog (unless dismissed for good), then marks the header
	const gotIt = page.getByTestId('activation-modal').getByRole('button', { name: 'Got it' });
	const published = page.getByTestId('workflow-active-version-indicator');
	await published.or(gotIt).first().waitFor();
	if (await gotIt.isVisible()) await gotIt.click();
	await published.waitFor();
	const status = await client.waitPublication(workflowId);
	assert(status.status === 'published', `publication status ${JSON.stringify(status)}`);
	const wf = await client.getWorkflow(workflowId);
	const trigger = wf.nodes.find((n) => n.type === TRIGGER_TYPE);
	assert(
		trigger?.parameters?.collectionName === 'work-interruptions',
		`saved trigger ${JSON.stringify(trigger?.parameters)}`,
	);
	const refs = trigger.parameters.externalReferences?.reference?.map((r) => r.reference);
	assert(
		refs?.[0] === 'people|@employee-number',
		`saved external references ${JSON.stringify(refs)}`,
	);
	const live = (await sim.liveWebhooks()).filter((w) =>
		w.destinationUrl.includes(trigger.webhookId),
	);
	assert(
		live.length === 1 && live[0].collectionName === 'work-interruptions',
		`live Protime webhooks for the node: ${JSON.stringify(live)}`,
	);
	return true;
}

async function openExecution(page, baseUrl, client, sim, workflowId, shot) {
	const [person] = await sim.records('people');
	assert(person, 'the simulator has people (demo tenant)');
	await sim.setExternalReferences('people', person.id, { '@employee-number': 'E-2041' });
	const date = new Date().toISOString().slice(0, 10);
	const record = await sim.insert('work-interruptions', {
		person: { id: person.id },
		date,
		startTimeInMinutes: 600,
		endTimeInMinutes: 645,
		durationInMinutes: 45,
	});
	const [execution] = await client.waitExecutions(workflowId, 1, { timeoutMs: 90_000 });
	assert(execution.status === 'success', `execution ${execution.id} ended ${execution.status}`);
	await page.goto(`${baseUrl}/workflow/${workflowId}/executions/${execution.id}`, {
		waitUntil: 'domcontentloaded',
	});
	await page.getByTestId(`execution-details-${execution.id}`).waitFor();
	await closePopovers(page);
	await page.getByTestId('canvas-node').filter({ hasText: 'Protime Trigger' }).dblclick();
	const output = page.getByTestId('ndv').getByTestId('output-panel');
	await output.getByTestId('ndv-items-count').waitFor();
	// the count shows before the table is rendered
	const text = await waitFor(
		'the output table rendered',
		async () => {
			const t = squeeze(await output.innerText());
			return t.includes(`id:${record.id}`) ? t : false;
		},
		{ timeoutMs: 30_000, intervalMs: 250 },
	).catch(async () => squeeze(await output.innerText()));
	for (const expected of [
		`id:${record.id}`,
		'personEmployeeNumber:E-2041',
		`date:${date}`,
		'duration:0:45',
		'durationHours:0.75',
		'startTime:10:00',
		'endTime:10:45',
	]) {
		assert(
			text.includes(expected),
			`the execution's output shows ${expected}; it shows: ${text.slice(0, 600)}`,
		);
	}
	await shot('execution-items.png');
	return true;
}

async function exampleWorkflow(page, baseUrl, inst, shot) {
	const credentials = await inst.client.get('/rest/credentials');
	const credential = credentials.find((c) => c.name === CREDENTIAL_NAME);
	assert(
		credential,
		`the credential made in the form is listed (${credentials.map((c) => c.name).join(', ')})`,
	);
	// as a user imports it from examples/ and picks the credential
	const def = JSON.parse(
		fs.readFileSync(
			path.join(repoRoot, 'examples', 'protime-work-interruptions-hours-csv.json'),
			'utf8',
		),
	);
	const webhookTypes = new Set(
		(await inst.client.nodeTypes()).filter((t) => t.webhooks?.length).map((t) => t.name),
	);
	const wf = await inst.client.createWorkflow(
		importAsEditor(def, {
			webhookTypes,
			credentials: { [CREDENTIAL_TYPE]: credential },
			credentialFor: { [TRIGGER_TYPE]: CREDENTIAL_TYPE },
		}),
	);
	await inst.client.activate(wf.id);
	await page.goto(`${baseUrl}/workflow/${wf.id}`, { waitUntil: 'domcontentloaded' });
	for (const n of def.nodes.filter((x) => x.type !== 'n8n-nodes-base.stickyNote'))
		await page.getByTestId('canvas-node').filter({ hasText: n.name }).first().waitFor();
	await page.getByTestId('workflow-active-version-indicator').waitFor();
	await shot('workflow.png');
	return true;
}
