// One call to bring up what a scenario needs: the pinned n8n installed, this package packed
// and installed as a community package, n8n started with its own user folder, the owner set up.
import fs from 'node:fs';
import path from 'node:path';
import { ensureInstalled } from './install.mjs';
import { N8nClient, startN8n, stopN8n } from './n8n.mjs';
import { buildAndPack, installIntoUserFolder, repoRoot } from './package.mjs';
import { log } from './procs.mjs';

/** A fresh run directory under .e2e/ in the repo (git-ignored), or E2E_RUN_DIR. */
export function makeRunDir(label) {
	const base = process.env.E2E_RUN_DIR || path.join(repoRoot, '.e2e');
	const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
	const dir = path.join(base, `${label}-${stamp}-${process.pid}`);
	fs.mkdirSync(dir, { recursive: true });
	return dir;
}

let packed; // one build+pack per process

export async function preparePackage(runDir) {
	if (!packed) packed = buildAndPack(path.join(runDir, 'pack'));
	return packed;
}

/**
 * A regular-mode n8n with the package installed. Returns { install, n8n, client, userFolder, filesDir, restart() }.
 */
export async function startInstance({ runDir, name = 'n8n', extraEnv = {}, install, port }) {
	install = install ?? (await ensureInstalled());
	const tarball = await preparePackage(runDir);
	const userFolder = path.join(runDir, `${name}-home`);
	const filesDir = path.join(runDir, 'files');
	fs.mkdirSync(filesDir, { recursive: true });
	installIntoUserFolder(tarball, userFolder);
	const opts = { runDir, userFolder, filesDir, name, extra: extraEnv, port };
	let n8n = await startN8n(install, opts);
	const client = new N8nClient(n8n.baseUrl, install);
	await client.setupOwner();
	const inst = {
		install,
		userFolder,
		filesDir,
		client,
		get n8n() {
			return n8n;
		},
		get baseUrl() {
			return n8n.baseUrl;
		},
		webhookUrl(webhookId, p = 'webhook') {
			return `${n8n.baseUrl}/webhook/${webhookId}/${p}`;
		},
		/** Stops n8n (SIGTERM) and starts it again on the same port, user folder and database. */
		async restart() {
			const { port } = n8n;
			await stopN8n(n8n);
			n8n = await startN8n(install, { ...opts, port, name: `${name}-restarted` });
			client.baseUrl = n8n.baseUrl;
			await client.login();
		},
		async stop() {
			await stopN8n(n8n);
		},
	};
	return inst;
}
