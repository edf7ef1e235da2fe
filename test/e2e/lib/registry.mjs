// The install paths users take, against a local npm registry (Verdaccio on loopback) holding the packed
// package: n8n's community-package installer (the REST call behind Settings → Community Nodes → Install),
// then the README's manual `npm install` in the user folder's nodes directory. No package is pre-copied.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert, assertEqual } from './checks.mjs';
import { cacheRoot } from './install.mjs';
import { N8nClient, startN8n, stopN8n } from './n8n.mjs';
import { ACTION_TYPE, CREDENTIAL_TYPE, pkg, TRIGGER_TYPE } from './package.mjs';
import { freePort, log, startProcess, stopProcess, tail, waitFor } from './procs.mjs';
import { scan } from './scan.mjs';
import { startSimulator } from './simulator.mjs';
import { preparePackage } from './stack.mjs';
import { triggerWorkflow } from './workflows.mjs';

const pinnedDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'registry');
const CUSTOM_REGISTRY_FEATURE = 'feat:communityNodes:customRegistry';

/** Verdaccio from the committed manifest + lockfile, installed once into the e2e cache (npm ci). */
function ensureVerdaccio() {
	const manifest = fs.readFileSync(path.join(pinnedDir, 'manifest.json'));
	const lock = fs.readFileSync(path.join(pinnedDir, 'package-lock.json'));
	const hash = createHash('sha256').update(manifest).update(lock).digest('hex').slice(0, 12);
	const dir = path.join(cacheRoot(), `verdaccio-${JSON.parse(manifest).dependencies.verdaccio}`);
	const marker = path.join(dir, 'installed');
	const bin = path.join(dir, 'node_modules', 'verdaccio', 'bin', 'verdaccio');
	if (
		fs.existsSync(marker) &&
		fs.readFileSync(marker, 'utf8').trim() === hash &&
		fs.existsSync(bin)
	)
		return bin;
	const t0 = Date.now();
	fs.rmSync(dir, { recursive: true, force: true });
	fs.mkdirSync(dir, { recursive: true });
	fs.writeFileSync(path.join(dir, 'package.json'), manifest);
	fs.writeFileSync(path.join(dir, 'package-lock.json'), lock);
	execFileSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
		cwd: dir,
		stdio: ['ignore', 'ignore', 'inherit'],
	});
	if (!fs.existsSync(bin)) throw new Error(`verdaccio binary missing at ${bin}`);
	fs.writeFileSync(marker, `${hash}\n`);
	log(`verdaccio installed into ${dir} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
	return bin;
}

/** A registry with no uplink (nothing is fetched from the internet), anyone may read, a user may publish. */
async function startRegistry(runDir) {
	const bin = ensureVerdaccio();
	const dir = path.join(runDir, 'registry');
	fs.mkdirSync(dir, { recursive: true });
	const port = await freePort();
	const config = path.join(dir, 'config.yaml');
	fs.writeFileSync(
		config,
		[
			`storage: ${path.join(dir, 'storage')}`,
			'auth:',
			'  htpasswd:',
			`    file: ${path.join(dir, 'htpasswd')}`,
			'    max_users: 1',
			'uplinks: {}',
			'packages:',
			"  '**':",
			'    access: $all',
			'    publish: $authenticated',
			'web:',
			'  enable: false',
			'log: { type: stdout, format: pretty, level: warn }',
			'',
		].join('\n'),
	);
	const logFile = path.join(runDir, 'registry.log');
	const proc = startProcess(
		'registry',
		process.execPath,
		[bin, '--config', config, '--listen', `127.0.0.1:${port}`],
		{
			env: { ...process.env, NODE_OPTIONS: '' },
			cwd: dir,
			logFile,
		},
	);
	const url = `http://127.0.0.1:${port}/`;
	await waitFor(
		'verdaccio',
		async () => {
			if (proc.code !== undefined)
				throw new Error(`verdaccio exited with ${proc.code}:\n${tail(logFile)}`);
			return (await fetch(`${url}-/ping`).catch(() => undefined))?.ok;
		},
		{ timeoutMs: 60_000, intervalMs: 300 },
	);
	log(`registry ready on ${url}`);
	return { url, port, dir, proc };
}

/** Registers a publisher and publishes the tarball; the token stays in a run-local npmrc. */
async function publish(registry, tarball) {
	const user = 'e2e-publisher';
	const res = await fetch(`${registry.url}-/user/org.couchdb.user:${user}`, {
		method: 'PUT',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ name: user, password: `pw-${Date.now()}`, type: 'user' }),
	});
	const { token } = await res.json();
	assert(res.status === 201 && token, `adding the publisher: HTTP ${res.status}`);
	const npmrc = path.join(registry.dir, 'npmrc');
	fs.writeFileSync(
		npmrc,
		`registry=${registry.url}\n//127.0.0.1:${registry.port}/:_authToken=${token}\n`,
		{ mode: 0o600 },
	);
	execFileSync(
		'npm',
		['publish', tarball, '--userconfig', npmrc, '--ignore-scripts', '--access', 'public'],
		{ stdio: ['ignore', 'ignore', 'pipe'] },
	);
	return npmrc;
}

/** Node types, credential types and the installed version as n8n reports them. */
async function assertPackageLoaded(client, userFolder) {
	const names = new Set((await client.nodeTypes()).map((n) => n.name));
	assert(names.has(TRIGGER_TYPE), `${TRIGGER_TYPE} not among n8n's node types`);
	assert(names.has(ACTION_TYPE), `${ACTION_TYPE} not among n8n's node types`);
	const creds = await client.credentialTypes();
	assert(
		creds.some((c) => c.name === CREDENTIAL_TYPE),
		`credential type ${CREDENTIAL_TYPE} not listed`,
	);
	const installed = JSON.parse(
		fs.readFileSync(
			path.join(userFolder, '.n8n', 'nodes', 'node_modules', pkg.name, 'package.json'),
			'utf8',
		),
	);
	assertEqual(installed.version, pkg.version, 'installed version');
}

/** The first trigger item whose record id is `id`, from the workflow's finished executions. */
async function waitForRecord(client, workflowId, id) {
	return waitFor(
		`an execution of workflow ${workflowId} with record ${id}`,
		async () => {
			for (const e of await client.executions(workflowId)) {
				if (!e.finished && e.status !== 'success') continue;
				const item = (
					N8nClient.nodeOutput(await client.execution(e.id), 'Protime Trigger') ?? []
				).find((j) => String(j.id) === String(id));
				if (item) return item;
			}
			return undefined;
		},
		{ timeoutMs: 60_000, intervalMs: 1000 },
	);
}

export async function registry({ checks, runDir, install }) {
	const tarball = await preparePackage(runDir);
	const reg = await startRegistry(runDir);
	const sim = await startSimulator({
		runDir,
		name: 'simulator-registry',
		demo: true,
		trafficMs: 0,
	});
	let npmrc;
	await checks.check('registry: the packed package publishes to a local npm registry', async () => {
		npmrc = await publish(reg, tarball);
		const meta = await (await fetch(`${reg.url}${pkg.name}`)).json();
		assertEqual(meta['dist-tags']?.latest, pkg.version, 'latest version at the registry');
	});
	// n8n's verification scanner on the package as published there (lib/scan.mjs)
	if (npmrc) await scan({ checks, runDir, registry: reg });
	// n8n's own e2e switch (E2E_TESTS) lets a test grant the licence feature a custom registry needs;
	// an HTTPS proxy on a closed loopback port keeps n8n's package-status lookup (https://api.n8n.io) from
	// leaving the machine; the registry is plain http on loopback, so npm's requests to it go direct.
	const offline = { HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1,localhost' };
	const uiHome = path.join(runDir, 'n8n-registry-home');
	let n8n;
	try {
		n8n = await startN8n(install, {
			runDir,
			userFolder: uiHome,
			name: 'n8n-registry',
			extra: { ...offline, E2E_TESTS: 'true', N8N_COMMUNITY_PACKAGES_REGISTRY: reg.url },
		});
		const client = new N8nClient(n8n.baseUrl, install);
		await client.setupOwner();
		await client.patch('/rest/e2e/feature', { feature: CUSTOM_REGISTRY_FEATURE, enabled: true });
		await checks.check(
			"registry: Settings → Community Nodes → Install (n8n's installer) installs the package from the registry",
			async () => {
				if (!npmrc) throw new Error('not published');
				const r = await client.post('/rest/community-packages', { name: pkg.name });
				assertEqual(r.packageName, pkg.name, 'installed package');
				const nodeNames = (r.installedNodes ?? []).map((n) => n.type).sort();
				assertEqual(nodeNames, [ACTION_TYPE, TRIGGER_TYPE].sort(), 'installed nodes');
				await assertPackageLoaded(client, uiHome);
				const listed = await client.get('/rest/community-packages');
				assert(
					listed.some((p) => p.packageName === pkg.name && p.installedVersion === pkg.version),
					'listed under Community Nodes',
				);
			},
		);
		await checks.check(
			'registry: after that install a trigger activates and receives a change',
			async () => {
				const credential = await client.createCredential(
					'Protime (simulator)',
					CREDENTIAL_TYPE,
					sim.credentialData(),
				);
				const wf = await client.createWorkflow(
					triggerWorkflow({
						name: 'registry install',
						collectionName: 'counter-definitions',
						credential,
					}),
				);
				await client.activate(wf.id);
				const record = await sim.insert('counter-definitions', {});
				const item = await waitForRecord(client, wf.id, record.id);
				assertEqual(item.changeType, 'InsertOrUpdate', 'changeType');
				assertEqual(item.changeVersion, record.changeVersion, 'changeVersion');
			},
		);
	} finally {
		await stopN8n(n8n);
	}
	await checks.check(
		"registry: the README's manual install (npm install in the user folder's nodes directory) loads in n8n",
		async () => {
			if (!npmrc) throw new Error('not published');
			const home = path.join(runDir, 'n8n-manual-home');
			const nodesDir = path.join(home, '.n8n', 'nodes');
			fs.mkdirSync(nodesDir, { recursive: true });
			// as the README says: cd ~/.n8n/nodes; npm init -y unless n8n made package.json already (else npm
			// installs into the nearest parent with one); npm install n8n-nodes-protime --legacy-peer-deps
			// (n8n provides n8n-workflow; its own installer drops peer dependencies the same way)
			const npm = (args) =>
				execFileSync('npm', args, {
					cwd: nodesDir,
					env: { ...process.env, npm_config_userconfig: path.join(reg.dir, 'no-npmrc') },
					stdio: ['ignore', 'ignore', 'pipe'],
				});
			npm(['init', '-y']);
			npm([
				'install',
				pkg.name,
				'--legacy-peer-deps',
				'--registry',
				reg.url,
				'--no-audit',
				'--no-fund',
			]);
			assert(
				fs.existsSync(path.join(nodesDir, 'node_modules', pkg.name, 'package.json')),
				`npm installed nothing into ${nodesDir}`,
			);
			let manual;
			try {
				manual = await startN8n(install, {
					runDir,
					userFolder: home,
					name: 'n8n-manual',
					extra: offline,
				});
				const client = new N8nClient(manual.baseUrl, install);
				await client.setupOwner();
				await assertPackageLoaded(client, home);
			} finally {
				await stopN8n(manual);
			}
		},
	);
	await sim.stop();
	await stopProcess(reg.proc);
}
